"""The compile benchmark at a tiny size: every approach runs, the JSON holds what the CLI shows,
and the pandas and Polars scripts compute the same figures as ktstat's compile (checked here
against the store ktstat wrote, independently of the benchmark's own check)."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from ktstat.benchmarks import compile as bench

ROWS = 100_000  # about a minute, most of it ktstat's disclosure control of kst: in the slow set

pytestmark = pytest.mark.slow  # ./run test -m slow (or: ./run test -m slow tests/test_bench_compile.py)
HAS_POLARS = importlib.util.find_spec("polars") is not None
SCRIPTS = {"pandas": bench.PANDAS, **({"polars": bench.POLARS} if HAS_POLARS else {})}


def _needs(script: str) -> None:
    if script not in SCRIPTS:
        pytest.skip(f"{script} is not installed (the Polars baseline needs `pip install polars`)")


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    work = tmp_path_factory.mktemp("bench-compile")
    out = work / "bench.json"
    approaches = [a for a in bench.APPROACHES if a != bench.POLARS or HAS_POLARS]
    rows = bench.run([ROWS], out=out, workdir=work, approaches=approaches, keep=True, say=lambda _m: None)
    return work, json.loads(out.read_text(encoding="utf-8")), rows


def _ktstat_total(work: Path, dom: str) -> dict[tuple[str, str], tuple[float | None, str]]:
    con = duckdb.connect(str(work / f"{dom}-{ROWS}.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT period, measure, value, status FROM indicators WHERE domain = ? "
            "AND breakdown = 'total' AND item = 'all'",
            [dom],
        ).fetchall()
    finally:
        con.close()
    return {(p, m): (v, s) for p, m, v, s in rows}


def _script_total(work: Path, dom: str, script: str) -> dict[str, dict[str, Any]]:
    t = pq.read_table(work / f"{dom}-{ROWS}-{script}.parquet").to_pylist()
    return {r["period"]: r for r in t if r["breakdown"] == "total"}


def test_every_approach_ran_and_json_has_the_rows(bench_run: tuple[Path, dict[str, Any], list[dict[str, Any]]]) -> None:
    _, doc, rows = bench_run
    assert doc["benchmark"] == "compile"
    assert doc["results"] == rows
    assert [r["approach"] for r in rows] == [a for a in bench.APPROACHES if a != bench.POLARS or HAS_POLARS]
    for r in rows:
        assert r["rows"] == ROWS and r["status"] == "ok" and r["reason"] == ""
        assert r["seconds"] > 0 and r["peak_memory_mb"] > 0 and r["rows_per_second"] > 0
        assert set(r["seconds_by_domain"]) == {"tbp", "kst"}
        assert math.isclose(sum(r["seconds_by_domain"].values()), r["seconds"], abs_tol=0.05)
    by = {r["approach"]: r for r in rows}
    assert by[bench.KTSTAT]["x_ktstat"] == 1.0 and by[bench.FLOOR]["x_floor"] == 1.0
    assert math.isclose(
        by[bench.KTSTAT]["x_floor"], by[bench.KTSTAT]["seconds"] / by[bench.FLOOR]["seconds"], rel_tol=0.02
    )
    for approach in SCRIPTS.values():
        assert by[approach]["agrees"] is True, by[approach]["disagreements"]
        assert math.isclose(
            by[approach]["x_ktstat"], by[approach]["seconds"] / by[bench.KTSTAT]["seconds"], rel_tol=0.02, abs_tol=0.01
        )
    assert by[bench.KTSTAT]["agrees"] is None and by[bench.FLOOR]["agrees"] is None
    assert all(len(by[bench.KTSTAT]["slowest_sql"][d]) > 0 for d in ("tbp", "kst"))
    stages = by[bench.KTSTAT]["stages"]
    for dom in ("tbp", "kst"):
        names = " | ".join(s["stage"] for s in stages[dom])
        for step in (
            "validating",
            "base aggregation",
            "building the cube",
            "computing indicators",
            "disclosure control",
        ):
            assert step in names
    assert doc["targets"] == []  # judged only at 10 M and 100 M rows
    assert doc["machine"]["cpus"] and doc["machine"]["duckdb"]
    assert "same figures" in [c.header for c in bench.table(rows).columns]


def test_inputs_are_the_demos_kind_and_all_accepted(
    bench_run: tuple[Path, dict[str, Any], list[dict[str, Any]]],
) -> None:
    work, _, _ = bench_run
    split = bench.split_rows(ROWS)
    assert sum(split.values()) == ROWS and split["tbp"] > split["kst"] > 0
    for dom, n in split.items():
        t = pq.read_table(work / f"{dom}-{ROWS}.parquet")
        assert t.num_rows == n
        assert t.column_names == ["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency"]
        assert str(t.schema.field("amount").type) == "decimal128(18, 2)"
        assert len(set(t.column("currency").to_pylist())) == 5
        con = duckdb.connect(str(work / f"{dom}-{ROWS}.duckdb"), read_only=True)
        try:
            accepted, quarantined = con.execute(
                "SELECT sum(accepted), sum(quarantined) FROM batches WHERE domain = ?", [dom]
            ).fetchall()[0]
            versions = con.execute(
                "SELECT count(*) FILTER (WHERE valid_to IS NOT NULL) FROM reporters WHERE domain = ?", [dom]
            ).fetchall()[0][0]
        finally:
            con.close()
        assert (accepted, quarantined) == (n, 0)
        assert versions > 0  # the register has reporters whose size class changes: the scripts must heed it


@pytest.mark.parametrize("script", ["pandas", "polars"])
def test_scripts_headline_totals_equal_ktstats_indicators(
    bench_run: tuple[Path, dict[str, Any], list[dict[str, Any]]], script: str
) -> None:
    _needs(script)
    work, _, _ = bench_run
    for dom in ("tbp", "kst"):
        ours = _ktstat_total(work, dom)
        theirs = _script_total(work, dom, script)
        periods = {p for p, _ in ours}
        assert set(theirs) == periods  # the same published periods (A, and H for kst; complete ones)
        assert len(periods) >= (12 if dom == "tbp" else 45)
        for p in periods:
            for m in (
                "exports",
                "imports",
                "balance",
                "volume",
                "ratio",
                "exports_growth",
                "imports_growth",
                "volume_growth",
            ):
                value, status = ours[(p, m)]
                assert status != "C"
                got = theirs[p][m]
                if value is None:
                    assert got is None or math.isnan(got), (dom, p, m)
                else:
                    assert math.isclose(got, value, rel_tol=1e-9, abs_tol=bench.TOLERANCE_USD), (dom, p, m, got, value)


@pytest.mark.parametrize("script", ["pandas", "polars"])
def test_scripts_every_single_breakdown_equals_ktstats_cube(
    bench_run: tuple[Path, dict[str, Any], list[dict[str, Any]]], script: str
) -> None:
    _needs(script)
    work, _, _ = bench_run
    for dom in ("tbp", "kst"):
        ours = bench.ktstat_figures(work / f"{dom}-{ROWS}.duckdb", dom)
        theirs = bench.baseline_figures(work / f"{dom}-{ROWS}-{script}.parquet")
        assert {k[1] for k in ours} == {k[1] for k in theirs}  # every breakdown, special (overlapping) too
        assert bench.disagreements(ours, theirs) == []


def test_disagreements_catch_a_wrong_or_missing_figure() -> None:
    ours = {("2020", "total", "all", "exports"): 1000.0, ("2020", "total", "all", "imports"): 500.0}
    assert bench.disagreements(ours, dict(ours)) == []
    assert bench.disagreements(ours, {**ours, ("2020", "total", "all", "exports"): 1000.5}) != []
    assert bench.disagreements(ours, {("2020", "total", "all", "exports"): 1000.0}) != []
    assert bench.disagreements(ours, {**ours, ("2021", "total", "all", "exports"): 3.0}) != []
    assert bench.disagreements(ours, {**ours, ("2021", "total", "all", "exports"): 0.0}) == []


def test_memory_guard_stops_a_child_over_the_budget_and_projection_skips() -> None:
    hog = [
        sys.executable,
        "-c",
        "import time; b = bytearray(400 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(5)",
    ]
    with bench._MemoryGuard(150) as guard:
        code = subprocess.run(hog).returncode
    assert code != 0 and guard.killed and guard.killed[0][1] > 150
    assert bench._projected_peak_mb({1_000_000: 500.0, 10_000_000: 4000.0}, 100_000_000) == 40_000.0
    assert bench._projected_peak_mb({10_000_000: 4000.0}, 1_000_000) is None


def test_a_script_whose_library_is_missing_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bench.BASELINE_LIBRARIES, bench.POLARS, "ktstat_no_such_library")
    reason = bench.missing_library(bench.POLARS)
    assert reason is not None and "pip install ktstat_no_such_library" in reason
    assert bench.missing_library(bench.KTSTAT) is None and bench.missing_library(bench.FLOOR) is None


def test_the_targets_are_judged_at_ten_million_rows() -> None:
    rows = [
        {"rows": 10_000_000, "approach": bench.KTSTAT, "x_floor": 2.5, "peak_memory_mb": 2500, "x_ktstat": 1.0},
        {"rows": 10_000_000, "approach": bench.POLARS, "x_floor": 3.0, "peak_memory_mb": 5000, "x_ktstat": 1.2},
    ]
    got = {t["target"]: t["met"] for t in bench.targets(rows)}
    assert got == {
        "10 M rows: ktstat at most 3x the floor": True,
        "10 M rows: ktstat peak memory < 2 GiB": False,
        f"10 M rows: ktstat faster than the {bench.POLARS}": True,
    }


def test_an_unknown_approach_is_one_line_naming_the_known_ones(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "ktstat", "bench", "--approach", "floor", "--rows", "10", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0
    assert "internal error" not in run.stderr
    assert "--approach: unknown approach 'floor'; choose from 'ktstat compile'" in run.stderr
