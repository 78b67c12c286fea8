"""Serving releases, not the production store (issue 14): vintage snapshot files, written at release,
hash-checked on load, the only thing the API reads; compiler commands run beside a real
``ktstat serve`` without lock errors; which vintage is "latest".

The small store of tests/apistore.py (kst-2024H2-v1 released 2025-03-19, kst-2025H1-v1 2025-09-17,
both provisional) is copied for every test that writes to it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from apistore import AFTER, FIX, KST, V1, V2, Small
from ktstat import domain as domains
from ktstat.api.app import create_app
from ktstat.errors import KtstatError
from ktstat.release.snapshot import (
    export_missing,
    file_name,
    list_snapshots,
    read_snapshot,
    snapshot_dir,
    write_snapshot,
)
from ktstat.release.vintage import (
    Vintage,
    VintageError,
    create_vintage,
    get_vintage,
    latest,
    list_vintages,
    vintage_rows,
)
from ktstat.store import open_store

KTSTAT = Path(sys.executable).with_name("ktstat")


@pytest.fixture()
def store(api_small: Small, tmp_path: Path) -> Path:
    """A private copy of the small store (without its snapshot folder)."""
    s = tmp_path / "store.duckdb"
    shutil.copy(api_small.store, s)
    return s


# snapshot files -------------------------------------------------------------------------------------------


def test_release_writes_a_content_addressed_snapshot_that_reads_back_exactly(store: Path) -> None:
    con = open_store(store)
    v = create_vintage(
        con,
        domains.load("kst"),
        "2024H2",
        "final",
        datetime(2025, 4, 1, 12, tzinfo=KST),
        datetime(2025, 3, 30, tzinfo=KST),
    )
    rows = vintage_rows(con, v)
    con.close()
    files = list_snapshots(snapshot_dir(store))
    assert [f.path.name for f in files] == [file_name(v)] == [f"{v.vintage_id}.{v.content_hash}.parquet"]
    got_v, got_rows = read_snapshot(files[0].path)
    assert got_v == v and got_rows == rows
    assert not os.access(files[0].path, os.W_OK) or os.geteuid() == 0  # written read-only
    # writing it again changes nothing (same name, same file)
    mtime = files[0].path.stat().st_mtime_ns
    assert write_snapshot(snapshot_dir(store), v, rows) == files[0].path
    assert files[0].path.stat().st_mtime_ns == mtime


def test_an_altered_snapshot_is_refused_on_load(store: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    con = open_store(store)
    folder = tmp_path / "snaps"
    export_missing(con, folder)
    con.close()
    path = next(f.path for f in list_snapshots(folder) if f.vintage_id == V1)
    table = pq.read_table(path)
    values = table.column("value").to_pylist()
    k = next(i for i, x in enumerate(values) if x is not None)
    values[k] = values[k] + 1.0
    altered = table.set_column(table.schema.get_field_index("value"), "value", pa.array(values, pa.float64()))
    os.chmod(path, 0o644)
    pq.write_table(altered.replace_schema_metadata(table.schema.metadata), path)
    with pytest.raises(VintageError, match="altered"):
        read_snapshot(path)
    app = create_app(store, now=lambda: AFTER, refresh_seconds=0, snapshots=folder)
    snap = app.state.api.snapshot
    assert V1 in snap.refused and [vd.id for vd in snap.vintages] == [V2]
    assert TestClient(app).get(f"/data/KST/all?vintage={V1}&format=jsondata").status_code == 404


def test_the_app_never_opens_the_store_once_started(store: Path) -> None:
    """Started, the app holds no handle on the store: a compiler opens it read-write at once, and a new
    vintage's snapshot is served within 2 s."""
    app = create_app(store, now=lambda: AFTER, refresh_seconds=0.2)
    c = TestClient(app)
    assert [v["id"] for v in c.get("/releases").json()["releases"][0]["vintages"]] == [V1, V2]
    con = open_store(store)  # would fail if the app held the file open
    v = create_vintage(
        con,
        domains.load("kst"),
        "2024H2",
        "final",
        datetime(2025, 4, 1, 12, tzinfo=KST),
        datetime(2025, 3, 30, tzinfo=KST),
    )
    made = time.monotonic()
    ids: list[str] = []
    while time.monotonic() - made < 5:
        ids = [x["id"] for x in c.get("/releases").json()["releases"][0]["vintages"]]
        if v.vintage_id in ids:
            break
        time.sleep(0.05)
    seen = time.monotonic() - made
    con.close()
    assert v.vintage_id in ids and seen < 2.0, (ids, seen)


def test_a_store_that_cannot_be_opened_still_serves_its_snapshots(store: Path) -> None:
    con = open_store(store)
    export_missing(con, snapshot_dir(store))
    con.close()
    store.write_bytes(b"not a duckdb file")
    app = create_app(store, now=lambda: AFTER, refresh_seconds=0)
    assert [vd.id for vd in app.state.api.snapshot.vintages] == [V1, V2]
    empty = store.with_name("other.duckdb")
    empty.write_bytes(b"not a duckdb file")
    with pytest.raises(KtstatError, match="other.duckdb"):
        create_app(empty, now=lambda: AFTER, refresh_seconds=0)


# which vintage is latest -------------------------------------------------------------------------------------


def _v(vid: str, period: str, status: str, at: datetime) -> Vintage:
    return Vintage(vid, "kst", period, status, at, at, {}, [], 0, "0" * 64, None, None)


T0 = datetime(2025, 1, 1, tzinfo=KST)


@pytest.mark.parametrize(
    ("vintages", "want"),
    [
        # the newest period's vintage, even when an earlier period is released after it
        (
            [
                _v("kst-2025H1-v1", "2025H1", "provisional", T0),
                _v("kst-2024H2-v2", "2024H2", "final", T0 + timedelta(1)),
            ],
            "kst-2025H1-v1",
        ),
        # final supersedes provisional of the same period, whatever their release times
        (
            [
                _v("kst-2025H1-v2", "2025H1", "final", T0),
                _v("kst-2025H1-v1", "2025H1", "provisional", T0 + timedelta(1)),
            ],
            "kst-2025H1-v2",
        ),
        # among finals (a correction), the later one
        (
            [_v("kst-2025H1-v2", "2025H1", "final", T0), _v("kst-2025H1-v3", "2025H1", "final", T0 + timedelta(1))],
            "kst-2025H1-v3",
        ),
        # among provisionals, the later one
        (
            [
                _v("kst-2025H1-v1", "2025H1", "provisional", T0),
                _v("kst-2025H1-v2", "2025H1", "provisional", T0 + timedelta(1)),
            ],
            "kst-2025H1-v2",
        ),
        # periods of different length: the one that ends last
        (
            [_v("kst-2025Q1-v1", "2025Q1", "provisional", T0 + timedelta(2)), _v("kst-2024-v1", "2024", "final", T0)],
            "kst-2025Q1-v1",
        ),
    ],
)
def test_latest_is_the_newest_periods_current_vintage(vintages: list[Vintage], want: str) -> None:
    got = latest(vintages, "kst")
    assert got is not None and got.vintage_id == want
    assert latest(list(reversed(vintages)), "kst") == got
    assert latest(vintages, "tbp") is None


def test_a_provisional_after_a_final_is_refused(store: Path) -> None:
    con = open_store(store)
    dom = domains.load("kst")
    final = create_vintage(
        con, dom, "2024H2", "final", datetime(2025, 4, 1, 12, tzinfo=KST), datetime(2025, 3, 30, tzinfo=KST)
    )
    assert final.revises == V1
    with pytest.raises(VintageError, match=r"already has a final release \(kst-2024H2-v2\).*--status final"):
        create_vintage(
            con,
            dom,
            "2024H2",
            "provisional",
            datetime(2025, 5, 1, tzinfo=KST),
            datetime(2025, 4, 2, tzinfo=KST),
            revises=final.vintage_id,
            reason="late data",
        )
    again = create_vintage(
        con,
        dom,
        "2024H2",
        "final",
        datetime(2025, 5, 1, tzinfo=KST),
        datetime(2025, 4, 2, tzinfo=KST),
        revises=final.vintage_id,
        reason="late data",
    )
    assert [v.vintage_id for v in list_vintages(con, "kst", "2024H2")] == [V1, final.vintage_id, again.vintage_id]
    con.close()


def test_the_api_default_follows_latest(store: Path) -> None:
    """An earlier period's final released after the newest period's provisional is not the default of
    /data, /releases or the explorer; a provisional revision scheduled after a final never is."""
    con = open_store(store)
    dom = domains.load("kst")
    made = datetime(2025, 3, 30, tzinfo=KST)
    # a provisional revision of 2025H1 scheduled late, then its final scheduled before it
    prov = create_vintage(
        con,
        dom,
        "2025H1",
        "provisional",
        datetime(2025, 12, 1, tzinfo=KST),
        made,
        revises=V2,
        reason="revised provisional",
    )
    fin = create_vintage(
        con,
        dom,
        "2025H1",
        "final",
        datetime(2025, 11, 1, tzinfo=KST),
        made,
        revises=prov.vintage_id,
        reason="final figures",
    )
    late = create_vintage(con, dom, "2024H2", "final", datetime(2025, 10, 1, tzinfo=KST), made)
    con.close()
    times = {
        "before-late": (datetime(2025, 9, 30, tzinfo=KST), V2),
        "late-released": (datetime(2025, 10, 2, tzinfo=KST), V2),
        "final-out": (datetime(2025, 11, 2, tzinfo=KST), fin.vintage_id),
        "provisional-after": (datetime(2025, 12, 2, tzinfo=KST), fin.vintage_id),
    }
    for name, (t, want) in times.items():

        def clock(t: datetime = t) -> datetime:
            return t

        c = TestClient(create_app(store, now=clock, refresh_seconds=0))
        group = c.get("/releases").json()["releases"][0]
        assert group["latest"] == want, name
        r = c.get("/data/KST/S.TOTAL.all.exports?format=jsondata")
        assert r.headers["x-ktstat-vintage"] == want, name
        meta = c.get("/api/meta?dataflow=KST").json()["dataflows"][0]
        assert meta["vintage"]["id"] == want, name
        if name != "before-late":
            assert late.vintage_id in [v["id"] for v in group["vintages"]]
            # the late one stays reachable by vintage=
            r = c.get(f"/data/KST/S.TOTAL.all.exports?format=jsondata&vintage={late.vintage_id}")
            assert r.status_code == 200 and r.headers["x-ktstat-vintage"] == late.vintage_id
        table = c.get("/api/table?dataflow=KST&breakdown=total&period=2025H1&measure=exports").json()
        assert table["vintage"]["id"] == want and table["rows"], name


# a real `ktstat serve` beside compiler commands -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


@pytest.fixture()
def served(store: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """``ktstat serve`` on the copy of the small store, its clock after both releases."""
    port = _free_port()
    env = {**os.environ, "KTSTAT_NOW": "2025-10-01T00:00:00+09:00"}
    proc = subprocess.Popen(
        [str(KTSTAT), "serve", "--store", str(store), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _get(base + "/releases")[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None:
            raise AssertionError(f"ktstat serve ended: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError("ktstat serve did not answer within 60 s")
    yield base, store, env
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert "Traceback" not in out and "lock" not in out.lower(), out


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KTSTAT), *args], env=env, capture_output=True, text=True, timeout=120)


def test_compiler_commands_beside_a_running_server(served: tuple[str, Path, dict[str, str]], tmp_path: Path) -> None:
    base, store, env = served
    status, _, body = _get(base + "/releases")
    assert status == 200 and json.loads(body)["releases"][0]["latest"] == V2
    # ingest new records, list vintages and release one, while the server runs and is being asked
    more = tmp_path / "more.csv"
    lines = (FIX / "records.csv").read_text().splitlines()
    more.write_text(
        "\n".join(
            [lines[0]]
            + [
                ln.replace(ln.split(",")[0], "n" + ln.split(",")[0], 1).replace(",2023-", ",2025-", 1)
                for ln in lines[1:4]
            ]
        )
        + "\n"
    )
    for args in (
        ("vintages", "--store", str(store)),
        ("ingest", str(more), "--domain", "kst", "--store", str(store)),
        ("vintages", "--store", str(store)),
    ):
        assert _get(base + "/data/KST/S.TOTAL.all.exports?format=csv")[0] == 200
        r = _run(env, *args)
        assert r.returncode == 0 and "lock" not in (r.stdout + r.stderr).lower(), (args, r.stdout, r.stderr)
    r = _run(
        env,
        "release",
        "--store",
        str(store),
        "--domain",
        "kst",
        "--period",
        "2024H2",
        "--status",
        "final",
        "--at",
        "2025-09-30T12:00:00+09:00",
    )
    released = time.monotonic()
    assert r.returncode == 0, r.stdout + r.stderr
    vid = r.stdout.split(":")[0].strip()
    assert vid == "kst-2024H2-v2"
    seen = None
    while time.monotonic() - released < 10:
        status, headers, _ = _get(base + f"/data/KST/S.TOTAL.all.exports?format=csv&vintage={vid}")
        if status == 200:
            seen = time.monotonic() - released
            break
        time.sleep(0.05)
    assert seen is not None and seen < 2.0, seen
    assert headers.get("x-ktstat-vintage") == vid
    # an earlier period released late is not the default
    status, headers, _ = _get(base + "/data/KST/S.TOTAL.all.exports?format=csv")
    assert status == 200 and headers.get("x-ktstat-vintage") == V2
    r = _run(env, "vintages", "--store", str(store))
    assert r.returncode == 0 and vid in r.stdout, r.stdout + r.stderr
    # the vintage written while serving matches the store's
    con = open_store(store)
    want = vintage_rows(con, get_vintage(con, vid))
    con.close()
    got = [
        ln.split(",") for ln in _get(base + f"/data/KST/all?format=plaincsv&vintage={vid}")[2].decode().splitlines()[1:]
    ]
    assert len(got) == len(want)
