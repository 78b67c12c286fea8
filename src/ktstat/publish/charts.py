"""Charts of the press release: plain data in, SVG text out (and a PNG on request), English or Korean.

matplotlib draws with the Agg renderer in the project's own font (:mod:`ktstat.publish.fonts`),
registered from the installed files, so Korean labels render as glyphs without any system font.
The SVG has its text as paths (``svg.fonttype = 'path'``): it needs no font where it is shown,
inline in HTML or in a PDF. Output is deterministic: the same data give the same bytes (fixed
``svg.hashsalt``, no date in the metadata). No pyplot and no global state beyond the font
registration: every setting is applied in an ``rc_context`` around one figure.

``None`` in a series is a value not published (confidential or not available): a line breaks there
and a bar is replaced by the letter ``C``, explained in a note under the chart.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import math
import re
from collections.abc import Sequence
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ktstat.publish.fonts import korean_font_paths

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

LANGS = ("en", "ko")


def _words(lang: str) -> dict[str, str]:
    """The chart's words in ``lang`` (the terms catalogue's [chart] section)."""
    from ktstat.terms import terms

    return terms(lang).section("chart")


COLOURS = {
    "exports": "#003a70",
    "imports": "#c8102e",
    "positive": "#4f8fc6",
    "negative": "#e08a3c",
    "axis": "#444444",
    "grid": "#d9dee5",
}

_HASHSALT = "ktstat-charts"
_family: str | None = None


def _font_family() -> str:
    """Register the project's font files with matplotlib once; returns their family name."""
    global _family
    if _family is None:
        from matplotlib import font_manager

        paths = korean_font_paths()
        names: set[str] = set()
        for path in paths.values():
            font_manager.fontManager.addfont(str(path))
            names.update(e.name for e in font_manager.fontManager.ttflist if Path(e.fname) == path)
        if len(names) != 1:
            raise RuntimeError(f"the font files {sorted(map(str, paths.values()))} name families {sorted(names)}")
        _family = names.pop()
    return _family


def _rc(lang: str) -> dict[RcKeyType, Any]:
    return {
        "font.family": [_font_family()],
        "font.size": 9.0,
        "text.language": lang,
        "axes.unicode_minus": True,
        "axes.edgecolor": COLOURS["axis"],
        "axes.labelcolor": COLOURS["axis"],
        "xtick.color": COLOURS["axis"],
        "ytick.color": COLOURS["axis"],
        "svg.fonttype": "path",
        "svg.hashsalt": _HASHSALT,
        "svg.image_inline": True,
        "path.simplify": False,
    }


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected one of {LANGS}")


def _values(name: str, xs: Sequence[float | None], n: int) -> list[float]:
    """The series as floats with NaN for None; checks its length and that every value is finite."""
    if len(xs) != n:
        raise ValueError(f"{name}: {len(xs)} values for {n} labels")
    out = []
    for x in xs:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            out.append(math.nan)
        elif math.isinf(float(x)):
            raise ValueError(f"{name}: infinite value")
        else:
            out.append(float(x))
    return out


def _style(ax: Axes, unit_label: str, axis: Literal["x", "y"]) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(True, axis=axis, color=COLOURS["grid"], linewidth=0.6)
    ax.set_axisbelow(True)
    from matplotlib.ticker import StrMethodFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(StrMethodFormatter("{x:,g}"))
    if axis == "y":
        ax.set_ylabel(unit_label)
    else:
        ax.set_xlabel(unit_label)


_SHAPES = frozenset({"path", "use", "rect", "line", "polyline", "polygon", "circle", "ellipse"})


def _presentation_attributes(svg: str) -> str:
    """``svg`` with its CSS (``style`` attributes and the ``<style>`` sheet matplotlib writes)
    turned into SVG presentation attributes of the same effect.

    Inline in HTML, CSS declarations such as ``fill`` would be read by the page's CSS too (WeasyPrint
    warns about each one as an unknown property) and the sheet's ``*`` rule would reach the whole
    page. The sheet's declarations apply to every element whose own ``style`` does not override them,
    as CSS would; elements that draw nothing have nothing to override."""
    sheet = re.search(r"<style[^>]*>\s*\*\s*\{([^}]*)\}\s*</style>\s*", svg)
    defaults: dict[str, str] = {}
    if sheet:
        defaults = _declarations(sheet.group(1))
        svg = svg[: sheet.start()] + svg[sheet.end() :]

    def tag(m: re.Match[str]) -> str:
        name, attrs, close = m.group(1), m.group(2), m.group(3)
        style = re.search(r'\sstyle="([^"]*)"', attrs)
        if style is None and name not in _SHAPES:
            return m.group(0)
        decls = {**(defaults if name in _SHAPES or style else {}), **_declarations(style.group(1) if style else "")}
        if style:
            attrs = attrs[: style.start()] + attrs[style.end() :]
        extra = "".join(f' {k}="{htmllib.escape(v)}"' for k, v in decls.items() if f" {k}=" not in attrs)
        return f"<{name}{attrs}{extra}{close}>"

    return re.sub(r"<([A-Za-z][\w:]*)((?:\s[^>]*?)?)(\s*/?)>", tag, svg)


def _declarations(css: str) -> dict[str, str]:
    out = {}
    for decl in css.split(";"):
        if ":" in decl:
            key, value = decl.split(":", 1)
            out[key.strip()] = value.strip()
    return out


def _svg_for_html(svg: str) -> str:
    """The ``<svg>`` element alone, fit for inline HTML: no XML prolog, DOCTYPE or metadata, CSS
    turned into presentation attributes, and ids prefixed by a hash of the content so that several
    charts inline in one page never share an id."""
    body = svg[svg.index("<svg") :].strip() + "\n"
    body = re.sub(r"\s*<metadata>.*?</metadata>", "", body, flags=re.S)
    body = _presentation_attributes(body)
    prefix = "k" + hashlib.sha256(body.encode()).hexdigest()[:8] + "-"
    ids = set(re.findall(r'\bid="([^"]+)"', body))
    if not ids:
        return body
    alternation = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    body = re.sub(rf'\bid="({alternation})"', lambda m: f'id="{prefix}{m.group(1)}"', body)
    return re.sub(rf'(["(])#({alternation})([")])', lambda m: f"{m.group(1)}#{prefix}{m.group(2)}{m.group(3)}", body)


def _render(fig: Figure, png: Path | None, dpi: int) -> str:
    buf = StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    if png is not None:
        png.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(png, format="png", dpi=dpi, metadata={"Software": None})
    return _svg_for_html(buf.getvalue())


def _note_confidential(fig: Figure, lang: str) -> None:
    fig.supxlabel(_words(lang)["c_note"], x=0.01, ha="left", fontsize=7, color=COLOURS["axis"])


def balance_keys(balance: list[float], lang: str) -> list[tuple[str, str]]:
    """The legend keys of the balance bars, (colour, label): one key in the bars' colour when every
    shown bar has one sign, else a key for surplus and one for deficit (NaN: hidden, not drawn)."""
    w = _words(lang)
    shown = [b for b in balance if not math.isnan(b)]
    if any(b >= 0 for b in shown) and any(b < 0 for b in shown):
        return [(COLOURS["positive"], w["surplus"]), (COLOURS["negative"], w["deficit"])]
    sign = "negative" if shown and shown[0] < 0 else "positive"
    return [(COLOURS[sign], w["balance"])]


def trend_chart(
    periods: list[str],
    exports: list[float | None],
    imports: list[float | None],
    balance: list[float | None],
    lang: str,
    unit_label: str,
    title: str,
    png: Path | None = None,
    dpi: int = 150,
    provisional: int = 0,
) -> str:
    """A whole series over ``periods`` (oldest first): exports and imports as lines, the balance as
    bars (positive and negative in different colours), legend in ``lang`` (``"en"`` or ``"ko"``),
    ``unit_label`` on the value axis and ``title`` above.

    The three series are in the unit of ``unit_label`` and as long as ``periods``; ``None`` is not
    published (the line breaks, the bar shows ``C``). The last ``provisional`` periods are
    provisional: their points are drawn hollow, their bars hatched, and the legend says so. At
    most about 12 period labels are shown,
    always including the last. Returns the chart as an ``<svg>`` element for inline HTML; when
    ``png`` is given also writes a PNG there at ``dpi``. Raises ``ValueError`` for an unknown
    language, no periods, a series of the wrong length or an infinite value."""
    _check_lang(lang)
    n = len(periods)
    if n == 0:
        raise ValueError("trend chart: no periods")
    ex, im, bal = (_values(k, v, n) for k, v in (("exports", exports), ("imports", imports), ("balance", balance)))
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    w = _words(lang)
    first_p = n - max(0, min(provisional, n))
    with matplotlib.rc_context(_rc(lang)):
        fig = Figure(figsize=(7.0, 3.4), layout="constrained")
        ax = fig.add_subplot()
        xs = list(range(n))
        heights = [0.0 if math.isnan(b) else b for b in bal]
        colours = [COLOURS["positive"] if b >= 0 else COLOURS["negative"] for b in heights]
        bars = ax.bar(xs, heights, width=0.7, color=colours, zorder=2)
        for i in range(first_p, n):  # provisional: hatched bars, hollow points
            bars[i].set_hatch("////")
            bars[i].set_edgecolor("white")
        ax.plot(xs, ex, color=COLOURS["exports"], linewidth=1.8, marker="o", markersize=2.5, zorder=3)
        ax.plot(xs, im, color=COLOURS["imports"], linewidth=1.8, marker="o", markersize=2.5, zorder=3)
        if first_p < n:
            for series, colour in ((ex, COLOURS["exports"]), (im, COLOURS["imports"])):
                ax.plot(
                    xs[first_p:],
                    series[first_p:],
                    linestyle="none",
                    marker="o",
                    markersize=5,
                    markerfacecolor="white",
                    markeredgecolor=colour,
                    markeredgewidth=1.4,
                    zorder=4,
                )
        ax.axhline(0, color=COLOURS["axis"], linewidth=0.8, zorder=2)
        hidden = [i for i, b in enumerate(bal) if math.isnan(b)]
        for i in hidden:
            ax.annotate(
                "C",
                (i, 0),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                fontweight="bold",
                color=COLOURS["axis"],
            )
        step = max(1, math.ceil(n / 12))
        ticks = sorted({*range(n - 1, -1, -step)})
        ax.set_xticks(ticks, [periods[i] for i in ticks])
        ax.set_xlim(-0.6, n - 0.4)
        _style(ax, unit_label, "y")
        # the legend sits in a row of its own between the title and the plot, over no data
        ax.set_title(title, loc="left", fontweight="bold", fontsize=10.5, pad=20)
        keys = balance_keys(bal, lang)
        handles: list[Any] = [ax.lines[0], ax.lines[1], *(Patch(facecolor=colour) for colour, _ in keys)]
        labels = [w["exports"], w["imports"], *(label for _, label in keys)]
        if first_p < n:
            from matplotlib.lines import Line2D

            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="o",
                    markersize=5,
                    markerfacecolor="white",
                    markeredgecolor=COLOURS["axis"],
                    markeredgewidth=1.4,
                )
            )
            labels.append(w["provisional"])
        ax.legend(
            handles,
            labels,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncols=len(labels),
            frameon=False,
            fontsize=8,
            borderaxespad=0.1,
            borderpad=0.1,
        )
        if any(math.isnan(v) for v in ex + im + bal):
            _note_confidential(fig, lang)
        return _render(fig, png, dpi)


def bar_chart(
    labels: list[str],
    values: list[float | None],
    lang: str,
    unit_label: str,
    title: str,
    png: Path | None = None,
    dpi: int = 150,
) -> str:
    """Horizontal bars, one per label from the top down in the order given: positive values in one
    colour, negative in another, each bar with its value written beside it; ``None`` (not
    published) shows the letter ``C`` instead of a bar, explained in a note. ``unit_label`` names
    the value axis, ``title`` is set above, ``lang`` (``"en"`` or ``"ko"``) selects the note.

    Returns the chart as an ``<svg>`` element for inline HTML; when ``png`` is given also writes a
    PNG there at ``dpi``. Raises ``ValueError`` for an unknown language, no labels, a value count
    different from the label count or an infinite value."""
    _check_lang(lang)
    n = len(labels)
    if n == 0:
        raise ValueError("bar chart: no labels")
    vals = _values("values", values, n)
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_rc(lang)):
        fig = Figure(figsize=(7.0, 1.3 + 0.32 * n), layout="constrained")
        ax = fig.add_subplot()
        ys = list(range(n))
        widths = [0.0 if math.isnan(v) else v for v in vals]
        colours = [COLOURS["positive"] if v >= 0 else COLOURS["negative"] for v in widths]
        ax.barh(ys, widths, height=0.65, color=colours, zorder=2)
        ax.axvline(0, color=COLOURS["axis"], linewidth=0.8, zorder=2)
        for y, v in zip(ys, vals, strict=True):
            if math.isnan(v):
                ax.annotate(
                    "C",
                    (0, y),
                    xytext=(3, 0),
                    textcoords="offset points",
                    ha="left",
                    va="center",
                    fontsize=8,
                    fontweight="bold",
                    color=COLOURS["axis"],
                )
            else:
                ax.annotate(
                    f"{v:,.1f}".replace("-", "\N{MINUS SIGN}"),
                    (v, y),
                    xytext=(3 if v >= 0 else -3, 0),
                    textcoords="offset points",
                    ha="left" if v >= 0 else "right",
                    va="center",
                    fontsize=7.5,
                    color=COLOURS["axis"],
                )
        ax.set_yticks(ys, labels)
        ax.invert_yaxis()
        shown = [v for v in vals if not math.isnan(v)] or [0.0]
        lo, hi = min(0.0, *shown), max(0.0, *shown)
        pad = 0.18 * ((hi - lo) or 1.0)
        ax.set_xlim(lo - (pad if lo < 0 else 0), hi + pad)
        _style(ax, unit_label, "x")
        ax.tick_params(axis="y", length=0)
        ax.set_title(title, loc="left", fontweight="bold", fontsize=10.5)
        if any(math.isnan(v) for v in vals):
            _note_confidential(fig, lang)
        return _render(fig, png, dpi)
