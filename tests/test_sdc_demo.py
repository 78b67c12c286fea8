"""Attacking the demo's published output from the outside: only ``indicators.csv``, the
compilers' ``disclosure/cells.csv`` (for which cells are confidential) and public knowledge of
the tables' structure. Any confidential value shown, or given back by arithmetic on published
figures, is a failure."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

from ktstat import domain as domains
from ktstat.periods import PER_YEAR, Period, parse

LEVEL = {"X": "exports", "M": "imports"}


def _indicators(demo_dir: Path) -> dict[tuple[str, str, str, str, str], tuple[float | None, str]]:
    with (demo_dir / "indicators.csv").open(encoding="utf-8") as f:
        return {
            (r["domain"], r["period"], r["breakdown"], r["item"], r["measure"]): (
                float(r["value"]) if r["value"] else None,
                r["status"],
            )
            for r in csv.DictReader(f)
        }


def _cells(demo_dir: Path) -> list[dict[str, str]]:
    with (demo_dir / "disclosure" / "cells.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def published(
    demo_dir: Path,
) -> tuple[dict[tuple[str, str, str, str, str], tuple[float | None, str]], list[dict[str, str]]]:
    return _indicators(demo_dir), _cells(demo_dir)


def test_report_and_cells_written(demo_dir: Path, published) -> None:
    _, cells = published
    report = (demo_dir / "disclosure" / "report.md").read_text(encoding="utf-8")
    assert "**passed**" in report and "FAILED" not in report
    # the closest a reader gets is at least the protection required, and the intervals not solved
    # exactly are marked, never below -100 % (a cell is not negative)
    closest = re.findall(
        r"No reader gets closer to a primary cell than ([\d.]+) % below its value and ([\d.]+) %", report
    )
    assert len(closest) == 2, closest  # one per programme
    assert all(float(x) >= 10.0 for pair in closest for x in pair), closest
    assert "≥ +" in report and "≤ -100 %" not in report
    rules = {c["rule"] for c in cells}
    assert {"threshold", "dominance", "secondary", ""} <= rules
    # the protection at work on small cells: partner countries and crosses lose cells
    hidden_tables = {c["breakdown"] for c in cells if c["rule"]}
    assert "partner" in hidden_tables and any("+" in b for b in hidden_tables)


def test_no_confidential_level_is_shown(published) -> None:
    ind, cells = published
    for c in cells:
        minimum = domains.load(c["domain"]).disclosure.min_reporters
        value, status = ind[(c["domain"], c["period"], c["breakdown"], c["item"], LEVEL[c["flow"]])]
        if int(c["reporters"]) < minimum or c["rule"]:
            assert value is None and status == "C", c
        else:
            assert status != "C", c


def test_no_derived_figure_gives_a_hidden_cell_back(published) -> None:
    ind, cells = published
    periods: dict[tuple[str, str], set[Period]] = defaultdict(set)
    for d, p, *_ in ind:
        periods[(d, parse(p).freq)].add(parse(p))
    # the periods whose figures compare with a period: the next one of its frequency (and, for
    # halves and quarters, the same period a year on)
    later: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for (d, freq), found in periods.items():
        steps = [(1, "")] if freq == "A" else [(1, ""), (PER_YEAR[freq], "_yoy")]
        for p in found:
            later[(d, str(p))] = [(str(p.shift(j)), s) for j, s in steps if p.shift(j) in found]

    def shown(d: str, p: str, b: str, i: str, m: str) -> bool:
        v = ind.get((d, p, b, i, m))
        return v is not None and v[0] is not None

    leaks = []
    for c in cells:
        if not c["rule"]:
            continue
        d, p, b, i = c["domain"], c["period"], c["breakdown"], c["item"]
        lv = LEVEL[c["flow"]]
        bases = (lv, "balance", "volume", "ratio")
        moving = [f"{m}_{k}" for m in bases for k in ("change", "growth", "contribution")]
        # in the same period: the other flow with balance, volume or ratio; shares with the total;
        # changes, growth and contributions against any earlier period
        same = ["balance", "volume", "ratio", f"{lv}_share", "volume_share"] + moving + [m + "_yoy" for m in moving]
        leaks += [(d, p, b, i, c["flow"], m) for m in same if shown(d, p, b, i, m)]
        # later periods compare with this one
        for q, suffix in later[(d, p)]:
            leaks += [(d, q, b, i, c["flow"], m + suffix) for m in moving if shown(d, q, b, i, m + suffix)]
    assert not leaks, leaks[:10]


def test_record_flags_do_not_compare_with_hidden_past(published) -> None:
    ind, cells = published
    # the first hidden period of each cell's series, per frequency (a series is one frequency)
    first_hidden: dict[tuple[str, str, str, str, str], Period] = {}
    for c in cells:
        if c["rule"]:
            p = parse(c["period"])
            k = (c["domain"], p.freq, c["breakdown"], c["item"], LEVEL[c["flow"]])
            first_hidden[k] = min(first_hidden.get(k, p), p)
    checked = 0
    for (d, p, b, i, m), (value, _) in ind.items():
        if m in ("exports_record", "imports_record") and value is not None:
            period = parse(p)
            start = first_hidden.get((d, period.freq, b, i, m.split("_")[0]))
            assert start is None or period < start, (d, p, b, i, m)
            checked += start is not None
    assert checked > 0  # some published flags precede a hidden period of their series


def test_ranks_are_counted_among_published_cells(published) -> None:
    ind, _ = published
    groups: dict[tuple[str, str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for (d, p, b, i, m), (value, _) in ind.items():
        ranked = m in ("exports_rank", "imports_rank", "balance_rank", "volume_rank")
        if ranked and value is not None and b != "special":  # special: several rank groups
            base = ind[(d, p, b, i, m[: -len("_rank")])][0]
            assert base is not None
            groups[(d, p, b, m)].append((base, value))
    assert groups
    for key, pairs in groups.items():
        values = sorted((v for v, _ in pairs), reverse=True)
        for v, r in pairs:
            assert r == 1 + sum(1 for w in values if w > v), key  # competition ranking among the published


def test_the_demo_compiles_recorded_every_primary_cell_protected(demo_dir: Path) -> None:
    """What protection recorded when the demo compiled (jointly with the earlier vintages): every
    primary cell's interval against an outsider and against each of its attackers reaches its
    protection, the latter checked from the recorded figures again. The independent re-audit of
    the whole store (``ktstat audit``, about a minute) is in the slow set."""
    import duckdb

    con = duckdb.connect(str(demo_dir / "ktstat.duckdb"), read_only=True)
    try:
        outsider = con.execute(
            "SELECT domain, count(*), count(*) FILTER (WHERE NOT protected) FROM disclosure_audit GROUP BY 1"
        ).fetchall()
        insider = con.execute(
            """SELECT domain, count(*), count(*) FILTER (WHERE NOT protected),
                count(*) FILTER (WHERE value_usd - lower_usd < need_usd * 0.999999
                                 OR upper_usd - value_usd < need_usd * 0.999999)
            FROM disclosure_insider GROUP BY 1"""
        ).fetchall()
        primary = dict(
            con.execute(
                "SELECT domain, count(*) FROM disclosure WHERE rule NOT IN ('', 'secondary') GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    assert {d for d, *_ in outsider} == {"tbp", "kst"} and {d for d, *_ in insider} == {"tbp", "kst"}
    for dom, n, failed in outsider:
        assert n > 0 and failed == 0, (dom, n, failed)
    for dom, n, failed, short in insider:
        assert n > 0 and primary[dom] > 0 and failed == 0 and short == 0, (dom, n, failed, short)


@pytest.mark.slow
def test_audit_command_passes_on_the_demo_store(demo_dir: Path) -> None:
    from typer.testing import CliRunner

    from ktstat.cli import app

    res = CliRunner().invoke(app, ["audit", "--store", str(demo_dir / "ktstat.duckdb")])
    assert res.exit_code == 0, res.output
    assert "tbp: passed" in res.output and "kst: passed" in res.output
    # every released vintage and the compile audited together, as an outsider and as the largest
    # reporters: the demo's revision scenario (kst 2025H1 provisional, then final) included
    out = " ".join(res.output.split())
    for dom, vintages in (("kst", "kst-2025H1-v1, kst-2025H1-v2"), ("tbp", "tbp-2023-v1, tbp-2024-v1")):
        assert (
            f"{dom}: all vintages together ({vintages}) and the compile: passed against outsiders and largest "
            "reporters" in out
        ), res.output


def test_the_revision_scenario_keeps_both_vintages(demo_dir: Path) -> None:
    """The demo's revision: a superseded batch, nothing quarantined, both vintages released, the
    report's comparison. (That both vintages are protected together is audited by
    ``test_audit_command_passes_on_the_demo_store``: the joint audit runs once.)"""
    import duckdb

    assert (demo_dir / "releases" / "kst-2025H1" / "manifest.json").exists()
    assert (demo_dir / "releases" / "kst-2025H1-final" / "manifest.json").exists()
    con = duckdb.connect(str(demo_dir / "ktstat.duckdb"), read_only=True)
    try:
        batches = dict(con.execute("SELECT status, count(*) FROM batches WHERE domain = 'kst' GROUP BY 1").fetchall())
        assert batches == {"superseded": 1, "active": 1}
        assert not con.execute("SELECT count(*) FROM quarantine WHERE domain = 'kst'").fetchall()[0][0]
        rows = con.execute("SELECT vintage_id FROM vintages WHERE domain = 'kst' ORDER BY 1").fetchall()
        vintages = [r[0] for r in rows]
    finally:
        con.close()
    assert vintages == ["kst-2025H1-v1", "kst-2025H1-v2"]
    report = (demo_dir / "disclosure" / "report.md").read_text(encoding="utf-8")
    assert "### Across vintages" in report and "these data alone (for comparison)" in report
