"""Publication outputs built from the store (for now: the indicators table as files)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ktstat.errors import InputError
from ktstat.store import count

if TYPE_CHECKING:
    import duckdb

ORDER = "domain, breakdown, item, period, measure"


def write_indicators(con: duckdb.DuckDBPyConnection, path: Path, domain: str | None = None) -> int:
    """Write the indicators table (one domain, or all) to CSV or Parquet; returns rows."""
    where = "WHERE domain = ?" if domain else ""
    params = [domain] if domain else []
    sql = f"SELECT domain, period, breakdown, item, measure, value, status FROM indicators {where} ORDER BY {ORDER}"
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    target = str(path).replace("'", "''")
    if suffix == ".csv":
        con.execute(f"COPY ({sql}) TO '{target}' (HEADER, DELIMITER ',')", params)
    elif suffix == ".parquet":
        con.execute(f"COPY ({sql}) TO '{target}' (FORMAT parquet)", params)
    else:
        raise InputError(f"{path}: write indicators as .csv or .parquet")
    return count(con, f"SELECT count(*) FROM indicators {where}", list(params))
