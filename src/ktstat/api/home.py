"""What the explorer opens on: each programme's latest release in brief, the release calendar of
every programme, and a search over the items of every breakdown.

``GET /api/home`` -> ``{"programmes": [...], "calendar": [...]}``. Per programme (dataflow with a
released vintage)::

    {"id": "KST", "domain": "kst", "label": {"en", "ko"},
     "vintage": {<the latest released vintage, with "title" and "date">},
     "period": "2025H1", "freq": "H", "period_label": {"en": "H1 2025", "ko": "2025년 상반기"},
     "bases": [{"name": "previous", "period": "2024H2", "suffix": "", "label": {...}}, ...],
     "figures": [{"measure": "exports", "label": {...}, "unit": "USD", "value": 19.7e9,
                  "status": "P", "text": {"en": "$19.71 billion", "ko": "197.1억 달러"},
                  "changes": [{"basis": "previous", "kind": "growth", "measure": "exports_growth",
                               "value": 4.2, "status": "P", "unit": "PC",
                               "text": {"en": "+4.2%", "ko": ...}}, ...],
                  "lines": [{"basis": "previous",
                             "text": {"en": "+4.2% (+$0.79 billion) on previous half-year", ...}}, ...],
                  "table": {"breakdown": "total", "period": [...], "measure": [...]}}, ...],
     "trend": {"periods": [{"id", "label", "status"}], "series": {"exports": [...], ...}},
     "files": {"press_release": {"en": url, "ko": url}, "press_release_pdf": {...}, "tables": {...}},
     "next_release": [<the calendar entries of the next release day>]}

The figures are the release's summary (exports, imports, balance, volume, ratio of the total), each
with its change and growth on every comparison basis of the programme's ``[release]
comparisons`` (leading basis first), in the press release's words and rounding
(:mod:`ktstat.release.numbers`); ``value`` is the full figure (``null`` when withheld). ``table``
is the explorer view behind a figure. ``trend`` holds the total's exports, imports and balance over
the programme's ``summary_periods`` periods up to the release period.

Calendar entries, released (every released vintage, oldest first) then upcoming (the calendar's
dates after now, from each ``domain.toml`` ``[[release.calendar]]``)::

    {"domain": "kst", "dataflow": "KST", "period": "2025H1", "status": "provisional",
     "release_at": ISO time, "state": "released" | "upcoming", "vintage": id | null,
     "title": {"en": "Knowledge services trade statistics, H1 2025 (provisional)", "ko": ...},
     "date": {"en": "September 17, 2025", "ko": "2025년 9월 17일"}}

``GET /api/search?q=TEXT`` -> ``{"q": TEXT, "results": [{"dataflow", "domain", "programme",
"breakdown", "breakdown_label", "item", "label", "matched"}]}``: the items of every breakdown (not
the crosses) of every programme's latest release whose English or Korean label, code, or one of
the programme's synonyms (``synonyms.csv``) contains the text, case and spacing ignored; best
matches first (the whole label, then a label's start, then a word's start, then anywhere).
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ktstat.api.index import ReleaseFolder, View, VintageData, period_info
from ktstat.domain import Domain
from ktstat.release.basis import bases
from ktstat.release.calendar import scheduled
from ktstat.release.numbers import money, percent, ratio
from ktstat.release.tables import LEVELS
from ktstat.terms import LANGS, terms

GROWTH_OF = ("exports", "imports", "volume")
"""The levels that have a growth rate (balance and ratio change in their own unit only)."""
UPCOMING = 4
"""How many upcoming releases per programme the calendar lists."""
SEARCH_LIMIT = 30


def release_title(dom: Domain, period: str, status: str) -> dict[str, str]:
    """``Knowledge services trade statistics, H1 2025 (provisional)`` in each language."""

    def one(lang: str) -> str:
        t = terms(lang)
        name = dom.label_ko if lang == "ko" else dom.label_en
        return t.fill(
            "explorer", "release_title", domain=name, period=t.period_short(period), status=t.get("explorer", status)
        )

    return {lang: one(lang) for lang in LANGS}


def release_date(at: datetime, dom: Domain) -> dict[str, str]:
    """The day of ``at`` in the programme's time zone, as each language writes a date."""
    from babel.dates import format_date

    day = at.astimezone(ZoneInfo(dom.release.timezone)).date()
    return {lang: str(format_date(day, format="long", locale="ko_KR" if lang == "ko" else "en_US")) for lang in LANGS}


def vintage_words(vd: VintageData) -> dict[str, dict[str, str]]:
    """A vintage's ``title``, ``short`` title (without the programme: ``H1 2025 (provisional)``)
    and ``date`` (see module doc)."""
    v = vd.vintage
    dom = vd.info.domain
    short = {
        lang: terms(lang).fill(
            "explorer",
            "release_short",
            period=terms(lang).period_short(v.period),
            status=terms(lang).get("explorer", v.status),
        )
        for lang in LANGS
    }
    return {"title": release_title(dom, v.period, v.status), "short": short, "date": release_date(v.release_at, dom)}


# -- the programme's latest release -------------------------------------------------------------------------------


def _cell(
    vd: VintageData, freq: str, breakdown: str, item: str, measure: str, period: str
) -> tuple[float | None, str | None]:
    s = vd.by_key.get((freq, breakdown, item, measure))
    k = s.at(period) if s is not None else -1
    if s is None or k < 0:
        return None, None
    st = s.statuses[k]
    return (None if st in ("C", "N") else s.values[k]), st


def _signed(text: str, value: float) -> str:
    return ("+" if value > 0 else "\u2212" if value < 0 else "") + text


def _level_text(measure: str, value: float | None, status: str | None, lang: str) -> str:
    if value is None:
        return "x" if status == "C" else "\u2013"
    if measure == "ratio":
        return ratio(value, lang)
    text = money(value, lang)
    return _signed(text, value) if value < 0 else text


def _change_shown(kind: str, measure: str, value: float | None, status: str | None, lang: str) -> str:
    """A change as the press release writes it: ``+4.2%``, ``−$40.3 million``, ``+0.05`` (a ratio)."""
    if value is None:
        return "x" if status == "C" else "\u2013"
    if kind == "growth":
        return _signed(percent(value, lang), value)
    if measure == "ratio":
        return _signed(ratio(abs(value), lang), value)
    return _signed(money(value, lang), value)


def _basis_line(shown: list[str], basis: str, lang: str) -> str:
    """One comparison of a key figure: ``−15.2% (−$40.3 million) on previous half-year``."""
    x = f"{shown[0]} ({shown[1]})" if len(shown) > 1 else shown[0]
    return terms(lang).fill("press", "vs", x=x, basis=basis)


FILES = {
    "press_release": {"en": "press-release.en.html", "ko": "press-release.ko.html"},
    "press_release_pdf": {"en": "press-release.en.pdf", "ko": "press-release.ko.pdf"},
    "tables": {"en": "tables.xlsx", "ko": "tables.ko.xlsx"},
}
"""The release files the landing links to, per language (names as ``ktstat publish`` writes them)."""


def _files(folder: ReleaseFolder | None, vid: str) -> dict[str, dict[str, str]]:
    names = set(folder.files) if folder is not None else set()
    out: dict[str, dict[str, str]] = {}
    for key, per_lang in FILES.items():
        got = {lang: f"/releases/{vid}/{name}" for lang, name in per_lang.items() if name in names}
        if got:
            out[key] = got
    return out


def programme(vd: VintageData, releases: dict[str, ReleaseFolder], now: datetime) -> dict[str, Any]:
    """One programme's entry of ``/api/home`` (module doc) for its latest released vintage ``vd``."""
    from ktstat.api.explorer import vintage_doc

    info = vd.info
    dom = info.domain
    period = vd.vintage.period
    pi = period_info(period)
    freq = pi.freq
    total = info.lists.breakdowns["total"].id
    item = (vd.items.get(total) or ["all"])[0]
    bs = bases(dom, period)
    basis_words = {b.name: {lang: terms(lang).basis(b.name, dom.release_frequency) for lang in LANGS} for b in bs}
    figures = []
    for m in LEVELS:
        value, status = _cell(vd, freq, total, item, m, period)
        changes = []
        lines = []
        table_measures = [m]
        for b in bs:
            shown: dict[str, list[str]] = {lang: [] for lang in LANGS}
            for kind in ("growth", "change"):
                if kind == "growth" and m not in GROWTH_OF:
                    continue
                cm = b.measure(f"{m}_{kind}")
                cv, cs = _cell(vd, freq, total, item, cm, period)
                if cs is None:
                    continue
                table_measures.append(cm)
                for lang in LANGS:
                    shown[lang].append(_change_shown(kind, m, cv, cs, lang))
                changes.append(
                    {
                        "basis": b.name,
                        "kind": kind,
                        "measure": cm,
                        "value": cv,
                        "status": cs,
                        "unit": "PC" if kind == "growth" else ("PURE_NUMB" if m == "ratio" else "USD"),
                        "text": {lang: shown[lang][-1] for lang in LANGS},
                    }
                )
            if shown["en"]:
                words = {lang: _basis_line(shown[lang], basis_words[b.name][lang], lang) for lang in LANGS}
                lines.append({"basis": b.name, "text": words})
        label = {lang: terms(lang, dom.id).get("measure", m) for lang in LANGS}
        table_periods = sorted({period, *(b.period for b in bs)}, key=lambda p: period_info(p).index)
        table_periods = [p for p in table_periods if any(q.label == p for q in vd.periods.get(freq, []))]
        figures.append(
            {
                "measure": m,
                "label": label,
                "unit": "PURE_NUMB" if m == "ratio" else "USD",
                "value": value,
                "status": status,
                "text": {lang: _level_text(m, value, status, lang) for lang in LANGS},
                "changes": changes,
                "lines": lines,
                "table": {"breakdown": "total", "period": table_periods, "measure": table_measures},
            }
        )
    own = [p for p in vd.periods.get(freq, []) if p.index <= pi.index][-dom.release.summary_periods :]
    series: dict[str, list[float | None]] = {}
    statuses: list[str | None] = []
    for m in ("exports", "imports", "balance"):
        cells = [_cell(vd, freq, total, item, m, p.label) for p in own]
        series[m] = [c[0] for c in cells]
        if m == "exports":
            statuses = [c[1] for c in cells]
    trend = {
        "periods": [
            {"id": p.label, "label": {lang: terms(lang).period_short(p.label) for lang in LANGS}, "status": st}
            for p, st in zip(own, statuses, strict=True)
        ],
        "series": series,
    }
    soon = upcoming(dom, info.flow, now, 4)
    nxt = [e for e in soon if e["release_at"] == soon[0]["release_at"]] if soon else []
    doc = vintage_doc(vd, documents=True)
    doc.update(vintage_words(vd))
    return {
        "id": info.flow,
        "domain": dom.id,
        "label": {"en": dom.label_en, "ko": dom.label_ko},
        "vintage": doc,
        "period": period,
        "freq": dom.release_frequency,
        "period_label": {lang: terms(lang).period_short(period) for lang in LANGS},
        "bases": [{"name": b.name, "period": b.period, "suffix": b.suffix, "label": basis_words[b.name]} for b in bs],
        "figures": figures,
        "trend": trend,
        "files": _files(releases.get(vd.id), vd.id),
        "next_release": nxt,
    }


# -- the calendar -----------------------------------------------------------------------------------------------


def _entry(
    dom: Domain, flow: str, period: str, status: str, at: datetime, state: str, vintage: str | None
) -> dict[str, Any]:
    return {
        "domain": dom.id,
        "dataflow": flow,
        "period": period,
        "status": status,
        "release_at": at.isoformat(),
        "state": state,
        "vintage": vintage,
        "title": release_title(dom, period, status),
        "date": release_date(at, dom),
    }


def upcoming(dom: Domain, flow: str, now: datetime, n: int = UPCOMING) -> list[dict[str, Any]]:
    """The next ``n`` releases the programme's calendar gives after ``now`` (calendar entries)."""
    ahead = now + timedelta(days=800)
    out = []
    for period, status, at in scheduled(dom, now.year - 3, ahead.year):
        if at > now:
            out.append(_entry(dom, flow, period, status, at, "upcoming", None))
            if len(out) >= n:
                break
    return out


def release_calendar(domains: list[tuple[Domain, str]], view: View, now: datetime) -> list[dict[str, Any]]:
    """Every released vintage of ``view`` (oldest release first), then each programme's upcoming
    releases (``domains``: every programme served, with its dataflow id)."""
    out = []
    released = sorted(view.released.values(), key=lambda vd: vd.vintage.release_at)
    for vd in released:
        v = vd.vintage
        out.append(_entry(vd.info.domain, vd.info.flow, v.period, v.status, v.release_at, "released", v.vintage_id))
    later = [e for dom, flow in domains for e in upcoming(dom, flow, now)]
    return out + sorted(later, key=lambda e: e["release_at"])


# -- search -----------------------------------------------------------------------------------------------------


@cache
def synonyms(folder: Path) -> tuple[tuple[str, str, str], ...]:
    """``(phrase, breakdown, code)`` of a programme's ``synonyms.csv`` (none when it has none)."""
    path = folder / "synonyms.csv"
    if not path.is_file():
        return ()
    with path.open(encoding="utf-8") as f:
        return tuple((r["phrase"], r["breakdown"], r["code"]) for r in csv.DictReader(f))


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _score(q: str, text: str) -> int:
    """0 (whole text) to 3 (anywhere inside); 9 when ``q`` is not in ``text``."""
    t = _fold(text)
    if t == q:
        return 0
    if t.startswith(q):
        return 1
    at = t.find(q)
    if at < 0:
        return 9
    return 2 if not t[at - 1].isalnum() else 3


def search(view: View, q: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
    """The items matching ``q`` (module doc), at most ``limit``."""
    fq = _fold(q)
    if not fq:
        return []
    found: list[tuple[int, int, dict[str, Any]]] = []
    for flow, domain in view.flows.items():
        vd = view.default[domain]
        info = vd.info
        dom = info.domain
        syn: dict[tuple[str, str], list[str]] = {}
        for phrase, bd, item in synonyms(dom.path):
            syn.setdefault((bd, item), []).append(phrase)
        for name, code in info.lists.breakdowns.items():
            if "+" in name:
                continue
            for it in vd.items.get(code.id, []):
                c = info.lists.items[it]
                texts = [c.en, c.ko, it, *syn.get((name, it), [])]
                best = min(range(len(texts)), key=lambda k: _score(fq, texts[k]))
                score = _score(fq, texts[best])
                if score == 9:
                    continue
                found.append(
                    (
                        score,
                        len(found),
                        {
                            "dataflow": flow,
                            "domain": dom.id,
                            "programme": {"en": dom.label_en, "ko": dom.label_ko},
                            "breakdown": name,
                            "breakdown_label": {"en": code.en, "ko": code.ko},
                            "item": it,
                            "label": {"en": c.en, "ko": c.ko},
                            "matched": texts[best],
                        },
                    )
                )
    found.sort(key=lambda x: (x[0], len(x[2]["matched"]), x[1]))
    return [f[2] for f in found[:limit]]


__all__ = ["programme", "release_calendar", "release_date", "release_title", "search", "upcoming", "vintage_words"]
