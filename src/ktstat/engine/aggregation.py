"""The base aggregation, defined once for every engine.

:func:`base_aggregation_sql` gives the query that turns accepted records and the business
register into reporter cells (one row per reporter x base period x flow x item x partner, with
the reporter's classification attributes from the register version valid at the record's
reference date): amounts are summed per currency in ten-thousandths (exact integers), each
per-currency sum converted once with its period's rate to micro-dollars (rounded half away from
zero), then summed across currencies. The query's shape (joins, groups, columns) is written here
only; an engine supplies, as a :class:`Dialect`, where the two inputs come from and the exact
integer arithmetic of its SQL (DuckDB's 128-bit integers, Spark's DECIMAL(38, 0)).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """An engine's SQL for the parts of the aggregation that differ between engines.

    ``records``, ``reporters``: the two inputs (a table, a subquery or a placeholder) with the
    columns of the store's ``records`` and ``reporters`` tables; ``to_micro``: the conversion of
    a per-currency sum ``minor`` (ten-thousandths of the currency) at ``per_usd`` (micro-units
    per US dollar) to micro-dollars, exact; ``money`` and ``count``: the result types of the
    summed micro-dollars and record counts (``{}`` stands for the expression)."""

    records: str
    reporters: str
    to_micro: str
    money: str = "{}"
    count: str = "{}"


CELL_COLUMNS = (
    "domain, reporter_id, period, period_index, flow, item, partner, industry, size_class, platform, "
    "amount_usd_micro, records"
)
"""The reporter cells' columns, in the order of the store's ``reporter_cells`` table."""


def base_aggregation_sql(d: Dialect) -> str:
    """The base aggregation in dialect ``d`` (see the module docstring); gives
    :data:`CELL_COLUMNS`."""
    return f"""
WITH by_currency AS (
    SELECT a.domain, a.reporter_id, a.period, a.period_index, a.flow, a.item, a.partner, r.industry, r.size_class,
           r.platform, a.currency, a.per_usd, sum(a.amount_minor) AS minor, count(*) AS n
    FROM {d.records} a
    JOIN {d.reporters} r ON r.domain = a.domain AND r.reporter_id = a.reporter_id
         AND (r.valid_from IS NULL OR r.valid_from <= a.ref_date) AND (r.valid_to IS NULL OR r.valid_to >= a.ref_date)
    GROUP BY ALL
)
SELECT domain, reporter_id, period, period_index, flow, item, partner, industry, size_class, platform,
       {d.money.format(f"sum({d.to_micro})")} AS amount_usd_micro, {d.count.format("sum(n)")} AS records
FROM by_currency
GROUP BY ALL
"""
