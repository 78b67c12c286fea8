"""The web data explorer's files: the page at ``/``, its script, style and interface strings under
``/static/``, and its typeface under ``/static/fonts/``.

The page (``static/explorer.html``, ``explorer.js``, ``explorer.css``) is static, with its
interface strings ``i18n.json`` made from the ``[explorer]`` section of the terms catalogue
(:mod:`ktstat.terms`, one per language, shared with the publications); the page reads
everything it shows from the JSON endpoints (:mod:`ktstat.api.explorer`), which know released
vintages only, so the page itself can hold nothing embargoed. Nothing comes from a CDN.

The typeface is the publications' Noto Sans CJK (:mod:`ktstat.publish.fonts`) cut to the
characters the page can show: printable ASCII and Latin-1, general punctuation, the interface
strings (``i18n.json`` and the page's own text), the terms catalogues and every label of the
served programmes' code lists (:func:`domain_chars`), as WOFF2 (tens of kB instead of 16 MB), so
Korean renders the same on a machine without Korean fonts. It is cut when the app starts (in a
thread; ``ktstat serve`` waits for it before it listens) and kept beside the vintage snapshots
(``<snapshots>/fonts/``), so a restart reads it instead of cutting it again; never on a reader's
first request.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ktstat.api.query import not_found

if TYPE_CHECKING:
    from ktstat.api.index import DomainInfo

LOG = logging.getLogger("ktstat.api")

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


_domain_chars: dict[tuple[tuple[str, str], ...], frozenset[str]] = {}


def domain_chars(domains: Mapping[str, DomainInfo]) -> frozenset[str]:
    """The characters the page can show for these programmes (:func:`font_chars` of the terms
    catalogues, each programme's names and code-list labels, measure names, and the digits and
    words of dates): fixed by the programmes' definitions, not by what is released, so the
    typeface is cut once, at start (cached per set of programme definitions)."""
    key = tuple(sorted((d, info.domain.version) for d, info in domains.items()))
    got = _domain_chars.get(key)
    if got is None:
        from ktstat.publish.sdmx import FREQ_NAMES, STATUS_NAMES, UNIT_NAMES
        from ktstat.terms import LANGS, terms

        programmes = [None, *domains]
        texts = [
            text
            for lang in LANGS
            for prog in programmes
            for section in TERM_SECTIONS
            for text in terms(lang, prog).section(section).values()
        ]
        texts.append(_DATE_WORDS)
        for names in (FREQ_NAMES, STATUS_NAMES, UNIT_NAMES):
            texts += [t for pair in names.values() for t in pair]
        for info in domains.values():
            dom = info.domain
            texts += [dom.label_en, dom.label_ko]
            texts += [t for c in info.lists.breakdowns.values() for t in (c.en, c.ko)]
            texts += [t for c in info.lists.items.values() for t in (c.en, c.ko)]
            texts += [t for m in info.codes["MEASURE"] for t in info.code_label("MEASURE", m)]
        got = _domain_chars[key] = font_chars(texts)
    return got


TERM_SECTIONS = (
    "period",
    "period_short",
    "basis",
    "measure",
    "measure_long",
    "measure_kind",
    "press",
    "word",
    "explorer",
)
"""The sections of the terms catalogue whose words the page shows (besides ``[explorer]``: the
key figures' words, as the press release has them)."""

_DATE_WORDS = "년월일시분초오전후억만달러"
"""Korean dates and times (``2025년 9월 17일 오후 12:00``) and amounts (``197.1억 달러``,
:mod:`ktstat.release.numbers`)."""

_font_lock = threading.Lock()
_font_cache: dict[tuple[str, frozenset[str]], Asset] = {}


def font_file(weight: str, chars: frozenset[str]) -> str:
    """The name a cut typeface is kept under on disk: its weight and a hash of its characters
    (``explorer-regular-<16 hex>.woff2``)."""
    digest = hashlib.sha256("".join(sorted(chars)).encode("utf-8")).hexdigest()[:16]
    return f"explorer-{weight}-{digest}.woff2"


def web_font(weight: str, chars: frozenset[str], folder: Path | None = None) -> Asset:
    """The typeface in ``weight`` (``regular`` or ``bold``) cut to ``chars``, as WOFF2; cached per
    (weight, characters) in memory and, given ``folder``, on disk (:func:`font_file`; read from
    there when present, written there when missing; a folder that cannot be written is left alone), so a
    restarted server does not cut it again. ``ApiError`` 404 for another weight."""
    if weight not in FONT_WEIGHTS:
        raise not_found(f"no font {weight!r}; fonts: {', '.join(w + '.woff2' for w in FONT_WEIGHTS)}")
    key = (weight, chars)
    with _font_lock:
        got = _font_cache.get(key)
        if got is None:
            path = folder / font_file(weight, chars) if folder is not None else None
            body = _read_font(path) if path is not None else None
            if body is None:
                from ktstat.publish.fonts import cut_font, korean_font_paths

                body, _kept, _has = cut_font(korean_font_paths()[weight], set(chars), flavor="woff2")
                if path is not None:
                    _write_font(path, body)
            got = _font_cache[key] = _asset(body, WOFF2)
            for old in [k for k in _font_cache if k[0] == weight and k != key]:
                del _font_cache[old]
        elif folder is not None and not (folder / font_file(weight, chars)).is_file():
            _write_font(folder / font_file(weight, chars), got.body)  # cut for another folder: keep it here too
        return got


def _read_font(path: Path) -> bytes | None:
    try:
        body = path.read_bytes()
    except OSError:
        return None
    return body if body[:4] == b"wOF2" else None


def _write_font(path: Path, body: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
        tmp.write_bytes(body)
        tmp.replace(path)
    except OSError as e:
        LOG.warning("could not keep the cut typeface in %s: %s", path.parent, e)


__all__ = [
    "FONT_WEIGHTS",
    "STATIC_MEDIA",
    "Asset",
    "domain_chars",
    "etag_matches",
    "font_chars",
    "font_file",
    "page",
    "static_file",
    "web_font",
]
