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


def to_text(raw: str, name: str = "") -> str:
    """Plain text of an article: HTML tags dropped (block tags become line breaks) and entities
    decoded; Markdown headings, emphasis and link targets dropped; anything else as is."""
    if name.endswith((".html", ".htm")) or re.search(r"<(?:p|div|html|body|br)\b", raw, re.I):
        raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", raw)
        raw = re.sub(r"(?i)<(?:br|/p|/div|/h\d|/li|/tr)\b[^>]*>", "\n", raw)
        raw = html.unescape(re.sub(r"<[^>]+>", "", raw))
    if name.endswith(".md"):
        raw = re.sub(r"(?m)^#+\s*", "", raw)
        raw = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw)
        raw = re.sub(r"(\*\*|__|\*|_)(\S[^*_]*?)\1", r"\2", raw)
    return raw


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
