"""The typeface of the publications: Noto Sans CJK, installed by pip, for English and Korean alike.

The font files come from two PyPI packages pinned in ``requirements.lock``:
``noto-cjk-sans-jp-regular`` and ``noto-cjk-sans-jp-bold`` (Noto Sans CJK 2.004, SIL Open Font
License 1.1; one OpenType/CFF file each, about 16.5 and 17 MB). Every regional variant of Noto Sans
CJK carries the same complete Hangul (all 11,172 syllables and the compatibility jamo) and Latin;
they differ only in the default forms of Han ideographs, and the fonts' ``locl`` feature gives the
Korean forms to text tagged Korean (``lang="ko"`` in HTML, ``text.language`` in matplotlib).
Nothing is looked up on the system or downloaded: a missing package is an error that says how to
install it.

Documents name the face :data:`FONT_FAMILY`; :func:`font_face_css` defines it for HTML and
WeasyPrint, and the charts register the same files with matplotlib.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ktstat.errors import KtstatError

FONT_FAMILY = "KtstatSans"
"""The CSS family name that :func:`font_face_css` defines (HTML and PDF)."""

WEIGHTS: dict[str, int] = {"regular": 400, "bold": 700}
"""The weights shipped, by name, with their CSS ``font-weight``."""

# weight -> (distribution, importable module, font file inside the module)
_PACKAGES: dict[str, tuple[str, str, str]] = {
    "regular": ("noto-cjk-sans-jp-regular", "noto_cjk_sans_jp_regular", "NotoSansCJKjp-Regular.otf"),
    "bold": ("noto-cjk-sans-jp-bold", "noto_cjk_sans_jp_bold", "NotoSansCJKjp-Bold.otf"),
}


class FontMissingError(KtstatError):
    """A font package the publications need is not installed (or not as plain files)."""


def _locate(weight: str) -> Path:
    dist, module, filename = _PACKAGES[weight]
    hint = f"install it with ./run (requirements.lock) or: pip install {dist}==0.0.1"
    try:
        ref = resources.files(module).joinpath(filename)
    except ModuleNotFoundError:
        raise FontMissingError(f"the {weight} font is missing: package {dist} is not installed; {hint}") from None
    if not isinstance(ref, Path) or not ref.is_file():
        raise FontMissingError(f"the {weight} font is missing: {dist} has no file {filename}; {hint}")
    return ref


def korean_font_paths() -> dict[str, Path]:
    """The installed font files by weight name (``"regular"``, ``"bold"``, the keys of :data:`WEIGHTS`).

    Each value is an absolute path to an existing OpenType file covering Latin and all of Hangul.
    Raises :class:`FontMissingError` naming the pip package when one is not installed."""
    return {weight: _locate(weight) for weight in WEIGHTS}


def font_face_css_urls(urls: Mapping[str, str], fmt: str = "woff2") -> str:
    """``@font-face`` rules defining :data:`FONT_FAMILY` in each weight (keys of :data:`WEIGHTS`)
    from the given URLs, e.g. relative ones to font files written beside a document."""
    rules = []
    for weight, url in urls.items():
        if weight not in WEIGHTS:
            raise ValueError(f"unknown font weight {weight!r}; expected one of {sorted(WEIGHTS)}")
        rules.append(
            f'@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: {WEIGHTS[weight]}; '
            f'src: url("{url}") format("{fmt}"); }}'
        )
    return "\n".join(rules) + "\n"


def font_face_css(paths: Mapping[str, Path] | None = None) -> str:
    """``@font-face`` rules defining :data:`FONT_FAMILY` in each weight, with ``file://`` URLs.

    ``paths`` maps weight names (keys of :data:`WEIGHTS`) to font files; by default the installed
    files of :func:`korean_font_paths`. The rules are for WeasyPrint and for an HTML file opened on
    the machine that wrote it (a copy moved elsewhere falls back to the reader's fonts). The text
    is deterministic for the same paths."""
    files = korean_font_paths() if paths is None else paths
    rules = []
    for weight, path in files.items():
        if weight not in WEIGHTS:
            raise ValueError(f"unknown font weight {weight!r}; expected one of {sorted(WEIGHTS)}")
        fmt = "opentype" if path.suffix.lower() == ".otf" else "truetype"
        rules.append(
            f'@font-face {{ font-family: "{FONT_FAMILY}"; font-style: normal; font-weight: {WEIGHTS[weight]}; '
            f'src: url("{path.resolve().as_uri()}") format("{fmt}"); }}'
        )
    return "\n".join(rules) + "\n"


def visible(chars: Iterable[str]) -> set[str]:
    """The characters that need a glyph: no whitespace, controls or format characters."""
    return {c for c in chars if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")}


def cut_font(src: Path, chars: set[str], flavor: str | None = None) -> tuple[bytes, set[str], set[str]]:
    """The font file ``src`` reduced to ``chars``, with the layout features text shaping applies by
    default (``locl``, so the Korean forms, ``kern``, ``liga``, ``ccmp``...), as OpenType bytes, or
    WOFF2 with ``flavor="woff2"`` (needs ``brotli``). Returns (bytes, the characters kept, every
    character ``src`` has). Deterministic for the same inputs (no timestamp is recalculated).

    Cut from a first cut of ``src`` to every character of the project's text data
    (:func:`_text_chars`, made once per process and font) when ``chars`` are all in it: the
    glyphs and features are the same, and parsing the small font instead of the whole CJK one
    makes a cut about ten times faster."""
    has = _font_chars(src)
    keep = chars & has
    return _cut_memo(src, frozenset(keep), flavor), keep, set(has)


@functools.lru_cache(maxsize=16)
def _cut_memo(src: Path, keep: frozenset[str], flavor: str | None) -> bytes:
    """:func:`cut_font`'s bytes, remembered: a release published again (or its PDF and HTML of the
    same text) asks for the same cut."""
    import io

    base, in_base = _base_cut(src)
    source: Path | io.BytesIO = io.BytesIO(base) if keep <= in_base else src
    return _cut(source, set(keep), flavor)


def _cut(source: Path | Any, keep: set[str], flavor: str | None) -> bytes:
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(
        source if not isinstance(source, Path) else str(source), lazy=True, recalcTimestamp=False, recalcBBoxes=False
    )
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = True
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(keep)))
    subsetter.subset(font)
    font.flavor = flavor
    out = io.BytesIO()
    font.save(out)
    font.close()
    return out.getvalue()


@functools.cache
def _font_chars(src: Path) -> frozenset[str]:
    """Every character the font file ``src`` has a glyph for."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(src), lazy=True)
    try:
        return frozenset(chr(c) for c in font.getBestCmap())
    finally:
        font.close()


@functools.cache
def _base_cut(src: Path) -> tuple[bytes, frozenset[str]]:
    """``src`` cut to :func:`_text_chars` (OpenType bytes) and the characters it keeps."""
    keep = set(_text_chars() & _font_chars(src))
    return _cut(src, keep, None), frozenset(keep)


@functools.cache
def _text_chars() -> frozenset[str]:
    """The characters publications are made of: printable ASCII, Latin-1 and Latin Extended-A,
    general punctuation, arrows and mathematical operators, and every character of the
    package's text data (the terms, code lists and domain files, in both languages)."""
    ranges = ((0x20, 0x7F), (0xA0, 0x180), (0x2000, 0x2070), (0x20A0, 0x20C0), (0x2100, 0x2200), (0x2200, 0x2300))
    chars = {chr(c) for lo, hi in ranges for c in range(lo, hi)}
    root = resources.files("ktstat")
    todo = [root / "terms", root / "codelists", root / "domains"]
    while todo:
        folder = todo.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                todo.append(entry)
            elif entry.name.endswith((".toml", ".csv")):
                chars.update(entry.read_text(encoding="utf-8"))
    return frozenset(visible(chars))
