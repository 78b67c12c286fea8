"""Readers: Excel rows numbered as Excel shows them, for every sheet layout the reader accepts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from ktstat import domain as domains
from ktstat.ingest import ingest_files
from ktstat.store import open_store

openpyxl = pytest.importorskip("openpyxl")

FIX = Path(__file__).parent / "fixtures" / "kst_small"
HEADER = ["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency"]
GOOD = ["R1", "2023-01", "X", "US", "SH3", 1000, "USD"]
BAD = ["R1", "2023-01", "X", "US", "NOPE", 1000, "USD"]  # unknown item: quarantined


def _sheet(path: Path, layout: Sequence[Sequence[object] | None], col: int = 1, sheet_title: str | None = None) -> None:
    """Write ``layout`` from row 1 (None: a row left untouched, no cells at all), from column ``col``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if sheet_title:
        ws.title = sheet_title
    for r, values in enumerate(layout, start=1):
        if values is None:
            continue
        for c, v in enumerate(values, start=col):
            ws.cell(row=r, column=c, value=v)
    wb.save(path)


def _rows(tmp_path: Path, layout: Sequence[Sequence[object] | None], col: int = 1) -> tuple[list[int], list[int]]:
    path = tmp_path / "sheet.xlsx"
    _sheet(path, layout, col)
    con = open_store(None)
    ingest_files(con, domains.load("kst"), [path], reference=(FIX / "reporters.csv", FIX / "rates.csv"))
    accepted = [r for (r,) in con.execute("SELECT row_no FROM records ORDER BY 1").fetchall()]
    quarantined = [r for (r,) in con.execute("SELECT DISTINCT row_no FROM quarantine ORDER BY 1").fetchall()]
    con.close()
    return accepted, quarantined


def test_header_in_the_first_row(tmp_path: Path) -> None:
    assert _rows(tmp_path, [HEADER, ["a", *GOOD], ["b", *BAD], ["c", *GOOD]]) == ([2, 4], [3])


def test_title_and_blank_rows_above_the_header(tmp_path: Path) -> None:
    """The issue's case: a title row and a blank row above the header; the record in Excel's row 6."""
    layout: list[Sequence[object] | None] = [
        ["Knowledge services, 2023 Q1 (USD)"],
        [None],
        HEADER,
        ["a", *GOOD],
        ["b", *GOOD],
        ["c", *BAD],
    ]
    assert _rows(tmp_path, layout) == ([4, 5], [6])


def test_blank_rows_between_records_keep_their_numbers(tmp_path: Path) -> None:
    layout: list[Sequence[object] | None] = [
        ["Report"],
        ["prepared by: finance"],
        None,
        HEADER,
        ["a", *GOOD],
        None,
        ["", "", ""],
        ["b", *BAD],
        ["c", *GOOD],
    ]
    assert _rows(tmp_path, layout) == ([5, 9], [8])


def test_rows_without_cells_above_and_a_sheet_starting_in_column_c(tmp_path: Path) -> None:
    layout: list[Sequence[object] | None] = [None, None, HEADER, ["a", *BAD], ["b", *GOOD]]
    assert _rows(tmp_path, layout, col=3) == ([5], [4])


def test_csv_rows_are_numbered_from_the_first_record(tmp_path: Path) -> None:
    """CSV has no sheet: record 1 is the first after the header (blank lines not counted)."""
    path = tmp_path / "r.csv"
    path.write_text(
        ",".join(HEADER) + "\n" + "a,R1,2023-01,X,US,SH3,1000,USD\n\n" + "b,R1,2023-01,X,US,NOPE,1000,USD\n",
        encoding="utf-8",
    )
    con = open_store(None)
    ingest_files(con, domains.load("kst"), [path], reference=(FIX / "reporters.csv", FIX / "rates.csv"))
    assert con.execute("SELECT row_no FROM quarantine").fetchall() == [(2,)]
    con.close()
