"""The ktstat REST API: released vintages as SDMX, plus JSON for the web data explorer.

``create_app(store, now=None, releases_dir=None)`` returns a FastAPI application that serves the
vintages' immutable snapshot files (``<store>.vintages/``, written by ``ktstat release`` and
``ktstat publish``; read again by a watcher within ``refresh_seconds`` of a new one appearing;
the store itself is opened only once at start, read-only, to write missing snapshots) and
serves **released vintages only**: a vintage whose ``release_at`` is after the clock does not
exist for any endpoint, and appears, without a restart, on the first request after its time.
The clock is ``now()`` (default: the real UTC time, or the fixed time of the environment
variable ``KTSTAT_NOW``, ISO 8601 with a zone). Only GET and HEAD are answered; nothing is
ever written to the store.

Endpoints
---------
SDMX REST (2.1 conventions; see :mod:`ktstat.api.query` and :mod:`ktstat.api.formats`):

- ``GET /data/{flow}[/{key}[/{provider}]]`` -- observations of the latest released vintage
  of the dataflow (``?vintage=ID``: an earlier released one). ``flow`` ``KST``, ``TBP`` (or
  ``KTSTAT,KST,1.0``); ``key`` ``FREQ.BREAKDOWN.ITEM.MEASURE`` with ``+`` and empty positions
  (``S.CATEGORY..exports+imports``) or ``all``; ``startPeriod``, ``endPeriod``,
  ``firstNObservations``, ``lastNObservations``; format by ``Accept`` or ``format=``
  (``jsondata``: SDMX-JSON 2.0, ``csv``: SDMX-CSV 1.0, ``structurespecificdata``: SDMX-ML 2.1,
  ``plaincsv``: the indicators table's columns with ktstat codes). Confidential cells come
  with ``OBS_STATUS`` ``C`` and never a value. More than ``max_observations`` (500,000)
  observations: 413.
- ``GET /dataflow|datastructure|codelist|conceptscheme[/{agency}[/{id}[/{version}]]]`` --
  SDMX-ML 2.1 Structure messages (``?references=``, see :mod:`ktstat.api.structure`).

Releases:

- ``GET /releases`` -- the released vintages per domain (id, period, status, release_at,
  revises, reason, content_hash), oldest first, and the latest (the default) of each.
- ``GET /releases/{vintage}`` -- one released vintage and the documents of its release folder.
- ``GET /releases/{vintage}/{file}`` -- a file of the vintage's release folder (``releases_dir``,
  the folder whose ``manifest.json`` names the vintage): only files the manifest lists, only
  while their SHA-256 matches it, only once the vintage is released.

Explorer JSON (see :mod:`ktstat.api.explorer` for the documents):

- ``GET /api/meta[?dataflow=][&vintage=]`` -- dataflows, breakdowns and items, measures with
  units, periods per frequency, released vintages; labels in English and Korean.
- ``GET /api/table?dataflow=KST&breakdown=category&period=2025H1&period=2024H1&measure=exports
  &measure=imports[&vintage=][&lang=en|ko]`` -> ``{columns, rows: [{item, label, values,
  statuses}]}``; ``/api/table.csv`` and ``/api/table.xlsx``: the same table as a download.

Errors are 4xx with an SDMX error body (SDMX-JSON ``{"meta", "errors": [{"code", "title",
"detail"}]}``, or an SDMX-ML 2.1 ``Error`` message when XML was asked): 400 (code 140 syntax,
150 semantic), 404 (100: unknown dataflow, code, vintage, file; no observations), 405, 406
(unsupported format), 413 (510: response too large). An unforeseen failure is logged and
answered 500 (code 500) with the same body.

Performance: everything is indexed in memory (:mod:`ktstat.api.index`), and successful GET
responses are kept in an LRU cache keyed by (store generation, number of released vintages,
path, query, ``Accept``), answered by a thin ASGI layer in front of the routing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ktstat.api import explorer, models, page
from ktstat.api.front import (
    Entry,
    Front,
    ResponseCache,
    Scope,
    error_body,
)
from ktstat.api.index import LOG, Snapshot, View, load_snapshot
from ktstat.api.query import ApiError, not_found
from ktstat.api.structure import Structures
from ktstat.api.views import docs
from ktstat.api.views import sdmx as sdmx_views
from ktstat.errors import KtstatError

MAX_OBSERVATIONS = 500_000
INLINE_OBSERVATIONS = 5_000  # data responses up to this size are made on the event loop, larger ones in a thread
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".xlsx": XLSX,
    ".parquet": "application/vnd.apache.parquet",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}


def env_clock() -> Callable[[], datetime]:
    """The default clock: ``KTSTAT_NOW`` (ISO 8601 with a zone) when set, else the real UTC time.
    ``KtstatError`` when ``KTSTAT_NOW`` is not such a time."""
    raw = os.environ.get("KTSTAT_NOW")
    if not raw:
        return lambda: datetime.now(UTC)
    try:
        fixed = datetime.fromisoformat(raw)
    except ValueError:
        raise KtstatError(f"KTSTAT_NOW: {raw!r} is not a time (ISO 8601, e.g. 2025-09-17T12:00+09:00)") from None
    if fixed.tzinfo is None:
        raise KtstatError(f"KTSTAT_NOW: {raw!r} needs a time zone (e.g. +09:00)")
    return lambda: fixed


# State ---------------------------------------------------------------------------------------------------------


class ApiState:
    """What the app serves: the snapshot of the vintage files, the clock, the cache, and the watcher.

    The app reads the vintages' snapshot files (:mod:`ktstat.release.snapshot`) in ``snapshots``
    (default: the store's snapshot folder), never the store itself while it serves. Once, at
    start, the store is opened read-only to write the snapshots a store made before snapshots
    existed lacks (:func:`ktstat.release.snapshot.export_store`); when that fails (a compiler
    holds the store) the files already there are served. A watcher thread looks at the snapshot
    folder and the release manifests every ``refresh_seconds`` and reads what changed, so a new
    vintage is served within about that time of its file appearing."""

    def __init__(
        self,
        store: Path,
        clock: Callable[[], datetime],
        releases_dir: Path | None,
        max_observations: int,
        refresh_seconds: float,
        cache: ResponseCache,
        snapshots: Path | None = None,
    ) -> None:
        from ktstat.release.snapshot import export_store, list_snapshots, snapshot_dir

        self.store = store
        self.snapshots = snapshots if snapshots is not None else snapshot_dir(store)
        self.clock = clock
        self.releases_dir = releases_dir
        self.max_observations = max_observations
        self.refresh_seconds = refresh_seconds
        self.cache = cache
        self._lock = threading.Lock()
        if snapshots is None:
            try:
                written = export_store(store, self.snapshots)
                if written:
                    LOG.info("wrote %d vintage snapshot(s) of %s to %s", len(written), store, self.snapshots)
            except KtstatError as e:
                if not list_snapshots(self.snapshots):
                    raise
                LOG.warning("%s; serving the snapshots in %s", e, self.snapshots)
        elif not self.snapshots.is_dir():
            raise KtstatError(f"{self.snapshots}: no such snapshot folder")
        self._signature = self._sign()
        self.snapshot: Snapshot = load_snapshot(self.snapshots, releases_dir)
        self._structures: tuple[int, Structures] | None = None
        self._verified: dict[tuple[str, int, int], bool] = {}
        self._cache_generation = self.snapshot.generation
        self._stop = threading.Event()
        # the SDMX data handler's fast path (set by ktstat.api.views.sdmx.add_routes)
        self.fast_data: Callable[[Scope], Awaitable[Entry | Response | None]] | None = None
        if refresh_seconds > 0:
            threading.Thread(
                target=_watch,
                args=(weakref.ref(self), refresh_seconds, self._stop),
                name="ktstat-api-watch",
                daemon=True,
            ).start()

    def _sign(self) -> tuple[Any, ...]:
        """What changes when a snapshot file or a release folder changes."""
        from ktstat.release.snapshot import list_snapshots

        sig: list[Any] = [(s.path.name, s.size, s.mtime_ns) for s in list_snapshots(self.snapshots)]
        if self.releases_dir is not None and self.releases_dir.is_dir():
            for m in sorted(self.releases_dir.glob("*/manifest.json")):
                with contextlib.suppress(OSError):
                    sig.append((str(m), m.stat().st_mtime_ns))
        return tuple(sig)

    def refresh(self) -> Snapshot:
        """Read the snapshot folder again now (files already indexed and unchanged are kept)."""
        with self._lock:
            sig = self._sign()
            snap = load_snapshot(self.snapshots, self.releases_dir, self.snapshot.generation + 1, self.snapshot)
            self.snapshot = snap
            self._signature = sig
            return snap

    def check(self) -> bool:
        """Read the folder again if it changed since the last reading; whether it did."""
        if self._sign() == self._signature:
            return False
        self.refresh()
        return True

    def stop(self) -> None:
        """Stop the watcher thread."""
        self._stop.set()

    def current(self) -> tuple[Snapshot, View]:
        """The snapshot and what of it is released by the clock now."""
        snap = self.snapshot
        if snap.generation != self._cache_generation:
            self.cache.clear()
            self._cache_generation = snap.generation
        return snap, snap.view(self.clock())

    def structures(self, snap: Snapshot) -> Structures:
        got = self._structures
        if got is None or got[0] != snap.generation:
            got = self._structures = (snap.generation, Structures(snap.domains))
        return got[1]

    def verified(self, path: Path, sha256: str) -> bool:
        """Whether the file's SHA-256 is ``sha256`` (remembered per path, mtime and size)."""
        try:
            st = path.stat()
        except OSError:
            return False
        key = (str(path), st.st_mtime_ns, st.st_size)
        ok = self._verified.get(key)
        if ok is None:
            h = hashlib.sha256()
            with path.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            ok = self._verified[key] = h.hexdigest() == sha256
        return ok


def _watch(ref: weakref.ref[ApiState], interval: float, stop: threading.Event) -> None:
    """The watcher thread: :meth:`ApiState.check` every ``interval`` seconds until stopped or
    until the state is gone."""
    while not stop.wait(interval):
        st = ref()
        if st is None:
            return
        try:
            st.check()
        except Exception:  # keep serving what we have; try again at the next check
            LOG.exception("reading the snapshots again failed; still serving generation %d", st.snapshot.generation)
        del st


# Query parameters ---------------------------------------------------------------------------------------------

VintageP = Annotated[str, PathParam(description="A released vintage id", examples=["kst-2025H1-v1"])]
NameP = Annotated[str, PathParam(description="A file the release manifest lists", examples=["press-release.en.html"])]
VintageQ = Annotated[str | None, Query(description="A released vintage id (default: the latest)")]
DataflowQ = Annotated[str, Query(description="KST or TBP", examples=["KST"])]
BreakdownQ = Annotated[
    str | None, Query(description="category, industry+institution, ... (default total)", examples=["category"])
]
PeriodQ = Annotated[list[str] | None, Query(description="2025H1, 2024, 2025-S1 (repeat; default the release's)")]
MeasureQ = Annotated[list[str] | None, Query(description="exports, imports, ... (repeat)")]
LangQ = Annotated[str, Query(description="en or ko")]


# OpenAPI documentation helpers -------------------------------------------------------------------------------


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Malformed request (SDMX 140 syntax, 150 semantic error)",
        404: "Unknown dataflow, code, vintage or file, or no observations (SDMX 100)",
        406: "Format not supported",
        413: "Response too large (SDMX 510)",
    }
    return {
        c: {
            "model": models.ErrorMessage,
            "description": text[c],
            "content": {"application/json": {}, "application/xml": {}},
        }
        for c in codes
    }


def _ok(*media: str, description: str = "Success") -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {m: {} for m in media}}}


def _json(model: type[Any], description: str = "Success") -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "model": model, "content": {"application/json": {}}}}


def _section(text: str, start: str, end: str | None = None) -> str:
    """The part of a docstring from the paragraph starting with ``start`` up to ``end``."""
    body = text[text.index(start) :] if start in text else text
    return body[: body.index(end)] if end and end in body else body


# The app -------------------------------------------------------------------------------------------------------


def create_app(
    store: Path,
    now: Callable[[], datetime] | None = None,
    releases_dir: Path | None = None,
    *,
    max_observations: int = MAX_OBSERVATIONS,
    refresh_seconds: float = 0.5,
    cache: ResponseCache | None = None,
    snapshots: Path | None = None,
) -> FastAPI:
    """The API over ``store`` (see the module doc). ``now``: the clock (default :func:`env_clock`);
    ``releases_dir``: the folder holding release folders (``<domain>-<period>/manifest.json``);
    ``max_observations``: the most observations one data response may hold (more: 413);
    ``refresh_seconds``: how often the watcher looks for new snapshot files (0: never); ``cache``:
    the response cache (default 4,096 responses, 256 MB); ``snapshots``: the folder of vintage
    snapshots to serve (default: the store's, ``<store>.vintages``, completed from the store
    once at start; given, the store is never opened). See :class:`ApiState`. ``KtstatError``
    when there is neither a usable store nor a snapshot to serve."""
    clock = now or env_clock()
    state = ApiState(
        Path(store),
        clock,
        Path(releases_dir) if releases_dir else None,
        max_observations,
        refresh_seconds,
        cache if cache is not None else ResponseCache(),
        Path(snapshots) if snapshots is not None else None,
    )
    doc = (__doc__ or "").split("Endpoints\n---------\n", 1)[-1]
    app = FastAPI(
        title="ktstat API",
        version="1.0",
        description=doc,
        docs_url=None,
        redoc_url=None,
        summary="Technology and knowledge-services trade statistics: released vintages as SDMX and JSON",
    )
    app.state.api = state

    def ctx(request: Request) -> tuple[Snapshot, View]:
        got = request.scope.get("state", {}).get("ktstat")
        if got is None:  # called without the front layer (should not happen)
            got = state.current()
        return got

    def failure(request: Request, err: ApiError) -> Response:
        body, media = error_body(
            request.url.path,
            request.headers.get("accept"),
            request.query_params.get("format"),
            err,
            state.snapshot.loaded_at,
        )
        return Response(body, status_code=err.status, media_type=media)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return failure(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
            parts.append(f"{loc}: {e.get('msg', 'invalid')}")
        return failure(request, ApiError(400, 140, "; ".join(parts) or "invalid request"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            err = ApiError(404, 100, f"no such resource: {request.url.path}")
        elif exc.status_code == 405:
            err = ApiError(405, 1405, "only GET and HEAD are allowed")
        else:
            err = ApiError(exc.status_code, exc.status_code, str(exc.detail))
        return failure(request, err)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        LOG.exception("internal error answering %s", request.url)
        return failure(request, ApiError(500, 500, "internal error; it has been logged"))

    # --- SDMX data, structures, availability (REST 2.1 and 2.0) ------------------------------------------------

    sdmx_views.add_routes(app, state, ctx, _errors, _ok)

    # --- releases ----------------------------------------------------------------------------------------------

    def json_response(body: bytes, extra: dict[str, str] | None = None) -> Response:
        return Response(body, media_type="application/json", headers=extra)

    @app.get(
        "/releases",
        summary="Released vintages per domain",
        tags=["Releases"],
        response_class=Response,
        responses=_json(models.ReleasesDoc),
    )
    async def releases(request: Request) -> Response:
        snap, view = ctx(request)
        out = []
        for dom, vds in sorted(view.by_domain.items()):
            out.append(
                {
                    "domain": dom,
                    "dataflow": vds[-1].info.flow,
                    "latest": view.default[dom].id,
                    "vintages": [explorer.vintage_doc(v, documents=True) for v in vds],
                }
            )
        return json_response(orjson.dumps({"releases": out}))

    def released(view: View, vintage: str) -> Any:
        vd = view.released.get(vintage)
        if vd is None:
            raise not_found(f"no released vintage {vintage!r}")
        return vd

    @app.get(
        "/releases/{vintage}",
        summary="One released vintage and its documents",
        tags=["Releases"],
        response_class=Response,
        responses={**_json(models.ReleaseDoc), **_errors(404)},
    )
    async def release(request: Request, vintage: VintageP) -> Response:
        snap, view = ctx(request)
        vd = released(view, vintage)
        folder = snap.releases.get(vintage)
        files = []
        if folder is not None:
            for name, sha in sorted(folder.files.items()):
                files.append({"name": name, "url": f"/releases/{vintage}/{name}", "sha256": sha})
        doc = explorer.vintage_doc(vd)
        doc["files"] = files
        return json_response(orjson.dumps(doc))

    @app.get(
        "/releases/{vintage}/{name:path}",
        summary="A file of a released vintage's release folder",
        tags=["Releases"],
        response_class=Response,
        responses={**_ok(*sorted(set(MEDIA.values()))), **_errors(404)},
    )
    def release_file(request: Request, vintage: VintageP, name: NameP) -> Response:
        snap, view = ctx(request)
        released(view, vintage)
        folder = snap.releases.get(vintage)
        if folder is None:
            raise not_found(f"vintage {vintage} has no release documents here")
        sha = folder.files.get(name)
        if sha is None and name != "manifest.json":
            raise not_found(f"the release of {vintage} has no file {name!r}; files: {', '.join(sorted(folder.files))}")
        path = folder.path / name
        if sha is not None and not state.verified(path, sha):
            raise not_found(f"{name} of {vintage} is missing or does not match the release manifest")
        if not path.is_file():
            raise not_found(f"{name} of {vintage} is missing")
        return FileResponse(
            path,
            media_type=MEDIA.get(path.suffix.lower(), "application/octet-stream"),
            headers={"X-Ktstat-Vintage": vintage},
        )

    # --- explorer JSON -------------------------------------------------------------------------------------------

    explorer_doc = explorer.__doc__ or ""

    @app.get(
        "/api/meta",
        summary="Everything the explorer needs to build its menus",
        tags=["Explorer"],
        description=_section(explorer_doc, "``GET /api/meta", "``GET /api/table"),
        response_class=Response,
        responses={**_json(models.MetaDoc), **_errors(400, 404)},
    )
    async def api_meta(
        request: Request, dataflow: Annotated[str | None, Query()] = None, vintage: VintageQ = None
    ) -> Response:
        _snap, view = ctx(request)
        return json_response(explorer.meta(view, dataflow, vintage))

    def get_table(
        request: Request,
        dataflow: str,
        breakdown: str | None,
        period: list[str] | None,
        measure: list[str] | None,
        vintage: str | None,
        lang: str,
    ) -> explorer.Table:
        _snap, view = ctx(request)
        return explorer.table(view, dataflow, breakdown, period, measure, vintage, lang)

    table_errors = _errors(400, 404, 413)

    @app.get(
        "/api/table",
        summary="One breakdown's items by periods and measures",
        tags=["Explorer"],
        description=_section(explorer_doc, "``GET /api/table"),
        response_class=Response,
        responses={**_json(models.TableDoc), **table_errors},
    )
    async def api_table(
        request: Request,
        dataflow: DataflowQ,
        breakdown: BreakdownQ = None,
        period: PeriodQ = None,
        measure: MeasureQ = None,
        vintage: VintageQ = None,
        lang: LangQ = "en",
    ) -> Response:
        t = get_table(request, dataflow, breakdown, period, measure, vintage, lang)
        return json_response(explorer.table_json(t))

    @app.get(
        "/api/table.csv",
        summary="The table as CSV",
        tags=["Explorer"],
        response_class=Response,
        responses={**_ok("text/csv"), **table_errors},
    )
    async def api_table_csv(
        request: Request,
        dataflow: DataflowQ,
        breakdown: BreakdownQ = None,
        period: PeriodQ = None,
        measure: MeasureQ = None,
        vintage: VintageQ = None,
        lang: LangQ = "en",
    ) -> Response:
        t = get_table(request, dataflow, breakdown, period, measure, vintage, lang)
        return Response(
            explorer.table_csv(t),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{t.filename("csv")}"'},
        )

    @app.get(
        "/api/table.xlsx",
        summary="The table as an Excel workbook",
        tags=["Explorer"],
        response_class=Response,
        responses={**_ok(XLSX), **table_errors},
    )
    def api_table_xlsx(
        request: Request,
        dataflow: DataflowQ,
        breakdown: BreakdownQ = None,
        period: PeriodQ = None,
        measure: MeasureQ = None,
        vintage: VintageQ = None,
        lang: LangQ = "en",
    ) -> Response:
        t = get_table(request, dataflow, breakdown, period, measure, vintage, lang)
        return Response(
            explorer.table_xlsx(t),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{t.filename("xlsx")}"'},
        )

    # --- the explorer page -----------------------------------------------------------------------------------

    def about(view: View) -> bytes:
        return orjson.dumps(
            {
                "name": "ktstat API",
                "agency": "KTSTAT",
                "dataflows": list(view.flows),
                "explorer": "/",
                "endpoints": [
                    "/data/{flow}/{key}",
                    "/dataflow/KTSTAT/all/latest",
                    "/datastructure/KTSTAT/all/latest",
                    "/codelist/KTSTAT/all/latest",
                    "/releases",
                    "/api/meta",
                    "/api/table",
                    "/openapi.json",
                    "/docs",
                ],
            }
        )

    def asset_response(
        request: Request, asset: page.Asset, cache: str = "no-cache", vary: str | None = None
    ) -> Response:
        headers = {"ETag": asset.etag, "Cache-Control": cache}
        if vary:
            headers["Vary"] = vary
        if page.etag_matches(request.headers.get("if-none-match"), asset.etag):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media, headers=headers)

    @app.get(
        "/",
        summary="The web data explorer (HTML), or what this API offers (JSON)",
        tags=["About"],
        response_class=Response,
        responses={**_ok("text/html", "application/json")},
    )
    async def root(request: Request) -> Response:
        _snap, view = ctx(request)
        accept = request.headers.get("accept", "")
        if "application/json" in accept and "text/html" not in accept:
            return json_response(about(view), {"Vary": "Accept"})
        return asset_response(request, page.page(), vary="Accept")

    @app.get(
        "/api",
        summary="What this API offers",
        tags=["About"],
        response_class=Response,
        responses={**_ok("application/json")},
    )
    async def api_about(request: Request) -> Response:
        _snap, view = ctx(request)
        return json_response(about(view))

    @app.get(
        "/static/{name}",
        summary="A file of the explorer page",
        tags=["Explorer"],
        response_class=Response,
        responses={**_ok(*sorted(set(page.STATIC_MEDIA.values()))), **_errors(404)},
    )
    async def static(request: Request, name: Annotated[str, PathParam(max_length=64)]) -> Response:
        return asset_response(request, page.static_file(name))

    font_chars: dict[tuple[int, int], frozenset[str]] = {}

    def label_texts(snap: Snapshot, view: View) -> frozenset[str]:
        """The characters of every label of what is released (one entry per store generation and epoch)."""
        key = (snap.generation, view.epoch)
        got = font_chars.get(key)
        if got is None:
            texts = [explorer.meta(view).decode("utf-8")]
            texts += [explorer.meta(view, vintage=v).decode("utf-8") for v in view.released]
            got = page.font_chars(texts)
            font_chars.clear()
            font_chars[key] = got
        return got

    @app.get(
        "/static/fonts/{weight}.woff2",
        summary="The explorer's typeface, cut to the characters it shows",
        tags=["Explorer"],
        response_class=Response,
        responses={**_ok(page.WOFF2), **_errors(404)},
    )
    def font(request: Request, weight: Annotated[str, PathParam(max_length=16)]) -> Response:
        snap, view = ctx(request)
        return asset_response(request, page.web_font(weight, label_texts(snap, view)))

    def openapi() -> dict[str, Any]:
        """The OpenAPI document without FastAPI's 422 answers: invalid parameters get a 400 SDMX error."""
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            doc = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            for ops in doc.get("paths", {}).values():
                for op in ops.values():
                    responses = op.get("responses", {})
                    if responses.pop("422", None) is not None and "400" not in responses:
                        responses["400"] = _errors(400)[400] | {
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorMessage"}}}
                        }
                        responses["400"].pop("model", None)
            for name in ("HTTPValidationError", "ValidationError"):
                doc.get("components", {}).get("schemas", {}).pop(name, None)
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    docs.add_routes(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # inside the front: the cache keeps both forms
    app.add_middleware(Front, state=state)
    # outermost: browsers' preflight requests (OPTIONS) are answered here, before the read-only front
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD"],
        allow_headers=["*"],
        expose_headers=["X-Ktstat-Vintage", "Content-Disposition"],
        max_age=86400,
    )
    return app


__all__ = ["ApiState", "Front", "ResponseCache", "create_app", "env_clock"]
