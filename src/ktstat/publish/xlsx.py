"""The release workbook (``tables.xlsx``): the standard tables formatted for people.

:func:`write_workbook` writes one workbook in one language (``en`` or ``ko``) from the
:class:`~ktstat.release.tables.ReleaseTable` s of a release:

- a first sheet ``Contents`` (``목차``): the release title, the embargo notice when embargoed,
  every table with a link to its sheet, the notes on flags and the source note;
- one sheet per table, named after the table id (made a valid, unique Excel sheet name of at
  most 31 characters): the embargo notice when embargoed, the title, the unit line, the header
  row (bold, filled, wrapped), one row per table row (labels indented by ``level``), then the
  footnotes and the source note. Panes are frozen below the header and right of the labels.

Figures are stored as numbers, scaled, never rounded: money (``usd``) in billions of US dollars
(value / 1e9) in English and in 억 달러 (value / 1e8) in Korean; ``percent`` and ``ratio`` as
they are. The rounding is the cell's number format only (money 2 decimals in English, 1 in
Korean; percent 1; ratio 2). Money is stored as the exact decimal of its integer micro-dollars,
scaled (``0.857997850385341``, never the float artefact ``0.8579978503853409``: see
:func:`money_text`); percent and ratio with the shortest representation that reads back as the
same double. Flags:
``p`` once, after the heading of a column of provisional figures (:attr:`Column.provisional`;
never cell by cell), ``C`` for a confidential cell (status ``C``: text, right-aligned, and no
number is ever written, whatever the cell's value), ``-`` for a cell that is not meaningful
(status ``N``) or has no value.

Fonts, names and print: every cell is set in :data:`FONTS` of the language (Calibri in
English; Noto Sans CJK KR in Korean, which has Hangul and which LibreOffice finds through
fontconfig, Excel by font linking), sheets are named in the workbook's language (the table's
``sheet_en``/``sheet_ko``), every sheet prints fitted to the page width with its header row and
label column repeated, and the Contents sheet fits on one page.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.builtins import styles as builtin_styles
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ktstat.release.tables import Column, ReleaseTable, TableCell
from ktstat.terms import terms

LANGS = ("en", "ko")


def _terms(key: str) -> dict[str, str]:
    return {lang: terms(lang).get("workbook", key) for lang in LANGS}


CONTENTS = _terms("contents")
FONTS = _terms("font")
ITEM_HEADER = _terms("item")
DEFAULT_TITLE = _terms("title")
SCALE = {
    ("usd", "en"): 1e9,
    ("usd", "ko"): 1e8,
    ("percent", "en"): 1.0,
    ("percent", "ko"): 1.0,
    ("ratio", "en"): 1.0,
    ("ratio", "ko"): 1.0,
}
DECIMALS = {
    ("usd", "en"): 2,
    ("usd", "ko"): 1,
    ("percent", "en"): 1,
    ("percent", "ko"): 1,
    ("ratio", "en"): 2,
    ("ratio", "ko"): 2,
}
STATUSES = ("A", "P", "N", "C")
CONFIDENTIAL = "C"
NOT_MEANINGFUL = "-"
PROVISIONAL_MARK = "p"
MAX_SHEET_NAME = 31
RESERVED_SHEET_NAMES = ("history",)  # Excel reserves "History" (case-insensitive)

_UNIT_TEXT = {
    lang: {u: terms(lang).get("workbook", f"unit_{u}") for u in ("usd", "percent", "ratio")} for lang in LANGS
}
_UNIT_PREFIX = _terms("unit_prefix")
_SOURCE_PREFIX = _terms("source_prefix")
_FLAG_NOTES = {lang: [terms(lang).get("workbook", f"flag_{k}") for k in ("p", "c", "n")] for lang in LANGS}
_FLAG_HEADING = _terms("flag_heading")
_PROVISIONAL_NOTE = _terms("provisional_note")
_CONTENTS_HEADER = {
    lang: (terms(lang).get("workbook", "sheet"), terms(lang).get("workbook", "table")) for lang in LANGS
}


def embargo_notice(embargo: str, lang: str) -> str:
    """The embargo notice in ``lang``: ``EMBARGOED until <embargo>`` / ``엠바고: <embargo> 까지 보도 금지``."""
    return terms(lang).fill("workbook", "embargo", at=embargo)


def scale(unit: str, lang: str) -> float:
    """The divisor of a raw value of ``unit`` in ``lang`` (1e9 for usd in English, 1e8 in Korean, else 1).

    Raises ValueError for an unknown unit or language."""
    try:
        return SCALE[(unit, lang)]
    except KeyError:
        raise ValueError(f"no scale for unit {unit!r} in language {lang!r}") from None


def number_format(unit: str, lang: str) -> str:
    """The Excel number format of a figure: thousands separators, the unit's decimals, a true
    minus sign for negative numbers."""
    if (unit, lang) not in DECIMALS:
        raise ValueError(f"no number format for unit {unit!r} in language {lang!r}")
    d = DECIMALS[(unit, lang)]
    base = "#,##0" + ("." + "0" * d if d else "")
    return f'{base};"\N{MINUS SIGN}"{base}'


def shown(cell: TableCell, lang: str) -> float | str:
    """What a table cell shows: the scaled value (a float) for a figure, ``C`` for a confidential
    cell (even when it carries a value), ``-`` for one not meaningful (``N``), without a value
    or with a non-finite one. Raises ValueError for an unknown status or unit."""
    if cell.status not in STATUSES:
        raise ValueError(f"unknown status {cell.status!r} of {cell.ref}")
    divisor = scale(cell.unit, lang)
    if cell.status == "C":
        return CONFIDENTIAL
    if cell.status == "N" or cell.value is None or not math.isfinite(cell.value):
        return NOT_MEANINGFUL
    return float(cell.value) / divisor


def sheet_names(tables: Sequence[ReleaseTable], reserved: Iterable[str] = (), lang: str = "en") -> list[str]:
    """One valid, unique (case-insensitively, also against ``reserved``) Excel sheet name per table,
    from its sheet name in ``lang`` (``sheet_en``/``sheet_ko``, else its id): characters
    ``[]:*?/\\`` replaced by ``_``, no leading or trailing apostrophe, at most 31 characters,
    ``~2``, ``~3``... appended to repeats."""
    taken = {r.casefold() for r in (*reserved, *RESERVED_SHEET_NAMES)}
    out = []
    for t in tables:
        wanted = (t.sheet_ko if lang == "ko" else t.sheet_en) or t.id
        base = re.sub(r"[\[\]:*?/\\]", "_", wanted).strip().strip("'")[:MAX_SHEET_NAME] or "table"
        name, k = base, 1
        while name.casefold() in taken:
            k += 1
            suffix = f"~{k}"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        taken.add(name.casefold())
        out.append(name)
    return out


def unit_line(table: ReleaseTable, lang: str) -> str:
    """The unit line of a table: the units its cells use, in ``lang``."""
    used = {c.unit for r in table.rows for c in r.cells} or {"usd", "percent"}
    parts = [_UNIT_TEXT[lang][u] for u in ("usd", "percent", "ratio") if u in used]
    return _UNIT_PREFIX[lang] + "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Styles and cell helpers

_TITLE_FONT = Font(bold=True, size=13)
_BOLD = Font(bold=True)
_EMBARGO_FONT = Font(bold=True, color="C00000")
_NOTE_FONT = Font(italic=True, size=9)
_UNIT_FONT = Font(italic=True)
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_HEADER_BORDER = Border(top=Side(style="thin"), bottom=Side(style="thin"))
_LAST_BORDER = Border(bottom=Side(style="thin"))
_RIGHT = Alignment(horizontal="right")
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def _put_text(ws: Worksheet, row: int, col: int, text: str, font: Font | None = None) -> Any:
    """Write ``text`` as a string (never a formula, control characters removed)."""
    cell = ws.cell(row=row, column=col)
    cell.value = _ILLEGAL.sub("", text)
    cell.data_type = "s"  # a text starting with "=" stays text
    if font is not None:
        cell.font = font
    return cell


def money_text(value: float, divisor: float, micro: int | None = None) -> str:
    """The stored text of a money figure: the exact decimal of its micro-dollars
    (:func:`ktstat.publish.exact.number_text`) divided by ``divisor`` (a power of ten), in plain
    notation: ``857997850.385341`` dollars is ``0.857997850385341`` billions, never the float
    artefact ``0.8579978503853409``. It reads back as the double nearest to that exact decimal."""
    from decimal import Decimal

    from ktstat.publish.exact import number_text

    exponent = round(math.log10(divisor))
    if 10.0**exponent != divisor:
        raise ValueError(f"divisor {divisor!r} is not a power of ten")
    d = Decimal(number_text("exports", value, micro)).scaleb(-exponent)
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _put_money(ws: Worksheet, row: int, col: int, text: str, fmt: str) -> Any:
    """Write a money figure given as its exact decimal ``text`` (:func:`money_text`), verbatim."""
    cell = ws.cell(row=row, column=col)
    cell.value = float(text)  # binds data_type "n"
    cell._value = text  # written verbatim inside <v>
    cell.number_format = fmt
    return cell


def _put_number(ws: Worksheet, row: int, col: int, x: float, fmt: str) -> Any:
    """Write the finite float ``x`` so that it reads back as exactly ``x``.

    openpyxl 3.1 writes numbers with ``"%.16g"``, which does not round-trip every double (about
    a quarter of scaled money values lose their last digit). The cell is bound as a number, then
    its stored text is set to ``repr(x)``, the shortest string that reads back as ``x``; the
    writer emits a string value verbatim inside ``<v>`` of a numeric (``t="n"``) cell."""
    cell = ws.cell(row=row, column=col)
    cell.value = x  # binds data_type "n"
    cell._value = repr(x)  # written verbatim: see above
    cell.number_format = fmt
    return cell


def _width(text: str) -> int:
    """Display width in character cells (East Asian wide and full-width characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _wrapped_lines(text: str, width: int) -> int:
    """Lines ``text`` takes when wrapped at spaces into ``width`` character cells."""
    lines, cur = 1, 0
    for word in text.split():
        w = _width(word)
        if cur and cur + 1 + w > width:
            lines, cur = lines + 1, w
        else:
            cur = cur + (1 if cur else 0) + w
    return lines


def _display(x: float, unit: str, lang: str) -> str:
    return f"{x:,.{DECIMALS[(unit, lang)]}f}"


def column_label(column: Column, lang: str) -> str:
    """A column's heading in ``lang``, with the provisional mark when its figures are provisional."""
    text = column.label_ko if lang == "ko" else column.label_en
    return f"{text} {PROVISIONAL_MARK}" if column.provisional else text


# ---------------------------------------------------------------------------------------------
# Sheets


Micro = Mapping[tuple[str, str, str, str], int]


def _table_sheet(
    ws: Worksheet, table: ReleaseTable, lang: str, embargo: str | None, source_note: str, micro: Micro | None = None
) -> None:
    ko = lang == "ko"
    row = 1
    if embargo is not None:
        _put_text(ws, row, 1, embargo_notice(embargo, lang), _EMBARGO_FONT)
        row += 1
    _put_text(ws, row, 1, table.title_ko if ko else table.title_en, _TITLE_FONT)
    _put_text(ws, row + 1, 1, unit_line(table, lang), _UNIT_FONT)
    header = row + 2
    ncol = len(table.columns)

    labels = [ITEM_HEADER[lang]] + [column_label(c, lang) for c in table.columns]
    for j, label in enumerate(labels, start=1):
        cell = _put_text(ws, header, j, label, _BOLD)
        cell.fill, cell.alignment, cell.border = _HEADER_FILL, _HEADER_ALIGN, _HEADER_BORDER

    label_width = _width(labels[0])
    col_widths = [
        max(10, max((_width(w) for w in label.split()), default=0) + 2, math.ceil(_width(label) / 3) + 2)
        for label in labels[1:]
    ]
    any_provisional = any(c.provisional for c in table.columns)
    r = header
    for r, trow in enumerate(table.rows, start=header + 1):
        if len(trow.cells) != ncol:
            raise ValueError(f"table {table.id}, row {trow.code}: {len(trow.cells)} cells for {ncol} columns")
        label = trow.label_ko if ko else trow.label_en
        cell = _put_text(ws, r, 1, label)
        level = max(0, trow.level)
        cell.alignment = Alignment(indent=level, vertical="top")
        label_width = max(label_width, _width(label) + 2 * level)
        for j, tcell in enumerate(trow.cells):
            content = shown(tcell, lang)
            if isinstance(content, str):
                c = _put_text(ws, r, j + 2, content)
                c.alignment = _RIGHT
                continue
            if tcell.unit == "usd":  # exact: from the micro-dollars
                ref = tcell.ref
                m = (micro or {}).get((ref.period, ref.breakdown, ref.item, ref.measure))
                _put_money(
                    ws,
                    r,
                    j + 2,
                    money_text(float(tcell.value or 0), scale("usd", lang), m),
                    number_format(tcell.unit, lang),
                )
            else:
                _put_number(ws, r, j + 2, content, number_format(tcell.unit, lang))
            col_widths[j] = max(col_widths[j], len(_display(content, tcell.unit, lang)) + 2)
    if table.rows:
        for j in range(1, ncol + 2):
            ws.cell(row=r, column=j).border = _LAST_BORDER

    notes = list(table.footnotes_ko if ko else table.footnotes_en)
    if any_provisional and not any(n.startswith(f"{PROVISIONAL_MARK}:") for n in notes):
        notes.append(_PROVISIONAL_NOTE[lang])
    if source_note:
        notes.append(_SOURCE_PREFIX[lang] + source_note)
    for k, note in enumerate(notes):
        _put_text(ws, r + 2 + k, 1, note, _NOTE_FONT)

    label_col = min(max(12, label_width + 2), 60)
    ws.column_dimensions["A"].width = label_col
    if label_width + 2 > label_col:  # long labels wrap
        for rr in range(header + 1, r + 1):
            c = ws.cell(row=rr, column=1)
            c.alignment = Alignment(indent=c.alignment.indent, vertical="top", wrap_text=True)
    for j, w in enumerate(col_widths, start=2):
        ws.column_dimensions[get_column_letter(j)].width = w
    lines = max([_wrapped_lines(lab, int(w) - 1) for lab, w in zip(labels, [label_col, *col_widths], strict=True)])
    ws.row_dimensions[header].height = 15 * lines + 3

    ws.freeze_panes = ws.cell(row=header + 1, column=2).coordinate
    ws.print_title_rows = f"{header}:{header}"
    ws.print_title_cols = "A:A"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if embargo is not None:
        ws.oddHeader.center.text = embargo_notice(embargo, lang)


def _set_font(wb: Workbook, name: str) -> None:
    """Every written cell, and the workbook's Normal style, in the font ``name`` (sizes, weights
    and colours kept)."""
    from copy import copy

    for style in wb._named_styles:
        if style.name in ("Normal", "Hyperlink"):
            style.font = copy(style.font)
            style.font.name = name
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                f = copy(cell.font)
                f.name = name
                cell.font = f


def _contents_sheet(
    ws: Worksheet,
    tables: Sequence[ReleaseTable],
    names: Sequence[str],
    lang: str,
    title: str,
    embargo: str | None,
    source_note: str,
) -> None:
    ko = lang == "ko"
    _put_text(ws, 1, 1, title or DEFAULT_TITLE[lang], _TITLE_FONT)
    row = 2
    if embargo is not None:
        _put_text(ws, row, 1, embargo_notice(embargo, lang), _EMBARGO_FONT)
        ws.oddHeader.center.text = embargo_notice(embargo, lang)
        row += 1
    row += 1
    for j, label in enumerate(_CONTENTS_HEADER[lang], start=1):
        cell = _put_text(ws, row, j, label, _BOLD)
        cell.fill, cell.border = _HEADER_FILL, _HEADER_BORDER
    widths = [max(12, _width(_CONTENTS_HEADER[lang][0]) + 2), 40]
    for table, name in zip(tables, names, strict=True):
        row += 1
        text = table.title_ko if ko else table.title_en
        for j, shown_text in ((1, name), (2, text)):
            cell = _put_text(ws, row, j, shown_text)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{quote_sheetname(name)}!A1", display=shown_text)
            if "Hyperlink" not in ws.parent.named_styles:
                # the workbook's own copy of the built-in style, where openpyxl would add its one
                # shared object, whose font _set_font changes (a Korean workbook's font then
                # showed in the next English workbook's Hyperlink style, in the same process)
                ws.parent.add_named_style(copy(builtin_styles["Hyperlink"]))
            cell.style = "Hyperlink"
            widths[j - 1] = max(widths[j - 1], _width(shown_text) + 2)
    row += 2
    _put_text(ws, row, 1, _FLAG_HEADING[lang], _BOLD)
    for note in _FLAG_NOTES[lang]:
        row += 1
        _put_text(ws, row, 1, note)
    if source_note:
        row += 2
        cell = _put_text(ws, row, 1, _SOURCE_PREFIX[lang] + source_note, _NOTE_FONT)
        # a long note wraps across both columns instead of running off the printed page
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        total = widths[0] + min(widths[1], 90)
        ws.row_dimensions[row].height = 13 * _wrapped_lines(cell.value, int(total) - 2) + 3
    ws.column_dimensions["A"].width = widths[0]
    ws.column_dimensions["B"].width = min(widths[1], 90)
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_area = f"A1:B{row}"


def write_workbook(
    tables: list[ReleaseTable],
    path: Path,
    lang: str = "en",
    title: str = "",
    embargo: str | None = None,
    source_note: str = "",
    created: datetime | None = None,
    micro: Micro | None = None,
) -> Path:
    """Write the release workbook of ``tables`` in ``lang`` (``en`` or ``ko``) to ``path``; returns ``path``.

    Layout, scaling, number formats and flags: see the module doc. ``title`` heads the contents
    sheet (a generic title when empty); ``embargo``, when given, is shown as the embargo notice
    (:func:`embargo_notice`) at the top of every sheet and in its print header; ``source_note``
    follows the footnotes of every table and the notes on flags. ``created`` (with a zone), when
    given, is the workbook's creation and modification time and the time of every part of the
    file, so the same tables give the same bytes (default: the time of writing). The file is written to a
    temporary file next to ``path`` and renamed, so ``path`` is either the old file or the
    complete new one. ``micro``: the exact micro-dollars of money cells by (period, breakdown,
    item, measure), from which money figures are written (:func:`money_text`); without it, a
    money value's micro-dollars are those whose nearest double it is. Raises ValueError for an
    unknown language, unit or status, or a row whose cells do not match the table's columns
    (nothing is written then)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (expected one of {', '.join(LANGS)})")
    wb = Workbook()
    contents = wb.active
    contents.title = CONTENTS[lang]
    names = sheet_names(tables, reserved=[CONTENTS[lang]], lang=lang)
    for table, name in zip(tables, names, strict=True):
        _table_sheet(wb.create_sheet(name), table, lang, embargo, source_note, micro)
    _contents_sheet(contents, tables, names, lang, title, embargo, source_note)
    _set_font(wb, FONTS[lang])
    wb.properties.title = title or DEFAULT_TITLE[lang]
    wb.properties.creator = "ktstat"
    wb.properties.language = "ko-KR" if lang == "ko" else "en"
    if created is not None:
        utc = created.astimezone(UTC).replace(tzinfo=None, microsecond=0)
        wb.properties.created = wb.properties.modified = utc

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        if created is not None:
            _stamp_parts(Path(tmp), created)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a published file is for everyone
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _stamp_parts(path: Path, when: datetime) -> None:
    """Rewrite the workbook (a zip file) with every part dated ``when`` (UTC), in the same order,
    and ``when`` as its modification time (openpyxl writes the time of saving there)."""
    import zipfile

    utc = when.astimezone(UTC)
    stamp = utc.timetuple()[:6]
    with zipfile.ZipFile(path) as z:
        parts = [(info, z.read(info.filename)) for info in z.infolist()]
    iso = utc.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    parts = [
        (
            info,
            re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + iso + rb"\g<2>", data)
            if info.filename == "docProps/core.xml"
            else data,
        )
        for info, data in parts
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            part = zipfile.ZipInfo(info.filename, date_time=stamp)
            part.compress_type = zipfile.ZIP_DEFLATED
            part.external_attr = info.external_attr
            z.writestr(part, data)
