"""The web data explorer's files: the page at ``/``, its script, style and interface strings under
``/static/``, and its typeface under ``/static/fonts/``.

The page (``static/explorer.html``, ``explorer.js``, ``explorer.css``) is static, with its
interface strings ``i18n.json`` made from the ``[explorer]`` section of the terms catalogue
(:mod:`ktstat.terms`, one per language, shared with the publications); the page reads
everything it shows from the JSON endpoints (:mod:`ktstat.api.explorer`), which know released
vintages only, so the page itself can hold nothing embargoed. Nothing comes from a CDN.

The typeface is the publications' Noto Sans CJK (:mod:`ktstat.publish.fonts`) cut to the
characters the page can show: printable ASCII and Latin-1, general punctuation, the interface
strings (``i18n.json`` and the page's own text), and every label of the released vintages
(programmes, breakdowns, items, periods, measures, statuses, units; all in
:func:`ktstat.api.explorer.meta`), as WOFF2 (tens of kB instead of 16 MB), so Korean renders the
same on a machine without Korean fonts.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from importlib import resources

from ktstat.api.query import not_found

STATIC_MEDIA = {
    "explorer.html": "text/html; charset=utf-8",
    "explorer.js": "text/javascript; charset=utf-8",
    "explorer.css": "text/css; charset=utf-8",
    "i18n.json": "application/json",
}
"""The files of ``static/`` served under ``/static/``, with their media types."""

FONT_WEIGHTS = ("regular", "bold")
WOFF2 = "font/woff2"

_BASE_CHARS = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x100)]
    + [chr(c) for c in range(0x2010, 0x2027)]
    + list("\u2212\u00b7\u2026")
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    media: str
    etag: str


def _asset(body: bytes, media: str) -> Asset:
    return Asset(body, media, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


_static_cache: dict[str, Asset] = {}


def static_file(name: str) -> Asset:
    """One file of ``static/`` (a key of :data:`STATIC_MEDIA`); ``ApiError`` 404 for any other name."""
    media = STATIC_MEDIA.get(name)
    if media is None:
        raise not_found(f"no static file {name!r}; files: {', '.join(sorted(STATIC_MEDIA))}")
    got = _static_cache.get(name)
    if got is None:
        body = _i18n() if name == "i18n.json" else resources.files("ktstat.api").joinpath("static", name).read_bytes()
        got = _static_cache[name] = _asset(body, media)
    return got


def _i18n() -> bytes:
    """``i18n.json``: ``{"en": {key: string}, "ko": {...}}``, the ``[explorer]`` terms of each language."""
    import json

    from ktstat.terms import LANGS, terms

    doc = {lang: terms(lang).section("explorer") for lang in LANGS}
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header matches ``etag``: ``*``, or any entry of its list,
    weak (``W/``) or strong, compared by the quoted tag (the weak comparison of RFC 9110)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(part.strip().removeprefix("W/") == etag for part in header.split(","))


def page() -> Asset:
    """The explorer page (``static/explorer.html``)."""
    return static_file("explorer.html")


def font_chars(texts: list[str]) -> frozenset[str]:
    """The characters the page can show: the fixed Latin set, the interface strings and ``texts``
    (the labels of what is released), without whitespace and control characters."""
    from ktstat.publish.fonts import visible

    own = [static_file(name).body.decode("utf-8") for name in ("i18n.json", "explorer.html")]
    return frozenset(visible(set(_BASE_CHARS).union(*own, *texts)))


_font_lock = threading.Lock()
_font_cache: dict[tuple[str, frozenset[str]], Asset] = {}


def web_font(weight: str, chars: frozenset[str]) -> Asset:
    """The typeface in ``weight`` (``regular`` or ``bold``) cut to ``chars``, as WOFF2; cached per
    (weight, characters). ``ApiError`` 404 for another weight."""
    if weight not in FONT_WEIGHTS:
        raise not_found(f"no font {weight!r}; fonts: {', '.join(w + '.woff2' for w in FONT_WEIGHTS)}")
    key = (weight, chars)
    with _font_lock:
        got = _font_cache.get(key)
        if got is None:
            from ktstat.publish.fonts import cut_font, korean_font_paths

            body, _kept, _has = cut_font(korean_font_paths()[weight], set(chars), flavor="woff2")
            got = _font_cache[key] = _asset(body, WOFF2)
            for old in [k for k in _font_cache if k[0] == weight and k != key]:
                del _font_cache[old]
        return got


__all__ = ["FONT_WEIGHTS", "STATIC_MEDIA", "Asset", "etag_matches", "font_chars", "page", "static_file", "web_font"]
