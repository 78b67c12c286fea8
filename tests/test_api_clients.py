"""Every standard SDMX client reads every format it supports (issue 14), against both the in-process
app (uvicorn in a thread) and a real ``ktstat serve`` process, on the small store of tests/apistore.py
(the clock after both releases; the latest vintage is kst-2025H1-v1, with confidential cells):

- sdmx1: its Client (structures with references, structure-specific data), and GenericData 2.1,
  SDMX-CSV 2.0 and SDMX-JSON 1.0 read with ``sdmx.read_sdmx``; availability;
- pysdmx: the query builder's URLs of SDMX REST 1.5 (``ApiVersion.V1_5_0``) and 2.0 (its
  default), data read and validated against the structure (``get_datasets``), availability;
- pandaSDMX 1.10, which needs pydantic 1 and so cannot share the project's environment: run in a
  separate virtual environment that the test set-up makes under ``build/pandasdmx-venv`` (skipped,
  saying why, when it cannot be made);
- rsdmx (R): ``readSDMX(..., dsd = TRUE)`` with numeric values, when R and Debian's
  ``r-cran-rsdmx`` are there (installed with apt-get when possible; skipped, saying why, when not).

Every client's cells must equal the vintage's published cells exactly (values as doubles, statuses).
"""

from __future__ import annotations

import fcntl
import io
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apistore import AFTER, V2, Cells, Small
from ktstat.api.app import create_app
from ktstat.publish.sdmx import breakdown_name, item_code, period_label

ROOT = Path(__file__).resolve().parents[1]
KEY = "S.TOTAL+CATEGORY..exports+imports"
KTSTAT = Path(sys.executable).with_name("ktstat")


def want(small: Small) -> Cells:
    """The published cells of the latest vintage that KEY selects."""
    return {
        k: v
        for k, v in small.rows[V2].items()
        if k[1] in ("total", "category") and k[3] in ("exports", "imports") and k[0].count("H")
    }


def cell_key(d: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        period_label(str(d["TIME_PERIOD"])),
        breakdown_name(str(d["BREAKDOWN"])),
        item_code(str(d["ITEM"])),
        str(d["MEASURE"]),
    )


def number(v: Any) -> float | None:
    if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str, proc: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/releases", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"ktstat serve ended: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.1)
    raise AssertionError(f"{base} did not answer within 60 s")


@pytest.fixture(scope="module", params=["in-process", "ktstat-serve"])
def base(request: pytest.FixtureRequest, api_small: Small, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a server over (a copy of) the small store, its clock after both releases."""
    store = tmp_path_factory.mktemp("clients") / "store.duckdb"
    shutil.copy(api_small.store, store)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    if request.param == "in-process":
        import uvicorn

        app = create_app(store, now=lambda: AFTER, refresh_seconds=0)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        _wait(url)
        yield url
        server.should_exit = True
        thread.join(10)
        return
    env = {**os.environ, "KTSTAT_NOW": AFTER.isoformat()}
    proc = subprocess.Popen(
        [str(KTSTAT), "serve", "--store", str(store), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def fetch(url: str, accept: str | None = None) -> tuple[str, bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.headers["content-type"], r.read()


# sdmx1 -------------------------------------------------------------------------------------------------------


def sdmx1_cells(msg: Any) -> Cells:
    got: Cells = {}
    for obs in msg.data[0].obs:
        k = {kv.id: str(kv.value) for kv in obs.key}
        got[cell_key(k)] = (number(obs.value), str(obs.attached_attribute["OBS_STATUS"].value))
    return got


@pytest.fixture(scope="module")
def sdmx1_dsd(base: str) -> Any:
    import sdmx

    sdmx.add_source(
        {
            "id": "KTSTAT",
            "url": base,
            "name": "ktstat",
            "supports": {"structure-specific data": True, "preview": False},
        },
        override=True,
    )
    c = sdmx.Client("KTSTAT")
    assert list(c.dataflow().dataflow) == ["KST"]
    return c.dataflow("KST").structure["DSD_KST"]


def test_sdmx1_client_structure_specific(base: str, sdmx1_dsd: Any, api_small: Small) -> None:
    import sdmx

    c = sdmx.Client("KTSTAT")
    msg = c.data("KST", key=KEY, dsd=sdmx1_dsd)
    assert msg.response.headers["content-type"].startswith("application/vnd.sdmx.structurespecificdata+xml")
    assert sdmx1_cells(msg) == want(api_small)
    assert set(c.codelist("CL_FREQ+CL_UNIT_MEASURE").codelist) == {"CL_FREQ", "CL_UNIT_MEASURE"}


@pytest.mark.parametrize(
    ("accept", "media", "fmt"),
    [
        (None, "application/vnd.sdmx.genericdata+xml;version=2.1", None),  # the default
        ("application/vnd.sdmx.genericdata+xml;version=2.1", "application/vnd.sdmx.genericdata+xml;version=2.1", None),
        ("application/vnd.sdmx.data+csv;version=2.0.0", "application/vnd.sdmx.data+csv;version=2.0.0", "csv"),
        ("application/vnd.sdmx.data+json;version=1.0.0", "application/vnd.sdmx.data+json;version=1.0.0", "json"),
    ],
)
def test_sdmx1_reads_every_format(
    base: str, sdmx1_dsd: Any, api_small: Small, accept: str | None, media: str, fmt: str | None
) -> None:
    import sdmx

    got_media, body = fetch(f"{base}/data/KST/{KEY}", accept)
    assert got_media == media
    kw: dict[str, Any] = {"format": fmt} if fmt else {}
    if fmt != "json":
        kw["structure"] = sdmx1_dsd
    assert sdmx1_cells(sdmx.read_sdmx(io.BytesIO(body), **kw)) == want(api_small)


def test_sdmx1_reads_availability(base: str) -> None:
    import sdmx

    _, body = fetch(f"{base}/availableconstraint/KST/S.TOTAL+CATEGORY..exports")
    msg: Any = sdmx.read_sdmx(io.BytesIO(body))  # a StructureMessage carrying the constraint
    cc = msg.constraint["CC_KST"]
    region = cc.data_content_region[0]
    members = {
        dim.id: {str(v.value) for v in ms.values} for dim, ms in region.member.items() if dim.id != "TIME_PERIOD"
    }
    assert members["MEASURE"] == {"exports"} and members["BREAKDOWN"] == {"TOTAL", "CATEGORY"}
    assert "ip_royalties" in members["ITEM"]


# pysdmx ------------------------------------------------------------------------------------------------------


def pysdmx_cells(ds: Any) -> Cells:
    return {cell_key(r): (number(r["OBS_VALUE"]), str(r["OBS_STATUS"])) for r in ds.data.to_dict("records")}


@pytest.mark.parametrize("version", ["V1_5_0", "V2_0_0", "V2_2_2"])
def test_pysdmx_query_builder_paths(base: str, api_small: Small, version: str) -> None:
    from pysdmx.api.qb import ApiVersion, AvailabilityQuery, DataQuery, StructureQuery, StructureType
    from pysdmx.api.qb.data import DataContext
    from pysdmx.api.qb.structure import StructureReference
    from pysdmx.io import get_datasets, read_sdmx

    v = ApiVersion[version]
    data_url = base + DataQuery(context=DataContext.DATAFLOW, agency_id="KTSTAT", resource_id="KST", key=KEY).get_url(v)
    structure_url = base + StructureQuery(
        artefact_type=StructureType.DATAFLOW,
        agency_id="KTSTAT",
        resource_id="KST",
        references=StructureReference.DESCENDANTS,
    ).get_url(v)
    kinds = {type(x).__name__ for x in read_sdmx(structure_url).structures or ()}
    assert {"Dataflow", "DataStructureDefinition", "Codelist"} <= kinds, kinds
    (ds,) = get_datasets(data_url, structure_url)  # validated against the structure
    assert str(ds.data["OBS_VALUE"].dtype).startswith("double")
    assert pysdmx_cells(ds) == want(api_small)
    for fmt in ("structurespecificdata", "csv", "csv2"):
        (ds,) = get_datasets(f"{data_url}{'&' if '?' in data_url else '?'}format={fmt}", structure_url)
        assert pysdmx_cells(ds) == want(api_small), fmt
    avail = base + AvailabilityQuery(context=DataContext.DATAFLOW, agency_id="KTSTAT", resource_id="KST").get_url(v)
    assert read_sdmx(avail).structures


# pandaSDMX 1.10 (own environment) ---------------------------------------------------------------------------------

PANDASDMX = ["pandaSDMX==1.10.0", "pydantic==1.10.27"]
PANDASDMX_SCRIPT = r"""
import json, math, sys
import pandasdmx as sdmx
base, key = sys.argv[1], sys.argv[2]
sdmx.add_source({"id": "KTSTAT", "url": base, "name": "ktstat",
                 "supports": {"structure-specific data": True, "preview": False}}, override=True)
c = sdmx.Request("KTSTAT")
assert list(c.dataflow().dataflow) == ["KST"]
dsd = c.dataflow("KST").dataflow["KST"].structure
cells = []
for obs in c.data("KST", key=key, dsd=dsd).data[0].obs:
    k = {kv.id: str(kv.value) for kv in obs.key}
    v = obs.value
    v = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
    cells.append([k, v, str(obs.attached_attribute["OBS_STATUS"].value)])
print(json.dumps(cells))
"""


@pytest.fixture(scope="session")
def pandasdmx_python() -> Path:
    venv = ROOT / "build" / "pandasdmx-venv"
    venv.parent.mkdir(exist_ok=True)
    with (venv.parent / "pandasdmx-venv.lock").open("w") as lock:  # one maker at a time (pytest -n)
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _pandasdmx_venv(venv)


def _pandasdmx_venv(venv: Path) -> Path:
    py = venv / "bin" / "python"
    stamp = venv / ".installed"
    if not (py.exists() and stamp.exists() and stamp.read_text() == " ".join(PANDASDMX)):
        if sys.version_info >= (3, 12):
            pytest.skip("pandaSDMX 1.10 needs Python < 3.12")
        r = subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], capture_output=True, text=True)
        if r.returncode:
            pytest.skip(f"cannot make a virtual environment for pandaSDMX: {r.stderr[-300:]}")
        r = subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PANDASDMX],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if r.returncode:
            pytest.skip(
                f"cannot install {' '.join(PANDASDMX)} (it needs pydantic 1, so it gets its own "
                f"environment): {r.stderr[-300:]}"
            )
        stamp.write_text(" ".join(PANDASDMX))
    return py


def test_pandasdmx(base: str, api_small: Small, pandasdmx_python: Path) -> None:
    r = subprocess.run(
        [str(pandasdmx_python), "-c", PANDASDMX_SCRIPT, base, KEY], capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, r.stderr[-2000:]
    got = {cell_key(k): (v, s) for k, v, s in json.loads(r.stdout.strip().splitlines()[-1])}
    assert got == want(api_small)


# rsdmx (R) ------------------------------------------------------------------------------------------------

RSDMX_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
suppressMessages(library(rsdmx))
builder <- SDMXREST21RequestBuilder(regUrl = args[1], repoUrl = args[1], compliant = TRUE)
addSDMXServiceProvider(SDMXServiceProvider(agencyId = "KTSTAT", name = "ktstat", builder = builder))
sdmx <- readSDMX(providerId = "KTSTAT", resource = "data", flowRef = "KST", key = args[2], dsd = TRUE)
df <- as.data.frame(sdmx, labels = TRUE)
stopifnot(is.numeric(df$obsValue), "BREAKDOWN_label.ko" %in% colnames(df))
write.csv(df[, c("obsTime", "BREAKDOWN", "ITEM", "MEASURE", "obsValue", "OBS_STATUS")], args[3], row.names = FALSE)
"""


@pytest.fixture(scope="session")
def rscript() -> str:
    def has_rsdmx() -> bool:
        exe = shutil.which("Rscript")
        return exe is not None and subprocess.run([exe, "-e", "library(rsdmx)"], capture_output=True).returncode == 0

    if not has_rsdmx():
        if shutil.which("apt-get") is None:
            pytest.skip("no R with rsdmx, and no apt-get to install Debian's r-cran-rsdmx")
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        if sudo and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode:
            pytest.skip("no R with rsdmx; installing Debian's r-cran-rsdmx needs root")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        r = subprocess.run(
            [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "r-cran-rsdmx"],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        if r.returncode or not has_rsdmx():
            pytest.skip(f"apt-get install r-cran-rsdmx failed: {r.stderr[-300:]}")
    return str(shutil.which("Rscript"))


# R starts slowly (about 13 s a run): the real server in the default run, the in-process one in the slow set
@pytest.mark.parametrize("base", [pytest.param("in-process", marks=pytest.mark.slow), "ktstat-serve"], indirect=True)
def test_rsdmx_with_dsd(base: str, api_small: Small, rscript: str, tmp_path: Path) -> None:
    import csv

    script = tmp_path / "read.R"
    script.write_text(RSDMX_SCRIPT)
    out = tmp_path / "cells.csv"
    r = subprocess.run([rscript, str(script), base, KEY, str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-1000:] + r.stderr[-2000:]
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    got = {
        cell_key({"TIME_PERIOD": x["obsTime"], **x}): (
            number(None if x["obsValue"] == "NA" else x["obsValue"]),
            x["OBS_STATUS"],
        )
        for x in rows
    }
    # R prints doubles with 15 significant digits: compare values to that precision
    expect = want(api_small)
    assert got.keys() == expect.keys()
    for k, (v, s) in expect.items():
        gv, gs = got[k]
        assert gs == s and (v is None) == (gv is None), k
        if v is not None and gv is not None:
            assert math.isclose(gv, v, rel_tol=1e-14), (k, gv, v)
