"""Engine: the base aggregation, the one pass over the full micro-data.

``base_aggregation`` turns the accepted records of a domain's active batches into
the reporter-cell table (``reporter_cells``): one row per reporter x base period x flow x item x
partner, with the reporter's classification attributes from the business register version
valid at the record's reference date (so corrections to the register reach the statistics
at the next compile), the amount in micro-dollars. Amounts are summed per currency in
ten-thousandths (exact integers), then converted once with the period's average rate,
rounding half away from zero to the micro-dollar, then summed across currencies: no floating point touches money.

The aggregation runs in DuckDB (engine ``duckdb``, the default) or on Spark (engine ``spark``
or ``spark:URL``, see :mod:`ktstat.engine_spark`), with the same rows either way; everything
after it (cube, indicators, disclosure control) runs in DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.errors import InputError
from ktstat.store import count

if TYPE_CHECKING:
    import duckdb


def _to_micro_usd(m: str, p: str) -> str:
    """SQL: ``round(m * 10**8 / p)`` half away from zero, exactly, for integers m >= 0 and p > 0
    (ten-thousandths of a currency unit and micro-units per US dollar give micro-dollars)."""
    return f"({m} * 100000000 + {p} // 2) // {p}"


def _to_micro_usd_bigint(m: str, p: str) -> str:
    """The same as :func:`_to_micro_usd` in 64-bit integers for 0 <= m <= 9e18 and
    1 <= p <= 9e10: with m = q * p + r, round(m * 10**8 / p) = q * 10**8 + round(r * 10**8 / p),
    and r * 10**8 + p // 2 < p * 10**8 <= 9e18 fits (HUGEINT division is ten times slower)."""
    mb, pb = f"CAST({m} AS BIGINT)", f"CAST({p} AS BIGINT)"
    return f"(CAST({mb} // {pb} AS HUGEINT) * 100000000 + ({mb} % {pb} * 100000000 + {pb} // 2) // {pb})"


# the conversion of a per-currency sum (``minor``) at its rate (``per_usd``), sign-symmetric
TO_MICRO_USD = f"""CASE WHEN minor BETWEEN -9000000000000000000 AND 9000000000000000000
         AND per_usd BETWEEN 1 AND 90000000000
    THEN (CASE WHEN minor >= 0 THEN {_to_micro_usd_bigint("minor", "per_usd")}
               ELSE -{_to_micro_usd_bigint("-minor", "per_usd")} END)
    ELSE (CASE WHEN minor >= 0 THEN {_to_micro_usd("minor", "per_usd")}
               ELSE -({_to_micro_usd("-minor", "per_usd")}) END) END"""

BASE_AGGREGATION = f"""
WITH active AS (
    SELECT * FROM records
    WHERE domain = ? AND batch_id IN (SELECT batch_id FROM batches WHERE status = 'active')
),
by_currency AS (
    SELECT a.domain, a.reporter_id, a.period, a.period_index, a.flow, a.item, a.partner, r.industry, r.size_class,
           r.platform, a.currency, a.per_usd, sum(a.amount_minor) AS minor, count(*) AS n
    FROM active a
    JOIN reporters r ON r.domain = a.domain AND r.reporter_id = a.reporter_id
         AND (r.valid_from IS NULL OR r.valid_from <= a.ref_date) AND (r.valid_to IS NULL OR r.valid_to >= a.ref_date)
    GROUP BY ALL
)
SELECT domain, reporter_id, period, period_index, flow, item, partner, industry, size_class,
       platform, sum({TO_MICRO_USD}) AS amount_usd_micro, sum(n) AS records
FROM by_currency
GROUP BY ALL
"""


ENGINES = ("duckdb", "spark")


def parse_engine(engine: str) -> tuple[str, str | None]:
    """Split an engine name into (engine, Spark URL): ``duckdb`` -> ("duckdb", None), ``spark`` ->
    ("spark", None) (the URL then comes from ``$KTSTAT_SPARK``, else ``local[2]``), ``spark:URL``
    -> ("spark", URL) with a master URL (``local[4]``, ``spark://host:7077``) or a Spark Connect
    URL (``sc://host:15002``). Raises :class:`InputError` for anything else."""
    name, sep, url = engine.strip().partition(":")
    name = name.lower()
    if name == "duckdb" and not sep:
        return "duckdb", None
    if name == "spark" and (not sep or url.strip()):
        return "spark", url.strip() or None
    raise InputError(
        f"unknown engine {engine!r}; use duckdb, spark or spark:URL (e.g. spark:local[4], spark:sc://host:15002)"
    )


def base_aggregation(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    engine: str = "duckdb",
    progress: Callable[[str], None] | None = None,
) -> int:
    """Rebuild the domain's reporter-cell table; returns its row count. ``engine``: where the
    aggregation runs (see :func:`parse_engine`); the rows are the same either way."""
    name, url = parse_engine(engine)
    if name == "spark":
        from ktstat.engine_spark import base_aggregation_spark

        return base_aggregation_spark(con, domain, url=url, progress=progress)
    con.execute("DELETE FROM reporter_cells WHERE domain = ?", [domain.id])
    con.execute(f"INSERT INTO reporter_cells {BASE_AGGREGATION}", [domain.id])
    return count(con, "SELECT count(*) FROM reporter_cells WHERE domain = ?", [domain.id])
