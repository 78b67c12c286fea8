"""Reading back what ingest stored: batches and quarantined rows (for the CLI and users)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat.errors import InputError

if TYPE_CHECKING:
    import duckdb

QUARANTINE_SQL = """
SELECT q.domain, q.batch_id, q.file AS source_file, q.row_no AS source_row,
       r.record_id, r.reporter_id, r.period, r.flow, r.partner, r.item, r.amount, r.currency, r.note,
       string_agg(q.rule || ' (' || q.field || '): ' || q.message, '; ' ORDER BY q.rule) AS reasons,
       any_value(r.line) AS unparsed_line
FROM quarantine q
JOIN quarantined_rows r ON r.batch_id = q.batch_id AND r.row_no = q.row_no
JOIN batches b ON b.batch_id = q.batch_id
WHERE b.status = 'active' {where}
  -- a row whose record was accepted in a later active batch (fixed and sent again) is resolved
  AND NOT EXISTS (SELECT 1 FROM records a JOIN batches ab ON ab.batch_id = a.batch_id
                  WHERE ab.status = 'active' AND a.domain = q.domain AND a.record_id = r.record_id
                    AND a.batch_id > q.batch_id)
GROUP BY ALL ORDER BY q.batch_id, q.row_no
"""


def quarantined(con: duckdb.DuckDBPyConnection, domain: str | None = None, batch: int | None = None,
                rule: str | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Quarantined rows of active batches not yet resolved (accepted in a later batch), one
    per input row with all its reasons."""
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
    sql = QUARANTINE_SQL.format(where="".join(f" AND {w}" for w in where))
    res = con.execute(sql, params)
    cols = [d[0] for d in res.description]
    return cols, res.fetchall()


def export_quarantine(con: duckdb.DuckDBPyConnection, path: Path, domain: str | None = None,
                      batch: int | None = None, rule: str | None = None) -> int:
    """Write quarantined rows as CSV in the records contract (plus source and reasons columns),
    ready to be corrected and ingested again; returns the number of rows."""
    import csv

    if path.suffix.lower() != ".csv":
        raise InputError(f"{path}: export the quarantine as .csv")
    cols, rows = quarantined(con, domain, batch, rule)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        order = ["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency", "note",
                 "reasons", "source_file", "source_row", "batch_id", "unparsed_line"]
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
    sql = ("SELECT v.batch_id, v.file, v.row_no, v.record_id, v.rule, v.message, v.value FROM review v "
           "JOIN batches b ON b.batch_id = v.batch_id WHERE b.status = 'active'"
           + (" AND v.domain = ?" if domain else "") + " ORDER BY v.batch_id, v.row_no")
    res = con.execute(sql, [domain] if domain else [])
    return [d[0] for d in res.description], res.fetchall()
