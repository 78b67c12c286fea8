"""The store: one DuckDB file holding inputs, code lists, the cube and the indicators.

``open_store(path)`` creates the schema when missing. Money columns are exact: record
amounts in ten-thousandths of the currency unit, everything in US dollars in micro-dollars
(HUGEINT); the indicators table holds presentation-ready DOUBLE values.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

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
CREATE TABLE IF NOT EXISTS disclosure (domain VARCHAR, freq VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, flow VARCHAR, reporters BIGINT, amount_usd_micro HUGEINT, rule VARCHAR);
CREATE TABLE IF NOT EXISTS disclosure_audit (domain VARCHAR, freq VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, flow VARCHAR, value_usd DOUBLE, lower_usd DOUBLE, upper_usd DOUBLE, protected BOOLEAN);
CREATE TABLE IF NOT EXISTS vintages (vintage_id VARCHAR PRIMARY KEY, domain VARCHAR, period VARCHAR,
    status VARCHAR, release_at VARCHAR, created_at VARCHAR, codelists VARCHAR, batches VARCHAR,
    rows BIGINT, content_hash VARCHAR, revises VARCHAR, reason VARCHAR);
CREATE TABLE IF NOT EXISTS vintage_indicators (vintage_id VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, measure VARCHAR, value DOUBLE, status VARCHAR);
CREATE TABLE IF NOT EXISTS indicators (domain VARCHAR, period VARCHAR, breakdown VARCHAR,
    item VARCHAR, measure VARCHAR, value DOUBLE, status VARCHAR);
"""


def open_store(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a store; ``None`` gives an in-memory store."""
    import duckdb

    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path) if path is not None else ":memory:")
    # bounded memory: DuckDB spills to disk beyond the limit (KTSTAT_MEMORY_LIMIT, default 2GB)
    con.execute(f"SET memory_limit = '{os.environ.get('KTSTAT_MEMORY_LIMIT', '2GB')}'")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/ktstat-duckdb-spill'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(SCHEMA)
    return con


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
