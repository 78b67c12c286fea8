"""Ingest: read a domain's input files into the store, validate, quarantine.

Inputs (contracts of DESIGN.md):

- records (CSV or Parquet): ``record_id, reporter_id, period, flow, partner, item, amount,
  currency`` and optionally ``note``; ``period`` is a date, ``YYYY-MM``, ``YYYYQn`` or, for
  annual domains, ``YYYY``; ``amount`` in the currency's units (up to 2 decimals);
- reporters (CSV or Parquet): ``reporter_id, name, industry, size_class, platform`` and
  optionally ``valid_from, valid_to`` (ISO dates, empty = open);
- exchange rates (CSV or Parquet): ``currency, period, per_usd`` (units of the currency per
  US dollar, period average); ``period`` labelled like the domain's base periods, or a
  year as a fallback. USD needs no rate.

Every record row ends either in table ``records`` (accepted) or in ``quarantine`` with
the rule it broke, its file, data-row number (1 = first row after the header), field and
value. Money is kept exact: ``amount_minor`` is the amount in hundredths (HUGEINT).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.errors import InputError
from ktstat.store import count, one

if TYPE_CHECKING:
    import duckdb

RECORD_COLUMNS = ("record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency")
REPORTER_COLUMNS = ("reporter_id", "name", "industry", "size_class", "platform")
RATE_COLUMNS = ("currency", "period", "per_usd")
SIZE_CLASSES = ("large", "mid_sized", "sme", "individual")


@dataclass
class IngestReport:
    """Counts that must reconcile: rows_in == accepted + quarantined."""

    domain: str
    files: list[str]
    rows_in: int = 0
    accepted: int = 0
    quarantined: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.rows_in == self.accepted + self.quarantined


def _reader(path: Path) -> str:
    """A DuckDB table function reading ``path`` with every column as text."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    p = str(path).replace("'", "''")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return f"read_parquet('{p}')"
    if suffix in (".csv", ".txt"):
        return f"read_csv('{p}', all_varchar=true, header=true, encoding='utf-8')"
    raise InputError(f"{path}: unsupported format {suffix!r}; give CSV or Parquet")


def _columns(con: duckdb.DuckDBPyConnection, src: str, path: Path) -> list[str]:
    try:
        return [d[0] for d in con.sql(f"SELECT * FROM {src} LIMIT 0").description]
    except Exception as e:  # noqa: BLE001 - any reader failure is the file's fault
        raise InputError(f"{path}: cannot be read ({str(e).splitlines()[0]})") from None


def _require(cols: list[str], need: tuple[str, ...], path: Path, what: str) -> None:
    missing = [c for c in need if c not in cols]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)} required for {what} "
            f"(found: {', '.join(cols) or 'none'})"
        )


def load_reference(
    con: duckdb.DuckDBPyConnection, domain: Domain, reporters: Path, rates: Path
) -> None:
    """Load the business register and exchange rates (tables ``reporters``, ``rates``)."""
    src = _reader(reporters)
    cols = _columns(con, src, reporters)
    _require(cols, REPORTER_COLUMNS, reporters, "a business register")
    vf = "TRY_CAST(valid_from AS DATE)" if "valid_from" in cols else "NULL::DATE"
    vt = "TRY_CAST(valid_to AS DATE)" if "valid_to" in cols else "NULL::DATE"
    con.execute("DELETE FROM reporters WHERE domain = ?", [domain.id])
    con.execute(
        f"""INSERT INTO reporters
        SELECT ?, CAST(reporter_id AS VARCHAR), CAST(name AS VARCHAR), CAST(industry AS VARCHAR),
               lower(CAST(size_class AS VARCHAR)),
               lower(CAST(platform AS VARCHAR)) IN ('true', '1', 'yes', 'y', 't'),
               {vf}, {vt}
        FROM {src}""",
        [domain.id],
    )
    bad = one(
        con,
        "SELECT reporter_id, size_class FROM reporters WHERE domain = ? AND size_class NOT IN "
        f"({', '.join(repr(s) for s in SIZE_CLASSES)}) LIMIT 1",
        [domain.id],
    )
    if bad:
        raise InputError(
            f"{reporters}: reporter {bad[0]} has size_class {bad[1]!r}; "
            f"use one of {', '.join(SIZE_CLASSES)}"
        )
    src = _reader(rates)
    cols = _columns(con, src, rates)
    _require(cols, RATE_COLUMNS, rates, "exchange rates")
    con.execute("DELETE FROM rates")
    con.execute(
        f"""INSERT INTO rates
        SELECT upper(CAST(currency AS VARCHAR)), CAST(period AS VARCHAR),
               CAST(CAST(per_usd AS DECIMAL(18, 6)) * 1000000 AS HUGEINT)
        FROM {src} WHERE TRY_CAST(per_usd AS DOUBLE) > 0"""
    )


def _period_sql(domain: Domain) -> tuple[str, str]:
    """SQL expressions (base period label, base period index) for a text ``period``."""
    y = "TRY_CAST(substr(period, 1, 4) AS INTEGER)"
    month = (
        "CASE WHEN regexp_full_match(period, '\\d{4}-\\d{2}(-\\d{2})?') "
        "THEN TRY_CAST(substr(period, 6, 2) AS INTEGER) "
        "WHEN regexp_full_match(period, '\\d{4}Q[1-4]') "
        "THEN (CAST(substr(period, 6, 1) AS INTEGER) - 1) * 3 + 1 "
        "WHEN regexp_full_match(period, '\\d{4}H[12]') "
        "THEN (CAST(substr(period, 6, 1) AS INTEGER) - 1) * 6 + 1 "
        + ("WHEN regexp_full_match(period, '\\d{4}') THEN 1 " if domain.base_frequency == "A" else "")
        + "END"
    )
    n = {"A": 1, "H": 2, "Q": 4}[domain.base_frequency]
    sub = f"(({month}) - 1) * {n} // 12 + 1"
    label = (
        f"CAST({y} AS VARCHAR)"
        if n == 1
        else f"CAST({y} AS VARCHAR) || '{domain.base_frequency}' || CAST({sub} AS VARCHAR)"
    )
    valid = f"({month}) BETWEEN 1 AND 12"
    return f"CASE WHEN {valid} THEN {label} END", f"CASE WHEN {valid} THEN {y} * {n} + {sub} - 1 END"


def load_records(
    con: duckdb.DuckDBPyConnection, domain: Domain, paths: list[Path]
) -> IngestReport:
    """Validate the record files and load them; reporters and rates must be loaded first."""
    report = IngestReport(domain.id, [str(p) for p in paths])
    con.execute("DELETE FROM records WHERE domain = ?", [domain.id])
    con.execute("DELETE FROM quarantine WHERE domain = ?", [domain.id])
    con.execute("CREATE OR REPLACE TEMP TABLE stg (file VARCHAR, row_no BIGINT, record_id VARCHAR, "
                "reporter_id VARCHAR, period VARCHAR, flow VARCHAR, partner VARCHAR, item VARCHAR, "
                "amount VARCHAR, currency VARCHAR, note VARCHAR)")
    for path in paths:
        src = _reader(path)
        cols = _columns(con, src, path)
        _require(cols, RECORD_COLUMNS, path, "transaction records")
        note = "CAST(note AS VARCHAR)" if "note" in cols else "NULL"
        fields = ", ".join(f"trim(CAST({c} AS VARCHAR))" for c in RECORD_COLUMNS)
        con.execute(
            f"INSERT INTO stg SELECT ?, row_number() OVER (), {fields}, {note} FROM {src}",
            [str(path)],
        )
    label_sql, index_sql = _period_sql(domain)
    first, last = domain.first_period.index, domain.last_period.index
    items = [c for c in domain.item_codelist.leaves()]
    partners = [c for c in domain.partner_codelist.leaves()]
    con.execute("CREATE OR REPLACE TEMP TABLE valid_items AS SELECT unnest(?) AS code", [items])
    con.execute("CREATE OR REPLACE TEMP TABLE valid_partners AS SELECT unnest(?) AS code", [partners])
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk AS
        SELECT s.*, {label_sql} AS base_period, {index_sql} AS base_index,
               TRY_CAST(amount AS DECIMAL(18, 2)) AS amt,
               count(*) OVER (PARTITION BY record_id) AS dup_n,
               row_number() OVER (PARTITION BY record_id ORDER BY file, row_no) AS dup_k
        FROM stg s"""
    )
    # One row per reporter version valid at the start of the record's base period.
    per = {"A": 1, "H": 2, "Q": 4}[domain.base_frequency]
    per = {"A": 1, "H": 2, "Q": 4}[domain.base_frequency]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk2 AS
        WITH c AS (
            SELECT chk.*, make_date(CAST(base_index // {per} AS INTEGER),
                   CAST((base_index % {per}) * {12 // per} + 1 AS INTEGER), 1) AS start_date
            FROM chk),
        known AS (SELECT reporter_id, count(*) AS n FROM reporters WHERE domain = ? GROUP BY 1)
        SELECT c.*, r.industry, r.size_class, r.platform,
               count(r.reporter_id) OVER (PARTITION BY c.file, c.row_no) AS reporter_n,
               coalesce(k.n, 0) AS reporter_known,
               coalesce(q.per_usd, y.per_usd, CASE WHEN upper(c.currency) = 'USD' THEN 1000000 END)
                   AS per_usd_micro
        FROM c
        LEFT JOIN known k ON k.reporter_id = c.reporter_id
        LEFT JOIN reporters r ON r.domain = ? AND r.reporter_id = c.reporter_id
             AND (r.valid_from IS NULL OR r.valid_from <= c.start_date)
             AND (r.valid_to IS NULL OR r.valid_to >= c.start_date)
        LEFT JOIN rates q ON q.currency = upper(c.currency) AND q.period = c.base_period
        LEFT JOIN rates y ON y.currency = upper(c.currency) AND y.period = substr(c.base_period, 1, 4)""",
        [domain.id, domain.id],
    )
    rules = [
        ("record_id", "required", "record_id IS NULL OR record_id = ''"),
        ("record_id", "unique", "dup_n > 1 AND dup_k > 1"),
        ("reporter_id", "required", "reporter_id IS NULL OR reporter_id = ''"),
        ("period", "period_format", "base_index IS NULL"),
        ("period", "period_range", f"base_index IS NOT NULL AND (base_index < {first} OR base_index > {last})"),
        ("flow", "flow_code", "flow IS NULL OR upper(flow) NOT IN ('X', 'M')"),
        ("partner", "partner_code", "partner IS NULL OR upper(partner) NOT IN (SELECT code FROM valid_partners)"),
        ("item", "item_code", "item IS NULL OR item NOT IN (SELECT code FROM valid_items)"),
        ("amount", "amount_numeric", "amt IS NULL"),
        ("amount", "amount_nonzero", "amt = 0"),
        ("amount", "amount_negative", "amt < 0 AND coalesce(lower(note), '') NOT LIKE '%reversal%'"),
        ("currency", "exchange_rate", "per_usd_micro IS NULL"),
        ("reporter_id", "reporter_registered", "reporter_known = 0 AND reporter_id <> ''"),
        ("reporter_id", "reporter_valid", "reporter_known > 0 AND reporter_n = 0 AND base_index IS NOT NULL"),
        ("reporter_id", "reporter_ambiguous", "reporter_n > 1"),
    ]
    for fld, rule, cond in rules:
        con.execute(
            f"""INSERT INTO quarantine
            SELECT DISTINCT ?, file, row_no, ?, CAST({fld} AS VARCHAR), ?, record_id FROM chk2 WHERE {cond}""",
            [domain.id, fld, rule],
        )
    con.execute(
        """INSERT INTO records
        SELECT DISTINCT ON (c.file, c.row_no) ?, c.file, c.row_no, c.record_id, c.reporter_id,
               c.base_period, c.base_index, upper(c.flow), upper(c.partner), c.item,
               upper(c.currency), CAST(c.amt * 100 AS HUGEINT), c.per_usd_micro,
               c.industry, c.size_class, c.platform
        FROM chk2 c ANTI JOIN (SELECT file, row_no FROM quarantine WHERE domain = ?) q
             ON c.file = q.file AND c.row_no = q.row_no""",
        [domain.id, domain.id],
    )
    report.rows_in = count(con, "SELECT count(*) FROM stg")
    report.accepted = count(con, "SELECT count(*) FROM records WHERE domain = ?", [domain.id])
    report.quarantined = count(
        con, "SELECT count(DISTINCT (file, row_no)) FROM quarantine WHERE domain = ?", [domain.id]
    )
    report.by_rule = dict(
        con.execute(
            "SELECT rule, count(*) FROM quarantine WHERE domain = ? GROUP BY rule ORDER BY rule",
            [domain.id],
        ).fetchall()
    )
    if not report.reconciles:
        raise InputError(
            f"ingest of {domain.id} does not reconcile: {report.rows_in} rows in, "
            f"{report.accepted} accepted, {report.quarantined} quarantined"
        )
    return report
