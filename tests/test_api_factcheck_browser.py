"""The fact-check page (``/factcheck``) in a real browser: an article pasted into the box is checked
by ``POST /factcheck`` and shown with its claims highlighted by verdict, in English and in
Korean, with every request going to the server under test. The server and the browser of
tests/test_api_browser.py: the fixtures of tests/conftest.py (skipped, with the reason, without
playwright or chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from apistore import V2, Small
from browserkit import SHOTS, Server  # skips this module without playwright or chromium

pytestmark = pytest.mark.browser


def test_paste_check_and_read_the_verdicts(server: Server, browser: Any, api_rich: Small) -> None:
    exports = api_rich.rows[V2][("2025H1", "total", "all", "exports")][0]
    assert exports is not None
    text = (
        f"Knowledge services exports were ${exports / 1e6:,.1f} million in the first half of 2025.\n"
        f"Knowledge services exports were ${exports * 1.5 / 1e6:,.1f} million in the first half of 2025."
    )
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/factcheck")
    page.fill("#text", text)
    page.click("#check")
    page.wait_for_selector("#result:not([hidden])", timeout=30_000)
    spans = page.eval_on_selector_all("#article .c", "els => els.map(e => [e.textContent, e.className])")
    assert [cls for _t, cls in spans] == ["c consistent", "c inconsistent"]
    assert page.text_content("#article") == text  # the article as pasted, claims in place
    assert "1 to look at" in (page.text_content("#summary") or "")
    assert V2 in (page.text_content("#vintages") or "")
    page.click("header button[data-lang=ko]")
    assert "불일치" in (page.text_content("#claims") or "")
    assert page.text_content("h1") == "기사 수치 확인"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "factcheck-ko.png"), full_page=True)
    assert all(u.startswith(server.url) for u in requests), requests
    assert not errors, errors
    context.close()


def test_the_explorer_links_the_page_in_the_readers_language(server: Server, browser: Any) -> None:
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/?lang=ko")
    link = page.wait_for_selector("#nav-factcheck")
    # the labels are translated by the page's script once its catalogue has loaded: wait for it
    # (a timeout, and the test's failure, if the link never reads Korean)
    page.wait_for_function("document.querySelector('#nav-factcheck').textContent === '기사 검증'", timeout=15000)
    assert link is not None and link.text_content() == "기사 검증"
    link.click()
    page.wait_for_url("**/factcheck?lang=ko")
    assert page.text_content("h1") == "기사 수치 확인"
    context.close()
