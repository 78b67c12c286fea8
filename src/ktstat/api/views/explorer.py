"""Explorer routes: the page (``/``, ``/static/...``, the typeface cut to the labels shown), what
the API offers (``/api``), and the explorer's JSON (``/api/meta``, ``/api/table`` and its CSV and
Excel downloads; documents in :mod:`ktstat.api.explorer`)."""

from __future__ import annotations

import logging
import threading
from typing import Annotated

import orjson
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from ktstat.api import explorer, home, models, page
from ktstat.api.index import View
from ktstat.api.state import ApiState
from ktstat.api.views.common import (
    XLSX,
    BreakdownQ,
    Ctx,
    DataflowQ,
    LangQ,
    MeasureQ,
    PeriodQ,
    VintageQ,
    errors,
    json_doc,
    json_response,
    ok,
    section,
)

LOG = logging.getLogger("ktstat.api")


def add_routes(app: FastAPI, state: ApiState, ctx: Ctx) -> None:
    """Add the explorer's routes to ``app``."""

    explorer_doc = explorer.__doc__ or ""

    @app.get(
        "/api/meta",
        summary="Everything the explorer needs to build its menus",
        tags=["Explorer"],
        description=section(explorer_doc, "``GET /api/meta", "``GET /api/table"),
        response_class=Response,
        responses={**json_doc(models.MetaDoc), **errors(400, 404)},
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

    table_errors = errors(400, 404, 413)

    @app.get(
        "/api/table",
        summary="One breakdown's items by periods and measures",
        tags=["Explorer"],
        description=section(explorer_doc, "``GET /api/table"),
        response_class=Response,
        responses={**json_doc(models.TableDoc), **table_errors},
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
        responses={**ok("text/csv"), **table_errors},
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
        responses={**ok(XLSX), **table_errors},
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
        responses={**ok("text/html", "application/json")},
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
        responses={**ok("application/json")},
    )
    async def api_about(request: Request) -> Response:
        _snap, view = ctx(request)
        return json_response(about(view))

    @app.get(
        "/static/{name}",
        summary="A file of the explorer page",
        tags=["Explorer"],
        response_class=Response,
        responses={**ok(*sorted(set(page.STATIC_MEDIA.values()))), **errors(404)},
    )
    async def static(request: Request, name: Annotated[str, PathParam(max_length=64)]) -> Response:
        return asset_response(request, page.static_file(name))

    fonts_dir = state.snapshots / "fonts"
    fonts_ready = threading.Event()
    app.state.fonts_ready = fonts_ready

    def warm() -> None:
        """Cut the typeface for what the snapshot's programmes can show (or read it from
        ``fonts_dir``), so that no reader waits for it."""
        try:
            chars = page.domain_chars(state.snapshot.domains)
            for weight in page.FONT_WEIGHTS:
                page.web_font(weight, chars, fonts_dir)
        except Exception:  # the first request cuts it then, and reports what fails
            LOG.exception("cutting the explorer's typeface at start failed")
        finally:
            fonts_ready.set()

    threading.Thread(target=warm, name="ktstat-fonts", daemon=True).start()

    @app.get(
        "/static/fonts/{weight}.woff2",
        summary="The explorer's typeface, cut to the characters it shows",
        tags=["Explorer"],
        response_class=Response,
        responses={**ok(page.WOFF2), **errors(404)},
    )
    def font(request: Request, weight: Annotated[str, PathParam(max_length=16)]) -> Response:
        snap, _view = ctx(request)
        return asset_response(
            request, page.web_font(weight, page.domain_chars(snap.domains), fonts_dir), cache="no-cache"
        )

    @app.get(
        "/api/home",
        summary="Each programme's latest release in brief, and the release calendar",
        tags=["Explorer"],
        description=home.__doc__ or "",
        response_class=Response,
        responses=json_doc(models.HomeDoc),
    )
    async def api_home(request: Request) -> Response:
        snap, view = ctx(request)
        now = state.clock()
        progs = [home.programme(view.default[d], snap.releases, now) for d in view.flows.values()]
        served = [(info.domain, info.flow) for _d, info in sorted(snap.domains.items())]
        doc = {"programmes": progs, "calendar": home.release_calendar(served, view, now)}
        return json_response(orjson.dumps(doc))

    @app.get(
        "/api/search",
        summary="Items of every programme and breakdown whose name holds a text (English or Korean)",
        tags=["Explorer"],
        response_class=Response,
        responses={**json_doc(models.SearchDoc), **errors(400)},
    )
    async def api_search(request: Request, q: Annotated[str, Query(max_length=100)] = "") -> Response:
        _snap, view = ctx(request)
        return json_response(orjson.dumps({"q": q, "results": home.search(view, q)}))
