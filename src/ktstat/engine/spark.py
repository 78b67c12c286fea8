"""The base aggregation on Spark: same rows as :data:`ktstat.engine.BASE_AGGREGATION`, cell for cell
(the same query, :mod:`ktstat.engine.aggregation`, in Spark's dialect :data:`SPARK`).

``base_aggregation_spark(con, domain)`` exports the domain's accepted records (active batches
only) and its business register from the DuckDB store to Parquet in a staging folder, lets
Spark join the register version valid at each record's ``ref_date`` and aggregate, has Spark
write the reporter cells as Parquet, and loads them into the store's ``reporter_cells``
(replacing the domain's rows). The cube, the indicators and disclosure control then run in
DuckDB as usual (they read ``reporter_cells`` only).

Where Spark runs (``url``, else the environment variable ``KTSTAT_SPARK``, else ``local[2]``):

- a master URL (``local[N]``, ``local[*]``, ``spark://host:7077``, ``yarn``, ``k8s://...``):
  a classic session whose driver runs in this process (Java 17+ needed here);
- a Spark Connect URL (``sc://host:15002``): a remote session (needs the ``pyspark[connect]``
  client packages: grpcio, grpcio-status, googleapis-common-protos, zstandard).

The staging folder (``staging``, else ``KTSTAT_SPARK_STAGING``, else the system's temporary
folder) must be readable and writable under the same path by this process, the Spark driver
and the executors: for a cluster, a shared mount. Each call works in its own subfolder and
removes it afterwards.

Exactness: amounts stay integers all the way. The store's HUGEINT columns travel as
DECIMAL(38, 0) (Spark has no 128-bit integer type), Spark runs with ANSI mode on (an overflow
raises instead of giving NULL) and computes the rounded conversion
``(minor * 10^8 + per_usd div 2) div per_usd`` (half away from zero, by sign) with exact
decimal integer division; sums of DECIMAL(38, 0) stay DECIMAL(38, 0). The only difference from
DuckDB is range: a value beyond 10^38 - 1 (DuckDB's HUGEINT goes to about 1.7 * 10^38), or a
converted per-currency cell beyond 10^32 micro-dollars (10^26 US dollars), raises an error in
Spark, which no real figure comes near.

One session is started lazily per process (quietly: the JVM's own output goes to a log file,
:func:`log_path`, kept while the session lives; Spark logs at WARN) and reused;
:func:`stop_session` stops it, and it is stopped at exit.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import shutil
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.engine.aggregation import Dialect, base_aggregation_sql
from ktstat.errors import InputError
from ktstat.store import count

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import DataFrame, SparkSession

Progress = Callable[[str], None]

SPARK_ENV = "KTSTAT_SPARK"
STAGING_ENV = "KTSTAT_SPARK_STAGING"
DRIVER_MEMORY_ENV = "KTSTAT_SPARK_DRIVER_MEMORY"
DEFAULT_URL = "local[2]"
DEFAULT_DRIVER_MEMORY = "2g"
PYSPARK_PIN = "pyspark==4.3.0"
# the Spark Connect client's packages (pyspark[connect]) -> a module each provides
CONNECT_CLIENT = {
    "grpcio": "grpc",
    "grpcio-status": "grpc_status",
    "googleapis-common-protos": "google.rpc",
    "zstandard": "zstandard",
    "pandas": "pandas",
    "pyarrow": "pyarrow",
}

# Columns the aggregation reads; HUGEINT money as DECIMAL(38, 0), the widest exact type Spark has.
EXPORT_RECORDS = """
COPY (
    SELECT domain, reporter_id, period, period_index, ref_date, flow, item, partner, currency,
           CAST(amount_minor AS DECIMAL(38, 0)) AS amount_minor, CAST(per_usd AS DECIMAL(38, 0)) AS per_usd
    FROM records
    WHERE domain = '{domain}' AND batch_id IN (SELECT batch_id FROM batches WHERE status = 'active')
) TO '{path}' (FORMAT parquet)
"""
EXPORT_REPORTERS = """
COPY (
    SELECT domain, reporter_id, industry, size_class, platform, valid_from, valid_to
    FROM reporters WHERE domain = '{domain}'
) TO '{path}' (FORMAT parquet)
"""


def _idiv(a: str, b: str) -> str:
    """Spark SQL for ``a div b`` as an exact DECIMAL(38, 0), for ``a >= 0`` and ``b > 0`` (where
    DuckDB's integer ``//`` truncates, which equals flooring). ``a - a % b`` is a multiple of
    ``b``, so the decimal quotient (DECIMAL(38, 6)) is an integer and the cast loses nothing."""
    return f"CAST((({a}) - ({a}) % ({b})) / ({b}) AS DECIMAL(38, 0))"


_E8 = "CAST(100000000 AS DECIMAL(38, 0))"
_HALF = _idiv("per_usd", "CAST(2 AS DECIMAL(38, 0))")  # per_usd // 2
_POS = _idiv(f"minor * {_E8} + {_HALF}", "per_usd")  # (minor * 10^8 + per_usd // 2) // per_usd
_NEG = _idiv(f"(-minor) * {_E8} + {_HALF}", "per_usd")  # (-minor * 10^8 + per_usd // 2) // per_usd

# The base aggregation (ktstat.engine.aggregation) in Spark SQL ({records}, {reporters}: the
# exported tables, given to session.sql; the active-batch filter was applied by the export).
SPARK = Dialect(
    records="{records}",
    reporters="{reporters}",
    to_micro=f"CASE WHEN minor >= 0 THEN {_POS} ELSE -{_NEG} END",
    money="CAST({} AS DECIMAL(38, 0))",
    count="CAST({} AS BIGINT)",
)
SPARK_AGGREGATION = base_aggregation_sql(SPARK)

# Session settings that make the results exact and deterministic, whatever the server's defaults.
SQL_CONF = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
}

_session: tuple[str, SparkSession] | None = None
_log: IO[bytes] | None = None


def spark_url(url: str | None = None) -> str:
    """Where Spark runs: ``url``, else ``$KTSTAT_SPARK``, else ``local[2]``."""
    return (url or os.environ.get(SPARK_ENV) or DEFAULT_URL).strip()


def is_connect(url: str) -> bool:
    """Whether ``url`` names a Spark Connect server (``sc://...``)."""
    return url.startswith("sc://")


def java_available() -> bool:
    """Whether a Java runtime can be found (``$JAVA_HOME/bin/java`` or ``java`` on the PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def log_path() -> Path:
    """The file the local Spark driver's own output (JVM and log4j) goes to."""
    return Path(tempfile.gettempdir()) / f"ktstat-spark-{os.getpid()}.log"


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a missing parent package
        return False


def _classic_conf(url: str) -> dict[str, str]:
    """Settings for a session whose driver runs in this process."""
    conf = {
        "spark.master": url,
        "spark.app.name": "ktstat",
        "spark.driver.memory": os.environ.get(DRIVER_MEMORY_ENV, DEFAULT_DRIVER_MEMORY),
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": (Path(tempfile.gettempdir()) / "ktstat-spark-warehouse").as_uri(),
        **SQL_CONF,
    }
    if url.startswith("local"):
        conf.update(
            {
                "spark.ui.enabled": "false",
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.sql.shuffle.partitions": "4",
                "spark.default.parallelism": "4",
            }
        )
    return conf


def _check_requirements(url: str) -> None:
    """``InputError`` when a session on ``url`` cannot start here: pyspark missing; for Spark
    Connect, its client packages missing; for a local driver, no Java runtime."""
    if not _importable("pyspark"):
        raise InputError(f"the Spark engine needs pyspark: pip install {PYSPARK_PIN}")
    if is_connect(url):
        # checked here: pyspark's own check may exit the process (when run as ``python -c``)
        missing = [pkg for pkg, mod in CONNECT_CLIENT.items() if not _importable(mod)]
        if missing:
            raise InputError(
                f"Spark Connect ({url}) needs the client packages {', '.join(missing)}: pip install "
                f"'{PYSPARK_PIN.replace('==', '[connect]==')}'"
            )
    elif not java_available():
        raise InputError("the Spark engine needs a Java runtime (17 or later): none found on the PATH or in JAVA_HOME")


def _start(url: str) -> SparkSession:
    global _log
    _check_requirements(url)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pyspark's note on pandas 3
            from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(f"the Spark engine needs pyspark: pip install {PYSPARK_PIN}") from None
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        # these print a JSON copy of every failing query's error to stderr; the exception has it
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    if is_connect(url):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            session = SparkSession.builder.remote(url).getOrCreate()
        for k, v in SQL_CONF.items():
            session.conf.set(k, v)
        return session
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    conf = SparkConf(loadDefaults=False)
    for k, v in _classic_conf(url).items():
        conf.set(k, v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        if SparkContext._active_spark_context is None:  # else: the process's own SparkContext, reused
            gateway = None
            if SparkContext._gateway is None:
                _log = log_path().open("ab")
                # the JVM's banner, warnings and log lines go to the log file, not the user's terminal
                try:
                    gateway = launch_gateway(conf, popen_kwargs={"stdout": _log, "stderr": _log})
                except Exception as e:  # noqa: BLE001 - the JVM's reason is in its log, not in the exception
                    _log.close()
                    _log = None
                    tail = log_path().read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
                    raise InputError(
                        f"Spark ({url}) did not start: {e}; the driver said: " + " | ".join(tail)
                    ) from None
            SparkContext(conf=conf, gateway=gateway)
        session = SparkSession.builder.config(conf=conf).getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    for k, v in SQL_CONF.items():
        session.conf.set(k, v)
    return session


def get_session(url: str | None = None, progress: Progress | None = None) -> SparkSession:
    """The process's Spark session for ``spark_url(url)``, started on first use and reused after;
    a different URL stops the current session first (one driver per process)."""
    global _session
    target = spark_url(url)
    if _session is not None:
        if _session[0] == target:
            return _session[1]
        _check_requirements(target)  # a URL that cannot start keeps the running session
        stop_session()
    started = time.perf_counter()
    session = _start(target)
    _session = (target, session)
    if progress:
        where = "" if is_connect(target) else f"; its log: {log_path()}"
        progress(f"spark: session on {target} started in {time.perf_counter() - started:.1f} s{where}")
    return session


def stop_session() -> None:
    """Stop the process's Spark session, if one was started (idempotent). A driver JVM this
    module launched is shut down too (freeing its memory) and its log file removed."""
    global _session, _log
    if _session is not None:
        _, session = _session
        _session = None
        session.stop()
    if _log is not None:
        from pyspark import SparkContext

        gateway = SparkContext._gateway
        if gateway is not None:
            proc = getattr(gateway, "proc", None)
            gateway.shutdown()
            SparkContext._gateway = None
            SparkContext._jvm = None
            if proc is not None:
                if proc.stdin is not None:
                    proc.stdin.close()  # the JVM exits when its standard input closes
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        _log.close()
        _log = None
        log_path().unlink(missing_ok=True)


atexit.register(stop_session)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def spark_cells(session: SparkSession, records: str, reporters: str) -> DataFrame:
    """The reporter cells (Spark DataFrame) of the records and register Parquet files at the
    given paths or URIs: the rows and types of :data:`ktstat.engine.BASE_AGGREGATION`
    (money as DECIMAL(38, 0))."""
    for k, v in SQL_CONF.items():
        session.conf.set(k, v)
    rec = session.read.parquet(records)
    reg = session.read.parquet(reporters)
    return session.sql(SPARK_AGGREGATION, records=rec, reporters=reg)


def base_aggregation_spark(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    url: str | None = None,
    staging: str | Path | None = None,
    progress: Progress | None = None,
) -> int:
    """Rebuild the domain's reporter-cell table with Spark; returns its row count.

    Same contract and the same rows as :func:`ktstat.engine.base_aggregation` (DuckDB).
    ``url``: where Spark runs (see :func:`spark_url`); ``staging``: the folder for the Parquet
    exchange (else ``$KTSTAT_SPARK_STAGING``, else the temporary folder). The store's
    ``reporter_cells`` is only touched after Spark has finished, so a Spark failure leaves it
    as it was.
    """
    say = progress or (lambda _msg: None)
    base = Path(staging or os.environ.get(STAGING_ENV) or tempfile.gettempdir())
    work = base / f"ktstat-spark-{domain.id}-{uuid.uuid4().hex[:12]}"
    work.mkdir(parents=True)
    try:
        rec, reg, out = work / "records.parquet", work / "reporters.parquet", work / "cells"
        started = time.perf_counter()
        con.execute(EXPORT_RECORDS.format(domain=domain.id, path=_quote(rec)))
        con.execute(EXPORT_REPORTERS.format(domain=domain.id, path=_quote(reg)))
        say(f"{domain.id}: records and register exported to Parquet in {time.perf_counter() - started:.1f} s")
        session = get_session(url, say)
        started = time.perf_counter()
        spark_cells(session, rec.as_uri(), reg.as_uri()).write.mode("overwrite").parquet(out.as_uri())
        say(f"{domain.id}: base aggregation on Spark in {time.perf_counter() - started:.1f} s")
        parts = sorted(out.glob("*.parquet"))
        con.execute("DELETE FROM reporter_cells WHERE domain = ?", [domain.id])
        if parts:
            files = ", ".join(f"'{_quote(p)}'" for p in parts)
            con.execute(
                "INSERT INTO reporter_cells SELECT domain, reporter_id, period, period_index, flow, item, partner, "
                "industry, size_class, platform, CAST(amount_usd_micro AS HUGEINT), records "
                f"FROM read_parquet([{files}])"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return count(con, "SELECT count(*) FROM reporter_cells WHERE domain = ?", [domain.id])
