"""The press release as a reader gets it, on a small store with its own story (tests/storystore.py):
snapshots of statements.json and of the HTML (charts left out: they have their own tests), what
every real release carries (agency, compiler, contact, definitions, methodology, revision policy,
next release date) in both languages, the revision notice of a vintage that revises another, the
provisional mark once per column, one minus sign, Korean words kept whole.

Snapshots live in ``tests/snapshots/``; after a deliberate change, regenerate them with
``KTSTAT_UPDATE_SNAPSHOTS=1 ./run test tests/test_publish_press.py`` and review the diff."""

from __future__ import annotations

import html as htmllib
import json
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ktstat import domain as domains
from ktstat.publish.press import render_press_release
from ktstat.release.statements import statements
from ktstat.release.tables import standard_tables
from ktstat.release.vintage import create_vintage, vintage_rows

SNAPSHOTS = Path(__file__).parent / "snapshots"
KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from storystore import build_story

    con = build_story(tmp_path_factory.mktemp("press"))
    dom = domains.load("tbp")
    provisional = create_vintage(con, dom, "2023", "provisional", datetime(2024, 12, 18, 12, tzinfo=KST), NOW)
    final = create_vintage(
        con,
        dom,
        "2023",
        "final",
        datetime(2025, 12, 18, 12, tzinfo=KST),
        NOW,
        revises=provisional.vintage_id,
        reason="late reports of two firms included",
    )
    yield con, dom, provisional, final
    con.close()


def _render(con: Any, dom: Any, v: Any, lang: str) -> tuple[str, list[Any]]:
    lookup = {(p, b, i, m): (val, st) for p, b, i, m, val, st in vintage_rows(con, v)}
    stmts = statements(dom, lookup, v.period)
    tables = standard_tables(dom, lookup, v.period, v.status == "provisional")
    return render_press_release(
        dom, v, lookup, stmts, tables, lang, NOW, coverage={"reporters": 4, "records": 12}
    ), stmts


def _without_charts(html: str) -> str:
    return re.sub(r"<svg\b.*?</svg>", "<svg><!-- chart --></svg>", html, flags=re.S)


def _snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("KTSTAT_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if not path.exists() and os.environ.get("CI"):
            pytest.fail(f"snapshot {path} is missing (generate it with KTSTAT_UPDATE_SNAPSHOTS=1)")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot (see module doc)"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_press_release_html_snapshot(story: Any, lang: str) -> None:
    con, dom, provisional, _ = story
    html, _ = _render(con, dom, provisional, lang)
    _snapshot(f"press-release.tbp-2023-provisional.{lang}.html", _without_charts(html))


def test_statements_json_snapshot(story: Any) -> None:
    con, dom, provisional, _ = story
    _, stmts = _render(con, dom, provisional, "en")
    _snapshot(
        "statements.tbp-2023-provisional.json",
        json.dumps([s.as_dict() for s in stmts], ensure_ascii=False, indent=1) + "\n",
    )


def _text(html: str) -> str:
    body = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", "", body)))


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_what_every_release_carries(story: Any, lang: str) -> None:
    con, dom, provisional, final = story
    html, _ = _render(con, dom, provisional, lang)
    text = _text(html)
    about = dom.release.about[lang]
    for key in ("agency", "compiler", "contact", "coverage", "revision_policy"):
        assert str(about[key]) in text, key
    for term, definition in about["definitions"]:
        assert term in text and definition in text
    for line in about["methodology"]:
        assert line in text
    # the next release from the calendar: the final figures of 2023, a year later
    assert "2025-12-18 12:00" in text
    assert ("Next release" in text) if lang == "en" else ("다음 공표" in text)
    assert ("4 reporting firms" in text) if lang == "en" else ("보고 기업 4개" in text)
    # the provisional vintage revises nothing; the final one says what it revises and why
    assert "late reports" not in text
    revised = _text(_render(con, dom, final, lang)[0])
    assert provisional.vintage_id in revised and "late reports of two firms included" in revised
    if lang == "ko":
        assert not re.search(r"\d{4}H[12]", text)
        assert "기술수출" in text and "기술도입" in text and "기술무역수지" in text and "기술무역수지비" in text
        assert '<span class="w">' in html  # Korean words kept whole on a line


def test_tables_mark_provisional_once_and_use_one_minus(story: Any) -> None:
    con, dom, provisional, final = story
    html, _ = _render(con, dom, provisional, "en")
    tables = re.findall(r'<table class="stat">.*?</table>', html, flags=re.S)
    assert tables
    cells = [c for t in tables for c in re.findall(r"<td[^>]*>(.*?)</td>", t, flags=re.S)]
    figures = [c for c in cells if re.search(r"\d", c) and "label" not in c]
    assert figures and not any(c.rstrip().endswith("p") for c in figures)  # never cell by cell
    assert any('<sup class="p">p</sup>' in t for t in tables)  # once, in the heading
    assert not any(re.search(r"(?<![\w.])-\d", c) for c in cells)  # a true minus, never a hyphen
    assert any("\N{MINUS SIGN}" in c for c in cells)
    final_html, _ = _render(con, dom, final, "en")
    assert '<sup class="p">' not in final_html  # final figures carry no mark
