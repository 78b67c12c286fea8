"""The indicators (ktstat.indicators): every measure against its definition, computed again here
from the cube's exact micro-dollars of the hand-made fixture (compiled without disclosure control)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ktstat.pipeline import compile_domain
from ktstat.publish.exact import micro_text
from ktstat.store import open_store

FIX = Path(__file__).parent / "fixtures" / "kst_small"

Key = tuple[str, str, str, str]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = open_store(None)
    compile_domain(c, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv", protect=False)
    return c


def _cube(con: duckdb.DuckDBPyConnection) -> dict[Key, int]:
    return {
        (p, b, i, f): int(a)
        for p, b, i, f, a in con.execute(
            "SELECT period, breakdown, item, flow, amount_usd_micro FROM cube WHERE domain = 'kst'"
        ).fetchall()
    }


def _values(con: duckdb.DuckDBPyConnection) -> dict[Key, tuple[float | None, str]]:
    rows = con.execute(
        "SELECT period, breakdown, item, measure, value, status FROM indicators WHERE domain = 'kst'"
    ).fetchall()
    return {(p, b, i, m): (val, s) for p, b, i, m, val, s in rows}


def test_measures_follow_their_definitions(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT period, breakdown, item, measure, value, status FROM indicators WHERE domain = 'kst'"
    ).fetchall()
    v = {(p, b, i, m): (val, s) for p, b, i, m, val, s in rows}
    micro = {
        (p, b, i, m): int(x)
        for p, b, i, m, x in con.execute(
            "SELECT period, breakdown, item, measure, micro FROM indicator_micro WHERE micro IS NOT NULL"
        ).fetchall()
    }
    cube = _cube(con)
    checked = 0
    for (p, b, i, m), (val, _s) in v.items():
        if m == "exports" and (p, b, i, "X") in cube:
            x, mm = cube[(p, b, i, "X")], cube.get((p, b, i, "M"), 0)
            assert micro[(p, b, i, "exports")] == x and micro[(p, b, i, "balance")] == x - mm
            assert micro[(p, b, i, "volume")] == x + mm
            assert val == float(micro_text(x)), (p, b, i)  # the double nearest to the exact dollars
            if mm > 0:
                assert v[(p, b, i, "ratio")][0] == pytest.approx(x / mm, rel=1e-12)
            checked += 1
    assert checked > 20
    # growth against the previous period of the frequency, N without a comparison
    g = v[("2024H2", "total", "all", "exports_growth")]
    now, before = v[("2024H2", "total", "all", "exports")][0], v[("2024H1", "total", "all", "exports")][0]
    assert now is not None and before is not None and g[0] == pytest.approx(100 * (now / before - 1), rel=1e-12)
    first = min(p for p, b, _, _ in v if b == "total" and "H" in p)
    assert v[(first, "total", "all", "exports_growth")] == (None, "N")
    # rank 1 for the largest item of a breakdown
    cats = {i: val for (p, b, i, m), (val, _) in v.items() if (p, b, m) == ("2024", "category", "exports")}
    top = max(cats, key=lambda k: cats[k] or 0)
    assert v[("2024", "category", top, "exports_rank")][0] == 1


def test_shares_and_contributions_against_the_breakdown_total(con: duckdb.DuckDBPyConnection) -> None:
    v = _values(con)
    cube = _cube(con)
    checked = 0
    for p in ("2024", "2024H2"):
        cats = [i for (pp, b, i, f) in cube if (pp, b, f) == (p, "category", "X")]
        total = cube[(p, "total", "all", "X")]
        for i in cats:
            share = v[(p, "category", i, "exports_share")][0]
            assert share == pytest.approx(100 * cube[(p, "category", i, "X")] / total, rel=1e-12)
            checked += 1
        assert sum(v[(p, "category", i, "exports_share")][0] or 0 for i in cats) == pytest.approx(100)
    # contribution: the item's change as a percent of the total's change (previous half)
    dt = cube[("2024H2", "total", "all", "X")] - cube[("2024H1", "total", "all", "X")]
    for i in {i for (p, b, i, f) in cube if (p, b, f) == ("2024H2", "category", "X")}:
        di = cube[("2024H2", "category", i, "X")] - cube.get(("2024H1", "category", i, "X"), 0)
        got = v[("2024H2", "category", i, "exports_contribution")]
        assert got[0] == pytest.approx(100 * di / dt, rel=1e-12) if dt else got == (None, "N")
        checked += 1
    assert checked > 5


def test_year_on_year_compares_with_the_same_half_a_year_earlier(con: duckdb.DuckDBPyConnection) -> None:
    v = _values(con)
    now, before = v[("2024H2", "total", "all", "imports")][0], v[("2023H2", "total", "all", "imports")][0]
    assert now is not None and before is not None
    assert v[("2024H2", "total", "all", "imports_change_yoy")][0] == pytest.approx(now - before, rel=1e-12)
    assert v[("2024H2", "total", "all", "imports_growth_yoy")][0] == pytest.approx(100 * (now / before - 1))
    assert not any(m.endswith("_yoy") for (p, _, _, m) in v if len(p) == 4)  # years compare with the year before


def test_record_flags_mark_the_highest_value_so_far_ties_included(con: duckdb.DuckDBPyConnection) -> None:
    v = _values(con)
    halves = sorted({p for (p, b, _, _) in v if b == "total" and "H" in p})
    best: float | None = None
    for p in halves:
        x = v[(p, "total", "all", "exports")][0]
        assert x is not None
        flag = v[(p, "total", "all", "exports_record")][0]
        assert flag == (1 if best is None or x >= best else 0), p  # equalling the record is the highest too
        best = x if best is None else max(best, x)
