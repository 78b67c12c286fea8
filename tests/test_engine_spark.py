"""The base aggregation on Spark gives DuckDB's rows, cell for cell, and so the same cube and indicators.

Three data sets: the hand-made fixture (kst_small), the demo's synthetic inputs at a small
scale (both programmes, disclosure control on), and a store filled directly with the edge cases
of the arithmetic and the register join (half-way roundings, negatives, amounts whose
micro-dollars pass 2^63, NULLs, register versions at their boundaries, superseded batches).
Spark runs in local mode; the tests are skipped only when no Java runtime is found.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ktstat import domain as domains
from ktstat.engine import base_aggregation, parse_engine
from ktstat.engine import spark as engine_spark
from ktstat.engine.spark import java_available, spark_url, stop_session
from ktstat.errors import InputError
from ktstat.pipeline import compile_domain
from ktstat.store import open_store

FIX = Path(__file__).parent / "fixtures" / "kst_small"
TABLES = ("reporter_cells", "cube", "indicators", "disclosure")
needs_java = pytest.mark.skipif(
    not java_available(), reason="the Spark engine needs a Java runtime: no `java` on the PATH and no JAVA_HOME"
)


def rows(con: duckdb.DuckDBPyConnection, table: str, domain: str) -> Counter[tuple[Any, ...]]:
    """The domain's rows of a table, as a multiset (integers exact at any width, doubles exact)."""
    return Counter(con.execute(f"SELECT * FROM {table} WHERE domain = ?", [domain]).fetchall())


def assert_same(
    a: duckdb.DuckDBPyConnection, b: duckdb.DuckDBPyConnection, domain: str, tables: tuple[str, ...] = TABLES
) -> None:
    """The domain's rows of each table are the same multiset in both stores (a: DuckDB, b: Spark)."""
    for t in tables:
        ra, rb = rows(a, t, domain), rows(b, t, domain)
        assert ra.total() == rb.total(), f"{domain} {t}: {ra.total()} rows with DuckDB, {rb.total()} with Spark"
        only_a, only_b = list((ra - rb).elements()), list((rb - ra).elements())
        assert not only_a and not only_b, (
            f"{domain} {t}: {len(only_a)} rows differ; DuckDB only: {only_a[:2]}; Spark only: {only_b[:2]}"
        )


def test_engine_names() -> None:
    assert parse_engine("duckdb") == ("duckdb", None)
    assert parse_engine("spark") == ("spark", None)
    assert parse_engine("Spark:local[4]") == ("spark", "local[4]")
    assert parse_engine("spark:sc://host:15002") == ("spark", "sc://host:15002")
    for bad in ("postgres", "spark:", "duckdb:x", ""):
        with pytest.raises(InputError, match="unknown engine"):
            parse_engine(bad)
    con = open_store(None)
    with pytest.raises(InputError, match="unknown engine"):  # before anything is loaded
        compile_domain(con, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv", engine="sprak")
    assert con.execute("SELECT count(*) FROM records").fetchone() == (0,)


def test_spark_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KTSTAT_SPARK", raising=False)
    assert spark_url() == "local[2]"
    monkeypatch.setenv("KTSTAT_SPARK", "sc://example:15002")
    assert spark_url() == "sc://example:15002"
    assert spark_url("local[4]") == "local[4]"  # the parameter wins


def test_connect_client_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the Spark Connect client packages, an sc:// URL is a one-line error naming them
    (checked before pyspark's own check, which can exit the process), and a running session stays."""
    pytest.importorskip("pyspark")
    if java_available():  # a local session running (the one the Spark tests share, else started here)
        engine_spark.get_session("local[2]")
        assert engine_spark._session is not None
    monkeypatch.setattr(engine_spark, "_importable", lambda module: module != "grpc")
    running = engine_spark._session
    with pytest.raises(InputError, match=r"grpcio: pip install 'pyspark\[connect\]"):
        engine_spark.get_session("sc://127.0.0.1:1")
    assert engine_spark._session is running  # the URL that cannot start did not stop it


@needs_java
def test_fixture_both_ways() -> None:
    a, b = open_store(None), open_store(None)
    args = ("kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv")
    compile_domain(a, *args, protect=False)
    said: list[str] = []
    started = time.perf_counter()
    res = compile_domain(b, *args, protect=False, engine="spark:local[2]", progress=said.append)
    print(f"fixture on Spark (session start included): {time.perf_counter() - started:.1f} s")
    assert res.reporter_cells > 0
    assert any("base aggregation on Spark" in s for s in said)
    assert_same(a, b, "kst", ("reporter_cells", "cube", "indicators"))


@pytest.mark.slow  # about 2 minutes on 2 cores: in the slow set (./run test -m slow); the fixture and edge cases stay
@needs_java
def test_demo_inputs_both_ways(tmp_path: Path) -> None:
    """The demo's store (DuckDB engine, disclosure control on) against its inputs compiled again
    with the Spark engine: every table identical, both programmes."""
    from ktstat.demo.run import run_demo

    run_demo(tmp_path, scale=0.05, releases=False)
    a = duckdb.connect(str(tmp_path / "ktstat.duckdb"), read_only=True)
    b = open_store(None)
    for dom_id in ("tbp", "kst"):
        d = tmp_path / "inputs" / dom_id
        started = time.perf_counter()
        rates = tmp_path / "inputs" / "exchange_rates.csv"
        compile_domain(b, dom_id, d / "records.parquet", d / "reporters.csv", rates, engine="spark")
        n = b.execute("SELECT count(*) FROM records WHERE domain = ?", [dom_id]).fetchone()
        print(f"{dom_id}: {n[0] if n else 0:,} records compiled with Spark in {time.perf_counter() - started:.1f} s")
        assert rows(a, "reporter_cells", dom_id)
        assert_same(a, b, dom_id)
    big = b.execute("SELECT max(abs(amount_usd_micro)) FROM reporter_cells").fetchone()
    assert big is not None and big[0] > 10**12  # cells of over a million dollars: real magnitudes


# --- edge cases of the arithmetic and of the register join, inserted into the store directly ---

D = dt.date
REGISTER = [  # reporter_id, industry, size_class, platform, valid_from, valid_to
    ("A", "58211", "large", False, None, None),
    ("B", "26110", "sme", False, None, D(2023, 12, 31)),
    ("B", "26110", "mid_sized", False, D(2024, 1, 1), None),
    ("C", "62010", "sme", True, D(2024, 1, 1), D(2024, 3, 31)),  # boundaries inclusive
    ("C", "62010", "large", True, D(2024, 3, 1), None),  # overlaps March: those records count twice
    ("가나", "70000", "individual", None, None, None),  # non-ASCII id, unknown platform
    ("N", None, "sme", False, None, None),  # no industry
]
RATE = {"USD": 1_000_000, "KRW": 1_250_000_000, "JPY": 150_123_457, "H": 400_000_000, "ODD": 3}


def _record(
    rid: str,
    reporter: str,
    ref: dt.date | None,
    amount_minor: int | None,
    currency: str,
    per_usd: int | None,
    flow: str = "X",
    item: str = "SI21",
    partner: str | None = "US",
    batch: int = 1,
    domain: str = "kst",
) -> tuple[Any, ...]:
    period = f"{ref.year}Q{(ref.month - 1) // 3 + 1}" if ref else None
    index = ref.year * 4 + (ref.month - 1) // 3 if ref else None
    return (
        domain,
        batch,
        "f.csv",
        0,
        rid,
        reporter,
        period,
        index,
        ref,
        flow,
        partner,
        item,
        currency,
        amount_minor,
        per_usd,
        None,
    )


def _edge_records() -> list[tuple[Any, ...]]:
    recs = []
    q1, q2 = D(2024, 1, 15), D(2024, 5, 2)
    n = 0

    def add(*args: Any, **kw: Any) -> None:
        nonlocal n
        n += 1
        recs.append(_record(f"r{n}", *args, **kw))

    # exact halves (2 ten-thousandths at 400/USD = 0.5 micro-dollar), by sign, and their sums
    for minor in (2, -2, 6, -6, 1, -1, 3, -3):
        add("A", q1, minor, "H", RATE["H"], item="SI22", partner=f"P{minor}")
    add("A", q1, 2, "H", RATE["H"], item="SI23")
    add("A", q1, 2, "H", RATE["H"], item="SI23")  # summed per currency first: 4 -> 1 micro-dollar
    add("A", q1, -5, "H", RATE["H"], item="SI23")
    # odd rate (0.000003 units per dollar): huge micro-dollar figures, far past 2^63
    add("A", q1, 10**20, "ODD", RATE["ODD"], item="SI24")
    add("A", q1, -(10**20) + 1, "ODD", RATE["ODD"], item="SI25")
    add("A", q1, 10**20, "USD", RATE["USD"], item="SI24")  # 10^22 micro-dollars
    add("A", q1, 123_456_789, "JPY", RATE["JPY"], item="SI24")
    # several currencies and records in one cell; a reporter cell per register version
    for k in range(40):
        cur = ("USD", "KRW", "JPY")[k % 3]
        add(
            "B",
            (D(2023, 11, 30), D(2023, 12, 31), D(2024, 1, 1), q2)[k % 4],
            10_000 * k + 7 * (-1) ** k,
            cur,
            RATE[cur],
            flow="XM"[k % 2],
        )
    # register boundaries and overlap; NULL partner; non-ASCII reporter; reporter without industry
    for ref in (D(2024, 1, 1), D(2024, 2, 29), D(2024, 3, 1), D(2024, 3, 31), D(2024, 4, 1), D(2023, 12, 31)):
        add("C", ref, 12_345, "KRW", RATE["KRW"], partner=None)
    add("가나", q1, 99_999, "KRW", RATE["KRW"])
    add("N", q2, 5_000, "USD", RATE["USD"])
    # NULL rate, NULL amount, NULL reference date (matches only open-ended register versions)
    add("A", q1, 10_000, "EUR", None, item="SH1")
    add("A", q1, None, "USD", RATE["USD"], item="SH2")
    add("A", None, 10_000, "USD", RATE["USD"], item="SH3")
    add("B", None, 10_000, "USD", RATE["USD"], item="SH3")
    # left out: an unregistered reporter, a superseded batch, another domain
    add("Z", q1, 10_000, "USD", RATE["USD"])
    add("A", q1, 10_000, "USD", RATE["USD"], batch=2)
    add("A", q1, 10_000, "USD", RATE["USD"], domain="tbp")
    return recs


def _edge_store(records: list[tuple[Any, ...]]) -> duckdb.DuckDBPyConnection:
    con = open_store(None)
    con.executemany("INSERT INTO reporters VALUES ('kst', ?, 'name', ?, ?, ?, ?, ?)", REGISTER)
    con.execute("INSERT INTO reporters VALUES ('tbp', 'A', 'n', '58211', 'large', false, NULL, NULL)")
    con.execute(
        "INSERT INTO batches (batch_id, domain, status) VALUES (1, 'kst', 'active'), (2, 'kst', 'superseded'), "
        "(3, 'tbp', 'active')"
    )
    con.executemany(
        "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*r[:1], 3 if r[0] == "tbp" else r[1], *r[2:]) for r in records],
    )
    return con


@needs_java
def test_edge_cases_cell_for_cell() -> None:
    dom = domains.load("kst")
    con = _edge_store(_edge_records())
    n_duck = base_aggregation(con, dom)
    duck = rows(con, "reporter_cells", "kst")
    n_spark = base_aggregation(con, dom, engine="spark")
    spark = rows(con, "reporter_cells", "kst")
    assert n_duck == n_spark == duck.total() >= 20
    only_duck, only_spark = list((duck - spark).elements()), list((spark - duck).elements())
    assert not only_duck and not only_spark, f"DuckDB only: {only_duck[:3]}; Spark only: {only_spark[:3]}"
    # reporter A's cells: (reporter, flow, item, partner) -> micro-dollars
    cell = {(r[1], r[4], r[5], r[6]): r[10] for r in duck if r[1] in ("A", "Z")}
    assert cell[("A", "X", "SI22", "P2")] == 1 and cell[("A", "X", "SI22", "P-2")] == -1  # half away from zero
    assert cell[("A", "X", "SI22", "P1")] == 0 and cell[("A", "X", "SI22", "P-1")] == 0
    # per currency first: 2 + 2 - 5 = -1 ten-thousandth -> -0.25 -> 0 (record by record: 1 + 1 - 1 = 1)
    assert cell[("A", "X", "SI23", "US")] == 0
    assert cell[("A", "X", "SI24", "US")] > 2**63  # exact past 64 bits
    assert ("Z", "X", "SI21", "US") not in cell
    assert con.execute("SELECT count(*) FROM reporter_cells WHERE domain = 'tbp'").fetchone() == (0,)
    # the types the rest of the pipeline reads
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'reporter_cells'"
        ).fetchall()
    )
    assert types["amount_usd_micro"] == "HUGEINT" and types["records"] == "BIGINT"
    con.execute("UPDATE batches SET status = 'superseded' WHERE domain = 'kst'")  # nothing to aggregate
    assert base_aggregation(con, dom, engine="spark") == 0 == base_aggregation(con, dom)


@needs_java
def test_overflow_is_an_error_and_keeps_the_cells() -> None:
    """Past the exact range both engines fail rather than give a wrong or empty figure; the Spark
    engine leaves the store's reporter cells as they were."""
    dom = domains.load("kst")
    recs = _edge_records()
    con = _edge_store([*recs, _record("r-big", "A", D(2024, 1, 15), 10**31, "USD", RATE["USD"])])
    with pytest.raises(duckdb.Error):
        base_aggregation(con, dom)
    con.execute("DELETE FROM records WHERE record_id = 'r-big'")
    base_aggregation(con, dom)
    before = rows(con, "reporter_cells", "kst")
    assert before
    con.execute(
        "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        _record("r-big", "A", D(2024, 1, 15), 10**31, "USD", RATE["USD"]),
    )
    with pytest.raises(Exception, match="(?i)overflow|out_of_range|out of range|cannot be represented"):
        base_aggregation(con, dom, engine="spark")
    assert rows(con, "reporter_cells", "kst") == before


@pytest.mark.slow
@needs_java
def test_spark_connect_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through a Spark Connect server (started here, on the loopback address; the URL from
    ``KTSTAT_SPARK``): the fixture and the edge cases, cell for cell. Needs pyspark[connect]."""
    for module in ("grpc", "grpc_status", "google.rpc", "zstandard"):
        pytest.importorskip(module, reason="the Spark Connect client (pyspark[connect]) is not installed")
    import socket
    import subprocess

    from pyspark.find_spark_home import _find_spark_home

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path / "connect.log").open("wb")
    server = subprocess.Popen(
        [
            str(Path(_find_spark_home()) / "bin" / "spark-submit"),
            "--class",
            "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--master",
            "local[2]",
            "--driver-memory",
            "1g",
            "--conf",
            "spark.connect.grpc.binding.address=127.0.0.1",
            "--conf",
            f"spark.connect.grpc.binding.port={port}",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            "--conf",
            "spark.ui.enabled=false",
        ],
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while "Spark Connect server started" not in (tmp_path / "connect.log").read_text(errors="replace"):
            assert server.poll() is None and time.monotonic() < deadline, "the Spark Connect server did not start"
            time.sleep(1)
        monkeypatch.setenv("KTSTAT_SPARK", f"sc://127.0.0.1:{port}")
        a, b = open_store(None), open_store(None)
        args = ("kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv")
        compile_domain(a, *args, protect=False)
        compile_domain(b, *args, protect=False, engine="spark")
        assert_same(a, b, "kst", ("reporter_cells", "cube", "indicators"))
        dom = domains.load("kst")
        con = _edge_store(_edge_records())
        base_aggregation(con, dom)
        duck = rows(con, "reporter_cells", "kst")
        base_aggregation(con, dom, engine="spark")
        assert rows(con, "reporter_cells", "kst") == duck
    finally:
        stop_session()
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
