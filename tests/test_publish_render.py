"""Offline rendering of the bilingual press release: the pip-installed font, charts (SVG, PNG), PDF.

Korean must come out as glyphs of the project's font (never tofu, never a system font), the PDF must
embed its fonts and carry the text as Unicode. The pictures a person should look at are written to
``/tmp/ktstat-render/`` (charts as PNG, the PDF and its first page as PNG when a rasteriser is
installed: pypdfium2 from pip, or pdftoppm from Debian's poppler-utils).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ktstat.publish.charts import bar_chart, trend_chart
from ktstat.publish.fonts import FONT_FAMILY, font_face_css, korean_font_paths
from ktstat.publish.pdf import html_to_pdf

LOOK = Path("/tmp/ktstat-render")  # for a human to look at; tests pass without it being kept

PERIODS = [f"{y}Q{q}" for y in range(2021, 2025) for q in range(1, 5)]
EXPORTS: list[float | None] = [
    10.2,
    11.0,
    11.8,
    12.1,
    12.9,
    12.4,
    13.3,
    14.0,
    13.6,
    None,
    14.9,
    15.5,
    15.1,
    16.0,
    16.8,
    17.4,
]
IMPORTS: list[float | None] = [
    13.5,
    13.1,
    13.8,
    14.2,
    13.9,
    14.6,
    14.1,
    14.4,
    14.8,
    15.0,
    14.7,
    15.2,
    15.9,
    15.4,
    15.8,
    16.1,
]
BALANCE: list[float | None] = [
    None if e is None or i is None else round(e - i, 1) for e, i in zip(EXPORTS, IMPORTS, strict=True)
]
TITLE_KO = "기술무역 추이, 2021년 1분기–2024년 4분기"
LABELS_KO = ["정보통신 서비스", "연구개발", "사업서비스 (컨설팅)", "Architecture & engineering", "지식재산권 사용료"]


def _rendering(fn: Callable[..., str], *args: Any, **kwargs: Any) -> str:
    """Call a chart function and fail on any warning that a glyph is missing from the fonts."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = fn(*args, **kwargs)
    missing = [str(w.message) for w in caught if re.search(r"Glyph \d+ .*missing", str(w.message))]
    assert not missing, missing
    return svg


def _glyph_id(weight: str, char: str) -> str:
    """The id matplotlib gives, in an SVG with text as paths, to ``char`` drawn in our font's ``weight``."""
    from matplotlib.ft2font import FT2Font

    path = korean_font_paths()[weight]
    font = FT2Font(str(path))
    index = font.get_char_index(ord(char))
    assert index != 0, f"{char!r} is not in {path.name}"
    return f"{font.postscript_name}-{index:x}"


def _has_glyph(svg: str, weight: str, char: str) -> bool:
    """Whether ``svg`` defines the glyph of ``char`` in our font's ``weight`` (ids carry the chart's prefix)."""
    return re.search(rf'id="k[0-9a-f]{{8}}-{re.escape(_glyph_id(weight, char))}"', svg) is not None


def _dark_fraction(png: Path) -> float:
    from PIL import Image

    with Image.open(png) as im:
        grey = im.convert("L")
        hist = grey.histogram()
    return sum(hist[:128]) / (grey.width * grey.height)


# fonts


def test_font_files_cover_hangul_and_are_open_type() -> None:
    from fontTools.ttLib import TTFont

    paths = korean_font_paths()
    assert set(paths) == {"regular", "bold"}
    for weight, path in paths.items():
        assert path.is_file() and path.stat().st_size > 10_000_000
        assert path.read_bytes()[:4] == b"OTTO"
        font = TTFont(str(path), lazy=True)
        cmap = font.getBestCmap()
        assert all(c in cmap for c in range(0xAC00, 0xD7A4)), f"{weight}: Hangul syllables incomplete"
        assert all(ord(c) in cmap for c in "AZaz09$%€·–—−"), weight
        assert font["OS/2"].usWeightClass == {"regular": 400, "bold": 700}[weight]
        assert font["OS/2"].fsType & 0x2 == 0, "the licence must allow embedding"
        font.close()


def test_font_face_css_points_at_the_installed_files() -> None:
    css = font_face_css()
    paths = korean_font_paths()
    for path, weight in ((paths["regular"], 400), (paths["bold"], 700)):
        rule = re.search(rf"@font-face {{[^}}]*font-weight: {weight};[^}}]*}}", css)
        assert rule, css
        assert f'font-family: "{FONT_FAMILY}"' in rule.group(0)
        assert f'url("{path.as_uri()}")' in rule.group(0)
    assert css == font_face_css()
    with pytest.raises(ValueError, match="weight"):
        font_face_css({"italic": paths["regular"]})


# charts


def test_korean_trend_chart_draws_every_label_with_the_project_font() -> None:
    LOOK.mkdir(parents=True, exist_ok=True)
    png = LOOK / "trend.ko.png"
    svg = _rendering(trend_chart, PERIODS, EXPORTS, IMPORTS, BALANCE, "ko", "억 달러", TITLE_KO, png=png)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<text" not in svg, "text must be drawn as paths"
    # every character of the title (bold), the legend and the unit (regular) is one of our font's glyphs
    for char in {c for c in TITLE_KO if c.isalnum()}:
        assert _has_glyph(svg, "bold", char), char
    for char in set("수출수입수지억달러비밀보호공표제외"):
        assert _has_glyph(svg, "regular", char), char
    assert "DejaVu" not in svg
    assert not re.search(r'-NotoSansCJKjp-\w+-0"', svg), "a .notdef glyph (tofu) was drawn"
    # the 'C' of the hidden balance and the note explaining it
    assert _has_glyph(svg, "bold", "C")
    # safe inline in HTML: no CSS, no prolog, every id prefixed
    assert "<style" not in svg and "style=" not in svg and "<?xml" not in svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and len({i.split("-", 1)[0] for i in ids}) == 1
    assert _dark_fraction(png) > 0.01
    from PIL import Image

    with Image.open(png) as im:
        assert im.size == (1050, 510)


def test_balance_key_has_the_colour_of_the_bars() -> None:
    from ktstat.publish.charts import COLOURS, balance_keys

    nan = float("nan")
    assert balance_keys([-3.0, -1.0, nan], "ko") == [(COLOURS["negative"], "수지")]
    assert balance_keys([2.0, 0.0], "en") == [(COLOURS["positive"], "Balance")]
    assert balance_keys([2.0, -1.0], "en") == [
        (COLOURS["positive"], "Balance (surplus)"),
        (COLOURS["negative"], "Balance (deficit)"),
    ]
    assert COLOURS["positive"] != COLOURS["negative"]


def test_missing_glyph_check_can_fail() -> None:
    """The check above catches tofu: a character our font lacks makes matplotlib warn."""
    with pytest.raises(AssertionError, match="missing"):
        _rendering(bar_chart, ["스마일 \N{GRINNING FACE}"], [1.0], "ko", "억 달러", "제목")


def test_charts_are_deterministic() -> None:
    args = (PERIODS, EXPORTS, IMPORTS, BALANCE, "en", "US$ bn", "Technology trade")
    first = _rendering(trend_chart, *args)
    assert first == _rendering(trend_chart, *args)
    other = _rendering(trend_chart, PERIODS, EXPORTS, IMPORTS, BALANCE, "en", "US$ bn", "Technology trade, revised")
    assert first != other
    ids_a = {i.split("-", 1)[0] for i in re.findall(r'\bid="([^"]+)"', first)}
    ids_b = {i.split("-", 1)[0] for i in re.findall(r'\bid="([^"]+)"', other)}
    assert ids_a.isdisjoint(ids_b), "two charts in one page must not share ids"


def test_bar_chart_colours_signs_and_marks_hidden_values() -> None:
    LOOK.mkdir(parents=True, exist_ok=True)
    values: list[float | None] = [3.2, -1.5, None, 0.4, -7.8]
    svg = _rendering(bar_chart, LABELS_KO, values, "ko", "억 달러", "분야별 기술무역수지", png=LOOK / "bar.ko.png")
    for char in {c for c in "".join(LABELS_KO) if c.isalnum()}:  # punctuation may take Korean (locl) forms
        assert _has_glyph(svg, "regular", char), char
    assert _has_glyph(svg, "bold", "C")
    assert 'fill="#4f8fc6"' in svg and 'fill="#e08a3c"' in svg
    assert _has_glyph(svg, "regular", "\N{MINUS SIGN}")  # -7.8 written with a minus sign
    svg_en = _rendering(bar_chart, ["Asia", "Europe"], [1.0, 2.0], "en", "US$ bn", "Balance by region")
    assert 'fill="#e08a3c"' not in svg_en, "no negative bar, no negative colour"
    assert not _has_glyph(svg_en, "bold", "C") and not _has_glyph(svg_en, "regular", "C"), "no C, no hidden value"


@pytest.mark.parametrize(
    "call",
    [
        lambda: trend_chart(["2024Q1"], [1.0], [1.0], [], "ko", "u", "t"),
        lambda: trend_chart([], [], [], [], "en", "u", "t"),
        lambda: trend_chart(["2024Q1"], [1.0], [1.0], [0.0], "fr", "u", "t"),
        lambda: bar_chart(["a", "b"], [1.0], "en", "u", "t"),
        lambda: bar_chart(["a"], [float("inf")], "en", "u", "t"),
    ],
)
def test_charts_reject_bad_input(call: Callable[[], str]) -> None:
    with pytest.raises(ValueError):
        call()


# PDF


def _pdf_fonts(pdf: Path) -> dict[str, dict[str, int]]:
    """Every font used on every page: base name -> {font-file key: embedded length}."""
    from pypdf import PdfReader

    fonts: dict[str, dict[str, int]] = {}
    for page in PdfReader(str(pdf)).pages:
        resources: Any = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            desc = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            fd = desc["/FontDescriptor"].get_object()
            keys = ("/FontFile", "/FontFile2", "/FontFile3")
            files = {k: len(fd[k].get_object().get_data()) for k in keys if k in fd}
            fonts[str(font["/BaseFont"])] = files
    return fonts


def _pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages)


def _rasterise(pdf: Path, png: Path) -> bool:
    """First page of ``pdf`` to ``png`` with pypdfium2 or pdftoppm; False when neither is installed."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        exe = shutil.which("pdftoppm")
        if exe is None:
            return False
        args = ["-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(png.with_suffix(""))]
        subprocess.run([exe, *args], check=True, timeout=60)
        return True
    doc = pdfium.PdfDocument(str(pdf))
    try:
        page = doc[0]
        page.render(scale=110 / 72).to_pil().save(png)
        page.close()
    finally:
        doc.close()
    return True


def test_bilingual_html_with_inline_chart_renders_to_pdf_with_embedded_fonts(caplog: pytest.LogCaptureFixture) -> None:
    LOOK.mkdir(parents=True, exist_ok=True)
    chart = _rendering(trend_chart, PERIODS, EXPORTS, IMPORTS, BALANCE, "ko", "억 달러", TITLE_KO)
    headline = "2024년 4분기 기술무역수지 흑자 전환"
    body_ko = "기술수출은 17.4억 달러로 전년 동기 대비 8.8% 증가했다."
    body_en = "Technology exports rose 8.8% to $1.74 billion."
    html = f"""<!doctype html><html lang="ko"><head><meta charset="utf-8"><style>{font_face_css()}
@page {{ size: A4; margin: 18mm; @bottom-center {{ content: "쪽 " counter(page) " / " counter(pages); }} }}
body {{ font-family: "{FONT_FAMILY}"; font-size: 10pt; }} h1 {{ font-weight: bold; font-size: 16pt; }}
.chart svg {{ width: 100%; height: auto; }}</style></head>
<body><h1>{headline}</h1><p>{body_ko}</p><p lang="en">{body_en}</p>
<div class="chart">{chart}</div><p><img src="https://example.invalid/logo.png" alt=""></p></body></html>"""
    out = html_to_pdf(html, LOOK / "press-test.pdf", base_url=LOOK)
    assert out == LOOK / "press-test.pdf" and out.read_bytes()[:5] == b"%PDF-"

    fonts = _pdf_fonts(out)
    assert fonts, "no fonts in the PDF"
    assert {re.sub(r"^/?[A-Z]{6}\+", "", name) for name in fonts} == {FONT_FAMILY, f"{FONT_FAMILY}-Bold"}, fonts
    for name, files in fonts.items():
        assert files and all(0 < size < 300_000 for size in files.values()), (name, files)  # embedded, subset

    text = _pdf_text(out)
    for expected in (headline, body_ko, body_en, "쪽 1 / 1"):
        assert expected in text, (expected, text)
    # the chart is vector art, its labels paths: they are not text of the PDF
    assert "수출" not in text.replace(body_ko, "")
    assert any("disallowed protocol" in r.getMessage() for r in caplog.records), "a remote URL must not be fetched"

    png = LOOK / "press-test.page1.png"
    if not _rasterise(out, png):
        pytest.skip("no PDF rasteriser (pip pypdfium2 or Debian poppler-utils); the PDF was checked")
    assert _dark_fraction(png) > 0.005


def test_pdf_without_font_css_still_uses_only_the_project_font(tmp_path: Path) -> None:
    """No ``@font-face`` in the document, and text that exists only after layout (list markers)."""
    html = (
        '<html lang="ko"><body><p>기술무역 Technology</p>'
        '<ol style="list-style-type: korean-hangul-formal"><li>a</li><li>b</li><li>c</li></ol></body></html>'
    )
    out = html_to_pdf(html, tmp_path / "deep" / "plain.pdf")
    fonts = _pdf_fonts(out)
    assert {re.sub(r"^/?[A-Z]{6}\+", "", name) for name in fonts} == {FONT_FAMILY}, fonts
    text = _pdf_text(out)
    assert "기술무역 Technology" in text
    assert all(marker in text for marker in ("일", "이", "삼")), text
