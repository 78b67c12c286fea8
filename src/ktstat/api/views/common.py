"""What the route modules of :mod:`ktstat.api.views` share: the request's snapshot and view, the
OpenAPI response documentation helpers, the common query parameters and media types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query, Request
from fastapi.responses import Response

from ktstat.api import models
from ktstat.api.index import Snapshot, View

Ctx = Callable[[Request], tuple[Snapshot, View]]

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


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
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


def ok(*media: str, description: str = "Success") -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {m: {} for m in media}}}


def json_doc(model: type[Any], description: str = "Success") -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "model": model, "content": {"application/json": {}}}}


def section(text: str, start: str, end: str | None = None) -> str:
    """The part of a docstring from the paragraph starting with ``start`` up to ``end``."""
    body = text[text.index(start) :] if start in text else text
    return body[: body.index(end)] if end and end in body else body


def json_response(body: bytes, extra: dict[str, str] | None = None) -> Response:
    """A JSON response of already serialised ``body``, with ``extra`` headers."""
    return Response(body, media_type="application/json", headers=extra)
