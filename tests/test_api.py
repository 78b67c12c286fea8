"""The REST API (ktstat.api): released vintages only, SDMX formats equal to the vintages' rows,
confidential cells without values, SDMX errors for every bad query and never a 500, the
explorer JSON, release documents, a real SDMX client (sdmx1), and a schema fuzz (schemathesis).

A small store is compiled from tests/fixtures/kst_small with two vintages: kst-2024H2-v1
(released 2025-03-19) and kst-2025H1-v1 (2025-09-17, embargoed at the injected clock's start).
The session's demo (tests/conftest.py, demo_dir) is served too (test_demo_store).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apistore import AFTER, BEFORE, KST, V1, V2, V2_AT, Cells, Clock, Small, cells_of
from ktstat import domain as domains
from ktstat.api import models
from ktstat.api.app import create_app
from ktstat.periods import parse
from ktstat.publish.sdmx import breakdown_name, item_code, period_label
from ktstat.release.vintage import create_vintage, get_vintage, vintage_rows

ROOT = Path(__file__).resolve().parents[1]
SDMX_JSON = "application/vnd.sdmx.data+json;version=2.0.0"
SDMX_CSV = "application/vnd.sdmx.data+csv;version=1.0.0"
SS_XML = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
GENERIC_XML = "application/vnd.sdmx.genericdata+xml;version=2.1"


@pytest.fixture(scope="module")
def small(api_small: Small) -> Small:
    return api_small


@pytest.fixture()
def clock() -> Clock:
    return Clock(BEFORE)


@pytest.fixture()
def client(small: Small, clock: Clock) -> Iterator[TestClient]:
    app = create_app(small.store, now=clock, releases_dir=small.releases, refresh_seconds=0)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def before(small: Small) -> TestClient:
    """One app for the read-only checks, its clock fixed between the two releases."""
    return TestClient(create_app(small.store, now=lambda: BEFORE, releases_dir=small.releases, refresh_seconds=0))


# helpers ---------------------------------------------------------------------------------------------------


def decode_json(doc: dict[str, Any]) -> Cells:
    """The cells of an SDMX-JSON 2.0 data message, keyed by ktstat codes."""
    st = doc["data"]["structures"][0]
    dims = st["dimensions"]["series"]
    assert [d["id"] for d in dims] == ["FREQ", "BREAKDOWN", "ITEM", "MEASURE"]
    times = st["dimensions"]["observation"][0]["values"]
    statuses = st["attributes"]["observation"][0]["values"]
    out: Cells = {}
    for key, series in doc["data"]["dataSets"][0]["series"].items():
        codes = [dims[n]["values"][int(i)]["id"] for n, i in enumerate(key.split(":"))]
        for t, obs in series["observations"].items():
            label = period_label(times[int(t)]["id"])
            assert {"A": "A", "S": "H", "Q": "Q"}[codes[0]] == ("A" if len(label) == 4 else label[4])
            out[(label, breakdown_name(codes[1]), item_code(codes[2]), codes[3])] = (obs[0], statuses[obs[1]]["id"])
    return out


def decode_sdmx_csv(text: str) -> Cells:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and list(rows[0]) == [
        "DATAFLOW",
        "FREQ",
        "BREAKDOWN",
        "ITEM",
        "MEASURE",
        "TIME_PERIOD",
        "OBS_VALUE",
        "UNIT_MEASURE",
        "OBS_STATUS",
    ]
    return {
        (period_label(r["TIME_PERIOD"]), breakdown_name(r["BREAKDOWN"]), item_code(r["ITEM"]), r["MEASURE"]): (
            float(r["OBS_VALUE"]) if r["OBS_VALUE"] else None,
            r["OBS_STATUS"],
        )
        for r in rows
    }


def decode_plain_csv(text: str) -> Cells:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["domain", "period", "breakdown", "item", "measure", "value", "status"]
    return {
        (r["period"], r["breakdown"], r["item"], r["measure"]): (float(r["value"]) if r["value"] else None, r["status"])
        for r in rows
    }


def decode_xml(body: bytes) -> Cells:
    out: Cells = {}
    for series in ET.fromstring(body).iter("Series"):
        for obs in series.iter("Obs"):
            value = obs.get("OBS_VALUE")
            out[
                (
                    period_label(obs.attrib["TIME_PERIOD"]),
                    breakdown_name(series.attrib["BREAKDOWN"]),
                    item_code(series.attrib["ITEM"]),
                    series.attrib["MEASURE"],
                )
            ] = (float(value) if value is not None else None, obs.attrib["OBS_STATUS"])
    return out


def published(cells: Cells) -> Cells:
    """What a reader may see: the value only for A and P cells."""
    return {k: (v if s in ("A", "P") else None, s) for k, (v, s) in cells.items()}


def assert_error(r: Any, status: int, code: int) -> None:
    assert r.status_code == status, (r.status_code, r.text[:500])
    if r.headers["content-type"].startswith("application/json"):
        err = models.ErrorMessage.model_validate(r.json()).model_dump()["errors"][0]
        assert err["code"] == code and err["title"] and err["detail"], err
    else:
        root = ET.fromstring(r.content)
        assert root.tag.endswith("}Error")
        msg = next(root.iter("{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}ErrorMessage"))
        assert msg.get("code") == str(code) and "".join(msg.itertext()).strip()


# released vintages only ---------------------------------------------------------------------------------------


def test_embargoed_vintage_exists_nowhere_until_its_time(client: TestClient, clock: Clock, small: Small) -> None:
    def visible() -> dict[str, bool]:
        rel = client.get("/releases").json()["releases"]
        meta = client.get("/api/meta").json()["dataflows"][0]
        return {
            "releases": V2 in [v["id"] for d in rel for v in d["vintages"]],
            "meta": V2 in [v["id"] for v in meta["vintages"]] or meta["vintage"]["id"] == V2,
            "meta_periods": "2025H1" in [p["id"] for f in meta["frequencies"] for p in f["periods"]],
            "data_vintage": client.get(f"/data/KST/all?vintage={V2}&format=jsondata").status_code == 200,
            "data_default": client.get("/data/KST/S.TOTAL.all.exports?startPeriod=2025-S1&format=csv").status_code
            == 200,
            "table": client.get("/api/table?dataflow=KST&period=2025H1").status_code == 200,
            "table_vintage": client.get(f"/api/table.csv?dataflow=KST&vintage={V2}").status_code == 200,
            "release": client.get(f"/releases/{V2}").status_code == 200,
            "document": client.get(f"/releases/{V2}/press-release.en.html").status_code == 200,
        }

    assert not any(visible().values()), visible()
    r = client.get(f"/data/KST/all?vintage={V2}&format=jsondata")
    assert_error(r, 404, 100)
    assert client.get("/data/KST/all?format=csv").headers["x-ktstat-vintage"] == V1
    assert client.get(f"/releases/{V1}/press-release.en.html").content == small.docs[V1]
    clock.t = V2_AT - timedelta(microseconds=1)
    assert not any(visible().values())
    clock.t = AFTER  # no restart, no reload: the next request sees it
    assert all(visible().values()), visible()
    assert client.get("/data/KST/all?format=csv").headers["x-ktstat-vintage"] == V2
    assert client.get(f"/data/KST/all?vintage={V1}&format=csv").headers["x-ktstat-vintage"] == V1
    assert client.get(f"/releases/{V2}/press-release.en.html").content == small.docs[V2]
    assert [v["id"] for v in client.get("/releases").json()["releases"][0]["vintages"]] == [V1, V2]


def test_ktstat_now_sets_the_default_clock(small: Small, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KTSTAT_NOW", "2025-06-01T00:00+09:00")
    c = TestClient(create_app(small.store, refresh_seconds=0))
    assert [v["id"] for v in c.get("/releases").json()["releases"][0]["vintages"]] == [V1]
    monkeypatch.setenv("KTSTAT_NOW", "2025-09-17T03:00Z")
    c = TestClient(create_app(small.store, refresh_seconds=0))
    assert c.get("/releases").json()["releases"][0]["latest"] == V2


def test_nothing_is_released_yet(small: Small) -> None:
    c = TestClient(create_app(small.store, now=lambda: datetime(2020, 1, 1, tzinfo=KST), refresh_seconds=0))
    assert c.get("/releases").json() == {"releases": []}
    assert c.get("/api/meta").json()["dataflows"] == []
    assert_error(c.get("/data/KST/all?format=jsondata"), 404, 100)
    assert_error(c.get("/dataflow/KTSTAT/KST/latest"), 404, 100)
    assert_error(c.get("/api/table?dataflow=KST"), 404, 100)


# values ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsondata", "csv", "plaincsv", "structurespecificdata"])
def test_every_format_gives_the_vintage_rows_exactly(client: TestClient, small: Small, clock: Clock, fmt: str) -> None:
    clock.t = AFTER
    decode: dict[str, Callable[[Any], Cells]] = {
        "jsondata": lambda r: decode_json(r.json()),
        "csv": lambda r: decode_sdmx_csv(r.text),
        "plaincsv": lambda r: decode_plain_csv(r.text),
        "structurespecificdata": lambda r: decode_xml(r.content),
    }
    for vintage in (V1, V2):
        r = client.get(f"/data/KST/all?vintage={vintage}&format={fmt}")
        assert r.status_code == 200, r.text[:300]
        got = decode[fmt](r)
        want = published(small.rows[vintage])
        assert got == want
        assert any(s == "C" for _, s in want.values()) and any(s == "P" for _, s in want.values())


def test_confidential_cells_never_carry_a_value(client: TestClient, small: Small, clock: Clock) -> None:
    clock.t = AFTER
    confidential = {k for k, (_, s) in small.rows[V2].items() if s == "C"}
    assert confidential
    doc = decode_json(client.get("/data/KST/all?format=jsondata").json())
    assert all(doc[k] == (None, "C") for k in confidential)
    for line in client.get("/data/KST/all?format=csv").text.splitlines()[1:]:
        f = line.split(",")
        assert f[-1] != "C" or f[6] == "", line
    for obs in ET.fromstring(client.get("/data/KST/all?format=structurespecificdata").content).iter("Obs"):
        assert obs.get("OBS_STATUS") != "C" or "OBS_VALUE" not in obs.attrib
    period, breakdown, _, measure = next(k for k in sorted(confidential) if k[1] != "total" and "+" not in k[1])
    t = client.get(f"/api/table?dataflow=KST&breakdown={breakdown}&period={period}&measure={measure}").json()
    col = f"{period}.{measure}"
    flagged = [row for row in t["rows"] if row["statuses"][col] == "C"]
    assert flagged and all(row["values"][col] is None for row in flagged)


def test_keys_periods_and_observation_counts(client: TestClient, small: Small, clock: Clock) -> None:
    clock.t = AFTER
    want = published(small.rows[V2])
    r = client.get("/data/KST/S.CATEGORY..EXPORTS+imports?format=jsondata")  # case-insensitive codes, canonical out
    got = decode_json(r.json())
    assert got == {
        k: v
        for k, v in want.items()
        if parse(k[0]).freq == "H" and k[1] == "category" and k[3] in ("exports", "imports")
    }
    assert r.headers["content-type"] == SDMX_JSON
    same = client.get("/data/KTSTAT,KST,1.0/S.CATEGORY..exports+imports/all?format=jsondata")
    assert decode_json(same.json()) == got
    # a period range keeps the periods lying inside it, whatever the frequency
    quarters = {f"2024Q{q}" for q in (1, 2, 3, 4)}
    for start, end, expect in (
        ("2024", "2024", {"2024", "2024H1", "2024H2", *quarters}),
        ("2024-S1", "2024-S2", {"2024", "2024H1", "2024H2", *quarters}),
        ("2024H1", "2024-12-31", {"2024", "2024H1", "2024H2", *quarters}),
        ("2024-S1", "2024-S1", {"2024H1", "2024Q1", "2024Q2"}),
        ("2024-01", "2024-09", {"2024H1", "2024Q1", "2024Q2", "2024Q3"}),
        ("2024-02", "2024-12", {"2024H2", "2024Q2", "2024Q3", "2024Q4"}),
        ("2024-Q2", "2024-Q3", {"2024Q2", "2024Q3"}),
    ):
        got = decode_plain_csv(
            client.get(f"/data/KST/.TOTAL.all.exports?startPeriod={start}&endPeriod={end}&format=plaincsv").text
        )
        assert {k[0] for k in got} == expect, (start, end)
    got = decode_plain_csv(client.get("/data/KST/S.TOTAL.all.exports?startPeriod=2024-S2&format=plaincsv").text)
    assert {k[0] for k in got} == {"2024H2", "2025H1"}
    got = decode_plain_csv(client.get("/data/KST/Q.TOTAL.all.exports?startPeriod=2024-Q3&format=plaincsv").text)
    assert {k[0] for k in got} == {"2024Q3", "2024Q4", "2025Q1", "2025Q2"}
    last = decode_plain_csv(client.get("/data/KST/S.CATEGORY..exports?lastNObservations=1&format=plaincsv").text)
    assert {k[0] for k in last} == {"2025H1"} and len(last) == len({k[2] for k in last})
    first = decode_plain_csv(client.get("/data/KST/S.CATEGORY..exports?firstNObservations=2&format=plaincsv").text)
    assert {k[0] for k in first} == {"2023H1", "2023H2"}


def test_format_negotiation_and_head(client: TestClient) -> None:
    url = "/data/KST/S.TOTAL.all.exports"
    assert client.get(url, headers={"Accept": SDMX_JSON}).headers["content-type"] == SDMX_JSON
    assert client.get(url, headers={"Accept": SDMX_CSV}).headers["content-type"] == SDMX_CSV
    assert client.get(url, headers={"Accept": "text/csv"}).headers["content-type"] == SDMX_CSV
    assert client.get(url, headers={"Accept": SS_XML}).headers["content-type"] == SS_XML
    # GenericData 2.1 is the XML default (issue 14)
    assert client.get(url, headers={"Accept": "*/*"}).headers["content-type"] == GENERIC_XML
    assert client.get(url, headers={"Accept": "application/xml"}).headers["content-type"] == GENERIC_XML
    assert client.get(url).headers["content-type"] == GENERIC_XML
    q = "application/vnd.sdmx.genericdata+xml;version=3.0.0, application/json;q=0.5, text/csv;q=0.9"
    assert client.get(url, headers={"Accept": q}).headers["content-type"] == SDMX_CSV
    assert client.get(url + "?format=jsondata", headers={"Accept": SS_XML}).headers["content-type"] == SDMX_JSON
    get = client.get(url + "?format=csv")
    head = client.head(url + "?format=csv")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content)) == get.headers["content-length"]
    again = client.get(url + "?format=csv")  # from the response cache
    assert again.content == get.content and again.headers["content-type"] == get.headers["content-type"]
    assert client.head("/nope").status_code == 404


# errors -----------------------------------------------------------------------------------------------------------


BAD = [
    # (url, accept, status, SDMX code)
    ("/data/XYZ?format=jsondata", None, 404, 100),  # unknown dataflow
    ("/data/OTHER,KST?format=jsondata", None, 404, 100),  # unknown agency
    ("/data/KTSTAT,KST,9.9?format=jsondata", None, 404, 100),  # unknown version
    ("/data/a,b,c,d?format=jsondata", None, 400, 140),  # malformed flow
    ("/data/KST/S.NOPE..exports?format=jsondata", None, 404, 100),  # unknown dimension value
    ("/data/KST/S.TOTAL.all.made_up?format=csv", None, 404, 100),
    ("/data/KST/M.TOTAL.all.exports?format=jsondata", None, 404, 100),  # a FREQ KST does not publish (monthly)
    ("/data/KST/S.TOTAL?format=jsondata", None, 400, 140),  # wrong number of positions
    ("/data/KST/S.TOTAL.all.exports.x?format=jsondata", None, 400, 140),
    ("/data/KST/S.TO%25TAL..?format=jsondata", None, 400, 140),  # bad characters
    ("/data/KST/S.TOTAL.all.exports++imports?format=jsondata", None, 400, 140),
    ("/data/KST/S.TOTAL.all.ex%20ports?format=jsondata", None, 400, 140),
    ("/data/KST/all?startPeriod=2024-X1&format=jsondata", None, 400, 140),  # malformed period
    ("/data/KST/all?startPeriod=2024-13&format=jsondata", None, 400, 140),
    ("/data/KST/all?endPeriod=2024-02-30&format=jsondata", None, 400, 140),
    ("/data/KST/all?startPeriod=99999&format=jsondata", None, 400, 140),
    ("/data/KST/all?startPeriod=2025&endPeriod=2024&format=jsondata", None, 400, 150),  # reversed
    ("/data/KST/all?startPeriod=1990&endPeriod=1999&format=jsondata", None, 404, 100),  # out of range
    ("/data/KST/all?startPeriod=2031&format=csv", None, 404, 100),
    ("/data/KST/all?vintage=kst-1999H1-v1&format=jsondata", None, 404, 100),  # unknown vintage
    ("/data/KST/all?vintage=tbp-2023-v1&format=jsondata", None, 404, 100),
    ("/data/KST/all?lastNObservations=0&format=jsondata", None, 400, 140),
    ("/data/KST/all?firstNObservations=abc&format=jsondata", None, 400, 140),
    ("/data/KST/all?dimensionAtObservation=NOPE&format=jsondata", None, 400, 150),  # not a dimension
    ("/data/KST/all?dimensionAtObservation=FREQ&format=jsondata", None, 400, 150),  # SDMX-JSON: TIME_PERIOD/All
    ("/data/KST/all?detail=bogus&format=jsondata", None, 400, 150),
    ("/data/KST/all?updatedAfter=yesterday&format=jsondata", None, 400, 140),
    ("/data/KST/all?includeHistory=true&format=csv", None, 400, 150),  # SDMX-CSV has one data set
    ("/data/KST/all?includeHistory=true&vintage=" + V1 + "&format=jsondata", None, 400, 150),
    ("/data/KST/all?updatedAfter=2030-01-01T00:00:00Z&format=jsondata", None, 404, 100),  # nothing changed since
    ("/categoryscheme/KTSTAT", None, 501, 501),  # SDMX resources not served
    ("/structure/hierarchy/KTSTAT/all/latest", None, 501, 501),
    ("/metadata/dataflow/KTSTAT/KST", None, 501, 501),
    ("/data/datastructure/KTSTAT/DSD_KST/1.0/all", None, 501, 501),
    ("/availableconstraint/KST/S.NOPE..", None, 404, 100),
    ("/availableconstraint/KST/all/all/NOPE", None, 404, 100),
    ("/data/KST/S.TOTAL.all.exports/OTHER?format=jsondata", None, 404, 100),  # unknown provider
    ("/data/KST/all?format=xlsx", None, 406, 1406),  # unsupported format
    ("/data/KST/all", "application/vnd.sdmx.genericdata+xml;version=3.0.0", 406, 1406),
    ("/data/KST/all", "application/vnd.sdmx.data+json;version=3.0.0", 406, 1406),
    ("/data/KST/all", "image/png", 406, 1406),
    ("/data/KST/S.NOPE..", SS_XML, 404, 100),  # errors in SDMX-ML when XML was asked
    ("/data/KST/S.TOTAL", None, 400, 140),
    ("/dataflow/KTSTAT/NOPE", None, 404, 100),
    ("/dataflow/OTHER", None, 404, 100),
    ("/codelist/KTSTAT/CL_NOPE/latest", None, 404, 100),
    ("/codelist/KTSTAT/CL_FREQ/2.0", None, 404, 100),
    ("/datastructure/KTSTAT/DSD_KST?references=bogus", None, 400, 140),
    ("/datastructure/KTSTAT/DSD_KST?detail=bogus", None, 400, 140),
    ("/dataflow", "application/json", 406, 1406),
    ("/api/table", None, 400, 140),  # dataflow missing
    ("/api/table?dataflow=KST&lang=fr", None, 400, 140),
    ("/api/table?dataflow=NOPE", None, 404, 100),
    ("/api/table?dataflow=KST&breakdown=nope", None, 404, 100),
    ("/api/table?dataflow=KST&period=20x5", None, 400, 140),
    ("/api/table?dataflow=KST&period=2019H1", None, 404, 100),
    ("/api/table?dataflow=KST&measure=nope", None, 404, 100),
    ("/api/table?dataflow=KST&vintage=" + V2, None, 404, 100),
    ("/api/table.csv?dataflow=KST&breakdown=nope", None, 404, 100),
    ("/api/table.xlsx?dataflow=KST&lang=xx", None, 400, 140),
    ("/api/meta?dataflow=NOPE", None, 404, 100),
    ("/api/meta?vintage=" + V2, None, 404, 100),
    ("/releases/" + V2, None, 404, 100),
    ("/releases/nope/press-release.en.html", None, 404, 100),
    (f"/releases/{V1}/notes.txt", None, 404, 100),  # not in the manifest
    (f"/releases/{V1}/../kst-2025H1/press-release.en.html", None, 404, 100),
    (f"/releases/{V1}/%2e%2e/kst-2025H1/press-release.en.html", None, 404, 100),
    ("/nothing/here", None, 404, 100),
]


@pytest.mark.parametrize(("url", "accept", "status", "code"), BAD, ids=[f"{b[2]}-{b[0][:60]}" for b in BAD])
def test_bad_queries_get_sdmx_errors(before: TestClient, url: str, accept: str | None, status: int, code: int) -> None:
    r = before.get(url, headers={"Accept": accept} if accept else {})
    assert_error(r, status, code)
    if accept and "xml" in accept:
        assert r.headers["content-type"].startswith("application/xml")


def test_too_large_a_response(small: Small) -> None:
    c = TestClient(create_app(small.store, now=lambda: AFTER, max_observations=1000, refresh_seconds=0))
    assert_error(c.get("/data/KST/all?format=jsondata"), 413, 510)
    assert c.get("/data/KST/S.TOTAL.all.exports?format=jsondata").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_read_only(client: TestClient, small: Small, method: str) -> None:
    before = hashlib.sha256(small.store.read_bytes()).hexdigest()
    r = client.request(method, "/data/KST/all", headers={"Accept": "application/json"})
    assert_error(r, 405, 1405)
    assert r.headers["allow"] == "GET, HEAD"
    for url in ("/data/KST/all?format=csv", "/api/meta", "/dataflow/all/all/latest?references=all", "/releases"):
        assert client.get(url).status_code == 200
    assert hashlib.sha256(small.store.read_bytes()).hexdigest() == before


# structures, explorer, documents ----------------------------------------------------------------------------------


def _read(body: bytes) -> Any:
    import sdmx

    return sdmx.read_sdmx(io.BytesIO(body))


def test_structure_messages(client: TestClient) -> None:
    raw = client.get("/dataflow").content
    assert list(_read(raw).dataflow) == ["KST"] and b"<str:DataStructure " not in raw
    full = _read(client.get("/dataflow/KTSTAT/KST/latest?references=all").content)
    assert list(full.structure) == ["DSD_KST"]
    assert {"CL_FREQ", "CL_KST_BREAKDOWN", "CL_KST_ITEM", "CL_KST_MEASURE"} <= set(full.codelist)
    kids = _read(client.get("/datastructure/KTSTAT/DSD_KST/1.0?references=children").content)
    assert set(kids.codelist) == set(full.codelist) and not kids.dataflow
    cl = _read(client.get("/codelist/KTSTAT/CL_KST_BREAKDOWN").content)
    assert "INDUSTRY_X_INSTITUTION" in cl.codelist["CL_KST_BREAKDOWN"]
    parents = _read(client.get("/codelist/all/CL_FREQ/latest?references=parents").content)
    assert list(parents.structure) == ["DSD_KST"]


def test_explorer_meta_and_table(client: TestClient, small: Small, clock: Clock) -> None:
    from openpyxl import load_workbook

    clock.t = AFTER
    meta = client.get("/api/meta").json()
    models.MetaDoc.model_validate(meta)
    flow = meta["dataflows"][0]
    assert flow["id"] == "KST" and flow["label"]["ko"] and flow["vintage"]["id"] == V2
    assert [v["id"] for v in flow["vintages"]] == [V1, V2]
    freqs = {f["id"]: [p["id"] for p in f["periods"]] for f in flow["frequencies"]}
    assert freqs["H"][-1] == "2025H1" and freqs["A"] == ["2023", "2024"]
    cat = next(b for b in flow["breakdowns"] if b["id"] == "category")
    assert cat["label"] == {"en": "Category", "ko": "유형"} and all(i["label"]["ko"] for i in cat["items"])
    assert next(m for m in flow["measures"] if m["id"] == "exports_growth")["unit"] == "PC"
    assert set(meta["statuses"]) == {"A", "P", "N", "C"}
    old = client.get(f"/api/meta?vintage={V1}").json()["dataflows"][0]
    assert old["vintage"]["id"] == V1 and "2025H1" not in [p["id"] for f in old["frequencies"] for p in f["periods"]]

    q = "dataflow=KST&breakdown=category&period=2025H1&period=2024-S1&measure=exports&measure=imports"
    t = client.get(f"/api/table?{q}").json()
    models.TableDoc.model_validate(t)
    assert [c["id"] for c in t["columns"]] == ["2025H1.exports", "2025H1.imports", "2024H1.exports", "2024H1.imports"]
    assert [r["item"] for r in t["rows"]] == [i["id"] for i in cat["items"]]
    cells = small.rows[V2]
    for row in t["rows"]:
        for col in t["columns"]:
            value, status = cells[(col["period"], "category", row["item"], col["measure"])]
            assert row["statuses"][col["id"]] == status
            assert row["values"][col["id"]] == (value if status in ("A", "P") else None)
    ko = client.get(f"/api/table.csv?{q}&lang=ko")
    assert ko.headers["content-disposition"].endswith(f'"{V2}-category.csv"')
    lines = list(csv.reader(io.StringIO(ko.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["항목 코드", "항목"] and "2025년 상반기" in lines[0][2]
    first = t["rows"][0]
    assert lines[1][0] == first["item"] and lines[1][3] == first["statuses"]["2025H1.exports"]
    assert lines[1][2] == ("" if first["values"]["2025H1.exports"] is None else repr(first["values"]["2025H1.exports"]))
    wb = load_workbook(io.BytesIO(client.get(f"/api/table.xlsx?{q}").content))
    ws = wb.active
    assert ws is not None
    rows = list(ws.iter_rows(min_row=5, max_row=4 + len(t["rows"]), values_only=True))
    assert [r[0] for r in rows] == [r["item"] for r in t["rows"]]
    assert [r[2] for r in rows] == [r["values"]["2025H1.exports"] for r in t["rows"]]
    # defaults: the total, the release period, exports, imports and balance
    d = client.get("/api/table?dataflow=KST").json()
    assert [c["id"] for c in d["columns"]] == ["2025H1.exports", "2025H1.imports", "2025H1.balance"]
    assert [r["item"] for r in d["rows"]] == ["all"]


def test_explorer_page_static_files_and_font(client: TestClient, clock: Clock) -> None:
    from fontTools.ttLib import TTFont

    clock.t = AFTER
    page = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/explorer.js"' in page.text and "https://" not in page.text
    assert V1 not in page.text and V2 not in page.text  # the page is static: data come from /api/meta
    about = client.get("/", headers={"Accept": "application/json"}).json()
    assert about["dataflows"] == ["KST"] and about["explorer"] == "/"
    assert client.get("/api").json() == about
    js = client.get("/static/explorer.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    code = js.text.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace is a name, not a fetch
    assert "http://" not in code and "https://" not in code and "//" + "cdn" not in code  # nothing from elsewhere
    etag = js.headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        assert client.get("/static/explorer.js", headers={"If-None-Match": header}).status_code == 304, header
    assert client.get("/static/explorer.js", headers={"If-None-Match": '"other"'}).status_code == 200
    assert "Accept" in [v.strip() for v in page.headers["vary"].split(",")]  # (also Accept-Encoding: gzip)
    assert_error(client.get("/static/secrets.txt"), 404, 100)
    assert_error(client.get("/static/fonts/italic.woff2"), 404, 100)
    meta = client.get("/api/meta").text + client.get(f"/api/meta?vintage={V1}").text
    korean = {c for c in meta if "\uac00" <= c <= "\ud7a3"}
    assert len(korean) > 50
    for weight in ("regular", "bold"):
        font = client.get(f"/static/fonts/{weight}.woff2")
        assert font.status_code == 200 and font.headers["content-type"] == "font/woff2"
        assert font.content[:4] == b"wOF2" and len(font.content) < 1_000_000
        cmap = {chr(c) for c in TTFont(io.BytesIO(font.content)).getBestCmap()}
        assert korean <= cmap and set("0123456789.,-x") <= cmap


def test_release_documents(client: TestClient, small: Small, clock: Clock) -> None:
    models.ReleasesDoc.model_validate(client.get("/releases").json())
    r = client.get(f"/releases/{V1}")
    models.ReleaseDoc.model_validate(r.json())
    assert r.json()["files"] == [
        {
            "name": "press-release.en.html",
            "url": f"/releases/{V1}/press-release.en.html",
            "sha256": hashlib.sha256(small.docs[V1]).hexdigest(),
        }
    ]
    doc = client.get(f"/releases/{V1}/press-release.en.html")
    assert doc.content == small.docs[V1] and doc.headers["content-type"].startswith("text/html")
    assert json.loads(client.get(f"/releases/{V1}/manifest.json").content)["vintage"] == V1


def test_a_document_altered_after_release_is_not_served(small: Small, tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    shutil.copytree(small.releases, releases)
    c = TestClient(create_app(small.store, now=lambda: AFTER, releases_dir=releases, refresh_seconds=0))
    assert c.get(f"/releases/{V1}/press-release.en.html").status_code == 200
    (releases / "kst-2024H2" / "press-release.en.html").write_bytes(b"<html>altered</html>")
    assert_error(c.get(f"/releases/{V1}/press-release.en.html"), 404, 100)


def test_a_new_vintage_appears_without_a_restart(small: Small, tmp_path: Path) -> None:
    from ktstat.store import open_store

    store = tmp_path / "store.duckdb"
    shutil.copy(small.store, store)
    app = create_app(store, now=lambda: AFTER, refresh_seconds=0.05)
    c = TestClient(app)
    assert [v["id"] for v in c.get("/releases").json()["releases"][0]["vintages"]] == [V1, V2]
    con = open_store(store)  # a compiler releases the final figures while the API serves
    final = create_vintage(
        con,
        domains.load("kst"),
        "2024H2",
        "final",
        datetime(2025, 4, 1, 12, tzinfo=KST),
        datetime(2025, 3, 30, tzinfo=KST),
    )
    want = published(cells_of(vintage_rows(con, get_vintage(con, final.vintage_id))))
    con.close()
    deadline = time.monotonic() + 30
    ids: list[str] = []
    while time.monotonic() < deadline:
        time.sleep(0.1)
        ids = [v["id"] for v in c.get("/releases").json()["releases"][0]["vintages"]]
        if final.vintage_id in ids:
            break
    assert ids == [V1, final.vintage_id, V2]
    got = decode_json(c.get(f"/data/KST/all?vintage={final.vintage_id}&format=jsondata").json())
    assert got == want


# a real SDMX client ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def live(small: Small) -> Iterator[str]:
    import uvicorn

    app = create_app(small.store, now=lambda: AFTER, releases_dir=small.releases, refresh_seconds=0)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_sdmx1_client_reads_structures_and_data(live: str, small: Small) -> None:
    import math

    import sdmx

    sdmx.add_source(
        {
            "id": "KTSTAT",
            "url": live,
            "name": "ktstat",
            "supports": {
                "dataflow": True,
                "datastructure": True,
                "codelist": True,
                "structure-specific data": True,
                "preview": False,
            },
        },
        override=True,
    )
    c = sdmx.Client("KTSTAT")
    assert list(c.dataflow().dataflow) == ["KST"]
    flow = c.dataflow("KST")  # sdmx1 asks references=all: the DSD and its code lists come along
    dsd = flow.structure["DSD_KST"]
    assert [d.id for d in dsd.dimensions.components] == ["FREQ", "BREAKDOWN", "ITEM", "MEASURE", "TIME_PERIOD"]
    items = dsd.dimensions.get("ITEM").local_representation.enumerated
    assert "ip_royalties" in items and str(items["ip_royalties"].name["ko"])
    assert "CATEGORY" in c.codelist("CL_KST_BREAKDOWN").codelist["CL_KST_BREAKDOWN"]
    assert "DSD_KST" in c.datastructure("DSD_KST").structure
    msg = c.data("KST", key="S.TOTAL+CATEGORY..exports+imports", params={"startPeriod": "2024-S1"}, dsd=dsd)
    want = {
        k: v
        for k, v in small.rows[V2].items()
        if k[1] in ("total", "category") and k[3] in ("exports", "imports") and k[0] in ("2024H1", "2024H2", "2025H1")
    }
    got: Cells = {}
    for obs in msg.data[0].obs:
        k = {kv.id: str(kv.value) for kv in obs.key}
        value = obs.value
        status = str(obs.attached_attribute["OBS_STATUS"].value)
        got[(period_label(k["TIME_PERIOD"]), breakdown_name(k["BREAKDOWN"]), item_code(k["ITEM"]), k["MEASURE"])] = (
            None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value),
            status,
        )
    assert got == published(want)
    assert any(s == "C" for _, s in got.values()) or all(s != "C" for _, s in want.values())
    with pytest.raises(Exception, match="404"):
        c.data("KST", key="S.NOPE..", dsd=dsd)


# schema fuzzing ------------------------------------------------------------------------------------------------------


def _fuzz(small: Small, examples: int) -> dict[int, int]:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    app = create_app(small.store, now=lambda: AFTER, releases_dir=small.releases, refresh_seconds=0)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    strategy = schema.as_strategy() | schema.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    seen: dict[int, int] = {}

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        r = case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500, (case.method, case.formatted_path, case.query, r.status_code, r.text[:300])
        if r.status_code >= 400:
            media = r.headers.get("content-type") or r.headers.get("Content-Type") or [""]
            assert media[0].startswith(("application/json", "application/xml")), r.headers

    run()
    return seen


def test_schema_fuzz_never_gives_a_server_error(small: Small) -> None:
    seen = _fuzz(small, 150)
    assert sum(seen.values()) >= 150 and 200 in seen and any(400 <= s < 500 for s in seen)


@pytest.mark.slow
def test_schema_fuzz_long(small: Small) -> None:
    seen = _fuzz(small, 3000)
    assert 200 in seen


@pytest.mark.slow
def test_loadtest_runs(small: Small) -> None:
    """One run measures the cached and uncached API against the bare app on distinct URLs, and small
    requests beside concurrent full dumps, with no error anywhere."""
    from ktstat.api.loadtest import run_loadtest

    got = run_loadtest(
        small.store, seconds=1.0, clients=5, warmup=0.5, max_urls=300, dump_levels=(1, 2), dump_seconds=1.0
    )
    for phase in ("bare", "cached", "uncached"):
        assert got[phase]["requests"] > 0 and got[phase]["errors"] == 0, (phase, got[phase])
    assert got["distinct_urls"] > 50 and got["mean_values"] > 0
    assert got["ratio"]["uncached_rps"] > 0 and got["ratio"]["cached_rps"] > 0
    levels = got["dumps"]["levels"]
    assert set(levels) == {"0", "1", "2"} and got["dumps"]["urls"]
    for n, level in levels.items():
        assert level["requests"] > 0 and level["errors"] == 0 and level["dump_errors"] == 0, (n, level)
        assert level["rss_mb_peak"] >= level["rss_mb_start"] > 0
    assert levels["1"]["dumps"] > 0 and levels["2"]["dumps"] > 0


# the demo store ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> tuple[TestClient, Path, Path]:
    """The session's demo (tests/conftest.py): its store, with the vintage snapshots its releases
    wrote (as ``ktstat serve`` finds them in the demo's folder; without them the app exports the
    snapshots again at start, the demo's three vintages), and its releases behind the API."""
    from ktstat.release.snapshot import snapshot_dir

    src = demo_dir / "ktstat.duckdb"
    store = tmp_path_factory.mktemp("demo-api") / "ktstat.duckdb"
    shutil.copy(src, store)
    shutil.copytree(snapshot_dir(src), snapshot_dir(store))
    releases = src.parent / "releases"
    app = create_app(store, releases_dir=releases if releases.is_dir() else None, refresh_seconds=0)
    return TestClient(app), store, releases


def test_demo_store(demo: tuple[TestClient, Path, Path]) -> None:
    import duckdb

    c, store, releases = demo
    rel = {d["dataflow"]: d for d in c.get("/releases").json()["releases"]}
    assert set(rel) == {"KST", "TBP"}  # the demo's releases
    assert rel["KST"]["latest"] == "kst-2025H1-v2"  # final, after the corrected resubmission
    assert rel["TBP"]["latest"] == "tbp-2024-v1"  # same release time as tbp-2023-v1: the later id
    con = duckdb.connect(str(store), read_only=True)
    try:
        tbp = published(cells_of(vintage_rows(con, get_vintage(con, "tbp-2023-v1"))))
        kst = published(cells_of(vintage_rows(con, get_vintage(con, "kst-2025H1-v2"))))
    finally:
        con.close()
    got = decode_sdmx_csv(c.get("/data/TBP/all?vintage=tbp-2023-v1&format=csv").text)
    assert got == tbp
    # published headline figures: TBP 2023 exports 17.648 bn USD; KST 2025H1 exports 19.71 bn USD
    assert round(got[("2023", "total", "all", "exports")][0] / 1e9, 3) == 17.648  # type: ignore[operator]
    r = c.get("/data/KST/S.CATEGORY..?startPeriod=2025-S1&endPeriod=2025-S1&format=jsondata")
    cat = decode_json(r.json())
    assert 50 <= len(cat) <= 300 and all(kst[k] == v for k, v in cat.items())
    total = decode_json(c.get("/data/KST/S.TOTAL.all.exports?lastNObservations=1&format=jsondata").json())
    assert round(total[("2025H1", "total", "all", "exports")][0] / 1e9, 2) == 19.71  # type: ignore[operator]
    t = c.get("/api/table?dataflow=TBP&breakdown=total&period=2023&measure=exports&vintage=tbp-2023-v1").json()
    assert t["rows"][0]["values"]["2023.exports"] == tbp[("2023", "total", "all", "exports")][0]
    # the explorer's landing view states the published headline figures, as the press release does
    home = {p["id"]: p for p in c.get("/api/home").json()["programmes"]}
    figures = {f["measure"]: f for f in home["KST"]["figures"]}
    assert (
        figures["exports"]["text"]["en"] == "$19.71 billion"
        and figures["balance"]["text"]["en"] == "\u2212$4.53 billion"
    )
    # the demo releases the corrected 2025H1 final after the provisional (demo/revision.py)
    assert home["KST"]["vintage"]["title"]["en"] == "Knowledge services trade statistics, H1 2025 (final)"
    assert (releases / "kst-2025H1" / "manifest.json").exists()
    doc = c.get("/releases/kst-2025H1-v1/press-release.en.html")
    assert doc.status_code == 200
    assert doc.content == (releases / "kst-2025H1" / "press-release.en.html").read_bytes()
