"""Release routes: ``/releases`` (the released vintages per domain), ``/releases/{vintage}`` (one
vintage and its documents) and ``/releases/{vintage}/{file}`` (a file of its release folder, only
one the manifest lists and only while its SHA-256 matches)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response

from ktstat.api import explorer, models
from ktstat.api.index import View
from ktstat.api.query import not_found
from ktstat.api.state import ApiState
from ktstat.api.views.common import MEDIA, Ctx, NameP, VintageP, errors, json_doc, json_response, ok


def add_routes(app: FastAPI, state: ApiState, ctx: Ctx) -> None:
    """Add the release routes to ``app``."""

    @app.get(
        "/releases",
        summary="Released vintages per domain",
        tags=["Releases"],
        response_class=Response,
        responses=json_doc(models.ReleasesDoc),
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
        responses={**json_doc(models.ReleaseDoc), **errors(404)},
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
        responses={**ok(*sorted(set(MEDIA.values()))), **errors(404)},
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
