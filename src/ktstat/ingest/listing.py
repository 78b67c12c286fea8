"""Reading back what ingest stored: batches and quarantined rows (for the CLI and users)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat.errors import InputError

if TYPE_CHECKING:
    import duckdb

QUARANTINE_SQL = """
SELECT q.domain, q.batch_id, q.file AS source_file, q.row_no AS source_row,
       CAST(q.batch_id AS VARCHAR) || ':' || CAST(q.row_no AS VARCHAR) AS row,
       r.record_id, r.reporter_id, r.period, r.flow, r.partner, r.item, r.amount, r.currency, r.note,
       string_agg(q.rule || CASE WHEN coalesce(q.field, '') <> '' THEN ' (' || q.field || ')' ELSE '' END
                  || ': ' || q.message, '; ' ORDER BY q.rule) AS reasons,
       string_agg(DISTINCT CASE WHEN q.rule <> 'csv_syntax' AND q.field <> ''
                  THEN q.field || ' = ' || coalesce(chr(39) || q.value || chr(39), 'empty') END, '; ') AS bad_values,
       any_value(r.line) AS unparsed_line,
       any_value(res.how) AS resolved_how, any_value(res.by_batch) AS resolved_by_batch,
       any_value(res.by_row) AS resolved_by_row, any_value(res.reason) AS resolved_reason,
       any_value(strftime(res.resolved_at, '%Y-%m-%d %H:%M')) AS resolved_at
FROM quarantine q
JOIN quarantined_rows r ON r.batch_id = q.batch_id AND r.row_no = q.row_no
JOIN batches b ON b.batch_id = q.batch_id
LEFT JOIN (SELECT x.* FROM quarantine_resolved x LEFT JOIN batches xb ON xb.batch_id = x.by_batch
           WHERE x.by_batch IS NULL OR xb.status = 'active') res
     ON res.batch_id = q.batch_id AND res.row_no = q.row_no
WHERE b.status = 'active' {where}
GROUP BY ALL ORDER BY q.batch_id, q.row_no
"""


def _resolved_table(con: duckdb.DuckDBPyConnection) -> None:
    """A store written before resolutions existed has no table for them: an empty stand-in."""
    from ktstat.store import has_table

    if not has_table(con, "quarantine_resolved"):
        con.execute(
            "CREATE OR REPLACE TEMP TABLE quarantine_resolved (domain VARCHAR, batch_id INTEGER, "
            "row_no BIGINT, resolved_at TIMESTAMPTZ, how VARCHAR, by_batch INTEGER, by_row BIGINT, "
            "reason VARCHAR)"
        )


def quarantined(
    con: duckdb.DuckDBPyConnection,
    domain: str | None = None,
    batch: int | None = None,
    rule: str | None = None,
    include_resolved: bool = False,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Quarantined rows of active batches, one per input row with all its reasons and bad values:
    the open ones (not resolved by a later accepted record of the same reporter and record id, nor
    by hand), or with ``include_resolved`` every one with how it was resolved."""
    _resolved_table(con)
    where: list[str] = []
    params: list[Any] = []
    if domain:
        where.append("q.domain = ?")
        params.append(domain)
    if batch is not None:
        where.append("q.batch_id = ?")
        params.append(batch)
    if rule:
        where.append("q.row_no IN (SELECT row_no FROM quarantine q2 WHERE q2.batch_id = q.batch_id AND q2.rule = ?)")
        params.append(rule)
    if not include_resolved:
        where.append("res.batch_id IS NULL")
    sql = QUARANTINE_SQL.format(where="".join(f" AND {w}" for w in where))
    res = con.execute(sql, params)
    cols = [d[0] for d in res.description]
    return cols, res.fetchall()


def resolution(row: dict[str, Any]) -> str:
    """How a listed row was resolved, in words ("" when open)."""
    if row.get("resolved_how") is None:
        return ""
    if row["resolved_how"] == "corrected":
        return f"corrected by batch {row['resolved_by_batch']} row {row['resolved_by_row']}"
    return f"by hand ({row['resolved_at']}): {row['resolved_reason']}"


def summary(con: duckdb.DuckDBPyConnection, domain: str | None = None) -> dict[str, int]:
    """Counts that reconcile: rows in = accepted + quarantined (active batches), and the
    quarantined = open + resolved by a later record + resolved by hand."""
    _resolved_table(con)
    where = " AND domain = ?" if domain else ""
    params = [domain] if domain else []
    rows_in, accepted, quarantined_n = con.execute(
        "SELECT coalesce(sum(rows_in), 0), coalesce(sum(accepted), 0), coalesce(sum(quarantined), 0) "
        f"FROM batches WHERE status = 'active'{where}",
        params,
    ).fetchall()[0]
    cols, rows = quarantined(con, domain, include_resolved=True)
    how = [r[cols.index("resolved_how")] for r in rows]
    return {
        "rows_in": int(rows_in),
        "accepted": int(accepted),
        "quarantined": int(quarantined_n),
        "open": how.count(None),
        "corrected": how.count("corrected"),
        "by_hand": how.count("by hand"),
    }


def resolve(con: duckdb.DuckDBPyConnection, rows: list[str], reason: str) -> int:
    """Mark quarantined rows resolved by hand (``BATCH:ROW`` each, as the listing shows them), with
    the reason; all or none. Returns how many."""
    from ktstat.errors import KtstatError

    if not reason or not reason.strip():
        raise InputError("say why with --reason (kept with the resolution)")
    _resolved_table(con)
    keys: list[tuple[int, int]] = []
    for text in rows:
        b, sep, r = text.partition(":")
        if not sep or not b.strip().isdigit() or not r.strip().isdigit():
            raise InputError(f"{text!r}: name a row as BATCH:ROW, as `ktstat quarantine` lists it (e.g. 3:17)")
        keys.append((int(b), int(r)))
    _, open_rows = quarantined(con)
    _, all_rows = quarantined(con, include_resolved=True)
    open_keys = {(int(x[1]), int(x[3])) for x in open_rows}
    known = {(int(x[1]), int(x[3])) for x in all_rows}
    for kb, kr in keys:
        if (kb, kr) not in known:
            raise KtstatError(
                f"{kb}:{kr}: no quarantined row {kr} in an active batch {kb}; `ktstat quarantine` lists them"
            )
        if (kb, kr) not in open_keys:
            raise KtstatError(f"{kb}:{kr} is already resolved; `ktstat quarantine --all` shows how")
    con.execute("BEGIN TRANSACTION")
    try:
        for kb, kr in sorted(set(keys)):
            con.execute(
                "INSERT INTO quarantine_resolved SELECT domain, batch_id, ?, now(), 'by hand', NULL, NULL, ? "
                "FROM batches WHERE batch_id = ?",
                [kr, reason.strip(), kb],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(set(keys))


def export_quarantine(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    domain: str | None = None,
    batch: int | None = None,
    rule: str | None = None,
) -> int:
    """Write quarantined rows as CSV in the records contract (plus source and reasons columns),
    ready to be corrected and ingested again; returns the number of rows."""
    import csv

    if path.suffix.lower() != ".csv":
        raise InputError(f"{path}: export the quarantine as .csv")
    cols, rows = quarantined(con, domain, batch, rule)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        order = [
            "record_id",
            "reporter_id",
            "period",
            "flow",
            "partner",
            "item",
            "amount",
            "currency",
            "note",
            "reasons",
            "source_file",
            "source_row",
            "batch_id",
            "unparsed_line",
        ]
        idx = [cols.index(c) for c in order]
        w.writerow(order)
        for r in rows:
            w.writerow([r[i] for i in idx])
    return len(rows)


def batches(con: duckdb.DuckDBPyConnection, domain: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    sql = (
        "SELECT batch_id, domain, status, file, submitter, "
        "strftime(received_at, '%Y-%m-%d %H:%M:%S%z') AS received_at, rows_in, accepted, quarantined, supersedes, "
        "left(sha256, 12) AS sha256 FROM batches" + (" WHERE domain = ?" if domain else "") + " ORDER BY batch_id"
    )
    res = con.execute(sql, [domain] if domain else [])
    return [d[0] for d in res.description], res.fetchall()


def review_flags(con: duckdb.DuckDBPyConnection, domain: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Accepted rows flagged for review (plausibility), of active batches."""
    sql = (
        "SELECT v.batch_id, v.file, v.row_no, v.record_id, v.rule, v.message, v.value FROM review v "
        "JOIN batches b ON b.batch_id = v.batch_id WHERE b.status = 'active'"
        + (" AND v.domain = ?" if domain else "")
        + " ORDER BY v.batch_id, v.row_no"
    )
    res = con.execute(sql, [domain] if domain else [])
    return [d[0] for d in res.description], res.fetchall()
