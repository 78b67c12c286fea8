"""``POST /factcheck`` and the ``/factcheck`` page: the claims of an article against the vintages the
API serves (the rich API store of tests/apistore.py: kst-2024H2-v1 released 2025-03-19, kst-2025H1-v1
released 2025-09-17). The articles are written from the released values read from the store, so
they hold whatever the fixture compiles to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apistore import AFTER, BEFORE, V1, V2, Small
from ktstat.api.app import create_app
from ktstat.api.factcheck import FactcheckDoc, FigureSource
from ktstat.factcheck.figures import TableFigures, store_figures

SHARED = Path(__file__).resolve().parents[2] / "shared" / "articles"


@pytest.fixture(scope="module")
def rich(api_rich: Small) -> Small:
    return api_rich


@pytest.fixture(scope="module")
def client(rich: Small) -> Iterator[TestClient]:
    app = create_app(rich.store, now=lambda: AFTER, releases_dir=rich.releases, refresh_seconds=0)
    with TestClient(app) as c:
        yield c


def released(
    rich: Small, vintage: str, period: str, measure: str, breakdown: str = "total", item: str = "all"
) -> float:
    value, status = rich.rows[vintage][(period, breakdown, item, measure)]
    assert value is not None and status not in ("C", "N")
    return value


def millions(v: float) -> str:
    return f"${v / 1e6:,.1f} million"


def claims(doc: dict[str, Any]) -> list[dict[str, Any]]:
    FactcheckDoc.model_validate(doc)  # the documented shape, nothing more
    (article,) = doc["articles"]
    return list(article["claims"])


def test_snapshot_figures_are_the_store_figures(client: TestClient, rich: Small) -> None:
    """Every released cell, and the rates, read from the snapshots as the store gives them."""
    state = client.app.state.api  # type: ignore[attr-defined]
    snap, view = state.current()
    served, year = FigureSource(state.snapshots).figures(snap, view, AFTER, None, None)
    stored = store_figures(rich.store, now=AFTER)
    assert year is None
    assert served.vintages() == stored.vintages() == [V2]
    assert len(stored.cells) > 1000
    for key, value in stored.cells.items():
        assert served.value(*key) == pytest.approx(value, rel=1e-12, abs=1e-9), key
    assert served.value("kst", "2025H1", "total", "all", "no_such_measure") is None
    for period in ("2023", "2024H2", "2024", "2025H1"):
        assert served.krw_per_usd(period) == stored.krw_per_usd(period)
    # the half-year's rate is its quarters', not its year's (the fixture's 2024 rate differs)
    assert served.krw_per_usd("2024H2") == pytest.approx(1250.0)


def test_an_article_checked_against_the_latest_vintage(client: TestClient, rich: Small) -> None:
    exports = released(rich, V2, "2025H1", "exports")
    imports = released(rich, V2, "2025H1", "imports")
    text = (
        f"Knowledge services exports were {millions(exports)} in the first half of 2025, "
        f"while imports came to {millions(imports)}.\n"
        f"Knowledge services imports in the first half of 2025 were {millions(imports * 1.2)}.\n"
    )
    r = client.post("/factcheck", json={"text": text, "path": "mine.txt"})
    assert r.status_code == 200, r.text
    assert r.headers["x-ktstat-vintage"] == V2
    got = claims(r.json())
    assert r.json()["articles"][0]["path"] == "mine.txt"
    assert [c["verdict"] for c in got] == ["consistent", "consistent", "inconsistent"]
    for c in got:
        assert text[c["start"] : c["end"]] == c["text"]
    assert got[0]["cell"] == {
        "domain": "kst",
        "period": "2025H1",
        "breakdown": "total",
        "item": "all",
        "measure": "exports",
    }
    assert got[0]["released"] == pytest.approx(exports)
    assert got[2]["released"] == pytest.approx(imports)


def test_as_of_checks_against_the_vintage_current_that_day(client: TestClient, rich: Small) -> None:
    """Before kst-2025H1-v1 was out, the first half of 2025 is not in any release; "last year"
    is the year before the article's."""
    exports = released(rich, V2, "2025H1", "exports")
    text = f"Knowledge services exports were {millions(exports)} in the first half of 2025."
    r = client.post("/factcheck", json={"text": text, "as_of": BEFORE.date().isoformat()})
    assert r.status_code == 200, r.text
    assert r.headers["x-ktstat-vintage"] == V1
    (c,) = claims(r.json())
    assert c["verdict"] == "not_in_release" and c["released"] is None
    # the release day itself counts: the vintage came out at noon
    r = client.post("/factcheck", json={"text": text, "as_of": "2025-09-17"})
    assert r.headers["x-ktstat-vintage"] == V2
    assert [c["verdict"] for c in claims(r.json())] == ["consistent"]
    # "last year" from an article of 2025 is 2024
    year = released(rich, V1, "2024", "exports")
    r = client.post(
        "/factcheck",
        json={"text": f"Knowledge services exports were {millions(year)} last year.", "as_of": "2025-03-20"},
    )
    (c,) = claims(r.json())
    assert c["cell"]["period"] == "2024" and c["verdict"] == "consistent", c
    # the vintages named
    r = client.post("/factcheck", json={"text": text, "release": [V1]})
    assert r.headers["x-ktstat-vintage"] == V1


def test_answers_are_computed_from_each_body_never_cached(client: TestClient, rich: Small) -> None:
    exports = released(rich, V2, "2025H1", "exports")
    good = f"Knowledge services exports were {millions(exports)} in the first half of 2025."
    bad = f"Knowledge services exports were {millions(exports * 2)} in the first half of 2025."
    verdicts = [claims(client.post("/factcheck", json={"text": t}).json())[0]["verdict"] for t in (good, bad, good)]
    assert verdicts == ["consistent", "inconsistent", "consistent"]


def test_html_answer_highlights_the_claims(client: TestClient, rich: Small) -> None:
    exports = released(rich, V2, "2025H1", "exports")
    text = f"<p>Knowledge services exports were {millions(exports * 2)} in the first half of 2025.</p>"
    r = client.post("/factcheck?format=html", json={"text": text})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'class="c inconsistent"' in r.text and "<script" not in r.text


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({}, 400, "body.text"),
        ({"text": "x", "lang": "fr"}, 400, "body.lang"),
        ({"text": "x", "as_of": "soon"}, 400, "as_of: 'soon' is not a date"),
        ({"text": "x", "as_of": "2025-09-17T12:00"}, 400, "needs a time zone"),
        ({"text": "x", "as_of": "2025-09-17", "release": [V1]}, 400, "not both"),
        ({"text": "x", "release": ["kst-2030H1-v1"]}, 404, "no released vintage 'kst-2030H1-v1'"),
        ({"text": "x" * 200_001}, 400, "body.text"),
    ],
)
def test_bad_requests_get_a_clear_error(client: TestClient, body: dict[str, object], status: int, says: str) -> None:
    r = client.post("/factcheck", json=body)
    assert r.status_code == status, r.text
    assert says in r.json()["errors"][0]["detail"]


def test_only_get_and_post(client: TestClient) -> None:
    assert client.put("/factcheck", json={"text": "x"}).status_code == 405
    assert client.post("/releases", json={"text": "x"}).status_code == 405


def test_the_page_is_offline_and_bilingual(client: TestClient) -> None:
    r = client.get("/factcheck")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert not re.search(r"(?:src|href)=[\"']https?:", page)  # nothing from the network
    assert 'fetch("/factcheck"' in page
    for text in ("Check an article's numbers", "기사 수치 확인", "inconsistent", "불일치", "단위 오류"):
        assert text in page
    again = client.get("/factcheck", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


def test_openapi_documents_the_fact_check(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    ops = doc["paths"]["/factcheck"]
    assert set(ops) == {"get", "post"}
    assert "FactcheckRequest" in str(ops["post"]["requestBody"])
    assert "FactcheckDoc" in str(ops["post"]["responses"]["200"])


def test_the_api_answers_as_the_command_line_on_the_demo(demo_dir: Path, demo_figures: TableFigures) -> None:
    """Our own articles (and the shared press articles, when they are beside the checkout): the
    same claims, cells, verdicts and released values from the API's snapshots as from the store."""
    from ktstat.factcheck.report import check_article, to_doc

    articles = sorted((Path(__file__).parent / "fixtures" / "factcheck").glob("*.txt"))
    articles += sorted(SHARED.glob("*.txt")) if SHARED.is_dir() else []
    stored = demo_figures  # store_figures of the demo's store (tests/conftest.py)
    app = create_app(demo_dir / "ktstat.duckdb", refresh_seconds=0)
    with TestClient(app) as c:
        for path in articles:
            text = path.read_text(encoding="utf-8")
            r = c.post("/factcheck", json={"text": text, "path": path.name})
            assert r.status_code == 200, r.text
            assert r.headers["x-ktstat-vintage"] == ",".join(stored.vintages())
            (want,) = to_doc([check_article(path.name, text, stored)])["articles"]
            (got,) = r.json()["articles"]
            assert (got["path"], got["lang"], len(got["claims"])) == (want["path"], want["lang"], len(want["claims"]))
            for g, w in zip(got["claims"], want["claims"], strict=True):
                if w["released"] is None:
                    assert g["released"] is None, (path.name, w)
                else:
                    assert g["released"] == pytest.approx(w["released"], rel=1e-12), (path.name, w)
                assert {**g, "released": None} == {**w, "released": None}, path.name
