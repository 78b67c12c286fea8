"""SDMX REST routes: data, structures and availability, in the SDMX REST 2.1 (1.5) paths and the
SDMX REST 2.0 paths beside them; 501 for the resources of the standard that ktstat does not serve.

Data (one handler, :func:`add_routes`'s ``data``):

- 2.1: ``/data/{flow}[/{key}[/{provider}]]``; 2.0: ``/data/{context}/{agency}/{id}/{version}[/{key}]``
  (``context`` ``dataflow`` or ``*``).
- ``detail`` ``full|dataonly|serieskeysonly|nodata``; ``dimensionAtObservation`` any dimension or
  ``AllDimensions`` (2.0: ``dimensionAtObservation`` too); ``updatedAfter`` (ISO time): only the
  observations whose value or status changed since the vintage that was the default at that time
  (all of them when none was; 404 when nothing changed); ``includeHistory=true``: the same query
  over every released vintage of the dataflow, oldest first, one data set each (SDMX-ML and
  SDMX-JSON 2.0; each data set names its vintage and ``validFrom``, its release time); ``vintage``:
  one earlier released vintage. REST 2.0 ``attributes=none`` means ``detail=dataonly``,
  ``measures=none`` ``detail=nodata``.

Structures: 2.1 ``/{resource}[/{agency}[/{id}[/{version}]]]``; 2.0
``/structure/{resource}[/{agency}[/{id}[/{version}]]]``; several ids with ``+`` or ``,``; an id
``latest`` (what pandaSDMX asks for) is read as every artefact, latest version.

Availability: 2.1 ``/availableconstraint/{flow}[/{key}[/{provider}[/{componentID}]]]``; 2.0
``/availability/{context}/{agency}/{id}/{version}[/{key}[/{componentID}]]``: an SDMX-ML 2.1
Structure message with one ``ContentConstraint`` (type ``Actual``) whose cube region lists, per
dimension, the codes for which the query has observations, and the time range, with the number
of observations as an annotation (``obs_count``).
"""

from __future__ import annotations

import gzip
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from ktstat.api import formats
from ktstat.api.index import AGENCY, KEY_DIMENSIONS, VERSION, Snapshot, View, VintageData
from ktstat.api.query import (
    ApiError,
    Selection,
    not_found,
    parse_key,
    period_filter,
    resolve_flow,
    resolve_vintage,
    select,
    syntax,
)
from ktstat.api.structure import DETAILS, REFERENCES, RESOURCES
from ktstat.publish.sdmx.data import DataHeader, DataWriter

INLINE_OBSERVATIONS = 5_000  # data responses up to this size are made on the event loop, larger ones in a thread
STREAM_OBSERVATIONS = 20_000  # SDMX-ML and SDMX-CSV responses larger than this are streamed
CHUNK = 1 << 16


def stream(fill: Callable[[Callable[[bytes], None]], None]) -> Iterator[bytes]:
    """The bytes that ``fill`` hands to the function it is given, in the pieces it hands them: ``fill``
    runs in a thread that puts the pieces into a queue of at most 8, so memory stays bounded whatever
    the size and the number of concurrent dumps. A client that goes away stops ``fill`` at its next
    piece."""
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
    stop = threading.Event()

    def emit(data: bytes) -> None:
        while not stop.is_set():
            try:
                chunks.put(data, timeout=1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def run() -> None:
        try:
            fill(emit)
            chunks.put(None)
        except _Stopped:
            return
        except BaseException as e:  # handed to the reader, which raises it
            chunks.put(e)

    threading.Thread(target=run, name="ktstat-api-stream", daemon=True).start()
    try:
        while True:
            item = chunks.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def written(
    writer: DataWriter, header: DataHeader, observations: Iterator[Any]
) -> Callable[[Callable[[bytes], None]], None]:
    """A ``fill`` for :func:`stream`: ``writer``'s message, in pieces of about 64 kB of UTF-8."""

    def fill(emit: Callable[[bytes], None]) -> None:
        class Out:
            def __init__(self) -> None:
                self.buf: list[str] = []
                self.size = 0

            def write(self, text: str) -> int:
                self.buf.append(text)
                self.size += len(text)
                if self.size >= CHUNK:
                    self.flush()
                return len(text)

            def flush(self) -> None:
                if self.buf:
                    data = "".join(self.buf).encode()
                    self.buf, self.size = [], 0
                    emit(data)

        out = Out()
        writer.write(out, header, observations)  # type: ignore[arg-type]
        out.flush()

    return fill


def pieces(chunks: Callable[[], Iterator[bytes]]) -> Callable[[Callable[[bytes], None]], None]:
    """A ``fill`` for :func:`stream`: the pieces ``chunks()`` yields."""

    def fill(emit: Callable[[bytes], None]) -> None:
        for piece in chunks():
            emit(piece)

    return fill


class _Stopped(Exception):
    """The reader of a stream went away."""


# resources of SDMX REST 2.1 and 2.0 that ktstat does not serve: 501
UNIMPLEMENTED = (
    "categoryscheme",
    "categorisation",
    "contentconstraint",
    "actualconstraint",
    "allowedconstraint",
    "agencyscheme",
    "dataproviderscheme",
    "dataconsumerscheme",
    "organisationunitscheme",
    "hierarchicalcodelist",
    "hierarchy",
    "hierarchyassociation",
    "metadataflow",
    "metadatastructure",
    "provisionagreement",
    "metadataprovisionagreement",
    "reportingtaxonomy",
    "structureset",
    "process",
    "transformationscheme",
    "rulesetscheme",
    "userdefinedoperatorscheme",
    "customtypescheme",
    "namepersonalisationscheme",
    "vtlmappingscheme",
    "valuelist",
    "structuremap",
    "representationmap",
    "conceptschememap",
    "categoryschememap",
    "organisationschememap",
    "reportingtaxonomymap",
    "schema",
    "metadata",
)

StartQ = Annotated[
    str | None,
    Query(alias="startPeriod", description="2024, 2024-S1, 2024H1, 2024-Q3, 2024-07", examples=["2024-S1", "2024"]),
]
EndQ = Annotated[
    str | None,
    Query(alias="endPeriod", description="Same forms as startPeriod; inclusive", examples=["2025-S1", "2025H1"]),
]
FirstQ = Annotated[int | None, Query(alias="firstNObservations", ge=1, description="At most N per series")]
LastQ = Annotated[int | None, Query(alias="lastNObservations", ge=1, description="The last N per series")]
DimQ = Annotated[
    str | None,
    Query(alias="dimensionAtObservation", description="TIME_PERIOD (default), another dimension or AllDimensions"),
]
DetailQ = Annotated[str | None, Query(description="full, dataonly, serieskeysonly or nodata")]
UpdatedQ = Annotated[
    str | None,
    Query(
        alias="updatedAfter", description="ISO 8601 time: what changed since", examples=["2025-04-01T00:00:00+09:00"]
    ),
]
HistoryQ = Annotated[bool, Query(alias="includeHistory", description="Every released vintage, one data set each")]
VintageQ = Annotated[str | None, Query(description="A released vintage id (default: the latest)")]
FormatQ = Annotated[
    str | None, Query(alias="format", description=", ".join(formats.DATA_FORMATS), examples=["jsondata", "csv"])
]
AttributesQ = Annotated[str | None, Query(description="REST 2.0: dsd, all (default) or none")]
MeasuresQ = Annotated[str | None, Query(description="REST 2.0: all (default) or none")]


@dataclass
class DataParams:
    """The query parameters of a data request."""

    start: str | None
    end: str | None
    first_n: int | None
    last_n: int | None
    dim_at_obs: str | None
    detail: str | None
    updated_after: str | None
    include_history: bool
    vintage: str | None
    format: str | None
    attributes: str | None
    measures: str | None


def data_params(
    startPeriod: StartQ = None,
    endPeriod: EndQ = None,  # noqa: N803
    firstNObservations: FirstQ = None,
    lastNObservations: LastQ = None,  # noqa: N803
    dimensionAtObservation: DimQ = None,
    detail: DetailQ = None,  # noqa: N803
    updatedAfter: UpdatedQ = None,
    includeHistory: HistoryQ = False,  # noqa: N803
    vintage: VintageQ = None,
    format: FormatQ = None,
    attributes: AttributesQ = None,
    measures: MeasuresQ = None,
) -> DataParams:
    return DataParams(
        startPeriod,
        endPeriod,
        firstNObservations,
        lastNObservations,
        dimensionAtObservation,
        detail,
        updatedAfter,
        includeHistory,
        vintage,
        format,
        attributes,
        measures,
    )


Params = Annotated[DataParams, Depends(data_params)]
FlowP = Annotated[str, PathParam(description="KST, TBP, or AGENCY,FLOW[,VERSION]", examples=["KST", "KTSTAT,TBP,1.0"])]
KeyP = Annotated[
    str,
    PathParam(
        description="FREQ.BREAKDOWN.ITEM.MEASURE (+ for several, empty or * for all) or all",
        examples=["S.CATEGORY..exports+imports", "A.TOTAL.all.exports", "all"],
    ),
]
ProviderP = Annotated[str, PathParam(description="all or KTSTAT", examples=["all"])]
ContextP = Annotated[
    Literal["dataflow", "*"], PathParam(description="dataflow or * (datastructure and provisionagreement: 501)")
]
AgencyP = Annotated[str, PathParam(description="KTSTAT, all or *", examples=["KTSTAT"])]
IdP = Annotated[str, PathParam(description="An id, several joined by + or ',', all or *", examples=["KST"])]
VersionP = Annotated[str, PathParam(description="1.0, latest, ~, all or *", examples=["latest", "1.0"])]
ComponentP = Annotated[str, PathParam(description="A dimension id, all or *", examples=["BREAKDOWN"])]
RefQ = Annotated[str, Query(description=f"One of {', '.join(REFERENCES)}")]
DetQ = Annotated[str, Query(description=f"One of {', '.join(DETAILS)} (artefacts are always complete)")]
ModeQ = Annotated[str, Query(description="exact or available (the same here)")]


def _time(text: str, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise syntax(f"{what} {text!r} is not an ISO 8601 time (e.g. 2025-04-01T00:00:00+09:00)") from None
    if t.tzinfo is None:
        from datetime import UTC

        t = t.replace(tzinfo=UTC)
    return t


def _aware(t: datetime) -> datetime:
    from datetime import UTC

    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def changed_since(sel: Selection, before: VintageData | None) -> Selection:
    """The part of ``sel`` whose value or status differs from vintage ``before`` (all when ``None``)."""
    if before is None:
        return sel
    parts = []
    total = 0
    for s, idx in sel.parts:
        old = before.by_key.get((s.freq, s.breakdown, s.item, s.measure))
        keep = []
        for i in idx:
            j = old.at(s.periods[i].label) if old is not None else -1
            if j < 0 or old is None or old.values[j] != s.values[i] or old.statuses[j] != s.statuses[i]:
                keep.append(i)
        if keep:
            parts.append((s, keep))
            total += len(keep)
    return Selection(sel.vintage, parts, total)


def add_routes(
    app: FastAPI,
    state: Any,
    ctx: Callable[[Request], tuple[Snapshot, View]],
    errors: Callable[..., dict[int | str, dict[str, Any]]],
    ok: Callable[..., dict[int | str, dict[str, Any]]],
) -> None:
    """Add the SDMX routes to ``app`` (``state``: the :class:`ktstat.api.state.ApiState`; ``ctx``: the
    snapshot and view of a request; ``errors``/``ok``: OpenAPI response documentation helpers)."""

    def selection(view: View, vd: VintageData, key: str | None, p: DataParams) -> Selection:
        k = parse_key(vd.info, key)
        lo, hi = period_filter(p.start, p.end)
        return select(vd, k, lo, hi, p.first_n, p.last_n)

    async def data(request: Request, flow: str, key: str | None, provider: str | None, p: DataParams) -> Response:
        snap, view = ctx(request)
        fmt = formats.data_format(p.format, request.headers.get("accept"))
        dom = resolve_flow(view, flow)
        vd = resolve_vintage(view, dom, p.vintage)
        if provider not in (None, "all", "ALL", "*", "KTSTAT", "KTSTAT,KTSTAT"):
            raise not_found(f"no data provider {provider!r}: the provider is KTSTAT")
        detail = p.detail
        if detail is None and (p.attributes or "").lower() == "none":
            detail = "dataonly"
        if detail is None and (p.measures or "").lower() == "none":
            detail = "nodata"
        detail, dim = formats.check_data_options(fmt, detail, p.dim_at_obs)
        if key is not None and key.strip() == "*":
            key = None
        if p.include_history:
            if p.vintage:
                raise ApiError(400, 150, "includeHistory and vintage exclude each other: history is every vintage")
            if fmt.writer is None and fmt is not formats.JSONDATA:
                raise ApiError(400, 150, f"includeHistory needs SDMX-ML or SDMX-JSON 2.0, not {fmt.name}")
            if fmt.writer is not None and fmt.writer.name in ("csv", "csv2"):
                raise ApiError(400, 150, "includeHistory needs SDMX-ML or SDMX-JSON 2.0: SDMX-CSV has one data set")
            sels = [selection(view, v, key, p) for v in view.by_domain[dom]]
        else:
            sels = [selection(view, vd, key, p)]
        if p.updated_after:
            before = snap.view(min(_time(p.updated_after, "updatedAfter"), _aware(state.clock()))).default.get(dom)
            sels = [changed_since(s, before) for s in sels]
        sels = [s for s in sels if s.observations]
        total = sum(s.observations for s in sels)
        if total == 0:
            raise not_found(
                f"no observations of {vd.info.flow} ({vd.id}) match the query"
                + (f" and changed after {p.updated_after}" if p.updated_after else "")
            )
        if total > state.max_observations:
            raise ApiError(
                413,
                510,
                f"{total:,} observations match; at most {state.max_observations:,} per "
                "request: narrow the key or the period",
            )
        args = (sels, fmt, snap.loaded_at, detail, dim)
        served = ",".join(s.vintage.id for s in sels) if p.include_history else vd.id
        headers = {
            "X-Ktstat-Vintage": served,
            "Vary": "Accept, Accept-Encoding",
            "Cache-Control": "public, max-age=3600" if p.vintage else "no-cache",
        }
        if total > STREAM_OBSERVATIONS and len(sels) == 1 and (fmt.writer is not None or fmt.json_version):
            # a large dump in SDMX-ML, SDMX-CSV or SDMX-JSON: streamed, written in a thread into a bounded queue
            sel = sels[0]
            if fmt.writer is not None:
                fill = written(
                    fmt.writer, formats.header(sel, snap.loaded_at, detail, dim), formats.iter_observations(sel)
                )
            else:
                version = fmt.json_version
                fill = pieces(lambda: formats.sdmx_json_chunks(sel, snap.loaded_at, detail, dim, version))
            return StreamingResponse(stream(fill), media_type=fmt.media_type, headers=headers)
        if total <= INLINE_OBSERVATIONS:  # small: at once, on the event loop
            body = formats.render_many(*args)
        else:  # large: in a worker thread, so that the loop goes on answering others
            body = await run_in_threadpool(formats.render_many, *args)
        return Response(body, media_type=fmt.media_type, headers=headers)

    fast_names = {
        "startPeriod",
        "endPeriod",
        "firstNObservations",
        "lastNObservations",
        "dimensionAtObservation",
        "detail",
        "updatedAfter",
        "includeHistory",
        "vintage",
        "format",
        "attributes",
        "measures",
    }

    async def fast(scope: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes] | Response | None:
        """A 2.1 data request answered without FastAPI's routing and parameter parsing (the same
        handler): ``(status, headers, body)``, a streaming response to run, or ``None`` for anything
        else (other paths, parameters unknown, repeated or malformed, errors), which then goes
        through the routes."""
        parts = scope["path"].split("/")[2:]
        if not 1 <= len(parts) <= 3 or not all(parts):
            return None
        raw = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        q = dict(raw)
        if len(q) != len(raw) or not q.keys() <= fast_names:
            return None
        ints: dict[str, int | None] = {}
        for name in ("firstNObservations", "lastNObservations"):
            v = q.get(name)
            if v is not None and not (v.isdigit() and int(v) >= 1):
                return None
            ints[name] = int(v) if v is not None else None
        hist = q.get("includeHistory", "false").lower()
        if hist not in ("true", "false"):
            return None
        p = DataParams(
            q.get("startPeriod"),
            q.get("endPeriod"),
            ints["firstNObservations"],
            ints["lastNObservations"],
            q.get("dimensionAtObservation"),
            q.get("detail"),
            q.get("updatedAfter"),
            hist == "true",
            q.get("vintage"),
            q.get("format"),
            q.get("attributes"),
            q.get("measures"),
        )
        try:
            resp = await data(
                Request(scope), parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None, p
            )
        except ApiError:
            return None
        encodings = next(
            (bytes(v).decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept-encoding"), ""
        )
        if isinstance(resp, StreamingResponse):  # gzip of a stream: through the routes and GZipMiddleware
            return None if "gzip" in encodings else resp
        body = bytes(resp.body)
        headers = [(k, v) for k, v in resp.raw_headers if k != b"content-length"]
        if "gzip" in encodings and len(body) >= 1024:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        return resp.status_code, headers, body

    state.fast_data = fast

    data_media = tuple(f.media_type for f in formats.DATA_FORMATS.values())
    data_doc: dict[str, Any] = {
        "responses": {**ok(*data_media), **errors(400, 404, 406, 413)},
        "response_class": Response,
        "tags": ["SDMX data"],
    }

    @app.get("/data/{flow}", summary="All observations of a dataflow", **data_doc)
    async def data_all(request: Request, flow: FlowP, p: Params) -> Response:
        return await data(request, flow, None, None, p)

    @app.get("/data/{flow}/{key}", summary="Observations matching a key", **data_doc)
    async def data_key(request: Request, flow: FlowP, key: KeyP, p: Params) -> Response:
        return await data(request, flow, key, None, p)

    @app.get("/data/{flow}/{key}/{provider}", summary="Observations matching a key, of a provider", **data_doc)
    async def data_provider(request: Request, flow: FlowP, key: KeyP, provider: ProviderP, p: Params) -> Response:
        return await data(request, flow, key, provider, p)

    def flow_of(context: str, agency: str, rid: str, version: str) -> str:
        if context not in ("dataflow", "*"):
            raise ApiError(501, 501, f"data by {context!r} is not implemented: use the context dataflow")
        v = "latest" if version in ("~", "*") else version
        return f"{agency if agency != '*' else 'all'},{rid},{v}"

    def not_implemented(request: Request, rest: str = "") -> Response:
        raise ApiError(
            501,
            501,
            f"{request.url.path}: this SDMX resource is not implemented here; served: data "
            f"by dataflow, {', '.join(RESOURCES)}, availableconstraint (2.1) and availability (2.0), "
            "also under /structure/ (2.0)",
        )

    for kind in ("data", "availability"):  # before the 2.0 routes, which take the context dataflow only
        for context in ("datastructure", "provisionagreement"):
            for path in (f"/{kind}/{context}", f"/{kind}/{context}/{{rest:path}}"):
                app.add_api_route(path, not_implemented, methods=["GET"], include_in_schema=False)

    @app.get(
        "/data/{context}/{agency}/{resource_id}/{version}",
        summary="REST 2.0: all observations of a dataflow",
        **data_doc,
    )
    async def data2(
        request: Request, context: ContextP, agency: AgencyP, resource_id: IdP, version: VersionP, p: Params
    ) -> Response:
        return await data(request, flow_of(context, agency, resource_id, version), None, None, p)

    @app.get(
        "/data/{context}/{agency}/{resource_id}/{version}/{key}",
        summary="REST 2.0: observations matching a key",
        **data_doc,
    )
    async def data2_key(
        request: Request, context: ContextP, agency: AgencyP, resource_id: IdP, version: VersionP, key: KeyP, p: Params
    ) -> Response:
        return await data(request, flow_of(context, agency, resource_id, version), key, None, p)

    # --- structures ------------------------------------------------------------------------------------------

    structure_doc: dict[str, Any] = {
        "responses": {**ok(formats.STRUCTURE_TYPE, "application/xml"), **errors(400, 404, 406)},
        "response_class": Response,
        "tags": ["SDMX structure"],
    }

    def structure(
        request: Request, resource: str, agency: str, rid: str, version: str, references: str, detail: str
    ) -> Response:
        snap, view = ctx(request)
        formats.structure_format(request.headers.get("accept"))
        if detail not in DETAILS:
            raise ApiError(400, 140, f"detail={detail!r}: use one of {', '.join(DETAILS)}")
        if rid in ("latest", "~") and version == "latest":  # pandaSDMX: /dataflow/KTSTAT/latest
            rid = "all"
        agency = "all" if agency == "*" else agency
        body = state.structures(snap).message(
            set(view.by_domain), resource, agency, rid.replace("+", ","), version, references, snap.loaded_at
        )
        return Response(body, media_type=formats.STRUCTURE_TYPE)

    def add_structure_routes(resource: str, prefix: str) -> None:
        def r0(request: Request, references: RefQ = "none", detail: DetQ = "full") -> Response:
            return structure(request, resource, "all", "all", "latest", references, detail)

        def r1(request: Request, agency: AgencyP, references: RefQ = "none", detail: DetQ = "full") -> Response:
            return structure(request, resource, agency, "all", "latest", references, detail)

        def r2(
            request: Request, agency: AgencyP, resource_id: IdP, references: RefQ = "none", detail: DetQ = "full"
        ) -> Response:
            return structure(request, resource, agency, resource_id, "latest", references, detail)

        def r3(
            request: Request,
            agency: AgencyP,
            resource_id: IdP,
            version: VersionP,
            references: RefQ = "none",
            detail: DetQ = "full",
        ) -> Response:
            return structure(request, resource, agency, resource_id, version, references, detail)

        base = f"{prefix}/{resource}"
        tag = "REST 2.0: " if prefix else ""
        for path, fn, what in (
            (base, r0, "every"),
            (base + "/{agency}", r1, "an agency's"),
            (base + "/{agency}/{resource_id}", r2, "one"),
            (base + "/{agency}/{resource_id}/{version}", r3, "one version of a"),
        ):
            app.add_api_route(
                path,
                fn,
                methods=["GET"],
                summary=f"{tag}SDMX-ML structure: {what} {resource}",
                operation_id=f"{prefix.strip('/')}{resource}_{fn.__name__}",
                **structure_doc,
            )

    for resource in RESOURCES:
        add_structure_routes(resource, "")
        add_structure_routes(resource, "/structure")

    # --- availability ----------------------------------------------------------------------------------------

    def availability(
        request: Request,
        flow: str,
        key: str | None,
        provider: str | None,
        component: str | None,
        p: DataParams,
        mode: str,
    ) -> Response:
        snap, view = ctx(request)
        formats.structure_format(request.headers.get("accept"))
        if mode not in ("exact", "available"):
            raise syntax(f"mode={mode!r}: use exact or available")
        dom = resolve_flow(view, flow)
        vd = resolve_vintage(view, dom, p.vintage)
        if provider not in (None, "all", "ALL", "*", "KTSTAT"):
            raise not_found(f"no data provider {provider!r}: the provider is KTSTAT")
        dims = (*KEY_DIMENSIONS, "TIME_PERIOD")
        if component in (None, "all", "*"):
            component = None
        elif component not in dims:
            raise not_found(f"{vd.info.flow} has no dimension {component!r}; dimensions: {', '.join(dims)}")
        if key is not None and key.strip() in ("*", "all"):
            key = None
        sel = selection(view, vd, key, p)
        if p.updated_after:
            t = min(_time(p.updated_after, "updatedAfter"), _aware(state.clock()))
            sel = changed_since(sel, snap.view(t).default.get(dom))
        body = formats.availability_xml(sel, component, snap.loaded_at)
        return Response(body, media_type=formats.STRUCTURE_TYPE, headers={"X-Ktstat-Vintage": vd.id})

    avail_doc: dict[str, Any] = {
        "responses": {**ok(formats.STRUCTURE_TYPE), **errors(400, 404, 406)},
        "response_class": Response,
        "tags": ["SDMX availability"],
    }

    @app.get("/availableconstraint/{flow}", summary="The codes with data (SDMX REST 2.1)", **avail_doc)
    def avail0(request: Request, flow: FlowP, p: Params, mode: ModeQ = "exact") -> Response:
        return availability(request, flow, None, None, None, p, mode)

    @app.get("/availableconstraint/{flow}/{key}", summary="The codes with data for a key (SDMX REST 2.1)", **avail_doc)
    def avail1(request: Request, flow: FlowP, key: KeyP, p: Params, mode: ModeQ = "exact") -> Response:
        return availability(request, flow, key, None, None, p, mode)

    @app.get("/availableconstraint/{flow}/{key}/{provider}", summary="The codes with data (SDMX REST 2.1)", **avail_doc)
    def avail2(
        request: Request, flow: FlowP, key: KeyP, provider: ProviderP, p: Params, mode: ModeQ = "exact"
    ) -> Response:
        return availability(request, flow, key, provider, None, p, mode)

    @app.get(
        "/availableconstraint/{flow}/{key}/{provider}/{component}",
        summary="The codes of one dimension with data (SDMX REST 2.1)",
        **avail_doc,
    )
    def avail3(
        request: Request,
        flow: FlowP,
        key: KeyP,
        provider: ProviderP,
        component: ComponentP,
        p: Params,
        mode: ModeQ = "exact",
    ) -> Response:
        return availability(request, flow, key, provider, component, p, mode)

    @app.get(
        "/availability/{context}/{agency}/{resource_id}/{version}", summary="REST 2.0: the codes with data", **avail_doc
    )
    def avail20(
        request: Request,
        context: ContextP,
        agency: AgencyP,
        resource_id: IdP,
        version: VersionP,
        p: Params,
        mode: ModeQ = "exact",
    ) -> Response:
        return availability(request, flow_of(context, agency, resource_id, version), None, None, None, p, mode)

    @app.get(
        "/availability/{context}/{agency}/{resource_id}/{version}/{key}",
        summary="REST 2.0: the codes with data for a key",
        **avail_doc,
    )
    def avail21(
        request: Request,
        context: ContextP,
        agency: AgencyP,
        resource_id: IdP,
        version: VersionP,
        key: KeyP,
        p: Params,
        mode: ModeQ = "exact",
    ) -> Response:
        return availability(request, flow_of(context, agency, resource_id, version), key, None, None, p, mode)

    @app.get(
        "/availability/{context}/{agency}/{resource_id}/{version}/{key}/{component}",
        summary="REST 2.0: the codes of one dimension with data",
        **avail_doc,
    )
    def avail22(
        request: Request,
        context: ContextP,
        agency: AgencyP,
        resource_id: IdP,
        version: VersionP,
        key: KeyP,
        component: ComponentP,
        p: Params,
        mode: ModeQ = "exact",
    ) -> Response:
        return availability(request, flow_of(context, agency, resource_id, version), key, None, component, p, mode)

    # --- not implemented ------------------------------------------------------------------------------------

    for resource in UNIMPLEMENTED:
        for prefix in ("", "/structure"):
            for path in (f"{prefix}/{resource}", f"{prefix}/{resource}/{{rest:path}}"):
                app.add_api_route(path, not_implemented, methods=["GET"], include_in_schema=False)
    for path in (
        "/structure/*",
        "/structure/*/{rest:path}",
        "/data/{context}/{agency}/{resource_id}/{version}/{key}/{rest:path}",
    ):
        app.add_api_route(path, not_implemented, methods=["GET"], include_in_schema=False)


__all__ = ["AGENCY", "VERSION", "DataParams", "add_routes", "changed_since", "data_params"]
