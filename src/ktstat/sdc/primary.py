"""Primary suppression rules, evaluated on the cube's per-cell reporter statistics.

For a cell with total ``x`` (micro-dollars), ``n`` reporters and largest contributions
``t1 >= t2``: the threshold rule fires when ``n < min_reporters``; the (n, k) dominance rule
(n = 1 or 2) when the n largest hold more than k % of ``x``; the p % rule when
``x - t1 - t2 < p/100 * t1`` (the second largest could estimate the largest to within p %).
Cells nobody reported (absent from the cube) are true zeros and not confidential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ktstat.domain import Disclosure, Domain
from ktstat.errors import DomainError

if TYPE_CHECKING:
    import duckdb


def primary_sql(domain: Domain) -> str:
    """SQL selecting the domain's published cube cells with the primary rule that fires."""
    d = domain.disclosure
    if d.dominance_n not in (1, 2):
        raise DomainError(f"{domain.id}: dominance_n must be 1 or 2 (the cube keeps the two largest reporters)")
    top = "top1_micro" if d.dominance_n == 1 else "(top1_micro + top2_micro)"
    freqs = ", ".join(f"'{f}'" for f in domain.frequencies)
    return f"""
        SELECT domain, freq, period, period_index, breakdown, item, flow, reporters, amount_usd_micro AS amount,
            CASE WHEN reporters < {d.min_reporters} THEN 'threshold'
                 WHEN amount_usd_micro > 0 AND {top} * 100 > {d.dominance_k} * amount_usd_micro THEN 'dominance'
                 WHEN amount_usd_micro > 0 AND (amount_usd_micro - top1_micro - top2_micro) * 100
                      < {d.p_percent} * top1_micro THEN 'p_percent'
                 ELSE '' END AS rule
        FROM cube WHERE domain = '{domain.id}' AND freq IN ({freqs})"""


def primary_condition(d: Disclosure, amount: str, reporters: str, top1: str, top2: str) -> str:
    """SQL true for a cell some primary rule makes confidential (the tests of ``primary_sql``),
    over the given column expressions."""
    top = top1 if d.dominance_n == 1 else f"({top1} + {top2})"
    return (
        f"({reporters} < {d.min_reporters} OR ({amount} > 0 AND {top} * 100 > {d.dominance_k} * {amount}) "
        f"OR ({amount} > 0 AND ({amount} - {top1} - {top2}) * 100 < {d.p_percent} * {top1}))"
    )


def primary_cells(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """(Re)create temp table ``sdc_cells`` with every published cube cell and its primary rule."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE sdc_cells AS {primary_sql(domain)}")


def primary_rule(reporters: int, value: int, top1: int, top2: int, rules: Disclosure) -> str:
    """The primary rule firing for one cell (the same tests, in the same order, as ``primary_sql``)."""
    top = top1 if rules.dominance_n == 1 else top1 + top2
    if reporters < rules.min_reporters:
        return "threshold"
    if value > 0 and top * 100 > rules.dominance_k * value:
        return "dominance"
    if value > 0 and (value - top1 - top2) * 100 < rules.p_percent * top1:
        return "p_percent"
    return ""
