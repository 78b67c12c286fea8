"""The cube and the indicators over it (ktstat.cube, ktstat.indicators, ktstat.classify through
the cube's hierarchies): exact sums across periods and hierarchies, and the measures' definitions,
on the hand-made fixture compiled without disclosure control."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from ktstat import domain as domains
from ktstat.pipeline import compile_domain
from ktstat.publish.exact import micro_text
from ktstat.store import open_store

FIX = Path(__file__).parent / "fixtures" / "kst_small"


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = open_store(None)
    compile_domain(c, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv", protect=False)
    return c


def _cube(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str, str], int]:
    return {
        (p, b, i, f): int(a)
        for p, b, i, f, a in con.execute(
            "SELECT period, breakdown, item, flow, amount_usd_micro FROM cube WHERE domain = 'kst'"
        ).fetchall()
    }


def test_a_year_is_the_exact_sum_of_its_halves_and_quarters(con: duckdb.DuckDBPyConnection) -> None:
    cube = _cube(con)
    years = {p for p, _, _, _ in cube if len(p) == 4}
    assert years
    for (p, b, i, f), a in cube.items():
        if p in years and (p + "H1", b, i, f) in cube:
            assert a == cube[(p + "H1", b, i, f)] + cube.get((p + "H2", b, i, f), 0), (p, b, i, f)
        if "H" in p and (p[:4] + "Q1", b, i, f) in cube:
            qs = ("Q1", "Q2") if p.endswith("H1") else ("Q3", "Q4")
            assert a == sum(cube.get((p[:4] + q, b, i, f), 0) for q in qs), (p, b, i, f)


def test_hierarchies_add_up_to_the_total(con: duckdb.DuckDBPyConnection) -> None:
    """Every single breakdown whose items partition the records sums to the total (category to
    subcategory too, classified by the code lists)."""
    cube = _cube(con)
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for (p, b, _i, f), a in cube.items():
        sums[(p, b, f)] += a
    dom = domains.load("kst")
    for b in ("category", "subcategory", "region", "partner"):
        assert b in dom.breakdown_names()
        for (p, bb, f), total in sums.items():
            if bb == b:
                assert total == cube[(p, "total", "all", f)], (p, b, f)


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
