"""What the explorer opens on (ktstat.api.home): ``/api/home`` (each programme's latest release in
brief: key figures on the programme's comparison bases in the press release's words, the trend,
the release files, the next release; the release calendar), ``/api/search`` (items by name in
both languages), and the typeface cut when the app starts.

Over the small store of tests/apistore.py (kst-2024H2-v1 released, kst-2025H1-v1 released at
``AFTER``), the clock injected.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apistore import AFTER, BEFORE, V1, V2, Clock, Small
from ktstat import domain as domains
from ktstat.api import models, page
from ktstat.api.app import create_app
from ktstat.release.numbers import money, percent, ratio
from ktstat.release.snapshot import snapshot_dir
from ktstat.terms import terms


@pytest.fixture()
def clock() -> Clock:
    return Clock(AFTER)


@pytest.fixture()
def client(api_small: Small, clock: Clock) -> Iterator[TestClient]:
    app = create_app(api_small.store, now=clock, releases_dir=api_small.releases, refresh_seconds=0)
    with TestClient(app) as c:
        yield c


def _home(client: TestClient) -> dict[str, Any]:
    doc = client.get("/api/home").json()
    models.HomeDoc.model_validate(doc)
    return dict(doc)


def test_key_figures_are_the_release_summary_on_its_comparison_bases(client: TestClient, api_small: Small) -> None:
    doc = _home(client)
    (kst,) = doc["programmes"]
    rows = api_small.rows[V2]
    assert kst["id"] == "KST" and kst["period"] == "2025H1" and kst["vintage"]["id"] == V2
    assert kst["vintage"]["title"] == {
        "en": "Knowledge services trade statistics, H1 2025 (provisional)",
        "ko": "지식서비스무역통계 2025년 상반기 (잠정)",
    }
    assert kst["vintage"]["date"] == {"en": "September 17, 2025", "ko": "2025년 9월 17일"}
    # the programme's [release] comparisons, in order: the previous half, then the same half a year earlier
    dom = domains.load("kst")
    assert [b["name"] for b in kst["bases"]] == list(dom.release.comparisons) == ["previous", "yoy"]
    assert [b["period"] for b in kst["bases"]] == ["2024H2", "2024H1"]
    assert kst["bases"][1]["label"]["en"] == terms("en").basis("yoy", "H")
    assert [f["measure"] for f in kst["figures"]] == ["exports", "imports", "balance", "volume", "ratio"]
    for f in kst["figures"]:
        m = f["measure"]
        value, status = rows[("2025H1", "total", "all", m)]
        assert (f["value"], f["status"]) == ((value if status in ("A", "P") else None), status)
        for lang in ("en", "ko"):
            if value is None:  # withheld (C) or not meaningful (N)
                want = "x" if status == "C" else "\u2013"
            else:
                want = ratio(value, lang) if m == "ratio" else money(value, lang)
            assert f["text"][lang].endswith(want), (m, lang)
        for c in f["changes"]:
            v, s = rows[("2025H1", "total", "all", c["measure"])]
            assert (c["value"], c["status"]) == ((v if s in ("A", "P") else None), s)
        kinds = {(c["basis"], c["kind"]) for c in f["changes"]}
        growth = m in ("exports", "imports", "volume")
        assert kinds == {(b, k) for b in ("previous", "yoy") for k in ("change", "growth") if growth or k == "change"}
        # one line per basis, in the press release's words: "+4.2% (+$0.79 billion) on previous half-year"
        assert [ln["basis"] for ln in f["lines"]] == ["previous", "yoy"]
        for ln in f["lines"]:
            suffix = "_yoy" if ln["basis"] == "yoy" else ""
            basis = terms("en").basis(ln["basis"], "H")
            assert ln["text"]["en"].endswith(f" on {basis}")
            g, _gs = rows[("2025H1", "total", "all", f"{m}_growth{suffix}")] if growth else (None, None)
            if g is not None:
                assert percent(g, "en") in ln["text"]["en"]
        # the table behind the figure: the total, the periods compared, the figure and its changes
        assert f["table"]["breakdown"] == "total"
        assert f["table"]["period"] == ["2024H1", "2024H2", "2025H1"]
        assert f["table"]["measure"][0] == m and set(f["table"]["measure"][1:]) == {c["measure"] for c in f["changes"]}
    trend = kst["trend"]
    assert [p["id"] for p in trend["periods"]][-1] == "2025H1" and len(trend["periods"]) <= dom.release.summary_periods
    for k, p in enumerate(trend["periods"]):
        for m in ("exports", "imports", "balance"):
            assert trend["series"][m][k] == rows[(p["id"], "total", "all", m)][0]
    assert kst["files"]["press_release"]["en"] == f"/releases/{V2}/press-release.en.html"
    # the next release: the calendar's next day after now (two releases are due on 19 March 2026)
    nxt = kst["next_release"]
    assert {e["release_at"] for e in nxt} == {"2026-03-19T12:00:00+09:00"}
    assert {(e["period"], e["status"]) for e in nxt} == {("2025H2", "provisional"), ("2024H2", "final")}
    assert all(e["state"] == "upcoming" and e["vintage"] is None for e in nxt)


def test_the_calendar_lists_released_and_upcoming_releases(client: TestClient, clock: Clock) -> None:
    cal = _home(client)["calendar"]
    released = [e for e in cal if e["state"] == "released"]
    upcoming = [e for e in cal if e["state"] == "upcoming"]
    assert [e["vintage"] for e in released] == [V1, V2]
    assert released[0]["title"]["en"] == "Knowledge services trade statistics, H2 2024 (provisional)"
    assert released[0]["date"]["ko"] == "2025년 3월 19일"
    assert upcoming and all(e["release_at"] > AFTER.isoformat() for e in upcoming)
    assert [e["release_at"] for e in upcoming] == sorted(e["release_at"] for e in upcoming)
    assert cal == released + upcoming
    # before its release time a vintage is on the calendar as upcoming, never as released
    clock.t = BEFORE
    cal = _home(client)["calendar"]
    assert [e["vintage"] for e in cal if e["state"] == "released"] == [V1]
    due = next(e for e in cal if e["period"] == "2025H1" and e["status"] == "provisional")
    assert due["state"] == "upcoming" and due["vintage"] is None
    assert V2 not in client.get("/api/home").text


@pytest.mark.parametrize(
    ("q", "breakdown", "item"),
    [
        ("game", "special", "content_game"),
        ("게임", "special", "content_game"),
        ("China", "partner", "CN"),
        ("중국", "partner", "CN"),
        ("royalties", "category", "ip_royalties"),
        ("  ROYALTIES ", "category", "ip_royalties"),
    ],
)
def test_search_finds_items_in_both_languages(client: TestClient, q: str, breakdown: str, item: str) -> None:
    doc = client.get("/api/search", params={"q": q}).json()
    models.SearchDoc.model_validate(doc)
    hits = [(r["breakdown"], r["item"]) for r in doc["results"]]
    assert (breakdown, item) in hits, hits
    assert hits[0] == (breakdown, item)  # the best match first
    assert all("+" not in b for b, _ in hits)  # breakdowns, not crosses
    first = doc["results"][0]
    assert first["dataflow"] == "KST" and first["label"]["en"] and first["label"]["ko"]


def test_search_without_a_match_or_text(client: TestClient) -> None:
    assert client.get("/api/search", params={"q": "zzzqqq"}).json()["results"] == []
    assert client.get("/api/search", params={"q": " "}).json()["results"] == []
    assert client.get("/api/search", params={"q": "x" * 101}).status_code == 400


def test_the_typeface_is_cut_at_start_and_covers_what_the_page_shows(
    api_small: Small, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fontTools.ttLib import TTFont

    app = create_app(api_small.store, now=lambda: AFTER, releases_dir=api_small.releases, refresh_seconds=0)
    assert app.state.fonts_ready.wait(300)
    import ktstat.publish.fonts as fonts

    def no_cut(*_a: object, **_k: object) -> None:
        raise AssertionError("the typeface was cut on a request")

    monkeypatch.setattr(fonts, "cut_font", no_cut)
    c = TestClient(app)
    shown = "".join(
        c.get(url).text
        for url in ("/api/home", "/api/meta", f"/api/meta?vintage={V1}", "/static/i18n.json", "/api/search?q=game")
    )
    shown += "".join(c.get(f"/api/table?dataflow=KST&breakdown={b}&lang=ko").text for b in ("category", "special"))
    wanted = {ch for ch in shown if ch.isprintable() and not ch.isspace() and ord(ch) > 0x7F}
    assert any("\uac00" <= ch <= "\ud7a3" for ch in wanted)
    for weight in page.FONT_WEIGHTS:
        font = c.get(f"/static/fonts/{weight}.woff2")
        assert font.status_code == 200
        cmap = {chr(k) for k in TTFont(io.BytesIO(font.content)).getBestCmap()}
        missing = wanted - cmap
        assert not missing, sorted(missing)[:20]
    # kept beside the snapshots: a restarted server reads it, cutting nothing
    kept = sorted(p.name for p in (snapshot_dir(api_small.store) / "fonts").iterdir())
    assert len(kept) == 2 and all(n.startswith("explorer-") and n.endswith(".woff2") for n in kept)
    before = {w: c.get(f"/static/fonts/{w}.woff2").content for w in page.FONT_WEIGHTS}
    page._font_cache.clear()
    again = create_app(api_small.store, now=lambda: AFTER, releases_dir=api_small.releases, refresh_seconds=0)
    assert again.state.fonts_ready.wait(60)
    c2 = TestClient(again)
    assert {w: c2.get(f"/static/fonts/{w}.woff2").content for w in page.FONT_WEIGHTS} == before
