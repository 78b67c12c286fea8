"""Validation: the domain's rules (:mod:`ktstat.ingest.rules`) applied to the staged rows:
quarantine, review flags and the accepted records."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat.domain import SHARED_CODELISTS, Domain
from ktstat.errors import InputError, KtstatError
from ktstat.ingest.contracts import OPTIONAL_COLUMNS, RECORD_COLUMNS, Progress
from ktstat.ingest.rules import load_rules
from ktstat.periods import PER_YEAR

if TYPE_CHECKING:
    import duckdb


def _ref_date_sql(domain: Domain) -> str:
    """SQL for the reference date of a text ``period`` (NULL when unreadable): the date itself
    (a date or a timestamp), else the first day of the month, quarter or (annual programmes)
    year."""
    annual = domain.base_frequency == "A"
    return (
        "CASE WHEN regexp_full_match(period, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN TRY_CAST(period AS DATE) "
        "WHEN regexp_full_match(period, '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?') "
        "THEN CAST(TRY_CAST(replace(period, 'T', ' ') AS TIMESTAMP) AS DATE) "
        "WHEN regexp_full_match(period, '[0-9]{4}-[0-9]{2}') THEN TRY_CAST(period || '-01' AS DATE) "
        "WHEN regexp_full_match(period, '[0-9]{4}Q[1-4]') THEN make_date(CAST(substr(period, 1, 4) AS INTEGER), "
        "(CAST(substr(period, 6, 1) AS INTEGER) - 1) * 3 + 1, 1) "
        + (
            "WHEN regexp_full_match(period, '[0-9]{4}') THEN make_date(TRY_CAST(period AS INTEGER), 1, 1) "
            if annual
            else ""
        )
        + "END"
    )


def _currencies() -> list[tuple[str, int]]:
    """ISO 4217 codes with their minor units (decimals)."""
    with (SHARED_CODELISTS / "currencies.csv").open(encoding="utf-8", newline="") as f:
        return [(r["code"], int(r["minor_units"] or 4)) for r in csv.DictReader(f)]


def _check(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    batch_id: int,
    path: Path,
    amount_sql: tuple[str, str],
    say: Progress,
) -> None:
    """Apply the domain's rules to ``stg``: quarantine, review flags, accepted records.

    Set-based, in a few passes over ``stg`` and no copy of it: small lookup tables first (each
    distinct period's reference date and base period, the register versions valid for each
    reporter and date, the rows of duplicated record ids with their occurrence, the record ids
    of active batches, each reporter's median amount), then view ``chk`` (every row with the
    columns the rules read, see ``rules/records.toml``) gives the rules' failures in one pass
    (table ``fails``, the failing rows only), and the rows without a quarantining failure go to
    ``records`` in one ``INSERT ... SELECT``."""
    _, rules = load_rules(domain)
    now = dt.date.today()
    n = PER_YEAR[domain.base_frequency]
    today_index = now.year * n + (now.month - 1) * n // 12
    amt, decimals = amount_sql
    con.execute(
        "CREATE OR REPLACE TEMP TABLE valid_items AS SELECT unnest(?::VARCHAR[]) AS code",
        [domain.item_codelist.leaves()],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE valid_partners AS SELECT unnest(?::VARCHAR[]) AS code",
        [domain.partner_codelist.leaves()],
    )
    currencies = _currencies()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE valid_currencies AS SELECT unnest(?::VARCHAR[]) AS code, "
        "unnest(?::INTEGER[]) AS minor_units",
        [[c for c, _ in currencies], [m for _, m in currencies]],
    )
    per = PER_YEAR[domain.base_frequency]
    # one pass for the distinct keys the lookups need: (period, currency), (reporter, period), (item, partner)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE chk_keys AS
        SELECT reporter_id, period, currency, item, partner, GROUPING(reporter_id, period, currency, item, partner) AS g
        FROM stg GROUP BY GROUPING SETS ((period, currency), (reporter_id, period), (item, partner))"""
    )
    pc, rp, ip = 0b10011, 0b00111, 0b11100  # GROUPING() of each set: a bit per column left out, first highest
    # per (period, currency): the reference date, base period and index, the rate, the currency's minor units
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_pc AS
        WITH p0 AS (SELECT period, currency, {_ref_date_sql(domain)} AS ref_date FROM chk_keys WHERE g = {pc}),
        p1 AS (SELECT *, year(ref_date) * {per} + (month(ref_date) - 1) * {per} // 12 AS base_index FROM p0),
        p2 AS (SELECT *, CASE WHEN base_index IS NULL THEN NULL WHEN {per} = 1 THEN CAST(base_index AS VARCHAR)
                              ELSE CAST(base_index // {per} AS VARCHAR) || '{domain.base_frequency}'
                                   || CAST(base_index % {per} + 1 AS VARCHAR) END AS base_period FROM p1)
        SELECT p2.*, coalesce(q.per_usd, y.per_usd, CASE WHEN upper(p2.currency) = 'USD' THEN 1000000 END) AS per_usd,
               vc.code IS NOT NULL AS currency_ok, coalesce(vc.minor_units, 4) AS minor_units
        FROM p2
        LEFT JOIN rates q ON q.currency = upper(p2.currency) AND q.period = p2.base_period
        LEFT JOIN rates y ON y.currency = upper(p2.currency) AND y.period = substr(p2.base_period, 1, 4)
        LEFT JOIN valid_currencies vc ON vc.code = upper(p2.currency)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_ip AS
        SELECT item, partner, item IN (SELECT code FROM valid_items) AS item_ok,
               upper(partner) IN (SELECT code FROM valid_partners) AS partner_ok
        FROM chk_keys WHERE g = {ip}"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE chk_prior AS SELECT DISTINCT r.record_id FROM records r "
        "JOIN batches b USING (batch_id) WHERE r.domain = ? AND b.status = 'active'",
        [domain.id],
    )
    # occurrence of each row's record id within the file (dup_k), kept for repeated ids only
    con.execute(
        """CREATE OR REPLACE TEMP TABLE chk_dups AS
        SELECT s.row_no, row_number() OVER (PARTITION BY s.record_id ORDER BY s.row_no) AS dup_k
        FROM stg s SEMI JOIN (SELECT record_id FROM stg GROUP BY record_id HAVING count(*) > 1) d
             ON s.record_id IS NOT DISTINCT FROM d.record_id"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW chk_base AS
        SELECT st.*, p.ref_date, p.base_index, p.base_period, {amt.replace("amount", "st.amount")} AS amt,
               {decimals.replace("amount", "st.amount")} AS decimals, p.per_usd, p.currency_ok, p.minor_units
        FROM stg st
        LEFT JOIN chk_pc p ON p.period IS NOT DISTINCT FROM st.period AND p.currency IS NOT DISTINCT FROM st.currency"""
    )
    # per (reporter, period): register versions known and valid at the reference date, the median amount
    con.execute(
        """CREATE OR REPLACE TEMP TABLE chk_median AS
        SELECT reporter_id, median(usd_abs) AS reporter_median
        FROM (SELECT reporter_id, abs(amt) * 1e6 / per_usd AS usd_abs FROM chk_base)
        WHERE usd_abs IS NOT NULL GROUP BY 1"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_rp AS
        WITH keys AS (SELECT k.reporter_id, k.period, p.ref_date
                      FROM (SELECT reporter_id, period FROM chk_keys WHERE g = {rp}) k
                      LEFT JOIN (SELECT DISTINCT period, ref_date FROM chk_pc) p ON p.period = k.period),
        versions AS (
            SELECT k.reporter_id, k.ref_date, count(r.reporter_id) AS reporter_n
            FROM (SELECT DISTINCT reporter_id, ref_date FROM keys WHERE ref_date IS NOT NULL) k
            LEFT JOIN reporters r ON r.domain = ? AND r.reporter_id = k.reporter_id
                 AND (r.valid_from IS NULL OR r.valid_from <= k.ref_date)
                 AND (r.valid_to IS NULL OR r.valid_to >= k.ref_date)
            GROUP BY 1, 2),
        known AS (SELECT reporter_id, count(*) AS n FROM reporters WHERE domain = ? GROUP BY 1)
        SELECT k.reporter_id, k.period, coalesce(kn.n, 0) AS reporter_known, coalesce(v.reporter_n, 0) AS reporter_n,
               md.reporter_median
        FROM keys k
        LEFT JOIN versions v ON v.reporter_id = k.reporter_id AND v.ref_date = k.ref_date
        LEFT JOIN known kn ON kn.reporter_id = k.reporter_id
        LEFT JOIN chk_median md ON md.reporter_id = k.reporter_id""",
        [domain.id, domain.id],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW chk AS
        SELECT b.*, coalesce(d.dup_k, 1) AS dup_k,
               {domain.first_period.index} AS first_index, {domain.last_period.index} AS last_index,
               {today_index} AS today_index, i.item_ok, i.partner_ok,
               pr.record_id IS NOT NULL AS seen_before, r.reporter_known, r.reporter_n,
               abs(b.amt) * 1e6 / b.per_usd AS usd_abs, r.reporter_median
        FROM chk_base b
        LEFT JOIN chk_rp r ON r.reporter_id IS NOT DISTINCT FROM b.reporter_id
             AND r.period IS NOT DISTINCT FROM b.period
        LEFT JOIN chk_ip i ON i.item IS NOT DISTINCT FROM b.item AND i.partner IS NOT DISTINCT FROM b.partner
        LEFT JOIN chk_dups d ON d.row_no = b.row_no
        LEFT JOIN chk_prior pr ON pr.record_id = b.record_id"""
    )
    checks = []
    params: list[Any] = []
    for r in rules:
        value = f"CAST({r.field} AS VARCHAR)" if r.field in (*RECORD_COLUMNS, *OPTIONAL_COLUMNS) else "NULL"
        checks.append(
            f"CASE WHEN coalesce(({r.when}), false) THEN struct_pack(field := ?::VARCHAR, value := {value}, "
            "rule := ?::VARCHAR, message := ?::VARCHAR, severity := ?::VARCHAR) END"
        )
        params += [r.field, r.name, r.message, r.severity]
    # the rows breaking some rule are found first (plain conditions); only they get their list
    broken = " OR ".join(f"coalesce(({r.when}), false)" for r in rules) or "false"
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE fails AS
            SELECT row_no, record_id, reporter_id, period, flow, partner, item, amount, currency, note, amt,
                   unnest(list_filter([{", ".join(checks)}], lambda x: x IS NOT NULL)) AS f
            FROM (SELECT * FROM chk WHERE {broken})""",
            params,
        )
    except Exception as e:  # noqa: BLE001 - a broken rule is the rules file's fault
        raise InputError(f"the validation rules cannot be applied: {str(e).splitlines()[0]}") from None
    for target, severity in (("quarantine", "quarantine"), ("review", "review")):
        con.execute(
            f"""INSERT INTO {target} SELECT ?, ?, ?, row_no, f.field, f.value, f.rule, f.message, record_id
            FROM fails WHERE f.severity = ?""",
            [domain.id, batch_id, str(path), severity],
        )
    con.execute(
        """INSERT INTO quarantined_rows
        SELECT DISTINCT ?, ?, ?, row_no, record_id, reporter_id, period, flow, partner, item, amount, currency, note,
               NULL
        FROM fails WHERE f.severity = 'quarantine'""",
        [domain.id, batch_id, str(path)],
    )
    syntax_ids = (
        "(SELECT * FROM syntax_ids)"
        if con.execute("SELECT 1 FROM duckdb_tables() WHERE temporary AND table_name = 'syntax_ids'").fetchall()
        else "(SELECT NULL::BIGINT AS row_no, NULL AS record_id, NULL AS reporter_id LIMIT 0)"
    )
    con.execute(
        f"""INSERT INTO quarantined_rows (domain, batch_id, file, row_no, record_id, reporter_id, line)
        SELECT q.domain, q.batch_id, q.file, q.row_no, s.record_id, s.reporter_id, q.value
        FROM quarantine q LEFT JOIN {syntax_ids} s ON s.row_no = q.row_no
        WHERE q.batch_id = ? AND q.rule = 'csv_syntax'""",
        [batch_id],
    )
    say(f"{domain.id}: storing the accepted records of {path.name}")
    con.execute(
        """INSERT INTO records
        SELECT ?, ?, ?, c.row_no, c.record_id, c.reporter_id, c.base_period, c.base_index, c.ref_date,
               upper(c.flow), upper(c.partner), c.item, upper(c.currency), CAST(c.amt * 10000 AS HUGEINT), c.per_usd,
               c.note
        FROM chk_base c ANTI JOIN (SELECT row_no FROM quarantine WHERE batch_id = ?) q ON c.row_no = q.row_no""",
        [domain.id, batch_id, str(path), batch_id],
    )


def _check_file(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    batch_id: int,
    path: Path,
    amount_sql: tuple[str, str],
    say: Progress,
) -> None:
    """:func:`_check`; a Parquet file is read during it, so a file whose data (not only its
    header) cannot be read is reported as such."""
    import duckdb

    if path.suffix.lower() != ".parquet":
        _check(con, domain, batch_id, path, amount_sql, say)
        return
    try:
        _check(con, domain, batch_id, path, amount_sql, say)
    except duckdb.OutOfMemoryException as e:  # not the file's fault: say what to change here
        raise KtstatError(
            f"{path}: out of memory while validating ({str(e).splitlines()[0]}); raise "
            "KTSTAT_MEMORY_LIMIT or free disk space for DuckDB to spill to"
        ) from None
    except duckdb.Error as e:
        raise InputError(f"{path}: cannot be read as Parquet ({str(e).splitlines()[0]}); send it again") from None
