"""JSON for the web data explorer: ``/api/meta`` and ``/api/table`` (+ ``.csv``, ``.xlsx``).

``GET /api/meta[?dataflow=KST][&vintage=ID]`` -> ``{"dataflows": [...], "statuses": {...},
"units": {...}}``; per dataflow (only those with a released vintage)::

    {"id": "KST", "domain": "kst", "label": {"en": ..., "ko": ...},
     "vintage": {<the vintage described: the latest released, or ?vintage=>},
     "vintages": [{"id", "domain", "dataflow", "period", "status", "release_at", "revises", "reason",
                   "content_hash", "documents": "/releases/<id>"}, ...],  (oldest release first)
     "frequencies": [{"id": "H", "sdmx": "S", "label": {...},
                      "bases": {"previous": {<label>}, "yoy": {<label>}},
                      "periods": [{"id": "2025H1", "sdmx": "2025-S1", "label": {...}}, ...]}, ...],
     "breakdowns": [{"id": "category", "sdmx": "CATEGORY", "label": {...},
                     "items": [{"id": "ip_royalties", "sdmx": "ip_royalties", "label": {...},
                                "parent": null}, ...]}, ...],
     "measures": [{"id": "exports_growth_yoy", "label": {...}, "short": {<without the comparison>},
                   "unit": "PC", "frequencies": ["H"], "base": "exports", "kind": "growth",
                   "basis": "yoy"}, ...]}   (basis: previous, yoy or null)

A vintage carries its ``title`` and release ``date`` in both languages (:func:`ktstat.api.home.vintage_words`).

Periods and items are those the vintage holds (periods oldest first, items in code-list order).

``GET /api/table?dataflow=KST&breakdown=category&period=2025H1&period=2024H1&measure=exports
&measure=imports[&vintage=ID][&lang=en|ko]`` -> one row per item of the breakdown, one column
per (period, measure), periods and measures in the order asked::

    {"dataflow": "KST", "vintage": {...}, "lang": "en",
     "breakdown": {"id": "category", "label": "Category"},
     "columns": [{"id": "2025H1.exports", "period": "2025H1", "measure": "exports",
                  "label": "2025 H1 Exports", "period_label": ..., "measure_label": ..., "unit": "USD"}, ...],
     "rows": [{"item": "ip_royalties", "label": "...", "parent": null,
               "values": {"2025H1.exports": 123.0, ...}, "statuses": {"2025H1.exports": "P", ...}}, ...]}

Defaults: ``breakdown=total``; ``period`` the vintage's release period; ``measure`` exports,
imports and balance; ``lang=en``. ``breakdown`` takes the ktstat name (``industry+institution``)
or the SDMX code (``INDUSTRY_X_INSTITUTION``); ``period`` a ktstat label (``2025H1``) or an SDMX
time period (``2025-S1``). A value is ``null`` when its status is ``C`` (confidential) or ``N``
(not meaningful), and status and value are both ``null`` where the vintage has no such cell
(a measure the period's frequency does not have). ``/api/table.csv`` and ``/api/table.xlsx`` give
the same table with the labels in ``lang``: columns item code, item label, then per column its
value and its status.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import orjson

from ktstat.api.home import vintage_words
from ktstat.api.index import AGENCY, FREQ_ORDER, DomainInfo, View, VintageData, period_info
from ktstat.api.query import ApiError, not_found, resolve_flow, resolve_vintage, syntax
from ktstat.indicators import split_measure
from ktstat.publish.sdmx import (
    COMPARED,
    FREQ_NAMES,
    MEASURE_KINDS,
    STATUS_NAMES,
    UNIT_NAMES,
    breakdown_id,
    measure_label,
    period_label,
    unit_measure,
)
from ktstat.release.numbers import period_label as spoken_period
from ktstat.terms import terms

DEFAULT_MEASURES = ("exports", "imports", "balance")
MAX_COLUMNS = 240
KT_FREQ = {"A": "A", "S": "H", "Q": "Q"}


def _label(en: str, ko: str) -> dict[str, str]:
    return {"en": en, "ko": ko}


def short_period(label: str, lang: str) -> str:
    """``2025H1`` -> ``2025 H1`` / ``2025년 상반기``; ``2024`` -> ``2024`` / ``2024년``."""
    return spoken_period(label, "ko") if lang == "ko" else label.replace("H", " H").replace("Q", " Q")


def vintage_doc(vd: VintageData, documents: bool = False) -> dict[str, Any]:
    """A vintage as the JSON endpoints describe it."""
    v = vd.vintage
    doc: dict[str, Any] = {
        "id": v.vintage_id,
        "domain": v.domain,
        "dataflow": vd.info.flow,
        "period": v.period,
        "status": v.status,
        "release_at": v.release_at.isoformat(),
        "revises": v.revises,
        "reason": v.reason,
        "content_hash": v.content_hash,
    }
    if documents:
        doc["documents"] = f"/releases/{v.vintage_id}"
    doc.update(vintage_words(vd))
    return doc


def meta(view: View, dataflow: str | None = None, vintage: str | None = None) -> bytes:
    """``/api/meta`` (module doc)."""
    flows = list(view.flows)
    if dataflow:
        flows = [_flow_id(view, dataflow)]
    elif vintage:
        vd = view.released.get(vintage)
        if vd is None:
            raise not_found(f"no released vintage {vintage!r}")
        flows = [vd.info.flow]
    out = []
    for fid in flows:
        dom = view.flows[fid]
        vd = resolve_vintage(view, dom, vintage)
        out.append(_flow_meta(view, vd))
    doc = {
        "agency": AGENCY,
        "dataflows": out,
        "statuses": {k: _label(*v) for k, v in STATUS_NAMES.items()},
        "units": {k: _label(*v) for k, v in UNIT_NAMES.items()},
    }
    return orjson.dumps(doc)


def _flow_id(view: View, dataflow: str) -> str:
    dom = resolve_flow(view, dataflow)
    return next(f for f, d in view.flows.items() if d == dom)


def _short_measure(base: str, kind: str, lang: str, programme: str) -> str:
    """A measure's name without its comparison (``Exports: growth (%)``), for a list grouped by basis."""
    t = terms(lang, programme)
    try:
        name = t.get("measure", base)
    except KeyError:
        name = base
    return t.fill("measure_kind", kind if kind in MEASURE_KINDS else "level", m=name)


def _bases(freq: str) -> dict[str, dict[str, str]]:
    """The words of each comparison basis of a frequency (``previous half-year``)."""
    names = ("previous",) if freq == "A" else ("previous", "yoy")
    return {n: _label(terms("en").basis(n, freq), terms("ko").basis(n, freq)) for n in names}


def _flow_meta(view: View, vd: VintageData) -> dict[str, Any]:
    info = vd.info
    dom = info.domain
    lists = info.lists
    freqs = []
    for f in sorted(vd.periods, key=FREQ_ORDER.index):
        en, ko = FREQ_NAMES.get(f, (f, f))
        freqs.append(
            {
                "id": KT_FREQ[f],
                "sdmx": f,
                "label": _label(en, ko),
                "bases": _bases(KT_FREQ[f]),
                "periods": [
                    {
                        "id": p.label,
                        "sdmx": p.time,
                        "label": _label(short_period(p.label, "en"), short_period(p.label, "ko")),
                    }
                    for p in vd.periods[f]
                ],
            }
        )
    breakdowns = []
    for name, code in lists.breakdowns.items():
        present = vd.items.get(code.id)
        if not present:
            continue
        items = []
        for it in present:
            c = lists.items[it]
            items.append(
                {"id": it.replace("_X_", "+"), "sdmx": it, "label": _label(c.en, c.ko), "parent": c.parent or None}
            )
        breakdowns.append({"id": name, "sdmx": code.id, "label": _label(code.en, code.ko), "items": items})
    measures = []
    for m in info.codes["MEASURE"]:
        fs = [f for f, ms in lists.measures.items() if m in ms]
        base, kind, yoy = split_measure(m)
        measures.append(
            {
                "id": m,
                "label": _label(*measure_label(m, dom.id)),
                "short": _label(_short_measure(base, kind, "en", dom.id), _short_measure(base, kind, "ko", dom.id)),
                "unit": unit_measure(m),
                "frequencies": fs,
                "base": base,
                "kind": kind,
                "basis": "yoy" if yoy else ("previous" if kind in COMPARED else None),
            }
        )
    return {
        "id": info.flow,
        "domain": dom.id,
        "label": _label(dom.label_en, dom.label_ko),
        "vintage": vintage_doc(vd, documents=True),
        "vintages": [vintage_doc(v, documents=True) for v in view.by_domain[dom.id]],
        "frequencies": freqs,
        "breakdowns": breakdowns,
        "measures": measures,
    }


# The table --------------------------------------------------------------------------------------------


@dataclass
class Column:
    id: str
    period: str
    measure: str
    freq: str  # SDMX
    label: str
    period_label: str
    measure_label: str
    unit: str


@dataclass
class Table:
    vintage: VintageData
    lang: str
    breakdown: str
    breakdown_label: str
    columns: list[Column]
    rows: list[tuple[str, str, str | None, list[float | None], list[str | None]]]  # item, label, parent, ...

    def title(self) -> str:
        dom = self.vintage.info.domain
        return f"{dom.label_ko if self.lang == 'ko' else dom.label_en}: {self.breakdown_label}"

    def filename(self, ext: str) -> str:
        return f"{self.vintage.id}-{self.breakdown.replace('+', '-')}.{ext}"


def _breakdown(info: DomainInfo, text: str) -> str:
    for name, code in info.lists.breakdowns.items():
        if text in (name, code.id):
            return name
    low = text.lower()
    for name, code in info.lists.breakdowns.items():
        if low in (name.lower(), code.id.lower()):
            return name
    raise not_found(f"{info.flow} has no breakdown {text!r}; breakdowns: {', '.join(info.lists.breakdowns)}")


def _period(vd: VintageData, text: str) -> str:
    t = text.strip()
    try:
        label = period_label(t) if "-" in t else period_info(t).label
        period_info(label)
    except ValueError:
        raise syntax(f"period {text!r} is not a period (2024, 2025H1, 2025-S1)") from None
    p = period_info(label)
    if p.freq not in vd.periods or all(q.label != label for q in vd.periods[p.freq]):
        raise not_found(f"vintage {vd.id} has no period {label}")
    return label


def table(
    view: View,
    dataflow: str,
    breakdown: str | None,
    periods: list[str] | None,
    measures: list[str] | None,
    vintage: str | None,
    lang: str,
) -> Table:
    """The table asked (module doc); ``ApiError`` for an unknown dataflow, vintage, breakdown, period
    or measure, a malformed period, an unknown ``lang`` or too many columns."""
    if lang not in ("en", "ko"):
        raise syntax(f"lang={lang!r}: use en or ko")
    dom = resolve_flow(view, dataflow)
    vd = resolve_vintage(view, dom, vintage)
    info = vd.info
    name = _breakdown(info, breakdown or "total")
    code = info.lists.breakdowns[name]
    plist = [_period(vd, p) for p in (periods or [vd.vintage.period])]
    mlist: list[str] = []
    for m in measures or DEFAULT_MEASURES:
        got = info.canonical("MEASURE", m)
        if got is None:
            raise not_found(f"{info.flow} has no measure {m!r}; measures: {', '.join(info.codes['MEASURE'][:12])}, ...")
        mlist.append(got)
    plist = list(dict.fromkeys(plist))
    mlist = list(dict.fromkeys(mlist))
    if len(plist) * len(mlist) > MAX_COLUMNS:
        raise ApiError(413, 510, f"{len(plist) * len(mlist)} columns asked; at most {MAX_COLUMNS} (periods x measures)")
    columns = []
    for p in plist:
        pi = period_info(p)
        for m in mlist:
            ml = measure_label(m, vd.info.domain.id)[1 if lang == "ko" else 0]
            pl = short_period(p, lang)
            columns.append(Column(f"{p}.{m}", p, m, pi.freq, f"{pl} {ml}", pl, ml, unit_measure(m)))
    rows: list[tuple[str, str, str | None, list[float | None], list[str | None]]] = []
    for it in vd.items.get(code.id, []):
        c = info.lists.items[it]
        values: list[float | None] = []
        statuses: list[str | None] = []
        for col in columns:
            s = vd.by_key.get((col.freq, code.id, it, col.measure))
            k = s.at(col.period) if s is not None else -1
            if s is None or k < 0:
                values.append(None)
                statuses.append(None)
                continue
            st = s.statuses[k]
            values.append(None if st in ("C", "N") else s.values[k])
            statuses.append(st)
        rows.append((it.replace("_X_", "+"), c.ko if lang == "ko" else c.en, c.parent or None, values, statuses))
    return Table(vd, lang, name, code.ko if lang == "ko" else code.en, columns, rows)


def table_json(t: Table) -> bytes:
    """``/api/table`` (module doc)."""
    ids = [c.id for c in t.columns]
    return orjson.dumps(
        {
            "dataflow": t.vintage.info.flow,
            "vintage": vintage_doc(t.vintage),
            "lang": t.lang,
            "breakdown": {"id": t.breakdown, "sdmx": breakdown_id(t.breakdown), "label": t.breakdown_label},
            "columns": [
                {
                    "id": c.id,
                    "period": c.period,
                    "measure": c.measure,
                    "label": c.label,
                    "period_label": c.period_label,
                    "measure_label": c.measure_label,
                    "unit": c.unit,
                }
                for c in t.columns
            ],
            "rows": [
                {
                    "item": item,
                    "label": label,
                    "parent": parent,
                    "values": dict(zip(ids, vals, strict=True)),
                    "statuses": dict(zip(ids, sts, strict=True)),
                }
                for item, label, parent, vals, sts in t.rows
            ],
        }
    )


_HEAD = {"en": ("Item code", "Item", "status"), "ko": ("항목 코드", "항목", "상태")}


def _header(t: Table) -> list[str]:
    code, item, status = _HEAD[t.lang]
    head = [code, item]
    for c in t.columns:
        head += [f"{c.label} ({c.unit})", f"{c.label}: {status}"]
    return head


def table_csv(t: Table) -> bytes:
    """``/api/table.csv``: item code, item label, then value and status per column (UTF-8 with BOM,
    so spreadsheet programs read the Korean labels)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_header(t))
    for item, label, _parent, vals, sts in t.rows:
        line: list[Any] = [item, label]
        for v, s in zip(vals, sts, strict=True):
            line += ["" if v is None else repr(v), s or ""]
        w.writerow(line)
    return ("\ufeff" + buf.getvalue()).encode()


def table_xlsx(t: Table) -> bytes:
    """``/api/table.xlsx``: the title, the vintage, the header and the rows (numbers stored as they
    are), then the notes on the statuses."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "table"
    v = t.vintage.vintage
    ws.append([t.title()])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([f"{v.vintage_id} ({v.status}), {v.release_at.isoformat()}, sha256 {v.content_hash}"])
    ws.append([])
    ws.append(_header(t))
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for item, label, _parent, vals, sts in t.rows:
        line: list[Any] = [item, label]
        for val, s in zip(vals, sts, strict=True):
            line += [val, s or ""]
        ws.append(line)
    ws.append([])
    for k, (en, ko) in STATUS_NAMES.items():
        ws.append([k, ko if t.lang == "ko" else en])
    ws.freeze_panes = "C5"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
