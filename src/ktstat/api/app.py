"""The ktstat REST API: released vintages as SDMX, plus JSON for the web data explorer.

``create_app(store, now=None, releases_dir=None)`` returns a FastAPI application that serves the
vintages' immutable snapshot files (``<store>.vintages/``, written by ``ktstat release`` and
``ktstat publish``; read again by a watcher within ``refresh_seconds`` of a new one appearing;
the store itself is opened only once at start, read-only, to write missing snapshots) and
serves **released vintages only**: a vintage whose ``release_at`` is after the clock does not
exist for any endpoint, and appears, without a restart, on the first request after its time.
The clock is ``now()`` (default: the real UTC time, or the fixed time of the environment
variable ``KTSTAT_NOW``, ISO 8601 with a zone). Only GET and HEAD are answered (and POST to
``/factcheck``, which reads an article); nothing is ever written to the store.

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

Fact-check (see :mod:`ktstat.api.factcheck`):

- ``POST /factcheck`` with ``{"text", "lang", "as_of", "release", "path"}`` -> the numeric claims of
  the article, each with its cell, the released value and a verdict (``ktstat factcheck --format
  json``'s document; ``?format=html``: the article highlighted); ``GET /factcheck``: a page to
  paste an article into (English and Korean).

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

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ktstat.api.front import Front, ResponseCache, error_body
from ktstat.api.index import LOG, Snapshot, View
from ktstat.api.query import ApiError
from ktstat.api.state import ApiState, env_clock
from ktstat.api.views import docs, releases
from ktstat.api.views import explorer as explorer_views
from ktstat.api.views import factcheck as factcheck_views
from ktstat.api.views import sdmx as sdmx_views
from ktstat.api.views.common import errors, ok

MAX_OBSERVATIONS = 500_000

# The app -------------------------------------------------------------------------------------------------------


def create_app(
    store: Path,
    now: Callable[[], datetime] | None = None,
    releases_dir: Path | None = None,
    *,
    max_observations: int = MAX_OBSERVATIONS,
    refresh_seconds: float = 0.25,
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
            err = ApiError(405, 1405, "only GET and HEAD are allowed (and POST to /factcheck)")
        else:
            err = ApiError(exc.status_code, exc.status_code, str(exc.detail))
        return failure(request, err)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        LOG.exception("internal error answering %s", request.url)
        return failure(request, ApiError(500, 500, "internal error; it has been logged"))

    sdmx_views.add_routes(app, state, ctx, errors, ok)  # data, structures, availability (REST 2.1 and 2.0)
    releases.add_routes(app, state, ctx)
    explorer_views.add_routes(app, state, ctx)
    factcheck_views.add_routes(app, state, ctx)

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
                        responses["400"] = errors(400)[400] | {
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
        allow_methods=["GET", "HEAD", "POST"],
        allow_headers=["*"],
        expose_headers=["X-Ktstat-Vintage", "Content-Disposition"],
        max_age=86400,
    )
    return app


__all__ = ["ApiState", "Front", "ResponseCache", "create_app", "env_clock"]
