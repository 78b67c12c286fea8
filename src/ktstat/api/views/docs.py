"""``/docs``: the OpenAPI description rendered by Swagger UI, served from this process (the
``swagger-ui-bundle`` package's files under ``/docs/assets/``), never from a CDN; ``/redoc``
redirects there. Without that package ``/docs`` is a self-contained page listing the operations
of ``/openapi.json`` (no script at all)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


def assets_folder() -> Path | None:
    """The Swagger UI files of the ``swagger-ui-bundle`` package, ``None`` when it is not installed."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    p = Path(swagger_ui_bundle.swagger_ui_path)
    return p if all((p / name).is_file() for name in ASSETS) else None


def _plain_page(app: FastAPI) -> str:
    rows = []
    for path, ops in app.openapi().get("paths", {}).items():
        for method, op in ops.items():
            rows.append(
                f"<tr><td>{html.escape(method.upper())}</td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(str(op.get('summary', '')))}</td></tr>"
            )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>ktstat API</title>"
        "<style>body{font-family:sans-serif;margin:2em}td{padding:2px 8px;border-bottom:1px solid #ddd}</style>"
        "<h1>ktstat API</h1><p>The full description: <a href=/openapi.json>/openapi.json</a>.</p>"
        "<table>" + "".join(rows) + "</table></html>"
    )


def add_routes(app: FastAPI) -> None:
    """``/docs``, ``/docs/assets/{name}`` and ``/redoc`` (module doc)."""
    folder = assets_folder()

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> Response:
        if folder is None:
            return HTMLResponse(_plain_page(app))
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="ktstat API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def asset(name: Annotated[str, PathParam(max_length=64)]) -> Response:
        from ktstat.api.query import not_found

        if folder is None or name not in ASSETS:
            raise not_found(f"no docs asset {name!r}")
        return FileResponse(folder / name, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        return RedirectResponse("/docs")
