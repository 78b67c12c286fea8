"""Disclosure control through a revision in a store: a provisional release, a corrected
resubmission (a superseding batch), the final release, and ``ktstat audit`` over both vintages."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ktstat import domain as domains

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PARTNERS = ("US", "JP", "CN", "DE", "GB", "VN")
ITEMS = ("SH3", "SI21", "SJ1", "SH1", "SJ21", "SK1")


def _records(path: Path, factor: dict[str, int] | None = None) -> None:
    """Twelve reporters over 2024H1 and 2024H2; reporter R01 alone in VN, R02 alone in GB (two
    one-reporter cells of the partner row); ``factor`` multiplies a reporter's 2024H2 amounts."""
    factor = factor or {}
    rows = []
    n = 0
    for r in range(1, 13):
        rid = f"R{r:02d}"
        for month in range(1, 13):
            for flow in ("X", "M"):
                partner = "VN" if r == 1 else "GB" if r == 2 else PARTNERS[(r + month) % 4]
                amount = 1000 * (r * 7 % 11 + 1) * (1 + month % 3)
                if month > 6:
                    amount *= factor.get(rid, 1)
                n += 1
                rows.append(
                    [f"x{n:05d}", rid, f"2024-{month:02d}", flow, partner, ITEMS[(r + month) % 6], amount, "USD"]
                )
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency"])
        w.writerows(rows)


@pytest.fixture()
def released(tmp_path: Path) -> Path:
    """A store with kst 2024H2 released provisional, then corrected (R03 and R05's second half
    tripled, a superseding batch) and released final."""
    from ktstat.ingest import ingest_files
    from ktstat.pipeline import compile_domain, compile_store
    from ktstat.release.vintage import create_vintage
    from ktstat.store import open_store

    with (tmp_path / "reporters.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["reporter_id", "name", "industry", "size_class", "platform", "valid_from", "valid_to"])
        for r in range(1, 13):
            w.writerow([f"R{r:02d}", f"Firm {r}", ("58211", "26110", "70113")[r % 3], "sme", "false", "", ""])
    (tmp_path / "rates.csv").write_text("currency,period,per_usd\nKRW,2024,1300\n")
    _records(tmp_path / "first.csv")
    _records(tmp_path / "corrected.csv", {"R03": 3, "R05": 3})
    store = tmp_path / "kst.duckdb"
    con = open_store(store)
    dom = domains.load("kst")
    compile_domain(con, "kst", tmp_path / "first.csv", tmp_path / "reporters.csv", tmp_path / "rates.csv")
    create_vintage(con, dom, "2024H2", "provisional", datetime(2025, 3, 19, 3, tzinfo=UTC), NOW)
    (batch,) = con.execute("SELECT max(batch_id) FROM batches WHERE domain = 'kst'").fetchall()[0]
    ingest_files(con, dom, [tmp_path / "corrected.csv"], supersedes=int(batch))
    compile_store(con, "kst")
    create_vintage(con, dom, "2024H2", "final", datetime(2026, 3, 18, 3, tzinfo=UTC), NOW)
    con.close()
    return store


def test_both_vintages_keep_their_pattern_and_pass_the_joint_audit(released: Path) -> None:
    from ktstat.sdc.layers import audit_released
    from ktstat.store import open_store

    con = open_store(released, read_only=True)
    kept = dict(con.execute("SELECT vintage_id, count(*) FROM vintage_cells GROUP BY 1").fetchall())
    assert set(kept) == {"kst-2024H2-v1", "kst-2024H2-v2"} and all(kept.values())
    # the revision moved cells, and protection compared the pattern with the provisional one
    assert con.execute("SELECT count(*) FROM disclosure_alone WHERE domain = 'kst'").fetchall()[0][0] > 0
    res = audit_released(con, domains.load("kst"))
    assert res.vintages == ["kst-2024H2-v1", "kst-2024H2-v2"] and not res.missing
    assert res.checked > 0 and res.passed, res.revealed
    con.close()


def test_audit_names_the_vintages_and_equations_that_reveal_a_cell(released: Path) -> None:
    from typer.testing import CliRunner

    from ktstat.cli import app
    from ktstat.store import open_store

    ok = CliRunner().invoke(app, ["audit", "--store", str(released)])
    assert ok.exit_code == 0, ok.output
    assert "all vintages together (kst-2024H2-v1, kst-2024H2-v2)" in ok.output
    # publish in the compile every cell the final vintage hid, but a primary one: the vintages
    # together (and the compile) now give hidden cells away
    con = open_store(released)
    con.execute("UPDATE disclosure SET rule = '' WHERE domain = 'kst' AND rule = 'secondary'")
    con.close()
    bad = CliRunner().invoke(app, ["audit", "--store", str(released)])
    assert bad.exit_code == 1, bad.output
    assert "cells revealed by the vintages together" in bad.output
    assert "deduces" in bad.output and "[compile]" in bad.output


def test_cube_keeps_every_reporters_amount_in_the_confidential_cells(released: Path) -> None:
    # cube_holdings, made from the cube's own per-reporter sums: for every cell a primary rule
    # makes confidential, each reporter's amount, summing to the cell, as many as it has reporters
    from ktstat.store import open_store

    con = open_store(released, read_only=True)
    bad = con.execute(
        """SELECT d.freq, d.period, d.breakdown, d.item, d.flow FROM disclosure d
        LEFT JOIN (SELECT freq, period, breakdown, item, flow, sum(amount_usd_micro) AS amount, count(*) AS n
                   FROM cube_holdings WHERE domain = 'kst' GROUP BY ALL) h
             USING (freq, period, breakdown, item, flow)
        WHERE d.domain = 'kst' AND d.rule IN ('threshold', 'dominance', 'p_percent')
          AND (h.amount IS DISTINCT FROM d.amount_usd_micro OR h.n IS DISTINCT FROM d.reporters)"""
    ).fetchall()
    assert not bad
    held = con.execute("SELECT count(DISTINCT (freq, period, breakdown, item, flow)) FROM cube_holdings").fetchall()
    primary = con.execute(
        "SELECT count(*) FROM disclosure WHERE domain = 'kst' AND rule IN ('threshold', 'dominance', 'p_percent')"
    ).fetchall()
    assert held == primary and primary[0][0] > 0
    # one reporter's amounts, summed from its own records: the two-month partner cell of R01 (VN)
    (mine,) = con.execute(
        """SELECT amount_usd_micro FROM cube_holdings WHERE reporter_id = 'R01' AND freq = 'H'
        AND period = '2024H2' AND breakdown = 'partner' AND item = 'VN' AND flow = 'X'"""
    ).fetchall()
    (cell,) = con.execute(
        """SELECT amount_usd_micro FROM cube WHERE freq = 'H' AND period = '2024H2' AND breakdown = 'partner'
        AND item = 'VN' AND flow = 'X'"""
    ).fetchall()
    assert mine == cell
    con.close()


def test_the_audit_in_two_processes_finds_the_same(released: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With each flow audited in a process of its own (``PARALLEL_CELLS`` 0: one flow in
    ``python -m ktstat.worker``), the audit of a store whose compile gives cells away reports
    the same intervals and the same revealed cells, equations included, as in one process."""
    import importlib

    from ktstat.sdc.layers import audit_released
    from ktstat.store import open_store

    con = open_store(released)
    con.execute("UPDATE disclosure SET rule = '' WHERE domain = 'kst' AND rule = 'secondary'")
    got = {}
    for cells in (10**9, 0):
        monkeypatch.setattr(importlib.import_module("ktstat.sdc.protect"), "PARALLEL_CELLS", cells)
        got[cells] = audit_released(con, domains.load("kst"))
    con.close()
    assert got[0].revealed and not got[0].passed
    assert (got[0].checked, got[0].revealed) == (got[10**9].checked, got[10**9].revealed)
