"""The store: one DuckDB file holding inputs, code lists, the cube and the indicators.

``open_store(path)`` creates the schema when missing. Money columns are exact: record
amounts in ten-thousandths of the currency unit, everything in US dollars in micro-dollars
(HUGEINT); the indicators table holds presentation-ready DOUBLE values, and beside it
``indicator_micro`` (``vintage_micro`` for vintages) the money measures in exact integer
micro-dollars, from which published files write their decimals.

A store is one process's to write at a time (DuckDB locks the file; readers share it). A
writer leaves ``<store>.lock-info`` beside the store (command, PID, start time) while it holds
the lock, so that another command finding the store busy can say who holds it: it waits up to
``wait`` seconds, saying so, then fails with :class:`StoreBusyError` naming the holder.
Read-only openings (``read_only=True``) never take the write lock.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat.errors import KtstatError

if TYPE_CHECKING:
    import duckdb

DEFAULT_WAIT = 300.0  # seconds the command line waits for a busy store (--wait)
COMMAND = "ktstat"  # who this process is, for the lock-info file (the CLI sets "ktstat ingest", ...)

SCHEMA = """
CREATE TABLE IF NOT EXISTS reporters (domain VARCHAR, reporter_id VARCHAR, name VARCHAR,
    industry VARCHAR, size_class VARCHAR, platform BOOLEAN, valid_from DATE, valid_to DATE);
CREATE TABLE IF NOT EXISTS rates (currency VARCHAR, period VARCHAR, per_usd HUGEINT);
CREATE SEQUENCE IF NOT EXISTS batch_ids START 1;
CREATE TABLE IF NOT EXISTS batches (batch_id INTEGER PRIMARY KEY, domain VARCHAR, file VARCHAR,
    sha256 VARCHAR, submitter VARCHAR, received_at TIMESTAMPTZ, rows_in BIGINT, accepted BIGINT,
    quarantined BIGINT, supersedes INTEGER, status VARCHAR);
CREATE TABLE IF NOT EXISTS records (domain VARCHAR, batch_id INTEGER, file VARCHAR, row_no BIGINT,
    record_id VARCHAR, reporter_id VARCHAR, period VARCHAR, period_index INTEGER, ref_date DATE, flow VARCHAR,
    partner VARCHAR, item VARCHAR, currency VARCHAR, amount_minor HUGEINT, per_usd HUGEINT, note VARCHAR);
CREATE TABLE IF NOT EXISTS quarantine (domain VARCHAR, batch_id INTEGER, file VARCHAR,
    row_no BIGINT, field VARCHAR, value VARCHAR, rule VARCHAR, message VARCHAR, record_id VARCHAR);
CREATE TABLE IF NOT EXISTS quarantined_rows (domain VARCHAR, batch_id INTEGER, file VARCHAR,
    row_no BIGINT, record_id VARCHAR, reporter_id VARCHAR, period VARCHAR, flow VARCHAR, partner VARCHAR,
    item VARCHAR, amount VARCHAR, currency VARCHAR, note VARCHAR, line VARCHAR);
CREATE TABLE IF NOT EXISTS quarantine_resolved (domain VARCHAR, batch_id INTEGER, row_no BIGINT,
    resolved_at TIMESTAMPTZ, how VARCHAR, by_batch INTEGER, by_row BIGINT, reason VARCHAR);
CREATE TABLE IF NOT EXISTS review (domain VARCHAR, batch_id INTEGER, file VARCHAR,
    row_no BIGINT, field VARCHAR, value VARCHAR, rule VARCHAR, message VARCHAR, record_id VARCHAR);
CREATE TABLE IF NOT EXISTS codelists (domain VARCHAR, codelist VARCHAR, version VARCHAR,
    code VARCHAR, parent VARCHAR, label_en VARCHAR, label_ko VARCHAR);
CREATE TABLE IF NOT EXISTS reporter_cells (domain VARCHAR, reporter_id VARCHAR, period VARCHAR,
    period_index INTEGER, flow VARCHAR, item VARCHAR, partner VARCHAR, industry VARCHAR,
    size_class VARCHAR, platform BOOLEAN, amount_usd_micro HUGEINT, records BIGINT);
CREATE TABLE IF NOT EXISTS cube (domain VARCHAR, freq VARCHAR, period VARCHAR,
    period_index INTEGER, breakdown VARCHAR, item VARCHAR, flow VARCHAR,
    amount_usd_micro HUGEINT, reporters BIGINT, top1_micro HUGEINT, top2_micro HUGEINT,
    rank_group VARCHAR);
CREATE TABLE IF NOT EXISTS cube_holdings (domain VARCHAR, reporter_id VARCHAR, freq VARCHAR, period VARCHAR,
    breakdown VARCHAR, item VARCHAR, flow VARCHAR, amount_usd_micro HUGEINT);
CREATE TABLE IF NOT EXISTS disclosure (domain VARCHAR, freq VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, flow VARCHAR, reporters BIGINT, amount_usd_micro HUGEINT, rule VARCHAR);
CREATE TABLE IF NOT EXISTS disclosure_audit (domain VARCHAR, freq VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, flow VARCHAR, value_usd DOUBLE, lower_usd DOUBLE, upper_usd DOUBLE, protected BOOLEAN);
ALTER TABLE disclosure_audit ADD COLUMN IF NOT EXISTS exact BOOLEAN DEFAULT true;
CREATE TABLE IF NOT EXISTS disclosure_holdings (domain VARCHAR, reporter_id VARCHAR, freq VARCHAR,
    period VARCHAR, breakdown VARCHAR, item VARCHAR, flow VARCHAR, amount_usd_micro HUGEINT);
CREATE TABLE IF NOT EXISTS disclosure_changes (domain VARCHAR, freq VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, flow VARCHAR, vintage VARCHAR, before VARCHAR, after VARCHAR, why VARCHAR);
CREATE TABLE IF NOT EXISTS disclosure_insider (domain VARCHAR, vintage VARCHAR, freq VARCHAR, period VARCHAR,
    breakdown VARCHAR, item VARCHAR, flow VARCHAR, attacker VARCHAR, value_usd DOUBLE, need_usd DOUBLE,
    lower_usd DOUBLE, upper_usd DOUBLE, protected BOOLEAN, exact BOOLEAN);
CREATE TABLE IF NOT EXISTS disclosure_alone (domain VARCHAR, freq VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, flow VARCHAR);
CREATE TABLE IF NOT EXISTS vintage_cells (vintage_id VARCHAR, freq VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, flow VARCHAR, reporters BIGINT, amount_usd_micro HUGEINT, top1_micro HUGEINT,
    top2_micro HUGEINT, rule VARCHAR);
CREATE TABLE IF NOT EXISTS vintage_holdings (vintage_id VARCHAR, reporter_id VARCHAR, freq VARCHAR,
    period VARCHAR, breakdown VARCHAR, item VARCHAR, flow VARCHAR, amount_usd_micro HUGEINT);
CREATE TABLE IF NOT EXISTS vintages (vintage_id VARCHAR PRIMARY KEY, domain VARCHAR, period VARCHAR,
    status VARCHAR, release_at VARCHAR, created_at VARCHAR, codelists VARCHAR, batches VARCHAR,
    rows BIGINT, content_hash VARCHAR, revises VARCHAR, reason VARCHAR);
CREATE TABLE IF NOT EXISTS vintage_indicators (vintage_id VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, measure VARCHAR, value DOUBLE, status VARCHAR);
CREATE TABLE IF NOT EXISTS indicator_micro (domain VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, measure VARCHAR, micro HUGEINT);
CREATE TABLE IF NOT EXISTS vintage_micro (vintage_id VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, measure VARCHAR, micro HUGEINT);
CREATE TABLE IF NOT EXISTS indicators (domain VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, measure VARCHAR, value DOUBLE, status VARCHAR);
"""


class StoreBusyError(KtstatError):
    """Another process holds the store's lock and did not let go within the wait."""


def lock_info_path(path: Path | str) -> Path:
    """The lock-info file beside a store: ``<store>.lock-info``."""
    p = Path(path)
    return p.with_name(p.name + ".lock-info")


_CONNECTIONS: Any = None  # weakref.WeakSet of open store connections (interrupted on a signal)


def connections() -> list[duckdb.DuckDBPyConnection]:
    """The store connections this process has open (for :mod:`ktstat.signals` to interrupt)."""
    return list(_CONNECTIONS or [])


def _register(con: duckdb.DuckDBPyConnection) -> None:
    global _CONNECTIONS
    import weakref

    if _CONNECTIONS is None:
        _CONNECTIONS = weakref.WeakSet()
    _CONNECTIONS.add(con)


_WRITTEN: set[Path] = set()


def _write_lock_info(path: Path) -> None:
    """Say who holds the store (removed at exit; a stale file is recognised by its PID)."""
    info = lock_info_path(path)
    started = datetime.now().astimezone().isoformat(timespec="seconds")
    data = {"command": COMMAND, "pid": os.getpid(), "started": started, "argv": sys.argv[1:][:20]}
    try:
        tmp = info.with_name(info.name + f".{os.getpid()}")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, info)
    except OSError:  # a read-only folder: the holder is then named from the lock alone
        return
    if not _WRITTEN:
        atexit.register(_remove_lock_info)
    _WRITTEN.add(info)


def _remove_lock_info() -> None:
    for info in _WRITTEN:
        try:
            if json.loads(info.read_text(encoding="utf-8")).get("pid") == os.getpid():
                info.unlink()
        except (OSError, ValueError):
            pass
    _WRITTEN.clear()


def holder(path: Path | str, error: str = "") -> str:
    """Who holds a store's lock, in words: ``ktstat ingest (PID 27510, since 10:42)``. From the
    lock-info file when its PID is the one DuckDB names (or DuckDB names none), else from the
    PID in DuckDB's message and the process's command line."""
    m = re.search(r"\(PID (\d+)\)", error)
    pid = int(m.group(1)) if m else None
    try:
        info = json.loads(lock_info_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None
    if isinstance(info, dict) and (pid is None or info.get("pid") == pid) and _alive(info.get("pid")):
        since = str(info.get("started", ""))
        try:
            t = datetime.fromisoformat(since)
            since = t.strftime("%H:%M" if t.date() == datetime.now(t.tzinfo).date() else "%Y-%m-%d %H:%M")
        except ValueError:
            pass
        return f"{info.get('command', 'a ktstat command')} (PID {info.get('pid')}, since {since})"
    if pid is None:
        return "another process"
    return f"{_process_name(pid)} (PID {pid}{_process_since(pid)})"


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _process_name(pid: int) -> str:
    """``ktstat serve`` for a ktstat process, else the program's name (Linux /proc; else "a process")."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return "a process"
    argv = [a for a in argv if a]
    for k, a in enumerate(argv):
        if Path(a).name == "ktstat" or a in ("ktstat", "ktstat.cli") or a.endswith("/ktstat"):
            sub = next((x for x in argv[k + 1 :] if not x.startswith("-")), "")
            return f"ktstat {sub}".strip()
    return Path(argv[0]).name if argv else "a process"


def _process_since(pid: int) -> str:
    try:
        t = datetime.fromtimestamp(os.stat(f"/proc/{pid}").st_mtime)
    except OSError:
        return ""
    return f", since {t:%H:%M}"


def _is_lock_error(e: Exception) -> bool:
    return "Could not set lock" in str(e) or "Conflicting lock" in str(e)


def open_store(
    path: Path | str | None = None,
    *,
    read_only: bool = False,
    wait: float = 0.0,
    say: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a store; ``None`` gives an in-memory store.

    ``read_only``: share the store with other readers (the file must exist; no schema is
    created). A store another process holds is waited for up to ``wait`` seconds (``say``
    hears, once per holder, who holds it and since when), then :class:`StoreBusyError`.
    """
    import duckdb

    if path is not None and not read_only:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    target = str(path) if path is not None else ":memory:"
    deadline = time.monotonic() + max(0.0, wait)
    told = None
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(target, read_only=read_only) if path is not None else duckdb.connect(target)
            break
        except duckdb.IOException as e:
            if path is None or not _is_lock_error(e):
                raise
            who = holder(path, str(e))
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f"; gave up after {wait:g} s (--wait SECONDS to wait longer)" if wait > 0 else ""
                raise StoreBusyError(f"{path} is busy: held by {who}{waited}") from None
            if who != told:
                (say or _say_stderr)(f"ktstat: {path} is busy: waiting for {who} to finish (up to {wait:g} s, --wait)")
                told = who
            time.sleep(min(delay, left))
            delay = min(delay * 2, 1.0)
    _register(con)
    # bounded memory: DuckDB spills to disk beyond the limit (KTSTAT_MEMORY_LIMIT, default 2GB)
    con.execute(f"SET memory_limit = '{os.environ.get('KTSTAT_MEMORY_LIMIT', '2GB')}'")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/ktstat-duckdb-spill'")
    con.execute("SET preserve_insertion_order = false")
    if not read_only:
        con.execute(SCHEMA)
        if path is not None:
            _write_lock_info(Path(path))
    return con


def _say_stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the store has a table (a read-only opening of an older store may lack newer ones)."""
    return count(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]) > 0


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert Python rows into ``table`` (all its columns, in order) in one statement, through
    an Arrow table: far faster than ``executemany`` for more than a few rows."""
    if not rows:
        return
    import pyarrow as pa

    cols = list(zip(*rows, strict=True))
    data = pa.table({f"c{k}": pa.array(list(c)) for k, c in enumerate(cols)})
    con.register("ktstat_rows", data)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM ktstat_rows")
    finally:
        con.unregister("ktstat_rows")


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
    """The first row of a query (None when empty), reading the result to its end."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def count(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    """A ``SELECT count(*) ...`` query's value."""
    row = one(con, sql, params)
    return int(row[0]) if row and row[0] is not None else 0


class Scratch:
    """Large intermediate results of one computation, held as Arrow tables outside DuckDB's
    catalog instead of temporary tables.

    Inside a transaction DuckDB keeps the memory of a dropped temporary table (and of a dropped
    registered view, with the Arrow table it holds) until the transaction ends, so a long
    computation in the compile's one transaction (the cube's passes) would hold every
    intermediate table it ever made. A scratch table is instead named only in the statement
    that reads it (``DuckDBPyRelation.query``) and its memory is freed when it is dropped.

    ``put(name, sql, using)`` materialises a query under ``name`` (replacing an earlier one);
    ``execute(sql, using)`` runs a statement (an ``INSERT``) for its effect; in both, ``sql``
    may read the one scratch table ``using`` by its name. ``drop(name)`` frees a table,
    ``close()`` (or leaving a ``with`` block) all of them."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._tables: dict[str, Any] = {}

    def _run(self, sql: str, using: str | None) -> Any:
        if using is None:
            return self._con.sql(sql)
        return self._con.from_arrow(self._tables[using]).query(using, sql)

    def put(self, name: str, sql: str, using: str | None = None) -> None:
        self._tables[name] = self._run(sql, using).to_arrow_table()

    def execute(self, sql: str, using: str) -> None:
        self._run(sql, using)

    def drop(self, name: str) -> None:
        self._tables.pop(name, None)

    def close(self) -> None:
        self._tables.clear()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
