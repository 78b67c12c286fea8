"""The cube (ktstat.cube, with ktstat.classify's hierarchies): exact sums across periods and
hierarchies, on the hand-made fixture compiled without disclosure control. The measures over
the cube are tested in test_indicators.py."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from ktstat import domain as domains
from ktstat.pipeline import compile_domain
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
