"""Reading articles and writing fact-check reports (JSON, HTML, terminal table).

:func:`read_article` turns a file (plain text, HTML or Markdown) into plain text;
:func:`detect_lang` says ``ko`` when Hangul makes up a good part of the letters, else ``en``;
:func:`check_article` runs the core on one text; :func:`to_json`, :func:`to_html` and
:func:`to_table` write the results (JSON exactly ``{"articles": [{"path", "lang", "claims":
[...]}]}``; HTML self-contained, no outside scripts or fonts).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ktstat.factcheck.core import Result, check
from ktstat.factcheck.figures import Figures

COLOURS = {
    "consistent": "#c8ecc8",
    "inconsistent": "#f7b9b9",
    "unit": "#f9d79b",
    "other_rate": "#e6efb4",
    "not_in_release": "#dcdcdc",
    "ambiguous": "#c9d8f5",
}


@dataclass
class Article:
    path: str
    lang: str
    text: str
    results: list[Result]


_SKIP = {"script", "style", "svg", "head", "template", "noscript"}
_BLOCK = {
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "header",
    "footer",
    "section",
    "article",
    "main",
    "nav",
    "aside",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "figure",
    "figcaption",
    "blockquote",
    "pre",
    "body",
    "html",
    "form",
    "address",
}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "source", "area", "base", "embed", "param", "track"}
_LISTS = {"ul", "ol", "dl", "table", "thead", "tbody", "tfoot"}
BOX_PART = 48
"""The longest fragment of a box read as one line (a key figure: its label, value and changes)."""


class _Node:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.kids: list[_Node | str] = []


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("")
        self.stack = [self.root]
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            self.skip += tag not in _VOID
            return
        if tag in _SKIP:
            self.skip = 1
            return
        node = _Node(tag)
        self.stack[-1].kids.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip and tag not in _SKIP:
            self.stack[-1].kids.append(_Node(tag))

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            self.skip -= tag not in _VOID
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.stack[-1].kids.append(data)


def _has_block(node: _Node) -> bool:
    """Whether a block element lies within ``node``."""
    return any(isinstance(k, _Node) and (k.tag in _BLOCK or _has_block(k)) for k in node.kids)


def _lines(node: _Node) -> list[str]:
    """The lines of an element: block children on lines of their own, a table row's cells on one
    line separated by tabs, a list item after a bullet, a box of short fragments on one line."""
    out: list[str] = [""]

    def newline() -> None:
        if out[-1].strip():
            out.append("")

    for kid in node.kids:
        if isinstance(kid, str):
            out[-1] += re.sub(r"\s+", " ", kid)
        elif kid.tag == "br":
            out.append("")
        elif kid.tag in ("td", "th"):
            cell = " ".join(x.strip() for x in _lines(kid) if x.strip())
            out[-1] = f"{out[-1]}\t{cell}" if out[-1].strip() else cell
        elif kid.tag in _BLOCK:
            got = [x.strip() for x in _lines(kid) if x.strip()]
            joined = " · ".join(got)
            if (
                len(got) > 1
                and kid.tag not in _LISTS
                and not any(isinstance(k, _Node) and _has_block(k) for k in kid.kids)
                and max(len(x) for x in got) <= BOX_PART
                and not re.search(r"[.!?。](?:\s|$)|\t", joined)
            ):
                got = [joined]
            if kid.tag == "li" and got:
                got[0] = "• " + got[0]
            newline()
            out.extend(got)
            out.append("")
        else:
            inner = _lines(kid)
            out[-1] += inner[0]
            out.extend(inner[1:])
    return out


def to_text(raw: str, name: str = "") -> str:
    """Plain text of an article. HTML: scripts, styles, charts (``svg``) and the head dropped,
    block elements on lines of their own, a table row on one line with its cells separated by
    tabs (the checker leaves table rows alone), a list item after a bullet ``• `` (an item
    stands alone: it takes no period from the item before), a box of short fragments (a key
    figure: label, value, change) on one line joined by `` · ``; entities decoded. Markdown:
    headings, emphasis and link targets dropped. Anything else as is."""
    if name.endswith((".html", ".htm")) or re.search(r"<(?:p|div|html|body|br)\b", raw, re.I):
        tree = _Tree()
        tree.feed(raw)
        tree.close()
        raw = "\n".join(x.rstrip() for x in _lines(tree.root)).strip("\n") + "\n"
        raw = re.sub(r"\n{3,}", "\n\n", raw)
    if name.endswith(".md"):
        raw = re.sub(r"(?m)^#+\s*", "", raw)
        raw = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw)
        raw = re.sub(r"(\*\*|__|\*|_)(\S[^*_]*?)\1", r"\2", raw)
    return raw


def read_article(path: Path) -> str:
    """The plain text of an article file (:func:`to_text`): UTF-8 (a byte-order mark allowed), else
    CP949/EUC-KR, as Korean newsrooms' older files are; an :class:`~ktstat.errors.InputError`
    naming the file and the first undecodable byte when it is neither."""
    from ktstat.errors import InputError

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        try:
            text = raw.decode("cp949")
        except UnicodeDecodeError:
            raise InputError(
                f"{path}: not text in UTF-8 or CP949 (byte {e.start + 1} is 0x{raw[e.start]:02x}); "
                "save the article as plain text, HTML or Markdown in UTF-8"
            ) from None
    return to_text(text, path.name)


def detect_lang(text: str) -> str:
    """``ko`` when at least a fifth of the letters are Hangul, else ``en``."""
    hangul = len(re.findall(r"[\uac00-\ud7a3]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "ko" if hangul and hangul * 5 >= hangul + latin else "en"


def check_article(
    path: str, text: str, figures: Figures, lang: str = "auto", as_of: date | datetime | None = None
) -> Article:
    """One article checked: its language (``auto`` detects it) and its results, their reasons in
    that language; ``as_of``: the day it appeared, when the caller knows it (``--as-of``; else the
    article's own dateline is read)."""
    lg = detect_lang(text) if lang == "auto" else lang
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    return Article(path, lg, text, check(text, figures, lg, day=day))


def claim_json(r: Result) -> dict[str, Any]:
    return {
        "text": r.claim.text,
        "start": r.claim.start,
        "end": r.claim.end,
        "value": r.claim.value,
        "unit": r.claim.unit,
        "cell": r.cell.as_dict() if r.cell else None,
        "released": r.released,
        "verdict": r.verdict,
        "reason": r.reason,
    }


def to_doc(articles: list[Article]) -> dict[str, Any]:
    """The report as a JSON document (module docstring)."""
    return {
        "articles": [{"path": a.path, "lang": a.lang, "claims": [claim_json(r) for r in a.results]} for a in articles]
    }


def to_json(articles: list[Article]) -> str:
    """The report as JSON text (:func:`to_doc`)."""
    return json.dumps(to_doc(articles), ensure_ascii=False, indent=2)


def to_html(articles: list[Article]) -> str:
    """The articles with each claim highlighted by verdict, the reason on hover (``title``)."""
    legend = " ".join(f'<span class="c {v}">{v}</span>' for v in COLOURS)
    css = "".join(f".{v}{{background:{c}}}" for v, c in COLOURS.items())
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>ktstat factcheck</title><style>"
        "body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}"
        ".c{padding:0 2px;border-radius:3px;cursor:help}pre{white-space:pre-wrap;font-family:inherit}"
        f"{css}</style></head><body><p>{legend}</p>"
    ]
    for a in articles:
        out, pos = [], 0
        for r in sorted(a.results, key=lambda r: r.claim.start):
            if r.claim.start < pos:
                continue
            cell = str(r.cell) if r.cell else "no cell"
            tip = f"{r.verdict}: {cell}; {r.reason}"
            out.append(html.escape(a.text[pos : r.claim.start]))
            out.append(
                f'<span class="c {r.verdict}" title="{html.escape(tip)}">'
                f"{html.escape(a.text[r.claim.start : r.claim.end])}</span>"
            )
            pos = r.claim.end
        out.append(html.escape(a.text[pos:]))
        parts.append(f"<h2>{html.escape(a.path)} ({a.lang})</h2><pre>{''.join(out)}</pre>")
    parts.append("</body></html>")
    return "".join(parts)


def to_table(articles: list[Article]) -> Any:
    """A rich table per run: article, claim, verdict, cell, released, reason."""
    from rich.table import Table

    t = Table(title="ktstat factcheck")
    for col in ("article", "claim", "verdict", "cell", "reason"):
        t.add_column(col)
    for a in articles:
        for r in a.results:
            t.add_row(Path(a.path).name, r.claim.text, r.verdict, str(r.cell) if r.cell else "-", r.reason)
    return t
