"""``ktstat demo``: calibrate, synthesize, compile both programmes, report.

Writes to ``out``: ``inputs/`` (per domain ``records.parquet``, ``records-sample.csv``,
``reporters.csv``; shared ``exchange_rates.csv``), ``ktstat.duckdb``, ``indicators.csv``,
``indicators.parquet``, ``calibration.md``, ``disclosure/`` (cells.csv, report.md) and
``releases/<domain>-<period>/`` (technology trade 2024 provisional and 2023 final, knowledge
services 2025H1 provisional, then ``kst-2025H1-final`` after a corrected resubmission
(:mod:`ktstat.demo.revision`): press releases, statements, data files, SDMX); prints the
headline figures of each programme's latest period.
"""

from __future__ import annotations

import csv
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ktstat import domain as domains
from ktstat.demo.calibrate import Calibration, calibrate
from ktstat.demo.facts import Fact, demo_facts_paths, load_facts
from ktstat.demo.plausibility import raise_if_flagged
from ktstat.demo.report import write_calibration_report
from ktstat.demo.synth import build_profiles, exchange_rates, synthesize

CONFIG = Path(__file__).resolve().parent / "population.toml"
DOMAINS = ("tbp", "kst")
SAMPLE_ROWS = 10_000


def profile_memberships(
    dom: domains.Domain, cfg: dict[str, Any], profiles: list[tuple[str, str, bool]]
) -> dict[str, dict[str, set[int]]]:
    """For each breakdown, code -> indices of the calibration's leaves (items, partners,
    profiles) it contains; computed with the engine's own classification."""
    from ktstat.classify import build_memberships
    from ktstat.store import open_store

    con = open_store(None)
    con.executemany(
        "INSERT INTO reporter_cells (domain, industry, size_class, platform) VALUES (?, ?, ?, ?)",
        [(dom.id, k, s, p) for k, s, p in profiles],
    )
    build_memberships(con, dom)
    items, partners = list(cfg["items"]), list(cfg["partners"])
    n_i, n_p = len(items), len(partners)
    prof_index = {p: i for i, p in enumerate(profiles)}
    out: dict[str, dict[str, set[int]]] = {}
    for name, b in dom.breakdowns.items():
        m: dict[str, set[int]] = {}
        if b.source == "reporter":
            for k1, k2, k3, code in con.execute(f"SELECT key1, key2, key3, code FROM m_{name}").fetchall():
                m.setdefault(code, set()).add(n_i + n_p + prof_index[(k1, k2, k3)])
        else:
            leaves = items if b.source == "item" else partners
            offset = 0 if b.source == "item" else n_i
            pos = {c: i for i, c in enumerate(leaves)}
            for key, code in con.execute(f"SELECT key1, code FROM m_{name}").fetchall():
                if key in pos:
                    m.setdefault(code, set()).add(offset + pos[key])
        out[name] = m
    con.close()
    return out


def _write_inputs(out: Path, dom_id: str, cols: dict[str, list[Any]], register: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = out / "inputs" / dom_id
    d.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            **{k: pa.array(v, pa.string()) for k, v in cols.items() if k != "amount"},
            "amount": pa.array(cols["amount"], pa.decimal128(18, 2)),
        }
    ).select(["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency"])
    pq.write_table(table, d / "records.parquet")
    with (d / "records-sample.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(table.column_names)
        for row in zip(*(table.column(c).to_pylist()[:SAMPLE_ROWS] for c in table.column_names), strict=True):
            w.writerow(row)
    with (d / "reporters.csv").open("w", newline="", encoding="utf-8") as f:
        w2 = csv.DictWriter(f, fieldnames=list(register[0]))
        w2.writeheader()
        w2.writerows(register)


DEMO_RELEASES = (("tbp", "2023", "final"), ("tbp", "2024", "provisional"), ("kst", "2025H1", "provisional"))


def publish_releases(con: Any, out: Path, now: datetime, say: Any) -> list[tuple[str, Path]]:
    """Release the demo's vintages (at their calendar times) and publish each under
    ``out/releases/<domain>-<period>/``."""
    from ktstat.publish.release import write_release
    from ktstat.release.calendar import release_time
    from ktstat.release.vintage import create_vintage

    done = []
    for dom_id, period, status in DEMO_RELEASES:
        dom = domains.load(dom_id)
        at = release_time(dom, period, status) or now
        v = create_vintage(con, dom, period, status, at, now)
        folder = out / "releases" / f"{dom_id}-{period}"
        say(f"publishing {v.vintage_id} ({status}) to {folder}")
        write_release(con, v.vintage_id, folder, now, say)
        done.append((v.vintage_id, folder))
    return done


def run_demo(
    out: Path,
    scale: float = 1.0,
    seed: int = 20251,
    extra_facts: list[Path] | None = None,
    releases: bool = True,
    now: datetime | None = None,
) -> None:
    """Build the demo in ``out`` (inputs, store, releases unless ``releases`` is false, indicators,
    disclosure and calibration reports) and print its summary. ``scale`` multiplies reporters and
    records. At the full scale (1 or more) a cell outside the plausibility rules raises
    :class:`~ktstat.demo.plausibility.ImplausibleData` once everything is written; below it the
    flagged cells are reported only (the rules' ranges are the published figures', drawn from the
    full population)."""
    from ktstat.pipeline import compile_domain
    from ktstat.publish import write_disclosure, write_indicators
    from ktstat.show import headline
    from ktstat.store import open_store
    from ktstat.ui import progress_printer

    started = time.perf_counter()
    cfg_all = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    facts: list[Fact] = []
    for p in [*demo_facts_paths(), *(extra_facts or [])]:
        facts += load_facts(p)
    out.mkdir(parents=True, exist_ok=True)
    (out / "inputs").mkdir(exist_ok=True)
    rate_rows = exchange_rates()
    with (out / "inputs" / "exchange_rates.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["currency", "period", "per_usd"])
        w.writerows(rate_rows)
    rates = {(c, p): float(v) for c, p, v in rate_rows}
    cals: dict[str, Calibration] = {}
    store_path = out / "ktstat.duckdb"
    if store_path.exists():
        store_path.unlink()
    from ktstat.release.snapshot import snapshot_dir

    if snapshot_dir(store_path).is_dir():  # the vintages of the store being replaced
        import shutil

        shutil.rmtree(snapshot_dir(store_path))
    with progress_printer() as say:
        for i, dom_id in enumerate(DOMAINS):
            dom = domains.load(dom_id)
            cfg = {**cfg_all[dom_id], "prior": cfg_all["prior"]}
            rng = np.random.default_rng([seed, i])
            profiles, prior = build_profiles(cfg)
            members = profile_memberships(dom, cfg, profiles)
            cals[dom_id] = calibrate(dom, cfg, facts, members, profiles, prior, progress=say, seed=seed + i)
            say(f"{dom_id}: drawing synthetic reporters and records")
            cols, register = synthesize(dom, cfg, cals[dom_id], rng, scale, rates)
            _write_inputs(out, dom_id, cols, register)
            n_rep = len({r["reporter_id"] for r in register})
            say(f"{dom_id}: wrote {len(cols['record_id']):,} records of {n_rep:,} reporters")
        con = open_store(store_path)
        for dom_id in DOMAINS:
            d = out / "inputs" / dom_id
            compile_domain(
                con,
                dom_id,
                d / "records.parquet",
                d / "reporters.csv",
                out / "inputs" / "exchange_rates.csv",
                progress=say,
            )
        published = publish_releases(con, out, now or datetime.now(UTC), say) if releases else []
        if releases:  # kst 2025H1 corrected and released final (demo/revision.py)
            from ktstat.demo.revision import revise_kst

            published += revise_kst(con, out, now or datetime.now(UTC), say)
        write_indicators(con, out / "indicators.csv")
        write_indicators(con, out / "indicators.parquet")
        say("writing disclosure/cells.csv and disclosure/report.md")
        write_disclosure(con, out / "disclosure")
        say("writing calibration.md")
        summary = write_calibration_report(con, out / "calibration.md", facts, cals)
    flags = summary["plausibility"].flags
    if scale >= 1.0:
        raise_if_flagged(summary["plausibility"], str(out / "calibration.md"))
    from ktstat.ui import console as ui_console

    console = ui_console()
    if flags and scale < 1.0:
        # the rules' ranges are those of the published figures, drawn from the full population;
        # a smaller one (fewer reporters per cell) moves more: reported, not an error
        console.print(
            f"[yellow]plausibility: {len(flags)} cells outside the rules, which are set for the full "
            f"scale (--scale 1; this is {scale:g}); see {out / 'calibration.md'}[/yellow]"
        )
    for dom_id in DOMAINS:
        headline(con, dom_id, console)
    console.print(
        f"facts reproduced within their rounding: {summary['held']}/{summary['checked']} "
        f"(set aside as conflicting: {summary['conflicting']}); see {out / 'calibration.md'}"
    )
    hidden = dict(con.execute("SELECT rule <> '', count(*) FROM disclosure GROUP BY 1").fetchall())
    primary = con.execute("SELECT count(*) FROM disclosure WHERE rule NOT IN ('', 'secondary')").fetchone()
    outsider = con.execute("SELECT count(*) FILTER (WHERE NOT protected), count(*) FROM disclosure_audit").fetchall()[0]
    insider = con.execute("SELECT count(*) FILTER (WHERE NOT protected) FROM disclosure_insider").fetchone()
    failed = outsider[0] + (insider[0] if insider else 0)
    console.print(
        f"disclosure control: {hidden.get(True, 0):,} of {sum(hidden.values()):,} cells suppressed "
        f"({primary[0] if primary else 0:,} by the primary rules); audit as an outsider and as the largest "
        "reporters: "
        + ("passed" if failed == 0 else f"FAILED for {failed} cells")
        + f" ({outsider[1]:,} primary cells audited in the last compile, the others unchanged since the "
        f"vintage that released them); see {out / 'disclosure' / 'report.md'}"
    )
    for vid, folder in published:
        console.print(f"release {vid}: {folder}")
    console.print(f"demo written to {out} in {time.perf_counter() - started:.0f} s")
    con.close()
