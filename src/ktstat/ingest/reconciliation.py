"""Reconciliation: a file's rows and amounts counted three ways (read, accepted, quarantined)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ktstat.ingest.report import FileReport
from ktstat.store import count

if TYPE_CHECKING:
    import duckdb


def _units(minor: int) -> Decimal:
    """Ten-thousandths of a currency unit as an exact Decimal with 4 decimals (as DuckDB gives a
    DECIMAL(38, 4))."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10000)
    return Decimal(f"{sign}{whole}.{frac:04d}")


def _file_report(con: duckdb.DuckDBPyConnection, rep: FileReport, batch_id: int, amt: str) -> None:
    """Count the file's rows and amounts three ways, each from its own source: all rows read
    (``stg``), the accepted rows as stored (``records``) and the quarantined rows (``fails``)."""
    bad_lines = count(
        con, "SELECT count(DISTINCT row_no) FROM quarantine WHERE batch_id = ? AND rule = 'csv_syntax'", [batch_id]
    )
    rep.rows_in = count(con, "SELECT count(*) FROM stg") + bad_lines
    rep.accepted = count(con, "SELECT count(*) FROM records WHERE batch_id = ?", [batch_id])
    rep.quarantined = count(con, "SELECT count(DISTINCT row_no) FROM quarantine WHERE batch_id = ?", [batch_id])
    rep.review = count(con, "SELECT count(DISTINCT row_no) FROM review WHERE batch_id = ?", [batch_id])
    rep.by_rule = dict(
        con.execute(
            "SELECT rule, count(DISTINCT row_no) FROM quarantine WHERE batch_id = ? GROUP BY rule ORDER BY rule",
            [batch_id],
        ).fetchall()
    )
    amounts_in = dict(
        con.execute(
            f"SELECT upper(currency), sum(a) FROM (SELECT currency, {amt} AS a FROM stg) WHERE a IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    accepted = dict(
        con.execute(
            "SELECT currency, sum(amount_minor) FROM records"
            " WHERE batch_id = ? AND amount_minor IS NOT NULL GROUP BY 1",
            [batch_id],
        ).fetchall()
    )
    quarantined = dict(
        con.execute(
            """SELECT upper(currency), sum(amt) FROM (SELECT DISTINCT row_no, currency, amt FROM fails
                                                  WHERE f.severity = 'quarantine')
        WHERE amt IS NOT NULL GROUP BY 1"""
        ).fetchall()
    )
    zero = Decimal("0.0000")
    keys = sorted({*amounts_in, *accepted, *quarantined}, key=lambda k: (k is None, k or ""))
    rep.amounts = {
        cur: {
            "in": Decimal(amounts_in.get(cur, zero)),
            "accepted": _units(int(accepted[cur])) if cur in accepted else zero,
            "quarantined": Decimal(quarantined.get(cur, zero)),
        }
        for cur in keys
    }
