"""Engine: the base aggregation, the one pass over the full micro-data.

``base_aggregation`` turns the accepted records of a domain's active batches into
the reporter-cell table (``reporter_cells``): one row per reporter x base period x flow x item x
partner, with the reporter's classification attributes from the business register version
valid at the record's reference date (so corrections to the register reach the statistics
at the next compile), the amount in micro-dollars. Amounts are summed per currency in
ten-thousandths (exact integers), then converted once with the period's average rate,
rounding half away from zero to the micro-dollar, then summed across currencies: no floating point touches money.

The query is written once (:mod:`ktstat.engine.aggregation`), each engine giving its dialect of
the exact arithmetic. Engines are registered by name (:data:`REGISTRY`, each an :class:`Engine`):
DuckDB (``duckdb``, the default, in the store's connection) and Spark (``spark`` or
``spark:URL``, :mod:`ktstat.engine.spark`), with the same rows either way; everything after it
(cube, indicators, disclosure control) runs in DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ktstat.domain import Domain
from ktstat.engine.aggregation import Dialect, base_aggregation_sql
from ktstat.errors import InputError
from ktstat.store import count

if TYPE_CHECKING:
    import duckdb

Progress = Callable[[str], None]


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

DUCKDB = Dialect(
    records="(SELECT * FROM records WHERE domain = ? "
    "AND batch_id IN (SELECT batch_id FROM batches WHERE status = 'active'))",
    reporters="reporters",
    to_micro=TO_MICRO_USD,
)
BASE_AGGREGATION = base_aggregation_sql(DUCKDB)
"""The base aggregation in DuckDB over the store (parameter: the domain), active batches only."""


class Engine(Protocol):
    """Where the base aggregation runs. ``takes_url``: whether ``name:URL`` is accepted;
    ``aggregate`` rebuilds the domain's ``reporter_cells`` in the store from its records of
    active batches and register (same rows on every engine) and returns their number."""

    name: str
    takes_url: bool

    def aggregate(
        self, con: duckdb.DuckDBPyConnection, domain: Domain, url: str | None, progress: Progress | None
    ) -> int: ...


class DuckDBEngine:
    """The store's own engine: :data:`BASE_AGGREGATION` in the store's connection."""

    name = "duckdb"
    takes_url = False

    def aggregate(
        self, con: duckdb.DuckDBPyConnection, domain: Domain, url: str | None, progress: Progress | None
    ) -> int:
        con.execute("DELETE FROM reporter_cells WHERE domain = ?", [domain.id])
        con.execute(f"INSERT INTO reporter_cells {BASE_AGGREGATION}", [domain.id])
        return count(con, "SELECT count(*) FROM reporter_cells WHERE domain = ?", [domain.id])


class SparkEngine:
    """Spark (:mod:`ktstat.engine.spark`: the records exported to Parquet, aggregated by Spark
    in :data:`ktstat.engine.spark.SPARK` dialect, the cells loaded back); ``url`` a master or
    Spark Connect URL."""

    name = "spark"
    takes_url = True

    def aggregate(
        self, con: duckdb.DuckDBPyConnection, domain: Domain, url: str | None, progress: Progress | None
    ) -> int:
        from ktstat.engine.spark import base_aggregation_spark

        return base_aggregation_spark(con, domain, url=url, progress=progress)


REGISTRY: dict[str, Engine] = {e.name: e for e in (DuckDBEngine(), SparkEngine())}
"""The engines by name; a new engine is a class with :class:`Engine`'s members, added here."""
ENGINES = tuple(REGISTRY)


def parse_engine(engine: str) -> tuple[str, str | None]:
    """Split an engine name into (engine, URL): ``duckdb`` -> ("duckdb", None), ``spark`` ->
    ("spark", None) (the URL then comes from ``$KTSTAT_SPARK``, else ``local[2]``), ``spark:URL``
    -> ("spark", URL) with a master URL (``local[4]``, ``spark://host:7077``) or a Spark Connect
    URL (``sc://host:15002``); a URL only for engines that take one (:data:`REGISTRY`). Raises
    :class:`InputError` for anything else."""
    name, sep, url = engine.strip().partition(":")
    name = name.lower()
    found = REGISTRY.get(name)
    if found is not None and (not sep or (found.takes_url and url.strip())):
        return name, url.strip() or None
    raise InputError(
        f"unknown engine {engine!r}; use duckdb, spark or spark:URL (e.g. spark:local[4], spark:sc://host:15002)"
    )


def base_aggregation(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    engine: str = "duckdb",
    progress: Progress | None = None,
) -> int:
    """Rebuild the domain's reporter-cell table; returns its row count. ``engine``: where the
    aggregation runs (see :func:`parse_engine`); the rows are the same either way."""
    name, url = parse_engine(engine)
    return REGISTRY[name].aggregate(con, domain, url, progress)
