"""The web data explorer in a real browser: playwright driving Debian's chromium, headless, against
the API served by uvicorn on loopback over a store of generated records with realistic amounts
(``build_rich`` of tests/apistore.py: two vintages, one embargoed at first), its clock injected.

Checked: the page loads offline (every request goes to the server under test), the table shows
the vintage's values rounded as stated and confidential cells as ``x``, a selection changes the
table and the chart, a download arrives with the values shown, the language switch works, an
address restores its view, the press release is linked, and an embargoed vintage is absent from
the page until its release time. Screenshots go to ``build/screenshots/`` (or
``$KTSTAT_SCREENSHOTS``).

Skipped, with the reason, when playwright or chromium is missing (``./run test`` installs
Debian's chromium when it can: see README).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apistore import AFTER, BEFORE, V1, V2, Clock, Small
from ktstat.terms import LANGS, terms

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("KTSTAT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SHOTS = Path(os.environ.get("KTSTAT_SCREENSHOTS") or ROOT / "build" / "screenshots")
STRINGS = {lang: terms(lang).section("explorer") for lang in LANGS}  # what /static/i18n.json serves

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements.lock)")
if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) or set KTSTAT_CHROMIUM",
        allow_module_level=True,
    )


# the server and the browser ------------------------------------------------------------------------------------


class Server:
    """uvicorn serving the app on a free loopback port, in a thread; ``clock`` moves the API's time."""

    def __init__(self, small: Small) -> None:
        import uvicorn

        from ktstat.api.app import create_app

        self.clock = Clock(AFTER)
        app = create_app(small.store, now=self.clock, releases_dir=small.releases, refresh_seconds=0)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "uvicorn did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def server(api_rich: Small) -> Iterator[Server]:
    srv = Server(api_rich)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


class Page:
    """A browser tab on the explorer that records every request and every script error."""

    def __init__(self, browser: Any, server: Server) -> None:
        self.server = server
        self.context = browser.new_context(
            accept_downloads=True, locale="en-US", viewport={"width": 1280, "height": 1000}
        )
        self.page = self.context.new_page()
        self.breakdown = ""
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def open(self, query: str = "") -> None:
        self.page.goto(self.server.url + "/" + query)
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("#table[data-state=ready]", timeout=30_000)
        self.page.wait_for_load_state("networkidle")

    def changed(self, action: Any) -> None:
        """Run ``action`` and wait for the table it makes (its query differs from the one before)."""
        before = self.page.get_attribute("#table", "data-query")
        action()
        self.page.wait_for_function(
            "q => { const t = document.getElementById('table');"
            " return t.dataset.state === 'ready' && t.dataset.query !== q; }",
            arg=before,
            timeout=30_000,
        )

    def table(self) -> list[dict[str, Any]]:
        """The shown table: per row its item and label, per cell its column, status and text."""
        return list(
            self.page.evaluate("""() => [...document.querySelectorAll('#table tbody tr')].map(tr => ({
            item: tr.dataset.item, label: tr.querySelector('th').textContent,
            cells: [...tr.querySelectorAll('td')].map(td => ({
                column: td.dataset.column, status: td.dataset.status,
                text: td.firstChild ? td.firstChild.textContent : ''}))}))""")
        )

    def shown_keys(self) -> list[tuple[str, str, str, str]]:
        """(period, breakdown, item, measure) of every shown cell (``breakdown`` as last set)."""
        return [
            (c["column"].split(".", 1)[0], self.breakdown, r["item"], c["column"].split(".", 1)[1])
            for r in self.table()
            for c in r["cells"]
        ]

    def columns(self) -> list[str]:
        return list(
            self.page.evaluate(
                "() => [...document.querySelectorAll('#table thead th[data-column]')].map(th => th.dataset.column)"
            )
        )

    def chart(self) -> dict[str, Any]:
        return dict(
            self.page.evaluate("""() => { const s = document.querySelector('#chart svg');
            return {kind: s.dataset.kind, measure: s.dataset.measure,
                    marks: [...s.querySelectorAll('[data-value]')].map(e => ({
                        item: e.dataset.item || e.parentNode.dataset.item, period: e.dataset.period || null,
                        value: Number(e.dataset.value)})),
                    withheld: [...s.querySelectorAll('.withheld[data-item]')].map(e => e.dataset.item)}; }""")
        )

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def tab(browser: Any, server: Server) -> Iterator[Page]:
    server.clock.t = AFTER
    p = Page(browser, server)
    yield p
    p.close()
    assert not p.errors, f"script errors on the page: {p.errors}"


# expectations -------------------------------------------------------------------------------------------------


USD_UNITS = {1e6: "unit_usd_million", 1e3: "unit_usd_thousand", 1.0: "unit_usd"}


def shown(value: float, unit: str, usd: float) -> str:
    """A value as the page states it shows it: US dollars divided by ``usd`` (the table's scale:
    millions, thousands or dollars) with one decimal (none for dollars), percentages with one
    decimal, other numbers with up to three (en-US grouping)."""
    if unit == "USD":
        return f"{value / usd:,.0f}" if usd == 1 else f"{value / usd:,.1f}"
    if unit == "PC":
        return f"{value:,.1f}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def unit_of(measure: str) -> str:
    from ktstat.publish.sdmx import unit_measure

    return unit_measure(measure)


def expected_cell(small: Small, vintage: str, breakdown: str, item: str, column: str, usd: float) -> tuple[str, str]:
    """(status, text) the page must show for a cell of the vintage."""
    period, measure = column.split(".", 1)
    got = small.rows[vintage].get((period, breakdown, item, measure))
    if got is None:
        return "", ".."
    value, status = got
    if status == "C":
        return status, "x"
    if status == "N":
        return status, "\u2013"
    assert value is not None
    return status, shown(value, unit_of(measure), usd)


def usd_scale(tab: Page, small: Small, vintage: str) -> float:
    """The table's scale for US dollars, checked against its rule (the largest that keeps the
    largest shown value at 10 or more) and against the unit the column headers state."""
    usd = float(tab.page.get_attribute("#table", "data-usd-scale") or "nan")
    values = [
        abs(small.rows[vintage][(p, b, i, m)][0] or 0.0)
        for (p, b, i, m) in tab.shown_keys()
        if unit_of(m) == "USD" and (p, b, i, m) in small.rows[vintage]
    ]
    most = max(values, default=0.0)
    assert usd == next((d for d in (1e6, 1e3) if most >= 10 * d), 1.0)
    heads = tab.page.eval_on_selector_all("#table thead th[data-column] .unit", "us => us.map(u => u.textContent)")
    lang = tab.page.get_attribute("html", "lang") or "en"
    if any(unit_of(c.split(".", 1)[1]) == "USD" for c in tab.columns()):
        assert f"({STRINGS[lang][USD_UNITS[usd]]})" in heads
    return usd


def assert_table_is_the_vintage(tab: Page, small: Small, vintage: str, breakdown: str) -> None:
    tab.breakdown = breakdown
    usd = usd_scale(tab, small, vintage)
    rows = tab.table()
    items = {i for (p, b, i, m) in small.rows[vintage] if b == breakdown}
    assert {r["item"] for r in rows} == items
    for r in rows:
        for c in r["cells"]:
            assert (c["status"], c["text"]) == expected_cell(small, vintage, breakdown, r["item"], c["column"], usd), (
                r["item"],
                c["column"],
            )


# the tests -------------------------------------------------------------------------------------------------


def test_page_loads_offline_with_the_latest_release(tab: Page, api_rich: Small, server: Server) -> None:
    tab.open()
    page = tab.page
    assert page.text_content("h1") == STRINGS["en"]["title"]
    assert page.eval_on_selector_all("#programme option", "os => os.map(o => o.value)") == ["KST"]
    assert page.eval_on_selector_all("#vintage option", "os => os.map(o => o.value)") == [V2, V1]
    assert page.input_value("#breakdown") == "category"
    assert tab.columns() == [
        "2024H1.exports",
        "2024H1.imports",
        "2024H1.balance",
        "2025H1.exports",
        "2025H1.imports",
        "2025H1.balance",
    ]
    assert_table_is_the_vintage(tab, api_rich, V2, "category")
    assert {"A", "P"} <= {c["status"] for r in tab.table() for c in r["cells"]}  # earlier periods final
    chart = tab.chart()
    assert chart["kind"] == "lines" and chart["measure"] == "exports" and chart["marks"]
    for mark in chart["marks"]:
        value, status = api_rich.rows[V2][(mark["period"], "category", mark["item"], "exports")]
        assert status in ("A", "P") and mark["value"] == value
    # offline: the page, its script, style, strings, fonts and data all come from the server under test
    assert tab.requests and all(u.startswith(server.url + "/") for u in tab.requests), tab.requests
    assert any(u.endswith("/static/fonts/regular.woff2") for u in tab.requests)
    tab.shot("01-loaded-en")


def test_a_selection_changes_the_table_and_the_chart(tab: Page, api_rich: Small) -> None:
    tab.open()
    page = tab.page
    tab.changed(lambda: page.select_option("#breakdown", "region"))
    assert_table_is_the_vintage(tab, api_rich, V2, "region")
    assert page.text_content("#table-title").endswith(": Region")
    regions = {r["item"] for r in tab.table()}
    chart = tab.chart()
    assert {m["item"] for m in chart["marks"]} | set(chart["withheld"]) == regions

    tab.changed(lambda: page.uncheck("#periods input[value='2024H1']"))
    assert tab.columns() == ["2025H1.exports", "2025H1.imports", "2025H1.balance"]
    chart = tab.chart()
    assert chart["kind"] == "bars" and chart["marks"]
    for mark in chart["marks"]:
        assert mark["value"] == api_rich.rows[V2][("2025H1", "region", mark["item"], "exports")][0]
    for item in chart["withheld"]:
        assert api_rich.rows[V2][("2025H1", "region", item, "exports")][1] in ("C", "N")
    tab.shot("02-region-bars")

    tab.changed(lambda: page.check("#measures input[value='exports_share']"))
    assert tab.columns() == ["2025H1.exports", "2025H1.imports", "2025H1.balance", "2025H1.exports_share"]
    assert_table_is_the_vintage(tab, api_rich, V2, "region")
    page.select_option("#chart-measure", "imports")
    page.wait_for_function("() => document.querySelector('#chart svg').dataset.measure === 'imports'")
    for mark in tab.chart()["marks"]:
        assert mark["value"] == api_rich.rows[V2][("2025H1", "region", mark["item"], "imports")][0]

    tab.changed(lambda: page.select_option("#breakdown", "category+region"))
    assert_table_is_the_vintage(tab, api_rich, V2, "category+region")
    assert "x" in {c["text"] for r in tab.table() for c in r["cells"] if c["status"] == "C"}  # confidential: x
    tab.changed(lambda: page.check("#frequency input[value='A']"))
    assert [c.split(".")[0] for c in tab.columns()] == ["2023"] * 4 + ["2024"] * 4  # the last two years
    from urllib.parse import parse_qs, urlsplit

    address = parse_qs(urlsplit(page.url).query)
    assert address["breakdown"] == ["category+region"] and address["period"] == ["2023", "2024"]
    assert address["freq"] == ["A"]
    tab.shot("03-cross-annual")


def test_downloads_carry_the_values_shown(tab: Page, api_rich: Small) -> None:
    from openpyxl import load_workbook

    tab.open("?breakdown=category&period=2025H1&measure=exports&measure=balance&measure=ratio")
    page = tab.page
    rows = tab.table()
    shown_cells = {(r["item"], c["column"]): (c["status"], c["text"]) for r in rows for c in r["cells"]}
    tab.breakdown = "category"
    usd = usd_scale(tab, api_rich, V2)
    assert len(shown_cells) == 3 * len(rows)

    with page.expect_download() as got:
        page.click("#download-csv")
    d = got.value
    assert d.suggested_filename == f"{V2}-category.csv"
    lines = list(csv.reader(io.StringIO(Path(d.path()).read_text(encoding="utf-8-sig"))))
    head, body = lines[0], lines[1:]
    assert [b[0] for b in body] == [r["item"] for r in rows]
    assert [b[1] for b in body] == [r["label"] for r in rows]
    columns = tab.columns()
    assert len(head) == 2 + 2 * len(columns)
    for b in body:
        for k, col in enumerate(columns):
            raw, status = b[2 + 2 * k], b[3 + 2 * k]
            want_status, want_text = shown_cells[(b[0], col)]
            assert status == want_status
            if status in ("A", "P"):
                assert shown(float(raw), unit_of(col.split(".", 1)[1]), usd) == want_text
            else:
                assert raw == ""

    with page.expect_download() as got:
        page.click("#download-xlsx")
    x = got.value
    assert x.suggested_filename == f"{V2}-category.xlsx"
    ws = load_workbook(io.BytesIO(Path(x.path()).read_bytes())).active
    assert ws is not None
    data = list(ws.iter_rows(min_row=5, max_row=4 + len(rows), values_only=True))
    for line in data:
        for k, col in enumerate(columns):
            value, status = line[2 + 2 * k], line[3 + 2 * k]
            want_status, want_text = shown_cells[(str(line[0]), col)]
            assert status == want_status
            if status in ("A", "P"):
                assert isinstance(value, int | float) and shown(value, unit_of(col.split(".", 1)[1]), usd) == want_text
            else:
                assert value is None


def test_the_language_switch(tab: Page, api_rich: Small) -> None:
    tab.open()
    page = tab.page
    tab.changed(lambda: page.click("#lang-ko"))
    ko = STRINGS["ko"]
    assert page.get_attribute("html", "lang") == "ko"
    assert page.text_content("h1") == ko["title"]
    assert page.get_attribute("#lang-ko", "aria-pressed") == "true"
    assert page.eval_on_selector("#breakdown", "s => s.selectedOptions[0].textContent") == "유형"
    heads = page.eval_on_selector_all("#table thead th[data-column]", "hs => hs.map(h => h.textContent)")
    assert heads[0].startswith("2024년 상반기수출")
    assert "lang=ko" in page.url and "lang=ko" in (page.get_attribute("#download-csv", "href") or "")
    assert page.text_content("#table-title") == "지식서비스무역통계: 유형"
    # the values do not change with the language
    assert_table_is_the_vintage(tab, api_rich, V2, "category")
    with page.expect_download() as got:
        page.click("#download-csv")
    first = Path(got.value.path()).read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.startswith("항목 코드,항목,2024년 상반기 수출")
    tab.shot("04-korean")
    tab.changed(lambda: page.click("#lang-en"))
    assert page.text_content("h1") == STRINGS["en"]["title"] and page.get_attribute("html", "lang") == "en"


def test_an_address_restores_its_view_and_an_earlier_vintage(tab: Page, api_rich: Small) -> None:
    tab.open(f"?dataflow=KST&vintage={V1}&breakdown=industry&period=2024H2&measure=imports&lang=ko")
    page = tab.page
    assert page.input_value("#vintage") == V1
    assert page.input_value("#breakdown") == "industry"
    assert tab.columns() == ["2024H2.imports"]
    assert page.get_attribute("html", "lang") == "ko"
    assert_table_is_the_vintage(tab, api_rich, V1, "industry")
    assert V1 in (page.text_content("#release-info") or "")
    # an earlier vintage offers only its own periods
    periods = page.eval_on_selector_all("#periods input", "is => is.map(i => i.value)")
    assert "2025H1" not in periods and "2024H2" in periods


def test_an_address_of_annual_periods_restores_the_annual_view(tab: Page, api_rich: Small) -> None:
    """The release is half-yearly; an address with years (and no freq) still means years."""
    tab.open("?dataflow=KST&breakdown=category&period=2023&period=2024&measure=exports")
    page = tab.page
    assert page.is_checked("#frequency input[value='A']")
    assert tab.columns() == ["2023.exports", "2024.exports"]
    assert_table_is_the_vintage(tab, api_rich, V2, "category")
    # the address it writes back says so, and opens the same view
    assert "freq=A" in page.url
    url = page.url
    tab.page.goto(url)
    tab.ready()
    assert tab.columns() == ["2023.exports", "2024.exports"]


def test_a_late_answer_never_overwrites_a_later_choice(tab: Page) -> None:
    """A table asked for, then made moot (all periods cleared) before its answer arrives: the
    answer, once it comes, is not drawn."""
    tab.open()
    page = tab.page
    held: list[Any] = []
    page.route("**/api/table?*", lambda route: held.append(route))
    page.click("#periods-all")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(25)
    assert len(held) == 1
    page.click("#periods-none")
    assert page.get_attribute("#table", "data-state") == "empty"
    held[0].continue_()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    assert page.get_attribute("#table", "data-state") == "empty"
    assert page.text_content("#message") == STRINGS["en"]["pick_period"]
    assert page.eval_on_selector_all("#periods input:checked", "is => is.length") == 0


def test_the_press_release_is_linked(tab: Page, api_rich: Small, server: Server) -> None:
    import urllib.request

    tab.open()
    link = tab.page.get_attribute("#press-release", "href")
    assert link == f"/releases/{V2}/press-release.en.html"
    assert tab.page.is_hidden("#press-release-pdf")  # this release has no PDF
    with urllib.request.urlopen(server.url + link) as r:
        assert r.read() == api_rich.docs[V2]


def test_an_embargoed_release_is_absent_until_its_time(tab: Page, server: Server) -> None:
    server.clock.t = BEFORE
    tab.open()
    page = tab.page
    assert page.eval_on_selector_all("#vintage option", "os => os.map(o => o.value)") == [V1]
    text = page.content()
    assert V2 not in text and "2025H1" not in text and "2025 H1" not in text
    assert not any(V2 in u or "2025H1" in u for u in tab.requests)
    tab.shot("05-before-release")
    # asking for it by address gets the latest released one instead
    tab.open(f"?vintage={V2}&period=2025H1")
    assert page.input_value("#vintage") == V1 and V2 not in page.content()
    server.clock.t = AFTER
    tab.open()
    assert page.eval_on_selector_all("#vintage option", "os => os.map(o => o.value)") == [V2, V1]
    assert "2025 H1" in page.content()
