"""The standard tables of a release, as data that every renderer (HTML, PDF, Excel) formats.

Built from a vintage's indicators (a lookup ``(period, breakdown, item, measure) -> (value,
status)``); every cell keeps the indicator it shows (:class:`CellRef`), so a figure in any
output traces back to the indicators table. Values are raw: US dollars for money, percent for
growth and shares, a plain number for the ratio; renderers scale and round (billions of
dollars in English, 억 달러 in Korean: one unit per table). Headings and notes come from the
terms catalogue (:mod:`ktstat.terms`), in the programme's own words.

Tables, per the domain's ``[release] tables``:

- ``total``: the summary, one row per level measure (exports, imports, balance, volume, ratio)
  over the last ``summary_periods`` periods of the release's frequency and the release period's
  subperiods of any finer published frequency (its quarters), then for each
  comparison basis of the domain (:mod:`ktstat.release.basis`) the change (in the measure's own
  unit) and the growth in percent (exports, imports, volume only: a balance or a ratio has no
  growth rate).
- any breakdown: one row per item (code-list order with each parent followed by its children;
  for partner-like breakdowns the ``top_n`` largest by volume), columns exports, the exports of
  each of the release period's subperiods of a finer published frequency (the two quarters of a
  half-year) and the growth on each basis, the same for imports, then the balance and the share
  of the volume, in the release period.

Provisional figures are marked once, in the heading of their column (:attr:`Column.provisional`)
or in the table's title, with a footnote; never cell by cell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ktstat.domain import CodeList, Domain
from ktstat.periods import ORDER, Period, parse
from ktstat.release.basis import Basis, bases
from ktstat.terms import noun, terms

Lookup = Mapping[tuple[str, str, str, str], tuple[float | None, str]]

UNITS = ("usd", "percent", "ratio")
LEVELS = ("exports", "imports", "balance", "volume", "ratio")


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
    provisional: bool = False  # every figure of the column is provisional: the heading carries the mark


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
    sheet_en: str = ""  # a short name (a workbook's sheet), by language
    sheet_ko: str = ""


def _cell(dom: Domain, lookup: Lookup, period: str, breakdown: str, item: str, measure: str, unit: str) -> TableCell:
    value, status = lookup.get((period, breakdown, item, measure), (None, "N"))
    return TableCell(value, status, unit, CellRef(dom.id, period, breakdown, item, measure))


def _both(key: str, section: str = "column", **values: object) -> tuple[str, str]:
    return terms("en").fill(section, key, **values), terms("ko").fill(section, key, **values)


def _basis_words(b: Basis, freq: str) -> tuple[str, str]:
    return terms("en").basis(b.name, freq), terms("ko").basis(b.name, freq)


def _footnotes(
    dom: Domain, period: Period, provisional: list[str], extra: list[str], marked: bool = True
) -> tuple[list[str], list[str]]:
    """The notes under a table; ``provisional`` periods are explained as marked ``p`` in their
    headings (``marked``) or as stated in the title."""
    out: tuple[list[str], list[str]] = ([], [])
    for lang, notes in zip(("en", "ko"), out, strict=True):
        t = terms(lang, dom.id)
        notes.append(t.get("note", "money"))
        for b in bases(dom, str(period)):
            notes.append(t.fill("note", "comparison", basis=t.basis(b.name, period.freq), period=t.period(b.period)))
        notes.append(t.get("note", "flags"))
        if provisional:
            notes.append(
                t.fill(
                    "note",
                    "provisional" if marked else "provisional_title",
                    periods=", ".join(t.period_short(p) for p in provisional),
                )
            )
        notes += [t.get("note", k) for k in extra]
    return out


def subperiods(dom: Domain, period: Period) -> list[Period]:
    """The release period's subperiods of every finer frequency the domain publishes (the two
    quarters of a half-year; none for a programme publishing years only), coarser first."""
    finer = sorted((f for f in dom.frequencies if ORDER[f] > ORDER[period.freq]), key=ORDER.__getitem__)
    return [q for f in finer for q in period.subperiods(f)]


def summary_table(dom: Domain, lookup: Lookup, period: Period, provisional: bool) -> ReleaseTable:
    periods = [period.shift(-k) for k in range(dom.release.summary_periods - 1, -1, -1)]
    # beside the release period, its subperiods (the two quarters of a half-year)
    periods += subperiods(dom, period)
    periods = [p for p in periods if (str(p), "total", "all", "exports") in lookup]
    marked = [str(p) for p in periods if _is_provisional(lookup, str(p))] if provisional else []
    cols = [
        Column(terms("en").period_short(str(p)), terms("ko").period_short(str(p)), str(p) in marked) for p in periods
    ]
    basis_list = bases(dom, str(period))
    for b in basis_list:
        en, ko = _basis_words(b, period.freq)
        for kind in ("change", "growth"):
            cols.append(
                Column(
                    terms("en").fill("column", kind, basis=en), terms("ko").fill("column", kind, basis=ko), provisional
                )
            )
    rows = []
    en_t, ko_t = terms("en", dom.id), terms("ko", dom.id)
    for m in LEVELS:
        unit = "ratio" if m == "ratio" else "usd"
        cells = [_cell(dom, lookup, str(p), "total", "all", m, unit) for p in periods]
        for b in basis_list:
            cells.append(_cell(dom, lookup, str(period), "total", "all", b.measure(f"{m}_change"), unit))
            # a balance or a ratio has no growth rate: its cell is "not meaningful"
            growth = b.measure(f"{m}_growth") if m in ("exports", "imports", "volume") else f"{m}_growth_none"
            cells.append(_cell(dom, lookup, str(period), "total", "all", growth, "percent"))
        rows.append(TableRow(m, en_t.get("measure_long", m), ko_t.get("measure_long", m), cells))
    fn_en, fn_ko = _footnotes(dom, period, marked, ["balance_ratio"])
    title_en = terms("en", dom.id).fill("table_title", "summary", domain=dom.label_en)
    title_ko = terms("ko", dom.id).fill("table_title", "summary", domain=dom.label_ko)
    return ReleaseTable(
        "total",
        title_en,
        title_ko,
        cols,
        rows,
        fn_en,
        fn_ko,
        terms("en").get("press", "summary"),
        terms("ko").get("press", "summary"),
    )


def _is_provisional(lookup: Lookup, period: str) -> bool:
    return lookup.get((period, "total", "all", "exports"), (None, ""))[1] == "P"


def tree_order(codelist: CodeList, present: set[str]) -> list[str]:
    """The codes of ``present`` in code-list order with every parent followed by its children
    (depth first), so a hierarchy reads parent, children, next parent."""
    kids: dict[str, list[str]] = {}
    for c in codelist.codes:
        kids.setdefault(c.parent, []).append(c.code)
    out: list[str] = []

    def walk(code: str) -> None:
        if code in present:
            out.append(code)
        for k in kids.get(code, []):
            walk(k)

    for root in kids.get("", []):
        walk(root)
    return out


def breakdown_table(dom: Domain, lookup: Lookup, period: Period, breakdown: str, provisional: bool) -> ReleaseTable:
    b = dom.breakdowns[breakdown]
    p = str(period)
    noun_en, noun_ko = noun(dom, breakdown, "en"), noun(dom, breakdown, "ko")
    en_t, ko_t = terms("en", dom.id), terms("ko", dom.id)
    title = {
        "en": (en_t, dom.label_en, noun_en, en_t.period_short(p)),
        "ko": (ko_t, dom.label_ko, noun_ko, ko_t.period_short(p)),
    }
    mark = {
        lang: t.fill("table_title", "mark", word=t.get("word", "provisional")) if provisional else ""
        for lang, (t, *_) in title.items()
    }
    present = {k[2] for k in lookup if k[0] == p and k[1] == breakdown}
    extra = []
    if b.source == "partner" and b.level >= 2 or len(present) > 2 * dom.release.top_n:

        def volume(item: str) -> float:
            v = lookup.get((p, breakdown, item, "volume"), (None, ""))[0]
            return -(v if v is not None else -1.0)

        items = sorted(present, key=lambda i: (volume(i), i))[: dom.release.top_n]
        kind = "top"
    else:
        items = tree_order(b.codelist, present)
        kind = "by"
    title_en, title_ko = (
        t.fill("table_title", kind, domain=d, noun=n, period=pl, mark=mark[lang], n=dom.release.top_n)
        for lang, (t, d, n, pl) in title.items()
    )
    basis_list = bases(dom, p)
    subs = [str(q) for q in subperiods(dom, period) if (str(q), "total", "all", "exports") in lookup]
    cols: list[Column] = []
    for flow in ("exports", "imports"):
        cols.append(Column(en_t.get("measure", flow), ko_t.get("measure", flow)))
        for q in subs:
            cols.append(
                Column(
                    en_t.fill("column", "in_period", measure=en_t.get("measure", flow), period=en_t.period_short(q)),
                    ko_t.fill("column", "in_period", measure=ko_t.get("measure", flow), period=ko_t.period_short(q)),
                )
            )
        for bs in basis_list:
            en, ko = _basis_words(bs, period.freq)
            cols.append(
                Column(terms("en").fill("column", "growth", basis=en), terms("ko").fill("column", "growth", basis=ko))
            )
    cols += [Column(en_t.get("measure", "balance"), ko_t.get("measure", "balance")), Column(*_both("share"))]
    rows = []
    for item in items:
        cells = []
        for flow in ("exports", "imports"):
            cells.append(_cell(dom, lookup, p, breakdown, item, flow, "usd"))
            cells += [_cell(dom, lookup, q, breakdown, item, flow, "usd") for q in subs]
            cells += [
                _cell(dom, lookup, p, breakdown, item, bs.measure(f"{flow}_growth"), "percent") for bs in basis_list
            ]
        cells += [
            _cell(dom, lookup, p, breakdown, item, "balance", "usd"),
            _cell(dom, lookup, p, breakdown, item, "volume_share", "percent"),
        ]
        code = b.codelist.by_code.get(item)
        level = max(0, b.codelist.depth(item) - 1) if code and not b.partition else 0
        rows.append(TableRow(item, code.label_en if code else item, code.label_ko if code else item, cells, level))
    if len(items) < len(present):
        extra.append("top")
    if not b.partition:
        extra.append("overlap")
    fn_en, fn_ko = _footnotes(dom, period, [p, *subs] if provisional else [], [], marked=False)
    for k in extra:
        fn_en.append(terms("en").fill("note", k, n=dom.release.top_n))
        fn_ko.append(terms("ko").fill("note", k, n=dom.release.top_n))
    return ReleaseTable(
        breakdown, title_en, title_ko, cols, rows, fn_en, fn_ko, noun_en[:1].upper() + noun_en[1:], noun_ko
    )


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
