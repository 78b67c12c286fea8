"""The statements of a press release, generated from a vintage's indicators.

Input: the domain, a lookup ``(period, breakdown, item, measure) -> (value, status)`` of the
vintage, the release period. Output: :class:`Statement` objects, each with its text in
English and in Korean (written for Korean readers, not word for word), the indicator cells it
cites (exactly as in the indicators table) and, for every number in the text, the cell it
shows. A statement is never made from a confidential (``C``) or empty cell.

Candidates are generated for every section (the total, then each breakdown of the release's
tables) and scored by significance; a section keeps its best ``PER_SECTION`` candidates
of different kinds whose score passes ``MIN_SCORE``:

- the headline (exports and imports with their growth), the balance and its change, the
  volume and ratio, and records (all-time highs, the largest surplus or deficit on record) for
  the total;
- per breakdown: the largest item by share of volume (score: the share), the largest surplus
  and the largest deficit (score: their size relative to the total volume), the fastest mover
  among items of at least 5 % of the volume (score: growth x share), the item contributing most
  to the change in total exports and imports (score: half the contribution, capped at 100 %), and items overtaking
  another in the exports or imports ranking (score: higher for higher ranks; not for overlapping
  classes, which rank in groups).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ktstat.domain import Domain
from ktstat.periods import parse
from ktstat.release.numbers import has_batchim, josa, money, ordinal, percent, period_label, ratio
from ktstat.release.tables import CellRef, comparison

Lookup = Mapping[tuple[str, str, str, str], tuple[float | None, str]]

PER_SECTION = 4
MIN_SCORE = 0.02
SHARE_FLOOR = 5.0  # items below this share of volume (%) are not called fastest movers


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

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "section": self.section, "kind": self.kind, "score": round(self.score, 6),
            "text_en": self.text_en, "text_ko": self.text_ko,
            "cells": [{"domain": r.domain, "period": r.period, "breakdown": r.breakdown, "item": r.item,
                       "measure": r.measure, "value": v} for r, v in self.cells],
            "figures": [{"cell": i, "en": en, "ko": ko} for i, en, ko in self.figures],
        }


class _Missing(Exception):
    """A cell the statement needs is confidential or empty: no statement."""


class _Builder:
    """Reads cells for one statement and formats the numbers it shows, recording both."""

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

    def show(self, k: int, fmt: Callable[[float, str], str]) -> tuple[str, str]:
        v = self.st.cells[k][1]
        en, ko = fmt(v, "en"), fmt(v, "ko")
        self.st.figures.append((k, en, ko))
        return en, ko


def _label(dom: Domain, breakdown: str, item: str, lang: str) -> str:
    b = dom.breakdowns.get(breakdown)
    if b is None:
        return item
    code = b.codelist.by_code.get(item)
    if code is None:
        return item
    return code.label_ko if lang == "ko" else code.label_en


def _noun(dom: Domain, breakdown: str, lang: str) -> str:
    en, ko = dom.release.nouns.get(breakdown, (breakdown, breakdown))
    return ko if lang == "ko" else en


def _suffix(period: str) -> str:
    return "" if parse(period).freq == "A" else "_yoy"


def _up(x: float, lang: str) -> str:
    return ("증가" if x >= 0 else "감소") if lang == "ko" else ("rose" if x >= 0 else "fell")


def _make(dom: Domain, lookup: Lookup, sid: str, section: str, kind: str,
          fn: Callable[[_Builder, Statement], float]) -> Statement | None:
    st = Statement(sid, section, kind, 0.0)
    try:
        st.score = fn(_Builder(dom, lookup, st), st)
    except _Missing:
        return None
    return st


def _total_statements(dom: Domain, lookup: Lookup, period: str) -> list[Statement]:
    p, cmp, sfx = period, str(comparison(parse(period))), _suffix(period)
    pe, pk = period_label(p, "en"), period_label(p, "ko")
    ce, ck = period_label(cmp, "en"), period_label(cmp, "ko")
    name_en, name_ko = dom.release.short_en, dom.release.short_ko
    out: list[Statement | None] = []

    def headline(b: _Builder, st: Statement) -> float:
        kx, _ = b.get(p, "total", "all", "exports")
        km, _ = b.get(p, "total", "all", "imports")
        kgx, gx = b.get(p, "total", "all", f"exports_growth{sfx}")
        kgm, gm = b.get(p, "total", "all", f"imports_growth{sfx}")
        xe, xk = b.show(kx, money)
        me, mk = b.show(km, money)
        gxe, gxk = b.show(kgx, percent)
        gme, gmk = b.show(kgm, percent)
        st.text_en = (f"In {pe}, Korea's {name_en} exports {_up(gx, 'en')} {gxe} on {ce} to {xe}, "
                      f"and imports {_up(gm, 'en')} {gme} to {me}.")
        st.text_ko = (f"{pk} {name_ko} 수출은 {xk}로 {ck} 대비 {gxk} {_up(gx, 'ko')}하였고, "
                      f"수입은 {mk}로 {gmk} {_up(gm, 'ko')}하였다.")
        return 1.0

    def balance(b: _Builder, st: Statement) -> float:
        kb, bal = b.get(p, "total", "all", "balance")
        kp, prev = b.get(cmp, "total", "all", "balance")
        be, bk = b.show(kb, money)
        kind_en = "surplus" if bal >= 0 else "deficit"
        kind_ko = "흑자" if bal >= 0 else "적자"
        word_ko = f"{name_ko}수지"
        if (bal >= 0) == (prev >= 0):
            kc, change = b.get(p, "total", "all", f"balance_change{sfx}")
            ce2, ck2 = b.show(kc, money)
            wider = (change >= 0) == (bal >= 0)
            verb_en = ("grew" if wider else "shrank") if bal >= 0 else ("widened" if wider else "narrowed")
            st.text_en = (f"The {name_en} balance was a {kind_en} of {be}, which {verb_en} by {ce2} "
                          f"from {ce}.")
            st.text_ko = (f"{josa(word_ko, '은/는')} {bk} {josa(kind_ko, '으로/로')} {ck} 대비 {kind_ko} 폭이 "
                          f"{ck2} {'확대' if wider else '축소'}되었다.")
        else:
            pe2, pk2 = b.show(kp, money)
            prev_en, prev_ko = ("surplus", "흑자") if prev >= 0 else ("deficit", "적자")
            st.text_en = (f"The {name_en} balance turned from a {prev_en} of {pe2} in {ce} "
                          f"to a {kind_en} of {be}.")
            st.text_ko = (f"{josa(word_ko, '은/는')} {ck} {pk2} {prev_ko}에서 {pk} {bk} "
                          f"{josa(kind_ko, '으로/로')} 전환되었다.")
        return 0.9

    def volume(b: _Builder, st: Statement) -> float:
        kv, _ = b.get(p, "total", "all", "volume")
        kr, _ = b.get(p, "total", "all", "ratio")
        ve, vk = b.show(kv, money)
        re_, rk = b.show(kr, ratio)
        st.text_en = (f"Trade volume (exports plus imports) reached {ve}; the ratio of exports to imports "
                      f"was {re_}.")
        st.text_ko = f"{name_ko} 규모(수출+수입)는 {vk}, 수출입비율(수출/수입)은 {rk}배였다."
        return 0.5

    out += [_make(dom, lookup, "total.headline", "total", "headline", headline),
            _make(dom, lookup, "total.balance", "total", "balance", balance),
            _make(dom, lookup, "total.volume", "total", "volume", volume)]

    records = [("exports", "exports_record", 1, "Exports were the highest on record.",
                "수출은 통계 작성 이래 최대 규모이다."),
               ("imports", "imports_record", 1, "Imports were the highest on record.",
                "수입은 통계 작성 이래 최대 규모이다."),
               ("balance", "balance_record", 1, "The surplus was the largest on record.",
                f"{name_ko}수지 흑자는 통계 작성 이래 최대이다."),
               ("balance", "balance_record_low", -1, "The deficit was the largest on record.",
                f"{name_ko}수지 적자는 통계 작성 이래 최대이다.")]
    first = min((k[0] for k in lookup if k[1] == "total" and parse(k[0]).freq == parse(p).freq), default=p)
    for level, flag, sign, en, ko in records:
        def record(b: _Builder, st: Statement, level: str = level, flag: str = flag, sign: int = sign,
                   en: str = en, ko: str = ko) -> float:
            kf, f = b.get(p, "total", "all", flag)
            _, v = b.get(p, "total", "all", level)
            if f != 1 or v * sign < 0 or first == p:
                raise _Missing
            del kf
            st.text_en, st.text_ko = en, ko
            return 0.8
        out.append(_make(dom, lookup, f"total.{flag}", "total", "record", record))
    return [s for s in out if s is not None]


def _breakdown_statements(dom: Domain, lookup: Lookup, period: str, breakdown: str) -> list[Statement]:
    p, cmp, sfx = period, str(comparison(parse(period))), _suffix(period)
    items = sorted({k[2] for k in lookup if k[0] == p and k[1] == breakdown})
    noun_en, noun_ko = _noun(dom, breakdown, "en"), _noun(dom, breakdown, "ko")
    ce, ck = period_label(cmp, "en"), period_label(cmp, "ko")
    tv = lookup.get((p, "total", "all", "volume"), (None, ""))[0] or 0.0
    out: list[Statement | None] = []

    def val(item: str, measure: str, per: str = p) -> float | None:
        v, s = lookup.get((per, breakdown, item, measure), (None, "N"))
        return None if s in ("C", "N") else v

    def lab(item: str, lang: str) -> str:
        return _label(dom, breakdown, item, lang)

    shares = {i: v for i in items if (v := val(i, "volume_share")) is not None}
    if shares:
        top = max(shares, key=lambda i: (shares[i], i))

        def largest(b: _Builder, st: Statement) -> float:
            ks, s = b.get(p, breakdown, top, "volume_share")
            kx, _ = b.get(p, breakdown, top, "exports")
            km, _ = b.get(p, breakdown, top, "imports")
            se, sk = b.show(ks, percent)
            xe, xk = b.show(kx, money)
            me, mk = b.show(km, money)
            st.text_en = (f"By {noun_en}, {lab(top, 'en')} was the largest, with {se} of the volume "
                          f"(exports {xe}, imports {me}).")
            st.text_ko = (f"{noun_ko}별로는 {josa(lab(top, 'ko'), '이/가')} 전체 규모의 {sk}를 차지하여 가장 컸다"
                          f"(수출 {xk}, 수입 {mk}).")
            return s / 100
        out.append(_make(dom, lookup, f"{breakdown}.largest", breakdown, "largest", largest))

    balances = {i: v for i in items if (v := val(i, "balance")) is not None}
    for sign, kind_en, kind_ko in ((1, "surplus", "흑자"), (-1, "deficit", "적자")):
        cands = [i for i, v in balances.items() if v * sign > 0]
        if not cands or tv <= 0:
            continue
        it = max(cands, key=lambda i: (balances[i] * sign, i))

        def extreme(b: _Builder, st: Statement, it: str = it, kind_en: str = kind_en, kind_ko: str = kind_ko) -> float:
            kb, bal = b.get(p, breakdown, it, "balance")
            be, bk = b.show(kb, money)
            st.text_en = f"{lab(it, 'en')} ran the largest {kind_en} of any {noun_en}: {be}."
            copula = "이었다" if has_batchim(lab(it, "ko")) else "였다"
            st.text_ko = f"{noun_ko} 중 {kind_ko} 규모가 가장 큰 것은 {lab(it, 'ko')}({bk}){copula}."
            return abs(bal) / tv
        out.append(_make(dom, lookup, f"{breakdown}.largest_{kind_en}", breakdown, kind_en, extreme))

    movers = []
    for i, s in shares.items():
        if s < SHARE_FLOOR:
            continue
        for flow in ("exports", "imports"):
            g = val(i, f"{flow}_growth{sfx}")
            if g is not None:
                movers.append((abs(g) * s / 100, i, flow))
    if movers:
        _, it, flow = max(movers)

        def fastest(b: _Builder, st: Statement, it: str = it, flow: str = flow) -> float:
            kg, g = b.get(p, breakdown, it, f"{flow}_growth{sfx}")
            ks, s = b.get(p, breakdown, it, "volume_share")
            ge, gk = b.show(kg, percent)
            flow_ko = "수출" if flow == "exports" else "수입"
            st.text_en = (f"Among the larger {noun_en} items, {lab(it, 'en')} {flow} moved most: "
                          f"they {_up(g, 'en')} {ge} on {ce}.")
            st.text_ko = (f"규모가 큰 {noun_ko} 중에서는 {lab(it, 'ko')} {flow_ko}의 변동이 가장 컸다"
                          f"({ck} 대비 {gk} {_up(g, 'ko')}).")
            return 3 * abs(g) / 100 * s / 100
        out.append(_make(dom, lookup, f"{breakdown}.fastest", breakdown, "fastest", fastest))

    if dom.breakdowns[breakdown].partition:
        for flow, flow_ko in (("exports", "수출"), ("imports", "수입")):
            contrib = {i: v for i in items if (v := val(i, f"{flow}_contribution{sfx}")) is not None}
            if not contrib:
                continue
            it = max(contrib, key=lambda i: (abs(contrib[i]), i))

            def contribution(b: _Builder, st: Statement, it: str = it, flow: str = flow, flow_ko: str = flow_ko
                             ) -> float:
                kc, c = b.get(p, breakdown, it, f"{flow}_contribution{sfx}")
                kt, t = b.get(p, "total", "all", f"{flow}_change{sfx}")
                cce, cck = b.show(kc, percent)
                te, tk = b.show(kt, money)
                dir_en = "increase" if t >= 0 else "decrease"
                st.text_en = (f"{lab(it, 'en')} accounted for {cce} of the {te} {dir_en} in total {flow}"
                              + (" (moving against it)." if c < 0 else "."))
                st.text_ko = (f"전체 {flow_ko} {'증가' if t >= 0 else '감소'}분({tk}) 중 "
                              f"{josa(lab(it, 'ko'), '이/가')} 차지하는 비중(기여율)은 {cck}"
                              + ("로 반대 방향이었다." if c < 0 else "로 가장 컸다."))
                return 0.5 * min(abs(c), 100.0) / 100
            out.append(_make(dom, lookup, f"{breakdown}.{flow}_contribution", breakdown, "contribution",
                             contribution))

    for flow, flow_ko in (("exports", "수출"), ("imports", "수입")) if dom.breakdowns[breakdown].partition else ():
        now = {i: int(v) for i in items if (v := val(i, f"{flow}_rank")) is not None}
        then = {i: int(v) for i in items if (v := val(i, f"{flow}_rank", cmp)) is not None}
        passes = [(now[a], a, b2) for a in now for b2 in now
                  if a in then and b2 in then and now[a] < now[b2] and then[a] > then[b2] and now[a] <= 5]
        if not passes:
            continue
        _, a, b2 = min(passes, key=lambda x: (x[0], -then[x[2]] if x[2] in then else 0, x[1], x[2]))

        def overtake(b: _Builder, st: Statement, a: str = a, b2: str = b2, flow: str = flow, flow_ko: str = flow_ko
                     ) -> float:
            kr, r = b.get(p, breakdown, a, f"{flow}_rank")
            b.get(p, breakdown, b2, f"{flow}_rank")
            b.get(cmp, breakdown, a, f"{flow}_rank")
            b.get(cmp, breakdown, b2, f"{flow}_rank")
            b.show(kr, lambda v, lang: ordinal(int(v), lang))
            st.text_en = (f"{lab(a, 'en')} overtook {lab(b2, 'en')} to become the {ordinal(int(r), 'en')} "
                          f"{noun_en} for {flow}.")
            st.text_ko = (f"{flow_ko}에서는 {josa(lab(a, 'ko'), '이/가')} {josa(lab(b2, 'ko'), '을/를')} 제치고 "
                          f"{ordinal(int(r), 'ko')}로 올라섰다.")
            return 0.3 / r
        out.append(_make(dom, lookup, f"{breakdown}.{flow}_overtake", breakdown, "overtake", overtake))
    return [s for s in out if s is not None]


def statements(dom: Domain, lookup: Lookup, period: str) -> list[Statement]:
    """The release's statements, section by section (see module doc)."""
    chosen = sorted(_total_statements(dom, lookup, period), key=lambda s: -s.score)
    for name in dom.release.tables:
        if name == "total" or name not in dom.breakdowns:
            continue
        cands = sorted(_breakdown_statements(dom, lookup, period, name), key=lambda s: (-s.score, s.id))
        kinds: set[str] = set()
        best = []
        for st in cands:  # the best statement of each kind, then the best kinds
            if st.kind not in kinds and st.score >= MIN_SCORE:
                kinds.add(st.kind)
                best.append(st)
        chosen += best[:PER_SECTION]
    return chosen
