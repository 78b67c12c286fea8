"""The press release of a vintage as HTML, in English or Korean (Jinja2 template
``templates/press_release.html.j2``; charts inline as SVG, fonts from the project's install).

Inputs: the domain, the vintage, its indicator lookup, the statements and standard tables
built from it (:mod:`ktstat.release`), the language and the clock (for the embargo notice).
Every number shown is formatted from an indicator cell; table cells carry the cell they show
in their ``title`` attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ktstat.domain import Domain
from ktstat.periods import parse
from ktstat.release.numbers import money, percent, period_label, ratio
from ktstat.release.statements import Statement
from ktstat.release.tables import ReleaseTable, TableCell, comparison, growth_measure
from ktstat.release.vintage import Vintage

Lookup = Mapping[tuple[str, str, str, str], tuple[float | None, str]]
TEMPLATES = Path(__file__).parent / "templates"

WORDS = {
    "en": {"kind": "Press release", "provisional": "provisional", "final": "final", "overview": "Overview",
           "by": "By {noun}", "tables": "Tables", "unit_usd": "Money: billions of US dollars",
           "released": "Released {at} · vintage {vid}",
           "embargo": "EMBARGOED: not for publication or broadcast before {at}",
           "exports": "Exports", "imports": "Imports", "balance": "Balance", "volume": "Volume", "ratio": "Ratio",
           "vs": "{x} on {cmp}", "trend": "Exports, imports and balance, {first} to {last}",
           "balance_by": "Balance by {noun}, {period}", "corner": ""},
    "ko": {"kind": "보도자료", "provisional": "잠정", "final": "확정", "overview": "개요",
           "by": "{noun}별 동향", "tables": "통계표", "unit_usd": "금액 단위: 억 달러",
           "released": "공표 {at} · 빈티지 {vid}",
           "embargo": "엠바고: {at} 이전 보도 금지",
           "exports": "수출", "imports": "수입", "balance": "수지", "volume": "규모", "ratio": "수출입비율",
           "vs": "{cmp} 대비 {x}", "trend": "수출·수입·수지 추이({first}~{last})",
           "balance_by": "{noun}별 수지, {period}", "corner": ""},
}

ABOUT = {
    "en": ["Source: ktstat compilation of firm-level records; {programme}.",
           "Vintage {vid}, content hash (SHA-256) {hash}. Every figure is an indicator cell of this vintage; "
           "statements.json lists each statement with the cells it cites.",
           "Cells that could reveal a firm are withheld (C) under the programme's disclosure rules."],
    "ko": ["자료: 기업 보고 자료를 ktstat으로 편제; {programme}.",
           "빈티지 {vid}, 내용 해시(SHA-256) {hash}. 모든 수치는 이 빈티지의 지표 셀이며, statements.json에 "
           "문장별 인용 셀이 수록되어 있음.",
           "개별 기업이 드러날 수 있는 셀은 공표 기준에 따라 비공개(C) 처리함."],
}


def cell_text(c: TableCell, lang: str) -> str:
    """A table cell as shown: US dollars in billions (English) or 억 (Korean); flags for C and N;
    ``p`` after a provisional figure."""
    if c.status == "C":
        return "C"
    if c.value is None or c.status == "N":
        return "-"
    v = c.value
    digits = (2 if lang == "en" else 1) if c.unit == "usd" else (1 if c.unit == "percent" else 2)
    scale = (1e9 if lang == "en" else 1e8) if c.unit == "usd" else 1.0
    if round(v / scale, digits) == 0:
        v = 0.0  # no "-0.0"
    if c.unit == "usd":
        text = f"{v / 1e9:,.2f}" if lang == "en" else f"{v / 1e8:,.1f}"
    elif c.unit == "percent":
        text = f"{v:,.1f}"
    else:
        text = f"{v:,.2f}"
    return text + ("p" if c.status == "P" else "")


def _table_view(t: ReleaseTable, lang: str) -> dict[str, Any]:
    en = lang == "en"
    return {
        "title": t.title_en if en else t.title_ko,
        "unit": WORDS[lang]["unit_usd"],
        "corner": "",
        "columns": [c.label_en if en else c.label_ko for c in t.columns],
        "rows": [{"label": r.label_en if en else r.label_ko, "level": r.level,
                  "cells": [{"text": cell_text(c, lang), "flag": c.value is None,
                             "ref": f"{c.ref.period} {c.ref.breakdown} {c.ref.item} {c.ref.measure}"} for c in r.cells]}
                 for r in t.rows],
        "notes": t.footnotes_en if en else t.footnotes_ko,
    }


def _series(lookup: Lookup, dom: Domain, period: str, breakdown: str, item: str) -> tuple[list[str], dict[str, list[
        float | None]]]:
    freq = parse(period).freq
    end = parse(period).index
    periods = sorted({k[0] for k in lookup if k[1] == breakdown and k[2] == item and parse(k[0]).freq == freq
                      and parse(k[0]).index <= end}, key=lambda p: parse(p).index)
    out: dict[str, list[float | None]] = {}
    for m in ("exports", "imports", "balance"):
        out[m] = [lookup.get((p, breakdown, item, m), (None, ""))[0] for p in periods]
    return periods, out


def _charts(dom: Domain, lookup: Lookup, period: str, lang: str) -> tuple[str, list[tuple[str, str]]]:
    """The trend chart (whole series) and the balance charts (the first item breakdown and regions)."""
    from ktstat.publish.charts import bar_chart, trend_chart

    w = WORDS[lang]
    scale, unit = (1e9, "US$ bn") if lang == "en" else (1e8, "억 달러")
    periods, s = _series(lookup, dom, period, "total", "all")

    def scaled(xs: list[float | None]) -> list[float | None]:
        return [None if x is None else x / scale for x in xs]

    trend = trend_chart([str(p) for p in periods], scaled(s["exports"]), scaled(s["imports"]),
                        scaled(s["balance"]), lang, unit,
                        w["trend"].format(first=period_label(periods[0], lang), last=period_label(period, lang)))
    bars = []
    item_breakdowns = [b for b in dom.release.tables if b in dom.breakdowns and dom.breakdowns[b].source == "item"]
    regions = [b for b in dom.release.tables if b in dom.breakdowns and dom.breakdowns[b].source == "partner"
               and dom.breakdowns[b].level == 1]
    for b in item_breakdowns[:1] + regions[:1]:
        bd = dom.breakdowns[b]
        codes = [c.code for c in bd.codelist.codes if (period, b, c.code, "balance") in lookup]
        labels = [bd.codelist.label(c, lang) for c in codes]
        values = [lookup[(period, b, c, "balance")][0] for c in codes]
        noun = dom.release.nouns.get(b, (b, b))[1 if lang == "ko" else 0]
        bars.append((b, bar_chart(labels, scaled(values), lang, unit,
                                  w["balance_by"].format(noun=noun, period=period_label(period, lang)))))
    return trend, bars


def _keyfigs(lookup: Lookup, period: str, lang: str) -> list[dict[str, str]]:
    p = parse(period)
    cmp = str(comparison(p))
    w = WORDS[lang]
    out = []
    for m in ("exports", "imports", "balance", "volume", "ratio"):
        v, st = lookup.get((period, "total", "all", m), (None, "N"))
        if v is None:
            continue
        value = ratio(v, lang) if m == "ratio" else money(v, lang)
        if m == "balance":
            value = ("-" if v < 0 else "") + value
        if m in ("exports", "imports", "volume"):
            g = lookup.get((period, "total", "all", growth_measure(m, p)), (None, ""))[0]
            change = "" if g is None else w["vs"].format(x=("+" if g >= 0 else "-") + percent(g, lang),
                                                         cmp=period_label(cmp, lang))
        else:
            suffix = "" if p.freq == "A" else "_yoy"
            g = lookup.get((period, "total", "all", f"{m}_change{suffix}"), (None, ""))[0]
            amount = "" if g is None else (("+" if g >= 0 else "-") + (ratio(abs(g), lang) if m == "ratio"
                                                                      else money(g, lang)))
            change = "" if g is None else w["vs"].format(x=amount, cmp=period_label(cmp, lang))
        out.append({"label": w[m], "value": value, "change": change,
                    "cls": "" if g is None else ("up" if g >= 0 else "down")})
    return out


def render_press_release(
    dom: Domain,
    vintage: Vintage,
    lookup: Lookup,
    stmts: list[Statement],
    tables: list[ReleaseTable],
    lang: str,
    now: datetime,
    font_css: str = "",
) -> str:
    """The press release as a standalone HTML page (see module doc)."""
    import jinja2

    w = WORDS[lang]
    tz = ZoneInfo(dom.release.timezone)
    at = vintage.release_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    period = vintage.period
    status = w[vintage.status]
    programme = dom.label_ko if lang == "ko" else dom.label_en
    if lang == "ko":
        title = f"{period_label(period, 'ko')} {programme}({status})"
    else:
        title = f"{programme}, {period_label(period, 'en')} ({status})"
    text = (lambda s: s.text_ko) if lang == "ko" else (lambda s: s.text_en)
    trend, bars = _charts(dom, lookup, period, lang)
    bar_of = dict(bars)
    headline = next((text(s) for s in stmts if s.kind == "headline"), "")
    sections = [{"title": w["overview"], "statements": [text(s) for s in stmts if s.section == "total"
                                                         and s.kind != "headline"], "charts": [trend]}]
    for b in dom.release.tables:
        if b == "total" or b not in dom.breakdowns:
            continue
        noun = dom.release.nouns.get(b, (b, b))[1 if lang == "ko" else 0]
        sections.append({"title": w["by"].format(noun=noun[:1].upper() + noun[1:] if lang == "en" else noun),
                         "statements": [text(s) for s in stmts if s.section == b],
                         "charts": [bar_of[b]] if b in bar_of else []})
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    return env.get_template("press_release.html.j2").render(
        lang=lang, title=title, kind=w["kind"], font_css=font_css,
        footer=f"{programme} · {period_label(period, lang)}",
        release_line=w["released"].format(at=at, vid=vintage.vintage_id),
        embargo=w["embargo"].format(at=at) if vintage.embargoed(now) else "",
        headline=headline, keyfigs=_keyfigs(lookup, period, lang), sections=sections,
        tables_title=w["tables"], tables=[_table_view(t, lang) for t in tables],
        about=[line.format(programme=programme, vid=vintage.vintage_id, hash=vintage.content_hash)
               for line in ABOUT[lang]],
    )
