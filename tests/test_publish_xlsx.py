"""The release workbook (ktstat.publish.xlsx), read back with openpyxl.

Expected figures are computed here from the lookup (not with the module's own helpers): money
is the exact decimal of the value's micro-dollars / 1e9 in English and / 1e8 in Korean (the
stored number is the double nearest to that decimal, never the float quotient value / 1e9),
percent and ratio as they are, and the stored number must equal that exactly.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ktstat import domain as domains
from ktstat.publish.xlsx import FONTS, money_text, sheet_names, write_workbook
from ktstat.release.tables import CellRef, Column, ReleaseTable, TableCell, TableRow, standard_tables

PERIOD = "2025H1"
EMBARGO = "2025-09-17T12:00:00+09:00"
CONTENTS = {"en": "Contents", "ko": "목차"}
NOTICE = {"en": f"EMBARGOED until {EMBARGO}", "ko": f"엠바고: {EMBARGO} 까지 보도 금지"}
LEAKED = 777_777_777_777.123  # the value of a confidential cell, never to be written

Lookup = dict[tuple[str, str, str, str], tuple[float | None, str]]


def expected(value: float | None, status: str, unit: str, lang: str) -> float | str:
    """What a cell must show, from the indicator's value and status."""
    if status == "C":
        return "C"
    if status == "N" or value is None:
        return "-"
    if unit == "usd":
        return float(exact_dollars(value).scaleb(-9 if lang == "en" else -8))
    return value


def exact_dollars(value: float) -> Decimal:
    """The exact US dollars a money double stands for without its micro-dollars (as the README
    documents it): ``round(value * 1e6)`` micro-dollars when their decimal reads back as the
    value, else the value's own shortest decimal."""
    m = round(value * 1e6)
    if abs(value) < 1e15 and float(Decimal(m).scaleb(-6)) == value:
        return Decimal(m).scaleb(-6)
    return Decimal(repr(value))


def small_lookup() -> Lookup:
    """A hand-made vintage of kst: the summary over three half-years, four categories (one
    confidential with a value, one not meaningful, one confidential), a hierarchical special
    table, a few partners; the release period provisional."""
    rng = random.Random(20250917)
    lk: Lookup = {}

    def money() -> float:
        return rng.uniform(1e8, 3e10)

    def put(period: str, breakdown: str, item: str, flows: tuple[float, float], status: str) -> None:
        x, m = flows
        for measure, v in (("exports", x), ("imports", m), ("balance", x - m), ("volume", x + m), ("ratio", x / m)):
            lk[(period, breakdown, item, measure)] = (v, status)

    for period in ("2024H1", "2024H2", PERIOD):
        put(period, "total", "all", (money() * 3, money() * 3), "P" if period == PERIOD else "A")
    for measure in ("exports_growth_yoy", "imports_growth_yoy", "volume_growth_yoy"):
        lk[(PERIOD, "total", "all", measure)] = (rng.uniform(-30, 30), "P")
    lk[(PERIOD, "total", "all", "balance_change_yoy")] = (-rng.uniform(1e8, 1e9), "P")
    lk[(PERIOD, "total", "all", "ratio_change_yoy")] = (rng.uniform(-0.1, 0.1), "P")

    def breakdown(name: str, items: list[str]) -> None:
        for item in items:
            put(PERIOD, name, item, (money(), money()), "P")
            for measure in ("exports_growth_yoy", "imports_growth_yoy", "volume_share"):
                lk[(PERIOD, name, item, measure)] = (rng.uniform(-50, 50), "P")

    breakdown("category", ["ip_royalties", "ict_services", "professional_business", "culture_leisure"])
    lk[(PERIOD, "category", "ict_services", "exports")] = (LEAKED, "C")  # defensive: C with a value
    lk[(PERIOD, "category", "ict_services", "balance")] = (None, "C")
    lk[(PERIOD, "category", "professional_business", "imports_growth_yoy")] = (None, "N")
    for measure in ("exports", "imports", "balance", "volume", "ratio"):
        lk[(PERIOD, "category", "culture_leisure", measure)] = (None, "C")
    breakdown("special", ["ict_industry", "ict_game_software", "content_industry", "content_game"])
    breakdown("partner", ["US", "CN", "JP"])
    return lk


@pytest.fixture(scope="module")
def small() -> tuple[list[ReleaseTable], Lookup]:
    lk = small_lookup()
    return standard_tables(domains.load("kst"), lk, PERIOD, provisional=True), lk


def header_row(ws: Any) -> int:
    """The header row: the row above the frozen panes (which start in column B)."""
    assert ws.freeze_panes is not None and ws.freeze_panes.startswith("B"), ws.freeze_panes
    return int(ws.freeze_panes[1:]) - 1


def check_workbook(path: Path, tables: list[ReleaseTable], lookup: Lookup, lang: str, embargo: str | None) -> int:
    """Check every cell of every sheet of the workbook at ``path`` against ``tables`` and
    ``lookup``; returns the number of figure cells checked."""
    ko = lang == "ko"
    wb = load_workbook(path)
    names = [CONTENTS[lang], *sheet_names(tables, reserved=[CONTENTS[lang]], lang=lang)]
    assert wb.sheetnames == names
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert len({n.casefold() for n in names}) == len(names)

    # contents: title, embargo notice, a link per table, the notes on flags; no numbers
    ws = wb[CONTENTS[lang]]
    texts = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(isinstance(t, str) for t in texts)
    assert (NOTICE[lang] in texts) == (embargo is not None)
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink is not None}
    for table, name in zip(tables, names[1:], strict=True):
        assert links[name] == f"'{name}'!A1"
        assert links[table.title_ko if ko else table.title_en] == f"'{name}'!A1"
    assert any(t.startswith("C: ") for t in texts) and any(t.startswith("p: ") for t in texts)
    assert any(t.startswith("-: ") for t in texts)

    figures = 0
    for table, name in zip(tables, names[1:], strict=True):
        ws = wb[name]
        h = header_row(ws)
        assert ws.cell(h - 2, 1).value == (table.title_ko if ko else table.title_en)
        assert str(ws.cell(h - 1, 1).value).startswith("단위: " if ko else "Units: ")
        assert (ws.cell(1, 1).value == NOTICE[lang]) == (embargo is not None)
        assert h == (4 if embargo is not None else 3)
        # the provisional mark once, in the heading of a provisional column
        labels = [(c.label_ko if ko else c.label_en) + (" p" if c.provisional else "") for c in table.columns]
        assert [ws.cell(h, j).value for j in range(2, len(labels) + 2)] == labels
        assert ws.cell(h, 1).value == ("항목" if ko else "Item")
        for j in range(1, len(labels) + 2):
            hc = ws.cell(h, j)
            assert hc.font.bold and hc.alignment.wrap_text and hc.fill.fgColor.rgb not in (None, "00000000")
            assert ws.column_dimensions[hc.column_letter].width >= 10
        region = set()
        for i, trow in enumerate(table.rows, start=h + 1):
            label = ws.cell(i, 1)
            assert label.value == (trow.label_ko if ko else trow.label_en)
            assert (label.alignment.indent or 0) == trow.level
            for j, tcell in enumerate(trow.cells, start=2):
                region.add((i, j))
                ref = tcell.ref
                value, status = lookup.get((ref.period, ref.breakdown, ref.item, ref.measure), (None, "N"))
                want = expected(value, status, tcell.unit, lang)
                got = ws.cell(i, j)
                if isinstance(want, str):
                    assert got.value == want and got.data_type == "s", (name, trow.code, ref.measure, got.value)
                    assert got.alignment.horizontal == "right"
                    continue
                figures += 1
                assert got.data_type == "n" and isinstance(got.value, float), (name, trow.code, ref.measure)
                assert got.value == want, (name, trow.code, ref.measure, got.value, want)
                decimals = {"usd": 1 if ko else 2, "percent": 1, "ratio": 2}[tcell.unit]
                assert got.number_format.startswith("#,##0." + "0" * decimals)
                assert "p" not in got.number_format, got.number_format  # never cell by cell
                assert got.font.name == FONTS[lang], (name, got.coordinate, got.font.name)
        # below the table: the footnotes, in order, then the source note; nothing else anywhere
        below = [ws.cell(i, 1).value for i in range(h + len(table.rows) + 1, ws.max_row + 1)]
        notes = [n for n in below if n is not None]
        footnotes = table.footnotes_ko if ko else table.footnotes_en
        assert notes[: len(footnotes)] == footnotes
        assert notes[-1] == ("자료: " if ko else "Source: ") + "test source"
        for row in ws.iter_rows():
            for c in row:
                if (c.row, c.column) not in region and c.value is not None:
                    assert isinstance(c.value, str), (name, c.coordinate, c.value)
                    assert c.column == 1 or c.row == h, (name, c.coordinate, c.value)
    return figures


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_small_workbook(tmp_path: Path, small: tuple[list[ReleaseTable], Lookup], lang: str) -> None:
    tables, lk = small
    assert {c.status for t in tables for r in t.rows for c in r.cells} == {"P", "N", "C", "A"}
    path = write_workbook(
        tables,
        tmp_path / f"tables.{lang}.xlsx",
        lang=lang,
        title="Test release",
        embargo=EMBARGO,
        source_note="test source",
    )
    assert path == tmp_path / f"tables.{lang}.xlsx"
    figures = check_workbook(path, tables, lk, lang, EMBARGO)
    assert figures > 50
    wb = load_workbook(path)
    assert wb[CONTENTS[lang]]["A1"].value == "Test release"
    # a confidential cell is "C" even when the lookup carries its value; the value is nowhere
    numbers = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, (int, float))]
    assert not any(abs(v - LEAKED / s) < 1e-6 for v in numbers for s in (1e9, 1e8, 1.0))
    cat = wb[{"en": "Category", "ko": "유형"}[lang]]
    h = header_row(cat)
    codes = [r.code for r in tables[1].rows]
    assert cat.cell(h + 1 + codes.index("ict_services"), 2).value == "C"
    assert cat.freeze_panes == f"B{h + 1}" and h == 4  # embargo notice, title, unit line, header


def test_no_embargo_and_flags(tmp_path: Path, small: tuple[list[ReleaseTable], Lookup]) -> None:
    tables, lk = small
    path = write_workbook(tables, tmp_path / "tables.xlsx", source_note="test source")
    check_workbook(path, tables, lk, "en", None)
    wb = load_workbook(path)
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any("EMBARGO" in t for t in texts)
    assert wb["Contents"]["A1"].value == "Statistical tables"
    assert wb["Summary"].freeze_panes == "B4"


def test_exact_numbers(tmp_path: Path) -> None:
    """Stored numbers read back as the very same doubles, also where 16 significant digits are not enough."""
    values = [0.1 + 0.2, 1 / 3, 19705099999.590214, -4534900000.548199, 2.0**-30, 123456789012345.67]
    assert any(float(f"{v / 1e9:.16g}") != v / 1e9 for v in values)  # a naive writer would fail here
    ref = CellRef("kst", PERIOD, "total", "all", "exports")
    table = ReleaseTable(
        "t",
        "T",
        "표",
        [Column("a", "가"), Column("b", "나")],
        [
            TableRow(str(k), "r", "행", [TableCell(v, "A", "usd", ref), TableCell(v, "P", "ratio", ref)])
            for k, v in enumerate(values)
        ],
    )
    for lang in ("en", "ko"):
        ws = load_workbook(write_workbook([table], tmp_path / f"{lang}.xlsx", lang=lang))["t"]
        assert [ws.cell(4 + k, 2).value for k in range(len(values))] == [
            float(exact_dollars(v).scaleb(-9 if lang == "en" else -8)) for v in values
        ]
        assert [ws.cell(4 + k, 3).value for k in range(len(values))] == values
        assert ws.cell(4, 3).number_format == '#,##0.00;"\N{MINUS SIGN}"#,##0.00'
        assert ws.cell(4, 2).number_format == (
            '#,##0.00;"\N{MINUS SIGN}"#,##0.00' if lang == "en" else '#,##0.0;"\N{MINUS SIGN}"#,##0.0'
        )


def test_money_from_micro_dollars(tmp_path: Path) -> None:
    """Money is written as the exact decimal of the micro-dollars given (above 2**53 micro-dollars,
    where the double of the dollars does not tell them apart), scaled, in the sheet's XML."""
    import zipfile

    micro = 17_647_509_999_799_247
    assert micro > 2**53 and float("17647509999.799247") == float("17647509999.799246")  # ambiguous double
    ref = CellRef("kst", PERIOD, "total", "all", "exports")
    key = (ref.period, ref.breakdown, ref.item, ref.measure)
    table = ReleaseTable(
        "t",
        "T",
        "표",
        [Column("a", "가")],
        [TableRow("x", "r", "행", [TableCell(float("17647509999.799247"), "A", "usd", ref)])],
    )
    for lang, want in (("en", "17.647509999799247"), ("ko", "176.47509999799247")):
        path = write_workbook([table], tmp_path / f"{lang}.xlsx", lang=lang, micro={key: micro})
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/worksheets/sheet2.xml").decode()
        assert f"<v>{want}</v>" in xml, xml
        assert load_workbook(path)["t"].cell(4, 2).value == float(want)
    assert money_text(float("857997850.385341"), 1e9, 857_997_850_385_341) == "0.857997850385341"
    assert money_text(-1_500_000.0, 1e8) == "-0.015" and money_text(2e9, 1e9) == "2"
    with pytest.raises(ValueError, match="power of ten"):
        money_text(1.0, 3.0)


def test_sheet_names() -> None:
    def t(i: str) -> ReleaseTable:
        return ReleaseTable(i, i, i, [], [])

    long = "x" * 40
    names = sheet_names(
        [t("a/b"), t("A_B"), t(long), t(long), t("contents"), t("'q'"), t("History"), t("")], reserved=["Contents"]
    )
    assert names == ["a_b", "A_B~2", "x" * 31, "x" * 29 + "~2", "contents~2", "q", "History~2", "table"]


def test_rejects_bad_input(tmp_path: Path) -> None:
    ref = CellRef("kst", PERIOD, "total", "all", "exports")
    ok = TableCell(1.0, "A", "usd", ref)
    with pytest.raises(ValueError, match="language"):
        write_workbook([], tmp_path / "x.xlsx", lang="fr")
    bad_rows = [
        TableRow("r", "r", "r", [ok, ok]),  # two cells, one column
        TableRow("r", "r", "r", [TableCell(1.0, "A", "eur", ref)]),
        TableRow("r", "r", "r", [TableCell(1.0, "X", "usd", ref)]),
        TableRow("r", "r", "r", [TableCell(None, "C", "eur", ref)]),
    ]
    for row in bad_rows:
        with pytest.raises(ValueError):
            write_workbook([ReleaseTable("t", "t", "t", [Column("a", "a")], [row])], tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()
    assert not list(tmp_path.iterdir())  # no temporary file left behind


def test_demo_store(tmp_path: Path, demo_dir: Path) -> None:
    """The demo release (kst, 2025H1, provisional; the session's demo): every cell of both
    workbooks against the indicators."""
    import duckdb

    con = duckdb.connect(str(demo_dir / "ktstat.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT period, breakdown, item, measure, value, status FROM indicators WHERE domain = 'kst'"
        ).fetchall()
    finally:
        con.close()
    lookup: Lookup = {(p, b, i, m): (v, s) for p, b, i, m, v, s in rows}
    tables = standard_tables(domains.load("kst"), lookup, PERIOD, provisional=True)
    statuses = {
        lookup.get((c.ref.period, c.ref.breakdown, c.ref.item, c.ref.measure), (None, "N"))[1]
        for t in tables
        for r in t.rows
        for c in r.cells
    }
    assert {"A", "P"} <= statuses  # (the demo tables have no confidential cell; the small tables do)
    for lang in ("en", "ko"):
        path = write_workbook(
            tables,
            tmp_path / f"tables.{lang}.xlsx",
            lang=lang,
            title=f"kst {PERIOD}",
            embargo=EMBARGO,
            source_note="test source",
        )
        assert check_workbook(path, tables, lookup, lang, EMBARGO) > 100


def test_korean_workbook_names_its_font_and_prints(small: tuple[list[ReleaseTable], Lookup], tmp_path: Path) -> None:
    """The Korean workbook: every cell in a font with Hangul, sheets named in Korean, every table
    fitted to the page width with its header row and labels repeated, the contents on one page."""
    tables, _ = small
    path = write_workbook(
        tables,
        tmp_path / "tables.ko.xlsx",
        lang="ko",
        title="지식서비스무역통계",
        source_note="빈티지 kst-2025H1-v1, sha256 " + "0" * 64,
    )
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["목차", "총괄", "유형"], wb.sheetnames
    assert all(not n.isascii() for n in wb.sheetnames if n not in ("ICT",)), wb.sheetnames
    fonts = {c.font.name for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert fonts == {"Noto Sans CJK KR"}, fonts
    for ws in wb.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        if ws.title == "목차":
            assert ws.page_setup.fitToHeight == 1 and ws.print_area
            long = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "sha256" in c.value]
            assert long and long[0].alignment.wrap_text
            assert any(str(r).startswith(long[0].coordinate) for r in ws.merged_cells.ranges)
        else:
            assert ws.print_title_rows and ws.print_title_cols == "$A:$A", (ws.title, ws.print_title_cols)
    english = load_workbook(write_workbook(tables, tmp_path / "tables.xlsx", lang="en"))
    assert english.sheetnames[:3] == ["Contents", "Summary", "Category"]
    assert {c.font.name for ws in english.worksheets for row in ws.iter_rows() for c in row if c.value is not None} == {
        "Calibri"
    }
    # the Korean font stays in the Korean workbook: not in openpyxl's shared built-in Hyperlink
    # style, nor in the named styles of an English workbook written after it in the process
    from openpyxl.styles.builtins import styles as builtin_styles

    assert builtin_styles["Hyperlink"].font.name != FONTS["ko"]
    assert {st.name: st.font.name for st in english._named_styles}["Hyperlink"] == "Calibri"


def test_korean_workbook_in_libreoffice(small: tuple[list[ReleaseTable], Lookup], tmp_path: Path) -> None:
    """LibreOffice (Debian's libreoffice-calc, installed by ``./run test`` when it can) opens the
    Korean workbook and prints it with Hangul glyphs: the PDF's text reads back in Korean, its
    fonts are the named CJK font, and the contents sheet is one page."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc fonts-noto-cjk)")
    from pypdf import PdfReader

    tables, _ = small
    path = write_workbook(
        tables[:2],
        tmp_path / "tables.ko.xlsx",
        lang="ko",
        title="지식서비스무역통계 2025년 상반기",
        source_note="빈티지 kst-2025H1-v1, sha256 " + "0" * 64,
    )
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    reader = PdfReader(str(tmp_path / "tables.ko.pdf"))
    first = reader.pages[0].extract_text()
    assert "지식서비스무역통계" in first and "기호 설명" in first, first[:300]
    text = "".join(p.extract_text() for p in reader.pages)
    assert "지식재산권 사용료" in text and "직전 반기 대비" in text, text[:500]
    assert "\ufffd" not in text and "□" not in text
    fonts = {
        str(f.get_object().get("/BaseFont"))
        for p in reader.pages
        for f in (p.get("/Resources", {}).get("/Font", {}) or {}).values()
    }
    assert any("CJK" in f for f in fonts), fonts
    # the contents sheet prints on one page: its last line (the source note) is on page one
    assert "sha256" in first
