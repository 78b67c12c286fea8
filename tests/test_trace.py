"""ktstat trace: a cube cell back to its reporter cells and records, on the hand-made fixture
(tests/test_fixture.py documents every record and its US dollars)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ktstat import domain as domains
from ktstat.errors import InputError
from ktstat.pipeline import compile_domain
from ktstat.store import open_store
from ktstat.trace import RECORD_COLUMNS, trace_cell

FIX = Path(__file__).parent / "fixtures" / "kst_small"


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = open_store(None)
    compile_domain(c, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv", protect=False)
    return c


def test_a_cell_traces_to_the_records_worked_out_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    # 2023 exports of ip_royalties: r01 (1000.00 USD, row 1) and r06 (2000 USD)
    t = trace_cell(con, domains.load("kst"), "2023", "category", "ip_royalties", "x")
    ids = [r[RECORD_COLUMNS.index("record_id")] for r in t.records]
    assert sorted(ids) == ["r01", "r06"]
    assert t.amount_usd_micro == 3_000_000_000 == t.cells_sum and t.reporters == 2 and t.adds_up
    assert {r[RECORD_COLUMNS.index("file")] for r in t.records} == {str(FIX / "records.csv")}
    # a cross: manufacturing (R2) as a large firm in 2024 (R2 was mid-sized in 2023): r15, r16
    t = trace_cell(con, domains.load("kst"), "2024", "industry+institution", "manufacturing+large", "X")
    assert sorted(r[RECORD_COLUMNS.index("record_id")] for r in t.records) == ["r15", "r16"]
    assert t.amount_usd_micro == (5000 + 3000) * 1_000_000 and t.adds_up


def test_every_export_cell_of_a_year_adds_up(con: duckdb.DuckDBPyConnection) -> None:
    dom = domains.load("kst")
    cells = con.execute(
        "SELECT breakdown, item, flow FROM cube WHERE domain = 'kst' AND period = '2024' AND flow = 'X'"
    ).fetchall()
    assert len(cells) > 30
    for breakdown, item, flow in cells:
        t = trace_cell(con, dom, "2024", breakdown, item, flow)
        assert t.adds_up, (breakdown, item, flow, t.amount_usd_micro, t.cells_sum, t.cells_records, len(t.records))


def test_an_unknown_cell_is_one_line_naming_it(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InputError, match="no cube cell kst 2024 category nothing X"):
        trace_cell(con, domains.load("kst"), "2024", "category", "nothing", "X")
