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

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import orjson

from ktstat.api.index import AGENCY, KEY_DIMENSIONS, STATUS_ORDER, VERSION, PeriodInfo
from ktstat.api.query import ApiError, Selection
from ktstat.publish import sdmx as sdmx_publish
from ktstat.publish.sdmx import CONCEPT_NAMES, NS, Observation
from ktstat.publish.sdmx.data import ALL_DIMENSIONS, WRITERS, DataHeader, DataWriter
from ktstat.publish.sdmx.data import DETAILS as DATA_DETAILS

JSON_SCHEMA = (
    "https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/"
    "sdmx-json-data-schema.json"
)


@dataclass(frozen=True)
class Format:
    """A data format of the API: ``format=`` name, media type, how errors are answered beside it,
    and the writer of :mod:`ktstat.publish.sdmx.data` that makes it (``None``: made here)."""

    name: str
    media_type: str
    errors: str  # "json" or "xml"
    writer: DataWriter | None = None
    json_version: int = 0  # SDMX-JSON: its major version (made by :func:`sdmx_json_chunks`); 0: not SDMX-JSON


def _of(w: DataWriter) -> Format:
    return Format(w.name, w.media_type, w.errors, w)


JSONDATA = Format("jsondata", "application/vnd.sdmx.data+json;version=2.0.0", "json", json_version=2)
JSONDATA1 = Format("jsondata1", "application/vnd.sdmx.data+json;version=1.0.0", "json", json_version=1)
SDMXCSV = _of(WRITERS["csv"])
SDMXCSV2 = _of(WRITERS["csv2"])
SSXML = _of(WRITERS["structurespecificdata"])
GENERIC = _of(WRITERS["genericdata"])
PLAINCSV = Format("plaincsv", "text/csv; charset=utf-8", "json")
DATA_FORMATS = {f.name: f for f in (GENERIC, SSXML, JSONDATA, JSONDATA1, SDMXCSV, SDMXCSV2, PLAINCSV)}
FORMAT_ALIASES = {
    "json": JSONDATA,
    "sdmx-json": JSONDATA,
    "sdmx-json-1": JSONDATA1,
    "sdmx-csv": SDMXCSV,
    "sdmx-csv2": SDMXCSV2,
    "csvfile": SDMXCSV,
    "xml": GENERIC,
    "sdmx-ml": GENERIC,
    "generic": GENERIC,
    "structure-specific": SSXML,
    "structure": SSXML,
}
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


def _major(version: str) -> str:
    return version.split(".")[0] if version else ""


def _data_format_of(media: str, params: dict[str, str]) -> Format | None:
    version = params.get("version", "")
    major = _major(version)
    if media == "application/vnd.sdmx.data+json":
        return {"": JSONDATA, "2": JSONDATA, "1": JSONDATA1}.get(major)
    if media in ("application/json", "text/json"):
        return JSONDATA
    if media == "application/vnd.sdmx.data+csv":
        return {"": SDMXCSV, "1": SDMXCSV, "2": SDMXCSV2}.get(major)
    if media in ("text/csv", "text/*"):
        return SDMXCSV
    if media in ("application/vnd.sdmx.structurespecificdata+xml", "application/vnd.sdmx.structurespecific+xml"):
        return SSXML if version in ("", "2.1") else None
    if media in ("application/vnd.sdmx.genericdata+xml", "application/vnd.sdmx.generic+xml"):
        return GENERIC if version in ("", "2.1") else None
    if media in ("application/xml", "text/xml", "*/*", "application/*"):
        return GENERIC if version in ("", "2.1") else None
    return None


def data_format(format_param: str | None, accept: str | None) -> Format:
    """The data format asked by ``format=`` or, without it, the ``Accept`` header (module doc);
    ``ApiError`` 406 when none is supported."""
    if format_param:
        got = DATA_FORMATS.get(format_param.lower()) or FORMAT_ALIASES.get(format_param.lower())
        if got is None:
            raise ApiError(406, 1406, f"format={format_param!r} is not supported; use one of {', '.join(DATA_FORMATS)}")
        return got
    if not accept or not accept.strip():
        return GENERIC
    for media, params, q, _ in _media_ranges(accept):
        if q <= 0:
            continue
        got = _data_format_of(media, params)
        if got is not None:
            return got
    raise ApiError(
        406,
        1406,
        f"no supported data format in Accept: {accept!r}; supported: "
        + ", ".join(f.media_type for f in DATA_FORMATS.values() if f is not PLAINCSV)
        + " (or format=plaincsv)",
    )


def structure_format(accept: str | None) -> None:
    """Check that SDMX-ML 2.1 structure messages are acceptable (``ApiError`` 406 otherwise)."""
    if not accept or not accept.strip():
        return
    for media, params, q, _ in _media_ranges(accept):
        if q <= 0:
            continue
        if media in ("*/*", "application/*", "application/xml", "text/xml", "text/*") or (
            media == "application/vnd.sdmx.structure+xml" and params.get("version", "2.1") == "2.1"
        ):
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
    return orjson.dumps(
        {
            "meta": {
                "id": f"ERROR_{code}",
                "test": False,
                "prepared": prepared.isoformat(),
                "sender": {"id": AGENCY},
                "contentLanguages": ["en"],
            },
            "errors": [{"code": code, "title": title, "detail": detail}],
        }
    )


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


def render(
    sel: Selection, fmt: Format, prepared: datetime, detail: str = "full", dim_at_obs: str = "TIME_PERIOD"
) -> bytes:
    """The selection in format ``fmt``, with SDMX REST ``detail`` and ``dimensionAtObservation``
    (checked by :func:`check_data_options` first)."""
    if fmt.json_version:
        return sdmx_json(sel, prepared, detail, dim_at_obs, version=fmt.json_version)
    if fmt is PLAINCSV:
        return plain_csv(sel)
    assert fmt.writer is not None
    out = io.StringIO()
    fmt.writer.write(out, header(sel, prepared, detail, dim_at_obs), iter_observations(sel))
    return out.getvalue().encode()


def render_many(
    sels: list[Selection], fmt: Format, prepared: datetime, detail: str = "full", dim_at_obs: str = "TIME_PERIOD"
) -> bytes:
    """One selection as :func:`render`; several (``includeHistory``: one per vintage, oldest first) as
    one message with a data set each, ``validFrom`` the vintage's release time (SDMX-ML, SDMX-JSON 2.0)."""
    if len(sels) == 1:
        return render(sels[0], fmt, prepared, detail, dim_at_obs)
    if fmt is JSONDATA:
        docs = [orjson.loads(sdmx_json(s, prepared, detail, dim_at_obs)) for s in sels]
        out = docs[-1]
        out["data"]["structures"] = [d["data"]["structures"][0] for d in docs]
        sets = []
        for n, (d, s) in enumerate(zip(docs, sels, strict=True)):
            ds = d["data"]["dataSets"][0]
            ds["structure"] = n
            ds["validFrom"] = s.vintage.vintage.release_at.isoformat()
            sets.append(ds)
        out["data"]["dataSets"] = sets
        return orjson.dumps(out)
    if fmt.writer is None or fmt.writer.write_sets is None:
        raise ApiError(400, 150, f"several data sets (includeHistory) cannot be written as {fmt.name}")
    buf = io.StringIO()
    fmt.writer.write_sets(
        buf,
        header(sels[-1], prepared, detail, dim_at_obs),
        [(s.vintage.vintage.release_at.isoformat(), iter_observations(s)) for s in sels],
    )
    return buf.getvalue().encode()


def availability_xml(sel: Selection, component: str | None, prepared: datetime) -> bytes:
    """SDMX-ML 2.1 Structure message with the actual ``ContentConstraint`` of a selection: per
    dimension (only ``component`` when given) the codes with observations, the time range, and the
    number of observations (annotation ``obs_count``)."""
    info = sel.vintage.info
    flow = info.flow
    present: dict[str, set[str]] = {d: set() for d in KEY_DIMENSIONS}
    first = last = None
    for s, idx in sel.parts:
        present["FREQ"].add(s.freq)
        present["BREAKDOWN"].add(s.breakdown)
        present["ITEM"].add(s.item)
        present["MEASURE"].add(s.measure)
        for i in idx:
            p = s.periods[i]
            first = p.start if first is None or p.start < first else first
            last = p.end if last is None or p.end > last else last
    lines = []
    for d in KEY_DIMENSIONS:
        if component not in (None, d):
            continue
        codes = sorted(present[d], key=info.rank[d].__getitem__)
        lines.append(
            f'          <common:KeyValue id="{d}">'
            + "".join(f"<common:Value>{escape(c)}</common:Value>" for c in codes)
            + "</common:KeyValue>"
        )
    if component in (None, "TIME_PERIOD") and first is not None and last is not None:
        lines.append(
            '          <common:KeyValue id="TIME_PERIOD"><common:TimeRange>'
            f'<common:StartPeriod isInclusive="true">{first.isoformat()}T00:00:00</common:StartPeriod>'
            f'<common:EndPeriod isInclusive="true">{last.isoformat()}T23:59:59</common:EndPeriod>'
            "</common:TimeRange></common:KeyValue>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<message:Structure xmlns:message="{NS}/message" xmlns:common="{NS}/common" '
        f'xmlns:structure="{NS}/structure">\n'
        "  <message:Header>\n"
        f"    <message:ID>{flow}_AVAILABILITY_{sel.vintage.id.replace('-', '_')}</message:ID>\n"
        "    <message:Test>false</message:Test>\n"
        f"    <message:Prepared>{prepared.isoformat()}</message:Prepared>\n"
        f'    <message:Sender id="{AGENCY}"/>\n'
        "  </message:Header>\n"
        "  <message:Structures>\n"
        "    <structure:Constraints>\n"
        f'      <structure:ContentConstraint id="CC_{flow}" agencyID="{AGENCY}" version="{VERSION}" '
        'isFinal="false" type="Actual">\n'
        '        <common:Annotations><common:Annotation id="obs_count">'
        f"<common:AnnotationTitle>{sel.observations}</common:AnnotationTitle>"
        "<common:AnnotationType>sdmx_metrics</common:AnnotationType></common:Annotation></common:Annotations>\n"
        f'        <common:Name xml:lang="en">Data available in {flow} ({sel.vintage.id})</common:Name>\n'
        "        <structure:ConstraintAttachment><structure:Dataflow>"
        f'<Ref agencyID="{AGENCY}" id="{flow}" version="{VERSION}" package="datastructure" class="Dataflow"/>'
        "</structure:Dataflow></structure:ConstraintAttachment>\n"
        '        <structure:CubeRegion include="true">\n' + "\n".join(lines) + "\n"
        "        </structure:CubeRegion>\n"
        "      </structure:ContentConstraint>\n"
        "    </structure:Constraints>\n"
        "  </message:Structures>\n"
        "</message:Structure>\n"
    ).encode()


def header(sel: Selection, prepared: datetime, detail: str = "full", dim_at_obs: str = "TIME_PERIOD") -> DataHeader:
    """The data message header of a selection (the vintage in the message id)."""
    flow = sel.vintage.info.flow
    return DataHeader(
        flow, AGENCY, VERSION, prepared, f"{flow}_DATA_{sel.vintage.id.replace('-', '_')}", dim_at_obs, detail
    )


def iter_observations(sel: Selection) -> Iterator[Observation]:
    """The selection's observations in series order, as the writers take them."""
    obs = sdmx_publish.Observation
    for s, idx in sel.parts:
        for i in idx:
            st = s.statuses[i]
            v = s.values[i]
            yield obs(
                s.freq,
                s.breakdown,
                s.item,
                s.measure,
                s.periods[i].time,
                "" if st in ("C", "N") or v is None else repr(v),
                st,
            )


DIM_CHOICES = (*KEY_DIMENSIONS, "TIME_PERIOD", ALL_DIMENSIONS)


def check_data_options(fmt: Format, detail: str | None, dim_at_obs: str | None) -> tuple[str, str]:
    """``detail`` and ``dimensionAtObservation`` as given or defaulted (``full``, ``TIME_PERIOD``);
    ``ApiError`` 400 (150) for values SDMX does not define or this format cannot carry."""
    d = detail or "full"
    if d not in DATA_DETAILS:
        raise ApiError(400, 150, f"detail={detail!r}: use one of {', '.join(DATA_DETAILS)}")
    dim = dim_at_obs or "TIME_PERIOD"
    if dim not in DIM_CHOICES:
        raise ApiError(400, 150, f"dimensionAtObservation={dim_at_obs!r}: use one of {', '.join(DIM_CHOICES)}")
    if fmt in (JSONDATA, JSONDATA1) and dim not in ("TIME_PERIOD", ALL_DIMENSIONS):
        raise ApiError(
            400,
            150,
            f"dimensionAtObservation={dim}: SDMX-JSON here has TIME_PERIOD or AllDimensions at "
            "the observation level; SDMX-ML and SDMX-CSV take any dimension",
        )
    if fmt is PLAINCSV and (d != "full" or dim != "TIME_PERIOD"):
        raise ApiError(400, 150, "format=plaincsv is the indicators table: no detail or dimensionAtObservation")
    return d, dim


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
    return {
        "id": p.time,
        "name": p.time,
        "names": {"en": p.time},
        "start": f"{p.start.isoformat()}T00:00:00Z",
        "end": f"{p.end.isoformat()}T23:59:59Z",
    }


def sdmx_json(
    sel: Selection, prepared: datetime, detail: str = "full", dim_at_obs: str = "TIME_PERIOD", version: int = 2
) -> bytes:
    """The SDMX-JSON data message of :func:`sdmx_json_chunks`, in one piece."""
    return b"".join(sdmx_json_chunks(sel, prepared, detail, dim_at_obs, version))


JSON_CHUNK = 1 << 16  # bytes: the size of the pieces of a streamed SDMX-JSON message
_ENTRIES = "__ktstat_entries_7f3c__"  # stands for the data set's series (or observations) while the rest is written


def sdmx_json_chunks(
    sel: Selection, prepared: datetime, detail: str = "full", dim_at_obs: str = "TIME_PERIOD", version: int = 2
) -> Iterator[bytes]:
    """SDMX-JSON data message of the selection: version 2.0 (module doc) or 1.0 (``header``,
    ``structure``, ``dataSets`` at the top; names in English only, as 1.0 readers such as sdmx1
    expect). ``detail``: ``dataonly`` drops the attributes, ``serieskeysonly`` and ``nodata`` the
    observations (``serieskeysonly`` also the attributes). ``dim_at_obs``: ``TIME_PERIOD`` (series
    keyed ``"f:b:i:m"``) or ``AllDimensions`` (observations keyed ``"f:b:i:m:t"``, no series).

    Yields the message's bytes in pieces of about ``JSON_CHUNK`` bytes: the series (or
    observations) are made and written one at a time, so a large message is never held whole;
    joined, the pieces are exactly ``orjson.dumps`` of the whole message."""
    vd = sel.vintage
    info = vd.info
    flow = info.flow
    flat = dim_at_obs == ALL_DIMENSIONS
    with_obs = detail in ("full", "dataonly")
    with_attrs = detail in ("full", "nodata")
    # the codes present, in code-list order, per key dimension
    parts = sel.parts
    present: list[set[str]] = [
        {s.freq for s, _ in parts},
        {s.breakdown for s, _ in parts},
        {s.item for s, _ in parts},
        {s.measure for s, _ in parts},
    ]
    units = {s.unit for s, _ in parts}
    times: dict[str, PeriodInfo] = {}
    statuses: set[str] = set()
    for s, idx in parts:
        pers, sts = s.periods, s.statuses
        for i in idx:
            p = pers[i]
            times[p.time] = p
            statuses.add(sts[i])
    values = [sorted(codes, key=info.rank[d].__getitem__) for codes, d in zip(present, KEY_DIMENSIONS, strict=True)]
    p0, p1, p2, p3 = ({c: str(n) for n, c in enumerate(vs)} for vs in values)
    time_list = sorted(times.values(), key=lambda p: (p.start, p.end))  # also without observations: the schema
    tkey = {p.time: str(n) for n, p in enumerate(time_list)}
    unit_list = sorted(units)
    upos = {u: n for n, u in enumerate(unit_list)}
    status_list = [s for s in STATUS_ORDER if s in statuses]
    spos = {s: n for n, s in enumerate(status_list)}
    obs_attrs = detail == "full"
    hidden = ("C", "N")

    def entries() -> Iterator[tuple[str, Any]]:
        """The data set's series (or, flat, observations), key and content, in SDMX order."""
        for s, idx in parts:
            k = f"{p0[s.freq]}:{p1[s.breakdown]}:{p2[s.item]}:{p3[s.measure]}"
            pers, vals, sts = s.periods, s.values, s.statuses
            if flat:
                u = upos[s.unit]
                for i in idx:
                    st = sts[i]
                    v = None if st in hidden else vals[i]
                    yield f"{k}:{tkey[pers[i].time]}", ([v, spos[st], u] if obs_attrs else [v])
                continue
            entry: dict[str, Any] = {}
            if with_attrs:
                entry["attributes"] = [upos[s.unit]]
            if with_obs:
                if obs_attrs:
                    entry["observations"] = {
                        tkey[pers[i].time]: [None if sts[i] in hidden else vals[i], spos[sts[i]]] for i in idx
                    }
                else:
                    entry["observations"] = {tkey[pers[i].time]: [None if sts[i] in hidden else vals[i]] for i in idx}
            yield k, entry

    def named(en: str, ko: str) -> dict[str, Any]:
        return _names(en, ko) if version == 2 else {"name": en}

    def code_values(dim: str, codes: list[str]) -> list[dict[str, Any]]:
        if version == 2:
            return [info.code_value(dim, c) for c in codes]
        return [{"id": c, "name": info.code_label(dim, c)[0]} for c in codes]

    def time_value(p: PeriodInfo) -> dict[str, Any]:
        got = _time_value(p)
        return got if version == 2 else {"id": got["id"], "name": got["name"], "start": got["start"], "end": got["end"]}

    key_dims = [
        {
            "id": d,
            **named(*CONCEPT_NAMES[d]),
            "keyPosition": n,
            "roles": [d] if d == "FREQ" else [],
            "values": code_values(d, values[n]),
        }
        for n, d in enumerate(KEY_DIMENSIONS)
    ]
    time_dim = {
        "id": "TIME_PERIOD",
        **named(*CONCEPT_NAMES["TIME_PERIOD"]),
        "keyPosition": 4,
        "roles": ["TIME_PERIOD"],
        "values": [time_value(p) for p in time_list],
    }
    unit_attr = {
        "id": "UNIT_MEASURE",
        **named(*CONCEPT_NAMES["UNIT_MEASURE"]),
        "relationship": {"dimensions": list(KEY_DIMENSIONS)},
        "values": code_values("UNIT_MEASURE", unit_list),
    }
    status_attr = {
        "id": "OBS_STATUS",
        **named(*CONCEPT_NAMES["OBS_STATUS"]),
        "relationship": {"observation": {}},
        "values": code_values("OBS_STATUS", status_list),
    }
    attributes: dict[str, list[Any]] = {"dataSet": [], "series": [], "observation": []}
    if obs_attrs:
        attributes["observation"] = [status_attr, unit_attr] if flat else [status_attr]
    if with_attrs and not flat:
        attributes["series"] = [unit_attr]
    elif detail == "nodata" and flat:
        attributes["observation"] = [unit_attr]
    structure: dict[str, Any] = {
        **named(info.domain.label_en, info.domain.label_ko),
        "dimensions": {
            "dataSet": [],
            "series": [] if flat else key_dims,
            "observation": [*key_dims, time_dim] if flat else [time_dim],
        },
        "measures": {
            "observation": [{"id": "OBS_VALUE", **named(*CONCEPT_NAMES["OBS_VALUE"]), "roles": ["OBS_VALUE"]}]
        },
        "attributes": attributes,
    }
    vin = vd.vintage
    note = f"{vin.status} release of {vin.period}, released {vin.release_at.isoformat()}, sha256 {vin.content_hash}"
    dataset: dict[str, Any] = {"action": "Information"}
    dataset["observations" if flat else "series"] = _ENTRIES
    msg_id = f"{flow}_DATA_{vin.vintage_id.replace('-', '_')}"
    if version == 1:
        structure["annotations"] = [{"id": "vintage", "type": "KTSTAT_VINTAGE", "title": vin.vintage_id, "text": note}]
        doc: dict[str, Any] = {
            "header": {"id": msg_id, "test": False, "prepared": prepared.isoformat(), "sender": {"id": AGENCY}},
            "structure": structure,
            "dataSets": [dataset],
        }
        yield from _with_entries(orjson.dumps(doc), entries())
        return
    urn_flow = f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{flow}({VERSION})"
    urn_dsd = f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:DSD_{flow}({VERSION})"
    structure = {
        "links": [{"rel": "dataflow", "urn": urn_flow}, {"rel": "datastructure", "urn": urn_dsd}],
        **structure,
        "dataSets": [0],
        "annotations": [{"id": "vintage", "type": "KTSTAT_VINTAGE", "title": vin.vintage_id, "text": note}],
    }
    dataset = {
        "structure": 0,
        "action": "Information",
        "links": [{"rel": "dataflow", "urn": urn_flow}],
        "annotations": [0],
        **{k: v for k, v in dataset.items() if k != "action"},
    }
    doc = {
        "meta": {
            "schema": JSON_SCHEMA,
            "id": msg_id,
            "test": False,
            "prepared": prepared.isoformat(),
            "contentLanguages": ["en", "ko"],
            "sender": {"id": AGENCY},
        },
        "data": {"structures": [structure], "dataSets": [dataset]},
    }
    yield from _with_entries(orjson.dumps(doc), entries())


def _with_entries(doc: bytes, entries: Iterator[tuple[str, Any]]) -> Iterator[bytes]:
    """``doc`` (one JSON document with the placeholder string where the entries go) with the
    placeholder replaced by the JSON object of ``entries``, in pieces of about ``JSON_CHUNK`` bytes."""
    head, placeholder, tail = doc.partition(orjson.dumps(_ENTRIES))
    assert placeholder, "the message has no place for its entries"
    buf = [head, b"{"]
    size = len(head)
    sep = b""
    for key, content in entries:
        piece = sep + orjson.dumps(key) + b":" + orjson.dumps(content)
        sep = b","
        buf.append(piece)
        size += len(piece)
        if size >= JSON_CHUNK:
            yield b"".join(buf)
            buf, size = [], 0
    buf += [b"}", tail]
    yield b"".join(buf)
