"""Fact-check routes: ``POST /factcheck`` (an article's numeric claims against the released
figures) and ``GET /factcheck`` (the page to paste an article into); see :mod:`ktstat.api.factcheck`."""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Annotated, Literal

import orjson
from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from ktstat.api import factcheck, page
from ktstat.api.state import ApiState
from ktstat.api.views.common import Ctx, errors, json_doc, ok, section


def add_routes(app: FastAPI, state: ApiState, ctx: Ctx) -> None:
    """Add the fact-check routes to ``app``."""
    source = factcheck.FigureSource(state.snapshots)
    doc = factcheck.__doc__ or ""
    answer = json_doc(factcheck.FactcheckDoc, "The claims (JSON), or the highlighted article (format=html)")
    answer[200]["content"]["text/html"] = {}

    @app.post(
        "/factcheck",
        summary="Check the numbers of a press article against the released figures",
        tags=["Fact-check"],
        description=section(doc, "``POST /factcheck``", "The page"),
        response_class=Response,
        responses={**answer, **errors(400, 404)},
    )
    def post_factcheck(
        request: Request,
        body: factcheck.FactcheckRequest,
        fmt: Annotated[
            Literal["json", "html"], Query(alias="format", description="json, or html: the highlighted article")
        ] = "json",
    ) -> Response:
        from ktstat.factcheck.report import check_article, to_doc, to_html, to_text

        snap, view = ctx(request)
        figures, day = source.figures(snap, view, state.clock(), body.as_of, body.release)
        article = check_article(body.path, to_text(body.text, body.path), figures, body.lang, day)
        headers = {"X-Ktstat-Vintage": ",".join(figures.vintages()), "Cache-Control": "no-store"}
        if fmt == "html":
            return Response(to_html([article]), media_type="text/html; charset=utf-8", headers=headers)
        return Response(orjson.dumps(to_doc([article])), media_type="application/json", headers=headers)

    html = resources.files("ktstat.api").joinpath("static", "factcheck.html").read_bytes()
    asset = page.Asset(html, "text/html; charset=utf-8", '"' + hashlib.sha256(html).hexdigest()[:32] + '"')

    @app.get(
        "/factcheck",
        summary="The fact-check page: paste an article, see its claims checked (HTML)",
        tags=["Fact-check"],
        response_class=Response,
        responses={**ok("text/html")},
    )
    async def factcheck_page(request: Request) -> Response:
        headers = {"ETag": asset.etag, "Cache-Control": "no-cache"}
        if page.etag_matches(request.headers.get("if-none-match"), asset.etag):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media, headers=headers)
