"""The ASGI front of the API and its response cache.

:class:`Front` runs before FastAPI's routing: only GET and HEAD (405 otherwise; POST only to
``/factcheck``, which reads its body and is never cached); the snapshot and
the view released by the clock put into ``scope["state"]["ktstat"]``; HEAD answered as GET without
a body; successful responses kept in a :class:`ResponseCache` (keyed by snapshot generation,
number of released vintages, path, query, ``Accept`` and whether gzip is accepted) and answered
from it; SDMX 2.1 data requests handed to the data handler's fast path
(:mod:`ktstat.api.views.sdmx`) without FastAPI's routing. Streamed dumps are not cached, nor any
body larger than the cache's ``max_item``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi.responses import Response

from ktstat.api import formats
from ktstat.api.query import ApiError
from ktstat.api.structure import RESOURCES
from ktstat.api.views import sdmx as sdmx_views

if TYPE_CHECKING:
    from ktstat.api.state import ApiState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Response cache --------------------------------------------------------------------------------------------

Entry = tuple[int, list[tuple[bytes, bytes]], bytes]


class ResponseCache:
    """LRU of finished responses, bounded in entries and bytes; one body at most ``max_item`` bytes."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = 256 << 20, max_item: int = 32 << 20) -> None:
        self.max_entries, self.max_bytes, self.max_item = max_entries, max_bytes, max_item
        self._d: OrderedDict[Any, Entry] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Entry | None:
        got = self._d.get(key)
        if got is None:
            self.misses += 1
            return None
        self._d.move_to_end(key)
        self.hits += 1
        return got

    def put(self, key: Any, entry: Entry) -> None:
        size = len(entry[2])
        if size > self.max_item or self.max_entries <= 0:
            return
        old = self._d.pop(key, None)
        if old is not None:
            self.bytes -= len(old[2])
        self._d[key] = entry
        self.bytes += size
        while len(self._d) > self.max_entries or self.bytes > self.max_bytes:
            _, gone = self._d.popitem(last=False)
            self.bytes -= len(gone[2])

    def clear(self) -> None:
        self._d.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._d)


# The front: clock, refresh, HEAD, methods, cache -------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return bytes(v).decode("latin-1")
    return None


def _cacheable(path: str) -> bool:
    if path.startswith("/releases/"):
        return path.count("/") == 2
    return not path.startswith(("/docs", "/redoc"))


def error_body(
    path: str, accept: str | None, format_param: str | None, err: ApiError, prepared: datetime
) -> tuple[bytes, str]:
    """Body and media type of an error for a request (XML for SDMX requests that asked for XML)."""
    sdmx_path = path.startswith(
        ("/data", "/structure", "/availab", *(f"/{r}" for r in RESOURCES), *(f"/{r}" for r in sdmx_views.UNIMPLEMENTED))
    )
    if sdmx_path and formats.wants_xml(accept, format_param if path.startswith("/data") else None):
        return formats.error_xml(err.code, err.title, err.detail), "application/xml; charset=utf-8"
    return formats.error_json(err.code, err.title, err.detail, prepared), "application/json"


POST_PATHS = frozenset({"/factcheck"})
"""The paths that take POST (reading the request's body, writing nothing): not cached."""


class Front:
    """ASGI layer before the routing: only GET and HEAD (and POST to :data:`POST_PATHS`); the clock
    and the refresh checked on every request (the snapshot and view it sees go into
    ``scope["state"]["ktstat"]``); HEAD answered as GET without a body; successful GET responses
    cached (see :class:`ResponseCache`)."""

    def __init__(self, app: ASGIApp, state: ApiState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"]
        accept = _header(scope, b"accept")
        st = self.state
        if method == "POST" and path in POST_PATHS:  # computed from the request's body: never cached
            scope.setdefault("state", {})["ktstat"] = st.current()
            await self.app(scope, receive, send)
            return
        if method not in ("GET", "HEAD"):
            err = ApiError(405, 1405, f"{method} is not allowed: the API is read-only (GET and HEAD)")
            body, media = error_body(path, accept, None, err, datetime.now(UTC))
            await _send(send, 405, [(b"content-type", media.encode()), (b"allow", b"GET, HEAD")], body, False)
            return
        snap, view = st.current()
        scope.setdefault("state", {})["ktstat"] = (snap, view)
        head = method == "HEAD"
        key = None
        if _cacheable(path) and _header(scope, b"if-none-match") is None:
            gzip = "gzip" in (_header(scope, b"accept-encoding") or "")
            key = (snap.generation, view.epoch, path, scope.get("query_string", b""), accept, gzip)
            hit = st.cache.get(key)
            if hit is not None:
                await _send(send, hit[0], hit[1], hit[2], head)
                return
        if path.startswith("/data/") and st.fast_data is not None:
            got = await st.fast_data(scope)
            if isinstance(got, Response):  # a streamed dump: not cached

                async def head_send(message: Message) -> None:
                    if message["type"] == "http.response.body":
                        if not message.get("more_body", False):
                            await send({"type": "http.response.body", "body": b"", "more_body": False})
                        return
                    await send(message)

                await got(scope, receive, head_send if head else send)
                return
            if got is not None:
                if key is not None and got[0] == 200:
                    st.cache.put(key, got)
                await _send(send, got[0], got[1], got[2], head)
                return
        if head:
            scope = dict(scope, method="GET")
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started["status"] = message["status"]
                started["headers"] = list(message.get("headers", []))
                await send(message)
                return
            if message["type"] == "http.response.body":
                more = message.get("more_body", False)
                if key is not None and started.get("status") == 200 and not started.get("big"):
                    chunks.append(message.get("body", b""))
                    started["size"] = started.get("size", 0) + len(chunks[-1])
                    if started["size"] > st.cache.max_item:  # too big to keep: stop collecting
                        started["big"] = True
                        chunks.clear()
                    elif not more:
                        st.cache.put(key, (200, started["headers"], b"".join(chunks)))
                if head:
                    if not more:
                        await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return
            await send(message)

        await self.app(scope, receive, capture)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, head: bool) -> None:
    if not any(k == b"content-length" for k, _ in headers):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body, "more_body": False})
