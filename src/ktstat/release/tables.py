"""The standard tables of a release, as data that every renderer (HTML, PDF, Excel) formats.

Built from a vintage's indicators (a lookup ``(period, breakdown, item, measure) -> (value,
status)``); every cell keeps the indicator it shows (:class:`CellRef`), so a figure in any
output traces back to the indicators table. Values are raw: US dollars for money, percent for
growth and shares, a plain number for the ratio; renderers scale and round (billions of
dollars in English, 억 달러 in Korean).

Tables, per the domain's ``[release] tables``:

- ``total``: the summary, one row per level measure (exports, imports, balance, volume, ratio)
  over the last ``summary_periods`` periods of the release's frequency, then the growth of the
  release period against its comparison period (the previous year; for half-years the same
  half a year earlier).
- any breakdown: one row per item (code-list order; for partner-like breakdowns, the
  ``top_n`` largest by volume), columns exports, its growth, imports, its growth, balance and
  the share of the total volume, in the release period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ktstat.domain import Domain
from ktstat.periods import Period, parse

Lookup = Mapping[tuple[str, str, str, str], tuple[float | None, str]]

UNITS = ("usd", "percent", "ratio")
LEVEL_LABELS = {
    "exports": ("Exports", "수출"), "imports": ("Imports", "수입"), "balance": ("Balance", "수지"),
    "volume": ("Volume (exports + imports)", "규모(수출+수입)"), "ratio": ("Ratio (exports / imports)", "수출입비율"),
}


@dataclass(frozen=True)
class CellRef:
    """An indicator cell, as in the indicators table."""

    domain: str
    period: str
    breakdown: str
    item: str
    measure: str


@dataclass(frozen=True)
class TableCell:
    value: float | None  # None when not shown (status C: confidential; N: not meaningful)
    status: str  # A, P, N, C (see the indicators table)
    unit: str  # usd, percent, ratio
    ref: CellRef


@dataclass(frozen=True)
class Column:
    label_en: str
    label_ko: str


@dataclass
class TableRow:
    code: str
    label_en: str
    label_ko: str
    cells: list[TableCell]
    level: int = 0  # indentation (0 top)


@dataclass
class ReleaseTable:
    id: str
    title_en: str
    title_ko: str
    columns: list[Column]
    rows: list[TableRow]
    footnotes_en: list[str] = field(default_factory=list)
    footnotes_ko: list[str] = field(default_factory=list)


def comparison(period: Period) -> Period:
    """The period a release compares with: the previous year, or the same half a year earlier."""
    return period.shift(-{"A": 1, "H": 2, "Q": 4}[period.freq])


def growth_measure(base: str, period: Period) -> str:
    return f"{base}_growth" if period.freq == "A" else f"{base}_growth_yoy"


def _cell(dom: Domain, lookup: Lookup, period: str, breakdown: str, item: str, measure: str, unit: str) -> TableCell:
    value, status = lookup.get((period, breakdown, item, measure), (None, "N"))
    return TableCell(value, status, unit, CellRef(dom.id, period, breakdown, item, measure))


def _footnotes(dom: Domain, period: Period, provisional: bool) -> tuple[list[str], list[str]]:
    en = ["Money in US dollars; growth against the same period a year earlier, in percent.",
          "C: confidential (withheld to protect reporting firms); -: not meaningful."]
    ko = ["금액은 미 달러 기준, 증감률은 전년 동기 대비(%).",
          "C: 비밀보호(보고 기업 보호를 위해 공표하지 않음), -: 해당 없음."]
    if provisional:
        en.append(f"{period} figures are provisional and may be revised.")
        ko.append(f"{period} 수치는 잠정치로 수정될 수 있음.")
    return en, ko


def summary_table(dom: Domain, lookup: Lookup, period: Period, provisional: bool) -> ReleaseTable:
    periods = [period.shift(-k) for k in range(dom.release.summary_periods - 1, -1, -1)]
    periods = [p for p in periods if (str(p), "total", "all", "exports") in lookup]
    cols = [Column(str(p), str(p)) for p in periods] + [Column(f"Growth vs {comparison(period)} (%)",
                                                               f"{comparison(period)} 대비 증감률(%)")]
    rows = []
    for m, (en, ko) in LEVEL_LABELS.items():
        unit = "ratio" if m == "ratio" else "usd"
        cells = [_cell(dom, lookup, str(p), "total", "all", m, unit) for p in periods]
        growth = growth_measure(m, period) if m in ("exports", "imports", "volume") else None
        if growth:
            cells.append(_cell(dom, lookup, str(period), "total", "all", growth, "percent"))
        else:  # balance and ratio: the change, in their own unit
            change = f"{m}_change" if period.freq == "A" else f"{m}_change_yoy"
            cells.append(_cell(dom, lookup, str(period), "total", "all", change, unit))
        rows.append(TableRow(m, en, ko, cells))
    fn_en, fn_ko = _footnotes(dom, period, provisional)
    fn_en.append("Balance and ratio: change against the comparison period instead of growth.")
    fn_ko.append("수지와 수출입비율은 증감률 대신 증감액(차)을 표시.")
    return ReleaseTable("total", f"{dom.label_en}: summary", f"{dom.label_ko} 개요", cols, rows, fn_en, fn_ko)


def breakdown_table(dom: Domain, lookup: Lookup, period: Period, breakdown: str, provisional: bool) -> ReleaseTable:
    b = dom.breakdowns[breakdown]
    p = str(period)
    noun_en, noun_ko = dom.release.nouns.get(breakdown, (breakdown, breakdown))
    present = {k[2] for k in lookup if k[0] == p and k[1] == breakdown}
    if b.source == "partner" and b.level >= 2 or len(present) > 2 * dom.release.top_n:
        def volume(item: str) -> float:
            v = lookup.get((p, breakdown, item, "volume"), (None, ""))[0]
            return -(v if v is not None else -1.0)
        items = sorted(present, key=lambda i: (volume(i), i))[: dom.release.top_n]
        title_en = f"{dom.label_en}: the {dom.release.top_n} largest by {noun_en}, {p}"
        title_ko = f"{dom.label_ko}: {noun_ko}별 상위 {dom.release.top_n}, {p}"
    else:
        order = [c.code for c in b.codelist.codes]
        items = [c for c in order if c in present]
        title_en = f"{dom.label_en} by {noun_en}, {p}"
        title_ko = f"{dom.label_ko} {noun_ko}별, {p}"
    cols = [Column("Exports", "수출"), Column("Growth (%)", "증감률(%)"), Column("Imports", "수입"),
            Column("Growth (%)", "증감률(%)"), Column("Balance", "수지"), Column("Share of volume (%)", "규모 비중(%)")]
    rows = []
    for item in items:
        cells = [
            _cell(dom, lookup, p, breakdown, item, "exports", "usd"),
            _cell(dom, lookup, p, breakdown, item, growth_measure("exports", period), "percent"),
            _cell(dom, lookup, p, breakdown, item, "imports", "usd"),
            _cell(dom, lookup, p, breakdown, item, growth_measure("imports", period), "percent"),
            _cell(dom, lookup, p, breakdown, item, "balance", "usd"),
            _cell(dom, lookup, p, breakdown, item, "volume_share", "percent"),
        ]
        code = b.codelist.by_code.get(item)
        level = max(0, b.codelist.depth(item) - 1) if code and not b.partition else 0
        rows.append(TableRow(item, code.label_en if code else item, code.label_ko if code else item, cells, level))
    fn_en, fn_ko = _footnotes(dom, period, provisional)
    if not b.partition:
        fn_en.append("Classes overlap: they do not add up to the total.")
        fn_ko.append("분류 간 중복이 있어 합계와 일치하지 않음.")
    return ReleaseTable(breakdown, title_en, title_ko, cols, rows, fn_en, fn_ko)


def standard_tables(dom: Domain, lookup: Lookup, period: str, provisional: bool) -> list[ReleaseTable]:
    """Every standard table of the domain's release for ``period`` (see module doc)."""
    per = parse(period)
    out = []
    for name in dom.release.tables:
        if name == "total":
            out.append(summary_table(dom, lookup, per, provisional))
        elif name in dom.breakdowns:
            out.append(breakdown_table(dom, lookup, per, name, provisional))
    return out
