"""The statements of a press release, chosen from a vintage's indicators as a statistician
would choose them.

Input: the domain, a lookup ``(period, breakdown, item, measure) -> (value, status)`` of the
vintage, the release period. Output: :class:`Statement` objects, each with its text in English
and Korean (from the sentence templates of :mod:`ktstat.terms`, in the programme's own words),
the indicator cells it cites (exactly as in the indicators table) and, for every number in the
text, the cell it shows. A statement is never made from a confidential (``C``) or empty cell.
Amounts within one statement share one unit (billions, or millions when all are small), but for
an amount that would show fewer than two significant digits in it ("$0.00 billion"), which takes
the largest smaller unit it shows two in ("$3.2 million").

Comparisons follow the domain's ``[release] comparisons`` (:mod:`ktstat.release.basis`): the
leading basis in the headline and every breakdown, a further basis (year on year for
half-years) as its own overview statement.

Candidates are generated for the total and for each breakdown of the release's tables and
ranked by significance. What changed in kind ranks first: a new largest item (an overtaking),
a new holder of the largest surplus, a balance turning from deficit to surplus, a record, a
threshold passed for the first time. Then what drove the total's change (an item giving about
half, most, or more than the whole of it), contrasts between large items moving in opposite
directions, the long view (the change since ten years earlier), the highest ratio, the signs of
the balances across a small breakdown, and for overlapping classifications each parent with its
largest child, and an item's change explained by a cross-classification (within electrical and
electronics, large corporations gave most of the increase). A section keeps its best
:data:`PER_SECTION` candidates of different kinds scoring at least :data:`MIN_SCORE`, each further
statement about an item already stated scoring :data:`REPEAT_PENALTY` less.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ktstat.domain import Domain
from ktstat.periods import parse
from ktstat.release.basis import Basis, bases
from ktstat.release.numbers import money_in, ordinal, percent, ratio, readable_unit, unit_for
from ktstat.release.tables import CellRef
from ktstat.terms import LANGS, Terms, noun, terms

Lookup = Mapping[tuple[str, str, str, str], tuple[float | None, str]]

PER_SECTION = 7
REPEAT_PENALTY = 0.15  # a further statement about an item already stated in the section scores this much less
MIN_SCORE = 0.1
SHARE_FLOOR = 5.0  # items below this share of volume (%) are not movers, contrasts or turns
CONTRAST_FLOOR = 10.0  # both items of a contrast hold at least this share of volume (%)
SIGNS_MAX_ITEMS = 8  # breakdowns with more items are not listed by the sign of their balance
HALF = (0.45, 0.55)  # a part holding between these shares of its item's change is "about half" of it; above, "most"
# kinds exempt from the repeat penalty: about the whole breakdown, or explaining an item's change
UNPENALISED = ("signs", "within_exports", "within_imports")


@dataclass
class Statement:
    id: str
    section: str
    kind: str
    score: float
    text_en: str = ""
    text_ko: str = ""
    cells: list[tuple[CellRef, float]] = field(default_factory=list)
    figures: list[tuple[int, str, str]] = field(default_factory=list)  # (cell index, English, Korean)
    bounds: list[tuple[int, str, str]] = field(default_factory=list)  # (cell index, English, Korean): at least

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "section": self.section,
            "kind": self.kind,
            "score": round(self.score, 6),
            "text_en": self.text_en,
            "text_ko": self.text_ko,
            "cells": [
                {
                    "domain": r.domain,
                    "period": r.period,
                    "breakdown": r.breakdown,
                    "item": r.item,
                    "measure": r.measure,
                    "value": v,
                }
                for r, v in self.cells
            ],
            "figures": [{"cell": i, "en": en, "ko": ko} for i, en, ko in self.figures],
        }
        if self.bounds:  # thresholds a cited cell passed ("passed $40 billion"): the cell is at least this
            out["bounds"] = [{"cell": i, "en": en, "ko": ko, "relation": ">="} for i, en, ko in self.bounds]
        return out


class _Missing(Exception):
    """A cell the statement needs is confidential or empty: no statement."""


# -- the values a template is filled with ------------------------------------------------------


@dataclass(frozen=True)
class Fig:
    """A number shown from a cited cell: ``money`` (absolute value, the statement's unit),
    ``percent`` (absolute value), ``ratio``; ``floor`` a threshold the cell passed (money)."""

    k: int
    kind: str


@dataclass(frozen=True)
class Word:
    """A term of the catalogue (``section``/``key``)."""

    section: str
    key: str


@dataclass(frozen=True)
class Label:
    """An item's label in its code list."""

    breakdown: str
    code: str


@dataclass(frozen=True)
class Per:
    """A period in running text."""

    label: str


@dataclass(frozen=True)
class Seq:
    """Parts, each a template of [sentence] filled with its values, joined as a list."""

    key: str
    parts: tuple[dict[str, object], ...]


Values = dict[str, object]


class _Builder:
    """Reads the cells of one statement, recording each once."""

    def __init__(self, dom: Domain, lookup: Lookup, st: Statement) -> None:
        self.dom, self.lookup, self.st = dom, lookup, st

    def get(self, period: str, breakdown: str, item: str, measure: str) -> tuple[int, float]:
        value, status = self.lookup.get((period, breakdown, item, measure), (None, "N"))
        if value is None or status in ("C", "N"):
            raise _Missing
        ref = CellRef(self.dom.id, period, breakdown, item, measure)
        for k, (r, _) in enumerate(self.st.cells):
            if r == ref:
                return k, value
        self.st.cells.append((ref, value))
        return len(self.st.cells) - 1, value

    def fig(self, period: str, breakdown: str, item: str, measure: str, kind: str) -> tuple[Fig, float]:
        k, v = self.get(period, breakdown, item, measure)
        return Fig(k, kind), v


Generator = Callable[[_Builder], tuple[str, Values, float]]


def _money_figs(values: Mapping[str, object]) -> list[Fig]:
    out: list[Fig] = []
    for v in values.values():
        if isinstance(v, Fig) and v.kind in ("money", "floor"):
            out.append(v)
        elif isinstance(v, Seq):
            for part in v.parts:
                out += _money_figs(part)
    return out


def _render(st: Statement, dom: Domain, key: str, values: Values) -> None:
    """Fill ``key`` in both languages; every figure is recorded with its text in each language
    (empty where a language's sentence does not show it)."""
    amounts = [abs(st.cells[f.k][1]) for f in _money_figs(values)]
    shown: dict[tuple[int, str], dict[str, str]] = {}
    for lang in LANGS:
        t = terms(lang, dom.id)
        unit = unit_for(max(amounts, default=0.0), lang)
        in_text = t.section("in_text")

        def show(f: Fig, lang: str = lang, unit: str = unit) -> str:
            v = st.cells[f.k][1]
            if f.kind == "money":  # the statement's unit, unless the amount would show as "$0.00 billion"
                return money_in(v, readable_unit(v, unit, lang), lang)
            if f.kind == "floor":
                return money_in(v, unit, lang, floor=True)
            if f.kind == "rank":
                return ordinal(int(v), lang)
            return percent(v, lang) if f.kind == "percent" else ratio(v, lang)

        def value(
            v: object,
            t: Terms = t,
            show: Callable[[Fig], str] = show,
            lang: str = lang,
            in_text: dict[str, str] = in_text,
        ) -> str:
            if isinstance(v, Fig):
                text = show(v)
                shown.setdefault((v.k, v.kind), {}).setdefault(lang, text)
                return text
            if isinstance(v, Word):
                return noun(dom, v.key, t.lang) if v.section == "noun" else t.get(v.section, v.key)
            if isinstance(v, Label):
                if v.breakdown not in dom.breakdowns:
                    return v.code
                name = dom.breakdowns[v.breakdown].codelist.label(v.code, t.lang)
                return in_text.get(name, name)
            if isinstance(v, Per):
                return t.period(v.label)
            if isinstance(v, Seq):
                return t.join([t.fill("sentence", v.key, **{n: value(x) for n, x in part.items()}) for part in v.parts])
            return str(v)

        text = t.fill("sentence", key, **{n: value(v) for n, v in values.items()})
        if lang == "en":
            st.text_en = text[:1].upper() + text[1:]
        else:
            st.text_ko = text
    for (k, kind), texts in shown.items():
        entry = (k, texts.get("en", ""), texts.get("ko", ""))
        (st.bounds if kind == "floor" else st.figures).append(entry)


def _make(dom: Domain, lookup: Lookup, sid: str, section: str, kind: str, gen: Generator) -> Statement | None:
    st = Statement(sid, section, kind, 0.0)
    try:
        key, values, st.score = gen(_Builder(dom, lookup, st))
    except _Missing:
        return None
    _render(st, dom, key, values)
    return st


def _w(key: str) -> Word:
    return Word("word", key)


def _dir(x: float) -> Word:
    return _w("rose" if x >= 0 else "fell")


def _kind(x: float) -> Word:
    return _w("surplus" if x >= 0 else "deficit")


def _flow_words() -> Values:
    return {f"{m}_w": _w(m) for m in ("exports", "imports", "balance", "volume", "ratio")}


def _series_start(lookup: Lookup, period: str) -> str | None:
    freq = parse(period).freq
    labels = [k[0] for k in lookup if k[1] == "total" and k[3] == "volume" and parse(k[0]).freq == freq]
    return min(labels, key=lambda p: parse(p).index) if labels else None


# -- the total ----------------------------------------------------------------------------------


def _total_statements(dom: Domain, lookup: Lookup, period: str) -> list[Statement]:
    p = period
    lead, *more = bases(dom, p)
    out: list[Statement | None] = []
    T = "total"

    def headline(b: _Builder) -> tuple[str, Values, float]:
        x, _ = b.fig(p, T, "all", "exports", "money")
        m, _ = b.fig(p, T, "all", "imports", "money")
        gx, vgx = b.fig(p, T, "all", lead.measure("exports_growth"), "percent")
        gm, vgm = b.fig(p, T, "all", lead.measure("imports_growth"), "percent")
        return (
            "headline",
            {
                "period": Per(p),
                "cmp": Per(lead.period),
                "exports": x,
                "imports": m,
                "x_growth": gx,
                "m_growth": gm,
                "x_dir": _dir(vgx),
                "m_dir": _dir(vgm),
                **_flow_words(),
            },
            1.0,
        )

    def balance(b: _Builder) -> tuple[str, Values, float]:
        fb, bal = b.fig(p, T, "all", "balance", "money")
        fp, prev = b.fig(lead.period, T, "all", "balance", "money")
        common: Values = {"balance": fb, "prev": fp, "cmp": Per(lead.period), "kind": _kind(bal), **_flow_words()}
        if (bal >= 0) != (prev >= 0):
            return "balance_turned", {**common, "prev_kind": _kind(prev)}, 0.95
        change0 = lookup.get((p, T, "all", lead.measure("balance_change")), (None, "N"))[0]
        if change0 is not None and abs(change0) < 0.0005 * max(abs(bal), abs(prev)):  # no change worth a number
            b.get(p, T, "all", lead.measure("balance_change"))
            return "balance_unchanged", common, 0.9
        fc, change = b.fig(p, T, "all", lead.measure("balance_change"), "money")
        return "balance_same", {**common, "change": fc, "verb": _balance_verb(bal, change)}, 0.9

    out += [
        _make(dom, lookup, "total.headline", T, "headline", headline),
        _make(dom, lookup, "total.balance", T, "balance", balance),
    ]

    for basis in more:

        def other(b: _Builder, basis: Basis = basis) -> tuple[str, Values, float]:
            gx, vgx = b.fig(p, T, "all", basis.measure("exports_growth"), "percent")
            gm, vgm = b.fig(p, T, "all", basis.measure("imports_growth"), "percent")
            _, bal = b.get(p, T, "all", "balance")
            _, prev = b.get(basis.period, T, "all", "balance")
            values: Values = {
                "cmp": Per(basis.period),
                "x_growth": gx,
                "m_growth": gm,
                "x_dir": _dir(vgx),
                "m_dir": _dir(vgm),
                **_flow_words(),
            }
            if (bal >= 0) != (prev >= 0):
                return "yoy_growth", values, 0.7
            fc, change = b.fig(p, T, "all", basis.measure("balance_change"), "money")
            return "yoy_view", {**values, "kind": _kind(bal), "change": fc, "verb": _balance_verb(bal, change)}, 0.7

        out.append(_make(dom, lookup, f"total.{basis.name}", T, "comparison", other))

    def volume(b: _Builder) -> tuple[str, Values, float]:
        fv, _ = b.fig(p, T, "all", "volume", "money")
        fg, g = b.fig(p, T, "all", lead.measure("volume_growth"), "percent")
        fr, _ = b.fig(p, T, "all", "ratio", "ratio")
        fq, q = b.fig(lead.period, T, "all", "ratio", "ratio")
        r = b.st.cells[fr.k][1]
        return (
            "volume_ratio",
            {
                "volume": fv,
                "v_growth": fg,
                "v_dir": _w("up" if g >= 0 else "down"),
                "ratio": fr,
                "prev_ratio": fq,
                "r_dir": Word("verb", "ratio_up" if r >= q else "ratio_down"),
                "cmp": Per(lead.period),
                **_flow_words(),
            },
            0.5,
        )

    out.append(_make(dom, lookup, "total.volume", T, "volume", volume))

    start = _series_start(lookup, p)
    has_history = start is not None and start != p

    def records(b: _Builder) -> tuple[str, Values, float]:
        if not has_history:
            raise _Missing
        _, fx = b.get(p, T, "all", "exports_record")
        _, fm = b.get(p, T, "all", "imports_record")
        if fx == 1 and fm == 1:
            return "records_both", _flow_words(), 0.8
        if fx == 1 or fm == 1:
            return ("record_exports" if fx == 1 else "record_imports"), _flow_words(), 0.75
        raise _Missing

    out.append(_make(dom, lookup, "total.records", T, "record", records))

    for flag, sign, key in (("balance_record", 1, "record_surplus"), ("balance_record_low", -1, "record_deficit")):

        def balance_record(
            b: _Builder, flag: str = flag, sign: int = sign, key: str = key
        ) -> tuple[str, Values, float]:
            _, f = b.get(p, T, "all", flag)
            _, v = b.get(p, T, "all", "balance")
            if not has_history or f != 1 or v * sign <= 0:
                raise _Missing
            return key, _flow_words(), 0.8

        out.append(_make(dom, lookup, f"total.{flag}", T, "balance_record", balance_record))

    def crossed(b: _Builder) -> tuple[str, Values, float]:
        fv, v = b.fig(p, T, "all", "volume", "money")
        earlier = [
            val
            for (per, bd, it, m), (val, st) in lookup.items()
            if bd == T
            and it == "all"
            and m == "volume"
            and val is not None
            and st not in ("C", "N")
            and parse(per).freq == parse(p).freq
            and parse(per).index < parse(p).index
        ]
        if not earlier:
            raise _Missing
        step = _round_step(v)
        threshold = math.floor(v / step) * step
        if max(earlier) >= threshold or threshold <= 0:
            raise _Missing
        # the threshold is shown as a bound on the cited volume (the cell is at least this much)
        return "crossed", {"threshold": Fig(fv.k, "floor"), "volume": fv, **_flow_words()}, 0.85

    out.append(_make(dom, lookup, "total.crossed", T, "threshold", crossed))

    def long_view(b: _Builder) -> tuple[str, Values, float]:
        pp = parse(p)
        then_p = str(pp.shift(-10 * {"A": 1, "H": 2, "Q": 4}[pp.freq]))
        ft, then = b.fig(then_p, T, "all", "volume", "money")
        fn, now = b.fig(p, T, "all", "volume", "money")
        if then <= 0:
            raise _Missing
        grew = _growth_phrase(now / then)
        return (
            "long_view",
            {"first": Per(then_p), "then": ft, "now": fn, "grew": Word("growth_phrase", grew), **_flow_words()},
            0.6,
        )

    out.append(_make(dom, lookup, "total.long_view", T, "long_view", long_view))
    return [s for s in out if s is not None]


def _balance_verb(bal: float, change: float) -> Word:
    wider = (change >= 0) == (bal >= 0)
    if bal >= 0:
        return Word("verb", "grew" if wider else "shrank")
    return Word("verb", "widened" if wider else "narrowed")


def _round_step(v: float) -> float:
    """The round numbers a level is said to pass: 10 billion above 10 billion, 1 billion above
    1 billion, and so on by powers of ten."""
    return 10.0 ** math.floor(math.log10(v)) if v > 0 else 1.0


def _growth_phrase(factor: float) -> str:
    """A growth factor in words: ``nearly_doubled`` for 1.8 to 2, and so on (see [growth_phrase])."""
    for limit, key in (
        (0.95, "fell"),
        (1.05, "flat"),
        (1.4, "grew"),
        (1.6, "half"),
        (1.8, "grew"),
        (2.0, "nearly_doubled"),
        (2.2, "doubled"),
        (2.8, "more_than_doubled"),
        (3.2, "tripled"),
    ):
        if factor < limit:
            return key
    return "more_than_tripled"


# -- a breakdown --------------------------------------------------------------------------------


def _breakdown_statements(dom: Domain, lookup: Lookup, period: str, breakdown: str) -> list[Statement]:
    p, bd = period, breakdown
    lead = bases(dom, p)[0]
    cmp = lead.period
    spec = dom.breakdowns[bd]
    noun = Word("noun", bd)
    items = sorted({k[2] for k in lookup if k[0] == p and k[1] == bd})
    tv = lookup.get((p, "total", "all", "volume"), (None, ""))[0] or 0.0
    out: list[Statement | None] = []

    def val(item: str, measure: str, per: str = p) -> float | None:
        v, s = lookup.get((per, bd, item, measure), (None, "N"))
        return None if s in ("C", "N") else v

    def holder(measure: str, per: str, rank: int = 1) -> str | None:
        hits = [i for i in items if val(i, measure, per) == rank]
        return hits[0] if len(hits) == 1 else None

    shares = {i: s for i in items if (s := val(i, "volume_share")) is not None}

    def add(name: str, kind: str, gen: Generator) -> None:
        out.append(_make(dom, lookup, f"{bd}.{name}", bd, kind, gen))

    if spec.partition:
        leader = holder("volume_rank", p)
        if leader is not None:

            def lead_gen(b: _Builder, it: str = leader) -> tuple[str, Values, float]:
                fs, s = b.fig(p, bd, it, "volume_share", "percent")
                fv, _ = b.fig(p, bd, it, "volume", "money")
                b.get(p, bd, it, "volume_rank")
                before = holder("volume_rank", cmp)
                values: Values = {"item": Label(bd, it), "noun": noun, "share": fs, "volume": fv, "cmp": Per(cmp)}
                if before is not None and before != it:
                    fr, _ = b.fig(cmp, bd, before, "volume_rank", "rank")
                    b.get(cmp, bd, it, "volume_rank")
                    return "leader_overtook", {**values, "other": Label(bd, before), "other_rank": fr}, 0.85
                if before == it:
                    b.get(cmp, bd, it, "volume_rank")
                    return "leader_kept", values, 0.2 + 0.3 * s / 100
                return "leader", values, 0.2 + 0.3 * s / 100

            add("leader", "leader", lead_gen)

        both = holder("exports_rank", p)
        if both is not None and both == holder("imports_rank", p):

            def both_gen(b: _Builder, it: str = both) -> tuple[str, Values, float]:
                fr, _ = b.fig(p, bd, it, "exports_rank", "rank")
                b.get(p, bd, it, "imports_rank")
                values: Values = {"item": Label(bd, it), "noun": noun, "rank": fr, **_flow_words()}
                if holder("exports_rank", cmp) == it and holder("imports_rank", cmp) == it:
                    b.get(cmp, bd, it, "exports_rank")
                    b.get(cmp, bd, it, "imports_rank")
                    return "leader_both", values, 0.55
                return "leader_both_now", values, 0.5

            add("leader_both", "leader_both", both_gen)

        top = holder("balance_rank", p)
        if top is not None and (val(top, "balance") or 0) > 0:

            def surplus_gen(b: _Builder, it: str = top) -> tuple[str, Values, float]:
                fb, bal = b.fig(p, bd, it, "balance", "money")
                b.get(p, bd, it, "balance_rank")
                before = holder("balance_rank", cmp)
                values: Values = {"item": Label(bd, it), "noun": noun, "balance": fb, "cmp": Per(cmp)}
                if before is not None and before != it and (val(before, "balance", cmp) or 0) > 0:
                    fr, _ = b.fig(cmp, bd, before, "balance_rank", "rank")
                    b.get(cmp, bd, before, "balance")
                    return "surplus_overtook", {**values, "other": Label(bd, before), "other_rank": fr}, 0.8
                if val(it, "balance_record") == 1 and _series_start(lookup, p) not in (None, p):
                    b.get(p, bd, it, "balance_record")
                    return "surplus_top_record", values, 0.6
                return "surplus_top", values, 0.55

            add("largest_surplus", "surplus", surplus_gen)

        deficits = {i: v for i in items if (v := val(i, "balance")) is not None and v < 0}
        if deficits:
            worst = min(deficits, key=lambda i: (deficits[i], i))

            def deficit_gen(b: _Builder, it: str = worst) -> tuple[str, Values, float]:
                fb, bal = b.fig(p, bd, it, "balance", "money")
                del bal
                return "deficit_top", {"item": Label(bd, it), "noun": noun, "balance": fb}, 0.4

            add("largest_deficit", "deficit", deficit_gen)

        best = holder("ratio_rank", p)
        if best is not None:

            def ratio_gen(b: _Builder, it: str = best) -> tuple[str, Values, float]:
                fr, r = b.fig(p, bd, it, "ratio", "ratio")
                b.get(p, bd, it, "ratio_rank")
                _, s = b.get(p, bd, it, "volume_share")
                if r <= 1:
                    raise _Missing
                small = s < SHARE_FLOOR
                return (
                    ("ratio_top_small" if small else "ratio_top"),
                    {"item": Label(bd, it), "noun": noun, "ratio": fr, **_flow_words()},
                    0.55 if small else 0.4,
                )

            add("highest_ratio", "ratio", ratio_gen)

        for flow in ("exports", "imports"):
            contrib = {i: c for i in items if (c := val(i, lead.measure(f"{flow}_contribution"))) is not None}
            if not contrib:
                continue
            it = max(contrib, key=lambda i: (contrib[i], i))
            against = sorted((i for i in contrib if contrib[i] < 0), key=lambda i: (contrib[i], i))[:2]

            def driver(
                b: _Builder, it: str = it, flow: str = flow, against: list[str] = against
            ) -> tuple[str, Values, float]:
                fc, c = b.fig(p, bd, it, lead.measure(f"{flow}_contribution"), "percent")
                ft, change = b.fig(p, "total", "all", lead.measure(f"{flow}_change"), "money")
                fg, g = b.fig(p, bd, it, lead.measure(f"{flow}_growth"), "percent")
                values: Values = {
                    "item": Label(bd, it),
                    "contribution": fc,
                    "change": ft,
                    "flow": _w(flow),
                    "direction": _w("increase" if change >= 0 else "decrease"),
                    "growth": fg,
                    "dir": _dir(g),
                }
                if c > 100:
                    if against:
                        for o in against:
                            b.get(p, bd, o, lead.measure(f"{flow}_contribution"))
                        return (
                            "driver_whole",
                            {**values, "others": Seq("name", tuple({"item": Label(bd, o)} for o in against))},
                            0.55,
                        )
                    return "driver_whole_alone", values, 0.5
                if c >= 99.95:
                    return "driver_all", values, 0.4  # the only mover: little to say
                for lo, key, score in (
                    (60, "driver_most", 0.65),
                    (40, "driver_half", 0.75),
                    (28, "driver_third", 0.45),
                ):
                    if c >= lo:
                        return key, values, score
                raise _Missing

            add(f"{flow}_driver", f"driver_{flow}", driver)

        turns = [
            (shares[i], i)
            for i in items
            if i in shares
            and shares[i] >= SHARE_FLOOR
            and (now := val(i, "balance")) is not None
            and (then := val(i, "balance", cmp)) is not None
            and (now >= 0) != (then >= 0)
        ]
        if turns:
            _, it = max(turns)

            def turn_gen(b: _Builder, it: str = it) -> tuple[str, Values, float]:
                fb, bal = b.fig(p, bd, it, "balance", "money")
                fp, prev = b.fig(cmp, bd, it, "balance", "money")
                return (
                    "turned",
                    {
                        "item": Label(bd, it),
                        "balance": fb,
                        "prev": fp,
                        "kind": _kind(bal),
                        "prev_kind": _kind(prev),
                        "cmp": Per(cmp),
                    },
                    0.7,
                )

            add("turned", "turned", turn_gen)

        start = _series_start(lookup, p)
        recs = [
            (shares[i], i)
            for i in items
            if i in shares
            and shares[i] >= SHARE_FLOOR
            and start not in (None, p)
            and val(i, "balance_record") == 1
            and (val(i, "balance") or 0) > 0
            and i != top
        ]
        if recs:
            _, it = max(recs)

            def record_gen(b: _Builder, it: str = it) -> tuple[str, Values, float]:
                b.get(p, bd, it, "balance_record")
                fb, bal = b.fig(p, bd, it, "balance", "money")
                return (
                    "record_item",
                    {
                        "item": Label(bd, it),
                        "balance": fb,
                        "kind": _kind(bal),
                        "freq": Word("frequency_adj", parse(p).freq),
                    },
                    0.5,
                )

            add("record", "record", record_gen)

        big = sorted(((s, i) for i, s in shares.items() if s >= CONTRAST_FLOOR), reverse=True)
        pairs: list[tuple[float, float, str, str, str]] = []
        for flow in ("exports", "imports"):
            gr = {i: x for _, i in big if (x := val(i, lead.measure(f"{flow}_growth"))) is not None}
            for one in gr:
                for two in gr:
                    if one < two and (gr[one] >= 0) != (gr[two] >= 0):
                        # the larger items first, then the clearer contrast (both moving clearly)
                        lo_share, lo_move = min(shares[one], shares[two]), min(abs(gr[one]), abs(gr[two]))
                        rising, falling = (one, two) if gr[one] >= 0 else (two, one)
                        pairs.append((lo_share, lo_move, flow, rising, falling))
        if pairs:
            _, _, flow, up, down = max(pairs)

            def contrast_gen(
                b: _Builder, up: str = up, down: str = down, flow: str = flow
            ) -> tuple[str, Values, float]:
                fu, gu = b.fig(p, bd, up, lead.measure(f"{flow}_growth"), "percent")
                fd, gd = b.fig(p, bd, down, lead.measure(f"{flow}_growth"), "percent")
                return (
                    "contrast",
                    {
                        "item": Label(bd, up),
                        "other": Label(bd, down),
                        "flow": _w(flow),
                        "growth": fu,
                        "other_growth": fd,
                        "dir": _dir(gu),
                        "other_dir": _dir(gd),
                        "cmp": Per(cmp),
                    },
                    0.6,
                )

            add("contrast", "contrast", contrast_gen)

        movers = [
            (abs(mg) * s / 100, i, flow)
            for i, s in shares.items()
            if s >= SHARE_FLOOR
            for flow in ("exports", "imports")
            if (mg := val(i, lead.measure(f"{flow}_growth"))) is not None
        ]
        if movers:
            _, it, flow = max(movers)

            def mover_gen(b: _Builder, it: str = it, flow: str = flow) -> tuple[str, Values, float]:
                fg, g = b.fig(p, bd, it, lead.measure(f"{flow}_growth"), "percent")
                fl, _ = b.fig(p, bd, it, flow, "money")
                _, s = b.get(p, bd, it, "volume_share")
                return (
                    "mover",
                    {
                        "item": Label(bd, it),
                        "flow": _w(flow),
                        "growth": fg,
                        "dir": _dir(g),
                        "level": fl,
                        "cmp": Per(cmp),
                    },
                    min(0.55, 2 * abs(g) / 100 * s / 100 + 0.1),
                )

            add("mover", "mover", mover_gen)

        balances = {i: v for i in items if (v := val(i, "balance")) is not None}
        if 2 <= len(items) <= SIGNS_MAX_ITEMS and len(balances) == len(items):
            plus = sorted((i for i in balances if balances[i] >= 0), key=lambda i: (-balances[i], i))[:3]
            minus = sorted((i for i in balances if balances[i] < 0), key=lambda i: (balances[i], i))[:3]

            def signs_gen(b: _Builder) -> tuple[str, Values, float]:
                def parts(its: list[str]) -> Seq:
                    return Seq(
                        "part",
                        tuple({"item": Label(bd, i), "balance": b.fig(p, bd, i, "balance", "money")[0]} for i in its),
                    )

                verbs = {
                    "s_verb": Word("word", "recorded_surplus" if len(plus) == 1 else "recorded_surpluses"),
                    "d_verb": Word("word", "recorded_deficit" if len(minus) == 1 else "recorded_deficits"),
                }
                if plus and minus:
                    return "signs", {"surpluses": parts(plus), "deficits": parts(minus), **verbs}, 0.58
                return (
                    ("signs_all_surplus", {"surpluses": parts(plus), **verbs}, 0.3)
                    if plus
                    else ("signs_all_deficit", {"deficits": parts(minus), **verbs}, 0.3)
                )

            add("signs", "signs", signs_gen)

    for cross in dom.crosses:
        if bd not in cross:
            continue
        pos = cross.index(bd)
        other = cross[1 - pos] if len(cross) == 2 else None
        # explained by a cross with a partition on either side: a region's change by category, or
        # an overlapping special class's change by region or partner (its parts add up to it)
        if other is None or other not in dom.breakdowns or not (spec.partition or dom.breakdowns[other].partition):
            continue
        name = "+".join(cross)
        for flow in ("exports", "imports"):
            changes = {i: c for i in items if (c := val(i, lead.measure(f"{flow}_change"))) is not None}
            if not changes:
                continue
            it = max(changes, key=lambda i: (abs(changes[i]), i))
            whole = changes[it]
            parts = {}
            for k in lookup:
                if k[0] == p and k[1] == name and k[3] == lead.measure(f"{flow}_change") and k[2].split("+")[pos] == it:
                    v, st = lookup[k]
                    if v is not None and st not in ("C", "N"):
                        parts[k[2]] = v
            if sum(1 for v in parts.values() if v != 0) < 2 or whole == 0:
                continue  # one part only: it is the item's change itself, nothing explained
            sub = max(parts, key=lambda c: (parts[c] * (1 if whole > 0 else -1), c))
            if parts[sub] / whole < HALF[0]:
                continue

            def within_gen(
                b: _Builder,
                it: str = it,
                sub: str = sub,
                flow: str = flow,
                name: str = name,
                other: str = other,
                pos: int = pos,
            ) -> tuple[str, Values, float]:
                fw, whole = b.fig(p, bd, it, lead.measure(f"{flow}_change"), "money")
                fs, _ = b.fig(p, name, sub, lead.measure(f"{flow}_change"), "money")
                share = b.st.cells[fs.k][1] / whole
                return (
                    ("within_whole" if share > 1 else "within" if share > HALF[1] else "within_half"),
                    {
                        "item": Label(bd, it),
                        "sub": Label(other, sub.split("+")[1 - pos]),
                        "flow": _w(flow),
                        "change": fw,
                        "sub_change": fs,
                        "direction": _w("increase" if whole >= 0 else "decrease"),
                        "dir": _dir(whole),
                    },
                    0.4 + 0.15 * min(share, 1.0),
                )

            add(f"{flow}_within_{other}", f"within_{flow}", within_gen)

    for code in spec.codelist.codes:
        if spec.partition or code.parent or code.code not in items:
            continue
        kids = {
            c.code: v
            for c in spec.codelist.codes
            if c.parent == code.code and (v := val(c.code, "balance")) is not None
        }
        if not kids:
            continue
        child = max(kids, key=lambda c: (abs(kids[c]), c))

        def parent_gen(b: _Builder, it: str = code.code, child: str = child) -> tuple[str, Values, float]:
            fx, _ = b.fig(p, bd, it, "exports", "money")
            fm, _ = b.fig(p, bd, it, "imports", "money")
            fb, bal = b.fig(p, bd, it, "balance", "money")
            fc, cb = b.fig(p, bd, child, "balance", "money")
            _, vol = b.get(p, bd, it, "volume")
            return (
                "parent",
                {
                    "item": Label(bd, it),
                    "exports": fx,
                    "imports": fm,
                    "balance": fb,
                    "kind": _kind(bal),
                    "child": Label(bd, child),
                    "child_balance": fc,
                    "child_kind": _kind(cb),
                },
                0.4 + (0.3 * vol / tv if tv > 0 else 0.0),
            )

        add(f"parent_{code.code}", f"parent_{code.code}", parent_gen)
    return [s for s in out if s is not None]


def statements(dom: Domain, lookup: Lookup, period: str) -> list[Statement]:
    """The release's statements, section by section (see module doc)."""
    chosen = sorted(_total_statements(dom, lookup, period), key=lambda s: (-s.score, s.id))
    for name in dom.release.tables:
        if name == "total" or name not in dom.breakdowns:
            continue
        chosen += _choose(_breakdown_statements(dom, lookup, period, name), name)
    return chosen


def _choose(cands: list[Statement], breakdown: str) -> list[Statement]:
    """A section's statements: greedily the best-scoring candidate of a kind not yet chosen,
    each earlier statement about the same item lowering a candidate by :data:`REPEAT_PENALTY`,
    up to :data:`PER_SECTION`, none below :data:`MIN_SCORE`."""

    def subject(st: Statement) -> str:
        if st.kind in UNPENALISED:
            return ""  # a statement about the whole breakdown, or one explaining an item's change
        return next((r.item for r, _ in st.cells if r.breakdown == breakdown), "")

    best: list[Statement] = []
    pool = list(cands)
    while pool and len(best) < PER_SECTION:
        told = [subject(s) for s in best]
        st = max(pool, key=lambda s: (s.score - REPEAT_PENALTY * told.count(subject(s)), s.id))
        pool.remove(st)
        if st.score - REPEAT_PENALTY * told.count(subject(st)) < MIN_SCORE:
            break
        if st.kind not in {s.kind for s in best}:
            best.append(st)
    return best
