"""Response formats of the data endpoint, content negotiation, and SDMX error messages.

Data formats (``format=`` wins over the ``Accept`` header; no ``Accept``, ``*/*`` or
``application/xml`` give SDMX-ML):

=========================  ===================================================================  ==============
``format=``                media type                                                           also by Accept
=========================  ===================================================================  ==============
``jsondata``               ``application/vnd.sdmx.data+json;version=2.0.0`` (SDMX-JSON 2.0)     ``application/json``
``csv``                    ``application/vnd.sdmx.data+csv;version=1.0.0`` (SDMX-CSV 1.0)       ``text/csv``
``structurespecificdata``  ``application/vnd.sdmx.structurespecificdata+xml;version=2.1``        ``application/xml``
``plaincsv``               ``text/csv`` (ktstat codes: domain,period,breakdown,item,measure,...)  --
=========================  ===================================================================  ==============

SDMX-CSV and SDMX-ML are written by the writers of :mod:`ktstat.publish.sdmx` (byte for byte
the layout of a release's ``data.csv`` / ``data.xml``). SDMX-JSON 2.0 data messages: one
structure (dimensions with the codes present, names in English and Korean, ``TIME_PERIOD`` at
the observation level with each period's start and end), one data set; series keyed
``"f:b:i:m"`` (indices into the dimension values); each observation ``[OBS_VALUE, OBS_STATUS
index]``; ``UNIT_MEASURE`` a series attribute. Confidential (``C``) and not-meaningful
(``N``) observations have ``OBS_VALUE`` ``null`` (empty in CSV, no attribute in XML): the value
is never written. The vintage served is named in the annotations (JSON), the response header
``X-Ktstat-Vintage`` and the message id.

Errors: SDMX-JSON ``{"meta": {...}, "errors": [{"code", "title", "detail"}]}``, or an SDMX-ML
2.1 ``Error`` message when the request asked for XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import orjson

from ktstat.api import sdmxids
from ktstat.api.index import AGENCY, KEY_DIMENSIONS, STATUS_ORDER, VERSION, PeriodInfo
from ktstat.api.query import ApiError, Selection
from ktstat.publish.sdmx import CONCEPT_NAMES, NS

JSON_SCHEMA = ("https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/"
               "sdmx-json-data-schema.json")


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    errors: str  # "json" or "xml"


JSONDATA = Format("jsondata", "application/vnd.sdmx.data+json;version=2.0.0", "json")
SDMXCSV = Format("csv", "application/vnd.sdmx.data+csv;version=1.0.0", "json")
SSXML = Format("structurespecificdata", "application/vnd.sdmx.structurespecificdata+xml;version=2.1", "xml")
PLAINCSV = Format("plaincsv", "text/csv; charset=utf-8", "json")
DATA_FORMATS = {f.name: f for f in (JSONDATA, SDMXCSV, SSXML, PLAINCSV)}
FORMAT_ALIASES = {"json": JSONDATA, "sdmx-json": JSONDATA, "sdmx-csv": SDMXCSV, "xml": SSXML, "sdmx-ml": SSXML,
                  "structure-specific": SSXML}
STRUCTURE_TYPE = "application/vnd.sdmx.structure+xml;version=2.1"


def _media_ranges(accept: str) -> list[tuple[str, dict[str, str], float, int]]:
    out = []
    for n, part in enumerate(accept.split(",")):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        params: dict[str, str] = {}
        for b in bits[1:]:
            k, _, v = b.partition("=")
            params[k.strip().lower()] = v.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 0.0
        out.append((bits[0].lower(), params, q, n))
    out.sort(key=lambda t: (-t[2], t[3]))
    return out


def _data_format_of(media: str, params: dict[str, str]) -> Format | None:
    version = params.get("version", "")
    if media == "application/vnd.sdmx.data+json":
        return JSONDATA if version in ("", "2.0.0", "2.0", "2") else None
    if media == "application/json":
        return JSONDATA
    if media == "application/vnd.sdmx.data+csv":
        return SDMXCSV if version in ("", "1.0.0", "1.0", "1") else None
    if media in ("text/csv", "text/*"):
        return SDMXCSV
    if media == "application/vnd.sdmx.structurespecificdata+xml":
        return SSXML if version in ("", "2.1") else None
    if media in ("application/xml", "text/xml", "*/*", "application/*"):
        return SSXML
    return None


def data_format(format_param: str | None, accept: str | None) -> Format:
    """The data format asked by ``format=`` or, without it, the ``Accept`` header (module doc);
    ``ApiError`` 406 when none is supported."""
    if format_param:
        got = DATA_FORMATS.get(format_param.lower()) or FORMAT_ALIASES.get(format_param.lower())
        if got is None:
            raise ApiError(406, 1406, f"format={format_param!r} is not supported; use one of "
                           f"{', '.join(DATA_FORMATS)}")
        return got
    if not accept or not accept.strip():
        return SSXML
    for media, params, q, _ in _media_ranges(accept):
        if q <= 0:
            continue
        got = _data_format_of(media, params)
        if got is not None:
            return got
    raise ApiError(406, 1406, f"no supported data format in Accept: {accept!r}; supported: "
                   + ", ".join(f.media_type for f in (JSONDATA, SDMXCSV, SSXML)) + " (or format=plaincsv)")


def structure_format(accept: str | None) -> None:
    """Check that SDMX-ML 2.1 structure messages are acceptable (``ApiError`` 406 otherwise)."""
    if not accept or not accept.strip():
        return
    for media, params, q, _ in _media_ranges(accept):
        if q <= 0:
            continue
        if media in ("*/*", "application/*", "application/xml", "text/xml", "text/*") or (
                media == "application/vnd.sdmx.structure+xml" and params.get("version", "2.1") == "2.1"):
            return
    raise ApiError(406, 1406, f"structures are served as {STRUCTURE_TYPE} only, not {accept!r}")


def wants_xml(accept: str | None, format_param: str | None = None) -> bool:
    """Whether an error should be an SDMX-ML message: the request asked for XML (or for nothing)."""
    if format_param:
        f = DATA_FORMATS.get(format_param.lower()) or FORMAT_ALIASES.get(format_param.lower())
        if f is not None:
            return f.errors == "xml"
    if not accept:
        return True
    for media, _params, q, _ in _media_ranges(accept):
        if q > 0:
            return "xml" in media or media in ("*/*", "application/*")
    return False


# Errors ----------------------------------------------------------------------------------------------


def error_json(code: int, title: str, detail: str, prepared: datetime) -> bytes:
    """SDMX-JSON error message."""
    return orjson.dumps({
        "meta": {"id": f"ERROR_{code}", "test": False, "prepared": prepared.isoformat(), "sender": {"id": AGENCY},
                 "contentLanguages": ["en"]},
        "errors": [{"code": code, "title": title, "detail": detail}],
    })


def error_xml(code: int, title: str, detail: str) -> bytes:
    """SDMX-ML 2.1 Error message."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<message:Error xmlns:message="{NS}/message" xmlns:common="{NS}/common">\n'
        f'  <message:ErrorMessage code="{code}">\n'
        f'    <common:Text xml:lang="en">{escape(title)}: {escape(detail)}</common:Text>\n'
        "  </message:ErrorMessage>\n"
        "</message:Error>\n"
    ).encode()


# Data ---------------------------------------------------------------------------------------------------


def render(sel: Selection, fmt: Format, prepared: datetime) -> bytes:
    """The selection in format ``fmt``."""
    if fmt is JSONDATA:
        return sdmx_json(sel, prepared)
    if fmt is PLAINCSV:
        return plain_csv(sel)
    info = sel.vintage.info
    obs = [sdmxids.observation(s.freq, s.breakdown, s.item, s.measure, s.periods[i].time, s.values[i], s.statuses[i])
           for s, idx in sel.parts for i in idx]
    if fmt is SDMXCSV:
        return sdmxids.csv_text(sdmxids.flow_ref(info.domain, AGENCY, VERSION), obs).encode()
    return sdmxids.xml_text(info.domain, AGENCY, VERSION, prepared, obs).encode()


def plain_csv(sel: Selection) -> bytes:
    """``domain,period,breakdown,item,measure,value,status`` with ktstat codes, one row per observation."""
    dom = sel.vintage.vintage.domain
    lines = ["domain,period,breakdown,item,measure,value,status"]
    for s, idx in sel.parts:
        head = f"{dom},"
        tail = f",{s.kt_breakdown},{s.kt_item},{s.measure},"
        for i in idx:
            v = s.values[i]
            st = s.statuses[i]
            text = "" if v is None or st in ("C", "N") else repr(v)
            lines.append(f"{head}{s.periods[i].label}{tail}{text},{st}")
    return ("\n".join(lines) + "\n").encode()


def _names(en: str, ko: str) -> dict[str, Any]:
    return {"name": en, "names": {"en": en, "ko": ko}}


def _time_value(p: PeriodInfo) -> dict[str, Any]:
    return {"id": p.time, "name": p.time, "names": {"en": p.time}, "start": f"{p.start.isoformat()}T00:00:00Z",
            "end": f"{p.end.isoformat()}T23:59:59Z"}


def sdmx_json(sel: Selection, prepared: datetime) -> bytes:
    """SDMX-JSON 2.0 data message of the selection (module doc)."""
    vd = sel.vintage
    info = vd.info
    flow = info.flow
    # the codes present, in code-list order, per key dimension
    present: list[set[str]] = [set(), set(), set(), set()]
    units: set[str] = set()
    times: dict[str, PeriodInfo] = {}
    statuses: set[str] = set()
    for s, idx in sel.parts:
        present[0].add(s.freq)
        present[1].add(s.breakdown)
        present[2].add(s.item)
        present[3].add(s.measure)
        units.add(s.unit)
        for i in idx:
            p = s.periods[i]
            times[p.time] = p
            statuses.add(s.statuses[i])
    values = [sorted(codes, key=info.rank[d].__getitem__) for codes, d in zip(present, KEY_DIMENSIONS, strict=True)]
    pos = [{c: n for n, c in enumerate(vs)} for vs in values]
    time_list = sorted(times.values(), key=lambda p: (p.start, p.end))
    tpos = {p.time: n for n, p in enumerate(time_list)}
    unit_list = sorted(units)
    upos = {u: n for n, u in enumerate(unit_list)}
    status_list = [s for s in STATUS_ORDER if s in statuses]
    spos = {s: n for n, s in enumerate(status_list)}

    tkey = {t: str(n) for t, n in tpos.items()}
    series: dict[str, Any] = {}
    for s, idx in sel.parts:
        k = f"{pos[0][s.freq]}:{pos[1][s.breakdown]}:{pos[2][s.item]}:{pos[3][s.measure]}"
        periods, vals, sts = s.periods, s.values, s.statuses
        obs: dict[str, list[Any]] = {}
        for i in idx:
            st = sts[i]
            obs[tkey[periods[i].time]] = [None if st in ("C", "N") else vals[i], spos[st]]
        series[k] = {"attributes": [upos[s.unit]], "observations": obs}

    def code_values(dim: str, codes: list[str]) -> list[dict[str, Any]]:
        return [info.code_value(dim, c) for c in codes]

    vin = vd.vintage
    urn_flow = f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{flow}({VERSION})"
    urn_dsd = f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:DSD_{flow}({VERSION})"
    doc = {
        "meta": {"schema": JSON_SCHEMA, "id": f"{flow}_DATA_{vin.vintage_id.replace('-', '_')}", "test": False,
                 "prepared": prepared.isoformat(), "contentLanguages": ["en", "ko"], "sender": {"id": AGENCY}},
        "data": {
            "structures": [{
                "links": [{"rel": "dataflow", "urn": urn_flow}, {"rel": "datastructure", "urn": urn_dsd}],
                **_names(info.domain.label_en, info.domain.label_ko),
                "dataSets": [0],
                "dimensions": {
                    "dataSet": [],
                    "series": [{"id": d, **_names(*CONCEPT_NAMES[d]), "keyPosition": n,
                                "roles": [d] if d == "FREQ" else [], "values": code_values(d, values[n])}
                               for n, d in enumerate(KEY_DIMENSIONS)],
                    "observation": [{"id": "TIME_PERIOD", **_names(*CONCEPT_NAMES["TIME_PERIOD"]), "keyPosition": 4,
                                     "roles": ["TIME_PERIOD"], "values": [_time_value(p) for p in time_list]}],
                },
                "measures": {"observation": [{"id": "OBS_VALUE", **_names(*CONCEPT_NAMES["OBS_VALUE"]),
                                              "roles": ["OBS_VALUE"]}]},
                "attributes": {
                    "dataSet": [],
                    "series": [{"id": "UNIT_MEASURE", **_names(*CONCEPT_NAMES["UNIT_MEASURE"]),
                                "relationship": {"dimensions": list(KEY_DIMENSIONS)},
                                "values": code_values("UNIT_MEASURE", unit_list)}],
                    "observation": [{"id": "OBS_STATUS", **_names(*CONCEPT_NAMES["OBS_STATUS"]),
                                     "relationship": {"observation": {}},
                                     "values": code_values("OBS_STATUS", status_list)}],
                },
                "annotations": [
                    {"id": "vintage", "type": "KTSTAT_VINTAGE", "title": vin.vintage_id,
                     "text": f"{vin.status} release of {vin.period}, released {vin.release_at.isoformat()}, "
                             f"sha256 {vin.content_hash}"},
                ],
            }],
            "dataSets": [{
                "structure": 0,
                "action": "Information",
                "links": [{"rel": "dataflow", "urn": urn_flow}],
                "annotations": [0],
                "series": series,
            }],
        },
    }
    return orjson.dumps(doc)
