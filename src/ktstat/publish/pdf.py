"""HTML to PDF with WeasyPrint, the project's font embedded, nothing fetched from the network.

WeasyPrint (pip) lays out with Pango, HarfBuzz and fontconfig, which it loads from the system
(Debian: libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz0b, libfontconfig1). The text is set in
:data:`~ktstat.publish.fonts.FONT_FAMILY`, the pip-installed Noto Sans CJK of
:mod:`ktstat.publish.fonts`.

Before rendering, each weight of the font is cut down with fontTools to the characters the
document can use (those of the HTML, with its inline CSS, and a fixed set of Latin, punctuation and
symbols), in a temporary folder, and the document's ``@font-face`` URLs of the installed files
(those :func:`~ktstat.publish.fonts.font_face_css` writes) are pointed at the cut-down files. The
full fonts have 65,535 glyphs each: WeasyPrint's own subsetting of them takes several seconds per
weight when the system lacks HarfBuzz-Subset (Debian ``libharfbuzz-subset0``, absent from a fresh
machine), against well under one second for the cut-down files. Text that layout produces from
elsewhere (list markers, an external stylesheet's ``content``) is checked after layout: characters the font has
but the cut missed trigger a second cut and layout, so the output is the same as with the full font.
"""

from __future__ import annotations

import html as htmllib
import logging
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ktstat.publish.fonts import FONT_FAMILY, WEIGHTS, cut_font, font_face_css, korean_font_paths, visible

LOG = logging.getLogger(__name__)

# Characters always kept in the cut-down font: printable ASCII and Latin-1 (page counters, list
# markers, quotes, hyphenation), general punctuation, the minus and a few symbols and CJK marks.
_ALWAYS = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x100)]
    + [chr(c) for c in range(0x2010, 0x2028)]
    + [chr(c) for c in range(0x2030, 0x203B)]
    + [chr(c) for c in range(0x2190, 0x2194)]
    + [chr(c) for c in range(0x3000, 0x3012)]
    + list("\u2116\u2122\u2212\u2215\u2236")
    + list("\u25a0\u25a1\u25aa\u25b2\u25b3\u25b6\u25bc\u25bd\u25c6\u25c7\u25cb\u25cf\u25e6")
)


# A user stylesheet (below the document's own CSS): the font is the default of the body and of
# the page-margin boxes, which do not inherit from the body.
_DEFAULT_CSS = f'html {{ font-family: "{FONT_FAMILY}"; }}\n@page {{ font-family: "{FONT_FAMILY}"; }}\n'


def _cut(src: Path, dst: Path, chars: set[str]) -> tuple[set[str], set[str]]:
    """Write to ``dst`` the font ``src`` reduced to ``chars`` (:func:`~ktstat.publish.fonts.cut_font`);
    returns (the characters kept, every character ``src`` has)."""
    data, keep, has = cut_font(src, chars)
    dst.write_bytes(data)
    return keep, has


class _DropSubsetNotice(logging.Filter):
    """Hides WeasyPrint's notice that it subsets with fontTools: it does so only for the small
    cut-down fonts, where that costs nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "instead of HarfBuzz-Subset" not in record.getMessage()


def _laid_out_text(document: Any) -> str:
    """All text of a rendered WeasyPrint document, margin boxes and generated content included."""
    from weasyprint.formatting_structure.boxes import TextBox

    parts: list[str] = []
    for page in document.pages:
        parts.extend(box.text for box in page._page_box.descendants(placeholders=True) if isinstance(box, TextBox))
    return "".join(parts)


def html_to_pdf(html: str, out: Path, base_url: Path | None = None) -> Path:
    """Render the HTML document ``html`` to the PDF file ``out`` (parents created, overwritten) and
    return ``out``.

    Relative URLs in ``html`` resolve against ``base_url`` (a folder or a file); only ``file:`` and
    ``data:`` URLs are fetched, anything else is skipped with a WeasyPrint error message, so
    nothing is downloaded. The document is set in ``KtstatSans`` unless its CSS says otherwise
    (page-margin boxes included); its ``@font-face`` rules from
    :func:`~ktstat.publish.fonts.font_face_css` are optional (added when absent). The weights used
    are embedded as OpenType/CFF subsets and the text extracts as Unicode. Characters the font
    lacks are set in whatever system font fontconfig finds, and logged as a warning. The bytes are
    the same for the same input when ``SOURCE_DATE_EPOCH`` is set (otherwise the embedded fonts
    carry the time of writing). Raises :class:`~ktstat.publish.fonts.FontMissingError` when a font
    package is missing; WeasyPrint needs Pango (>= 1.44) from the system."""
    with warnings.catch_warnings():
        # WeasyPrint 70 warns at import when the system lacks HarfBuzz-Subset; see the module doc.
        warnings.filterwarnings("ignore", message=".*HarfBuzz-Subset.*")
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

    full = korean_font_paths()
    wanted = visible(htmllib.unescape(html)) | _ALWAYS
    fetcher = URLFetcher(allowed_protocols={"file", "data"})
    weasy_log = logging.getLogger("weasyprint")
    notice = _DropSubsetNotice()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ktstat-pdf-") as tmp:
        cut = {w: Path(tmp) / f"KtstatSans-{w}.otf" for w in WEIGHTS}

        def render(chars: set[str]) -> tuple[Any, set[str], set[str]]:
            kept: set[str] = set()
            has: set[str] = set()
            for w in WEIGHTS:
                k, h = _cut(full[w], cut[w], chars)
                kept |= k
                has |= h
            doc = _point_fonts(html, full, cut)
            config = FontConfiguration()
            css = _DEFAULT_CSS + ("" if cut["regular"].as_uri() in doc else font_face_css(cut))
            sheets = [CSS(string=css, font_config=config)]
            rendered = HTML(
                string=doc, base_url=None if base_url is None else str(base_url), url_fetcher=fetcher
            ).render(stylesheets=sheets, font_config=config)
            return rendered, kept, has

        document, kept, has = render(wanted)
        laid_out = visible(_laid_out_text(document))
        if missed := (laid_out - kept) & has:
            LOG.debug("second cut for characters found only after layout: %s", "".join(sorted(missed)))
            document, kept, has = render(wanted | missed)
        if lacking := laid_out - has:
            LOG.warning(
                "%s: the font has no glyph for %s; set in a fallback font",
                out,
                " ".join(f"U+{ord(c):04X}" for c in sorted(lacking)),
            )
        weasy_log.addFilter(notice)
        try:
            document.write_pdf(out)
        finally:
            weasy_log.removeFilter(notice)
    return out


def _point_fonts(html: str, full: Mapping[str, Path], cut: Mapping[str, Path]) -> str:
    """``html`` with the ``file://`` URLs of the installed fonts replaced by those of the cut-down ones."""
    for weight, path in full.items():
        html = html.replace(path.resolve().as_uri(), cut[weight].as_uri())
    return html
