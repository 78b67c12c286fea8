"""The press release of a vintage as HTML, in English or Korean (Jinja2 template
``templates/press_release.html.j2``; charts inline as SVG, fonts from the project's install).

Inputs: the domain, the vintage, its indicator lookup, the statements and standard tables
built from it (:mod:`ktstat.release`), the language and the clock (for the embargo notice).
Every number shown is formatted from an indicator cell; table cells carry the cell they show
in their ``title`` attribute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from ktstat.domain import Domain
from ktstat.periods import parse
from ktstat.release.basis import bases
from ktstat.release.numbers import money, money_in, percent, ratio, unit_for
from ktstat.release.statements import Statement
from ktstat.release.tables import ReleaseTable, TableCell
from ktstat.release.vintage import Vintage
from ktstat.terms import noun, terms

Lookup = Mapping[tuple[str, str, str, str], tuple[float | None, str]]
TEMPLATES = Path(__file__).parent / "templates"

MINUS = "\N{MINUS SIGN}"


_HANGUL_WORD = re.compile(r"\S*[\uac00-\ud7a3]\S*")


def keep_words(text: object, lang: str) -> Markup:
    """``text`` escaped for HTML; in Korean every word holding Hangul kept on one line (a
    ``nowrap`` span), so lines break between words, never inside one (``word-break: keep-all``
    for renderers that lack it, WeasyPrint among them)."""
    escaped = str(escape(str(text)))
    if lang != "ko":
        return Markup(escaped)
    return Markup(_HANGUL_WORD.sub(lambda m: f'<span class="w">{m.group(0)}</span>', escaped))


def _signed(text: str, negative: bool) -> str:
    return (MINUS + text) if negative else text


def cell_text(c: TableCell, lang: str) -> str:
    """A table cell as shown: US dollars in billions (English) or 억 (Korean), one unit for the
    whole table; ``C`` for a confidential cell, an en dash for one not meaningful; negative
    numbers with a true minus sign. Provisional figures are marked in their column's heading,
    not here."""
    if c.status == "C":
        return "C"
    if c.value is None or c.status == "N":
        return "\N{EN DASH}"
    v = c.value
    digits = (2 if lang == "en" else 1) if c.unit == "usd" else (1 if c.unit == "percent" else 2)
    scale = (1e9 if lang == "en" else 1e8) if c.unit == "usd" else 1.0
    if round(v / scale, digits) == 0:
        v = 0.0  # no "-0.0"
    text = f"{abs(v) / scale:,.{digits}f}"
    return _signed(text, v < 0)


def _table_view(t: ReleaseTable, lang: str) -> dict[str, Any]:
    en = lang == "en"
    mark = terms(lang).get("column", "provisional_mark")
    return {
        "title": t.title_en if en else t.title_ko,
        "unit": terms(lang).get("note", "money_table"),
        "corner": terms(lang).get("word", "item"),
        "columns": [{"text": c.label_en if en else c.label_ko, "p": mark if c.provisional else ""} for c in t.columns],
        "rows": [
            {
                "label": r.label_en if en else r.label_ko,
                "level": r.level,
                "cells": [
                    {
                        "text": cell_text(c, lang),
                        "flag": c.value is None,
                        "ref": f"{c.ref.period} {c.ref.breakdown} {c.ref.item} {c.ref.measure}",
                    }
                    for c in r.cells
                ],
            }
            for r in t.rows
        ],
        "notes": t.footnotes_en if en else t.footnotes_ko,
    }


def _series(
    lookup: Lookup, dom: Domain, period: str, breakdown: str, item: str
) -> tuple[list[str], dict[str, list[float | None]]]:
    freq = parse(period).freq
    end = parse(period).index
    periods = sorted(
        {
            k[0]
            for k in lookup
            if k[1] == breakdown and k[2] == item and parse(k[0]).freq == freq and parse(k[0]).index <= end
        },
        key=lambda p: parse(p).index,
    )
    out: dict[str, list[float | None]] = {}
    for m in ("exports", "imports", "balance"):
        out[m] = [lookup.get((p, breakdown, item, m), (None, ""))[0] for p in periods]
    return periods, out


def _charts(dom: Domain, lookup: Lookup, period: str, lang: str) -> tuple[str, list[tuple[str, str]]]:
    """The trend chart (whole series, provisional points marked) and the balance charts (the
    first item breakdown and regions)."""
    from ktstat.publish.charts import bar_chart, trend_chart

    t = terms(lang)
    scale, unit = (1e9, t.get("chart", "unit")) if lang == "en" else (1e8, t.get("chart", "unit"))
    periods, s = _series(lookup, dom, period, "total", "all")

    def scaled(xs: list[float | None]) -> list[float | None]:
        return [None if x is None else x / scale for x in xs]

    provisional = sum(1 for p in periods if lookup.get((p, "total", "all", "exports"), (None, ""))[1] == "P")
    trend = trend_chart(
        [_axis_label(p, lang) for p in periods],
        scaled(s["exports"]),
        scaled(s["imports"]),
        scaled(s["balance"]),
        lang,
        unit,
        t.fill("press", "trend", first=t.period_short(periods[0]), last=t.period_short(period)),
        provisional=provisional,
    )
    bars = []
    item_breakdowns = [b for b in dom.release.tables if b in dom.breakdowns and dom.breakdowns[b].source == "item"]
    regions = [
        b
        for b in dom.release.tables
        if b in dom.breakdowns and dom.breakdowns[b].source == "partner" and dom.breakdowns[b].level == 1
    ]
    for b in item_breakdowns[:1] + regions[:1]:
        bd = dom.breakdowns[b]
        codes = [c.code for c in bd.codelist.codes if (period, b, c.code, "balance") in lookup]
        labels = [bd.codelist.label(c, lang) for c in codes]
        values = [lookup[(period, b, c, "balance")][0] for c in codes]
        bars.append(
            (
                b,
                bar_chart(
                    labels,
                    scaled(values),
                    lang,
                    unit,
                    t.fill("press", "balance_by", noun=noun(dom, b, lang), period=t.period_short(period)),
                ),
            )
        )
    return trend, bars


def _axis_label(period: str, lang: str) -> str:
    """A period on a chart's axis: the heading form on two lines (``H1`` over ``2025``;
    ``2025년`` over ``상반기``), a year alone."""
    text = terms(lang).period_short(period)
    return text.replace(" ", "\n", 1) if " " in text else text


def _keyfigs(dom: Domain, lookup: Lookup, period: str, lang: str) -> list[dict[str, Any]]:
    """The key figures: each level with its change on every comparison basis of the domain."""
    t = terms(lang, dom.id)
    freq = parse(period).freq
    out = []
    for m in ("exports", "imports", "balance", "volume", "ratio"):
        v, _st = lookup.get((period, "total", "all", m), (None, "N"))
        if v is None:
            continue
        value = ratio(v, lang) if m == "ratio" else _signed(money(v, lang), m == "balance" and v < 0)
        changes = []
        for b in bases(dom, period):
            basis = t.basis(b.name, freq)
            if m in ("exports", "imports", "volume"):
                g = lookup.get((period, "total", "all", b.measure(f"{m}_growth")), (None, ""))[0]
                amount = None if g is None else ("+" if g >= 0 else MINUS) + percent(g, lang)
            else:
                g = lookup.get((period, "total", "all", b.measure(f"{m}_change")), (None, ""))[0]
                amount = (
                    None
                    if g is None
                    else ("+" if g >= 0 else MINUS)
                    + (ratio(abs(g), lang) if m == "ratio" else money_in(g, unit_for(v, lang), lang))
                )
            if amount is not None and g is not None:
                changes.append(
                    {"text": t.fill("press", "vs", x=amount, basis=basis), "cls": "up" if g >= 0 else "down"}
                )
        out.append({"label": t.get("measure", m), "value": value, "changes": changes})
    return out


def _about(dom: Domain, vintage: Vintage, lang: str, now: datetime, coverage: dict[str, int] | None) -> dict[str, Any]:
    """What the release says about itself (the domain's ``about.toml``), the next release from the
    calendar and, for a vintage that revises another, the revision notice."""
    from ktstat.release.calendar import scheduled

    t = terms(lang, dom.id)
    about = dict(dom.release.about.get(lang, {}))
    tz = ZoneInfo(dom.release.timezone)
    year = vintage.release_at.year
    due = [(p, st, at) for p, st, at in scheduled(dom, year - 3, year + 2) if at > vintage.release_at]
    # the next release date; of what is due that day, the newest period (a new half-year's
    # provisional figures rather than the final figures of an older one released with them)
    soonest = min((at for _, _, at in due), default=None)
    nxt = max(((p, st, at) for p, st, at in due if at == soonest), key=lambda x: parse(x[0]).index, default=None)
    next_text = ""
    if nxt is not None:
        next_text = t.fill(
            "press",
            "next_release_text",
            period=t.period_short(nxt[0]),
            status=t.get("word", nxt[1]),
            at=nxt[2].astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        )
    revision = ""
    if vintage.revises:
        was = vintage.revises.rsplit("-v", 1)
        revision = (
            t.fill("press", "revision_notice", vid=vintage.revises, was=was[0], reason=vintage.reason)
            if vintage.reason
            else t.fill("press", "revision_notice_no_reason", vid=vintage.revises, was=was[0])
        )
    cov = ""
    if coverage:
        from ktstat.release.numbers import _dec

        cov = t.fill(
            "press",
            "coverage_text",
            reporters=_dec(coverage["reporters"], 0, lang),
            records=_dec(coverage["records"], 0, lang),
        )
    return {
        "agency": about.get("agency", ""),
        "compiler": about.get("compiler", ""),
        "contact": about.get("contact", ""),
        "coverage": about.get("coverage", ""),
        "coverage_count": cov,
        "methodology": about.get("methodology", []),
        "revision_policy": about.get("revision_policy", ""),
        "definitions": about.get("definitions", []),
        "next_release": next_text,
        "revision": revision,
        "labels": t.section("press"),
    }


def render_press_release(
    dom: Domain,
    vintage: Vintage,
    lookup: Lookup,
    stmts: list[Statement],
    tables: list[ReleaseTable],
    lang: str,
    now: datetime,
    font_css: str = "",
    coverage: dict[str, int] | None = None,
) -> str:
    """The press release as a standalone HTML page (see module doc). ``coverage``: the number of
    ``reporters`` and ``records`` behind the release period, when known."""
    import jinja2

    t = terms(lang, dom.id)
    tz = ZoneInfo(dom.release.timezone)
    at = vintage.release_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    period = vintage.period
    status = t.get("word", vintage.status)
    programme = dom.label_ko if lang == "ko" else dom.label_en
    if lang == "ko":
        title = f"{t.period(period)} {programme}({status})"
    else:
        title = f"{programme}, {t.period_short(period)} ({status})"
    text = (lambda s: s.text_ko) if lang == "ko" else (lambda s: s.text_en)
    trend, bars = _charts(dom, lookup, period, lang)
    bar_of = dict(bars)
    headline = next((text(s) for s in stmts if s.kind == "headline"), "")
    sections = [
        {
            "title": t.get("press", "overview"),
            "statements": [text(s) for s in stmts if s.section == "total" and s.kind != "headline"],
            "charts": [trend],
        }
    ]
    for b in dom.release.tables:
        if b == "total" or b not in dom.breakdowns:
            continue
        word = noun(dom, b, lang)
        sections.append(
            {
                "title": t.fill("press", "by", noun=word),
                "statements": [text(s) for s in stmts if s.section == b],
                "charts": [bar_of[b]] if b in bar_of else [],
            }
        )
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    env.filters["kw"] = lambda x: keep_words(x, lang)
    return env.get_template("press_release.html.j2").render(
        lang=lang,
        title=title,
        kind=t.get("press", "kind"),
        font_css=font_css,
        footer=f"{programme} · {t.period_short(period)}",
        release_line=t.fill("press", "released", at=at),
        vintage_line=t.fill("press", "vintage", vid=vintage.vintage_id, hash=vintage.content_hash[:16]),
        embargo=t.fill("press", "embargo", at=at) if vintage.embargoed(now) else "",
        headline=headline,
        keyfigs=_keyfigs(dom, lookup, period, lang),
        sections=sections,
        tables_title=t.get("press", "tables"),
        tables=[_table_view(tb, lang) for tb in tables],
        about=_about(dom, vintage, lang, now, coverage),
        notes=[t.get("press", "lineage"), t.get("press", "confidential")],
    )
