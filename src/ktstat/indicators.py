"""Indicators: every measure (README.md, "The indicators table") for every cube cell, as a tidy table.

Input: table ``cube`` of a domain. Output rows ``domain, period, breakdown, item, measure,
value, status`` in table ``indicators``. Units: US dollars for money (``exports``,
``imports``, ``balance``, ``volume``, their ``_change``), percent for ``_growth``,
``_share`` and ``_contribution``, a plain number for ``ratio``, integers for ``_rank``, 0/1
for ``_record`` flags. Comparisons are with the previous period of the same frequency;
sub-annual periods also get ``_yoy`` variants (same period a year earlier).

Status: ``N`` (value empty) when a measure is not meaningful: no comparison period, a
growth on a non-positive base, a ratio or share on a zero or negative base, a contribution
when the total did not change; ``P`` in provisional periods; ``A`` otherwise. Every item of
a breakdown seen in any period of a frequency is present in every period of it (zero when
nothing was reported).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.periods import PER_YEAR
from ktstat.store import count

if TYPE_CHECKING:
    import duckdb

LEVELS = ("exports", "imports", "balance", "volume")
CHANGE = ("exports", "imports", "balance", "volume", "ratio")
GROWTH = ("exports", "imports", "volume")
SHARE = ("exports", "imports", "volume")
RANK = ("exports", "imports", "balance", "volume", "ratio")
RECORD = ("exports", "imports", "balance", "volume")


def measure_names(freq: str) -> list[str]:
    """The measures computed for a frequency, in output order."""
    out = [*LEVELS, "ratio"]
    suffixes = [""] if freq == "A" else ["", "_yoy"]
    for s in suffixes:
        out += [f"{m}_change{s}" for m in CHANGE]
        out += [f"{m}_growth{s}" for m in GROWTH]
        out += [f"{m}_contribution{s}" for m in GROWTH]
    out += [f"{m}_share" for m in SHARE]
    out += [f"{m}_rank" for m in RANK]
    out += [f"{m}_record" for m in RECORD] + ["balance_record_low"]
    return out


def split_measure(measure: str) -> tuple[str, str, bool]:
    """``exports_growth_yoy`` -> (``exports``, ``growth``, True); ``ratio`` -> (``ratio``, ``level``, False)."""
    yoy = measure.endswith("_yoy")
    m = measure[:-4] if yoy else measure
    if m == "balance_record_low":
        return "balance", "record_low", yoy
    for kind in ("growth", "change", "contribution", "share", "rank", "record"):
        if m.endswith("_" + kind):
            return m[: -len(kind) - 1], kind, yoy
    return m, "level", yoy


def _exprs(freq: str) -> dict[str, str]:
    """SQL for each measure over the wide table ``w`` (NULL = not meaningful)."""
    e: dict[str, str] = {
        "exports": "x",
        "imports": "m",
        "balance": "x - m",
        "volume": "x + m",
        "ratio": "CASE WHEN m > 0 THEN x / m END",
    }
    for s, p in [("", "p")] if freq == "A" else [("", "p"), ("_yoy", "y")]:
        prev = {
            "exports": f"{p}x",
            "imports": f"{p}m",
            "balance": f"{p}x - {p}m",
            "volume": f"{p}x + {p}m",
            "ratio": f"CASE WHEN {p}m > 0 THEN {p}x / {p}m END",
        }
        tot_prev = {"exports": f"t{p}x", "imports": f"t{p}m", "volume": f"t{p}x + t{p}m"}
        tot = {"exports": "tx", "imports": "tm", "volume": "tx + tm"}
        for mm in CHANGE:
            e[f"{mm}_change{s}"] = f"CASE WHEN has_{p} THEN ({e[mm]}) - ({prev[mm]}) END"
        for mm in GROWTH:
            e[f"{mm}_growth{s}"] = (
                f"CASE WHEN has_{p} AND ({prev[mm]}) > 0 THEN 100 * (({e[mm]}) / ({prev[mm]}) - 1) END"
            )
            e[f"{mm}_contribution{s}"] = (
                f"CASE WHEN has_{p} AND ({tot[mm]}) <> ({tot_prev[mm]}) THEN "
                f"100 * (({e[mm]}) - ({prev[mm]})) / (({tot[mm]}) - ({tot_prev[mm]})) END"
            )
    for mm in SHARE:
        t = {"exports": "tx", "imports": "tm", "volume": "tx + tm"}[mm]
        e[f"{mm}_share"] = f"CASE WHEN ({t}) > 0 THEN 100 * ({e[mm]}) / ({t}) END"
    for mm in RANK:
        e[f"{mm}_rank"] = f"r_{mm}"
    exact = {"exports": "xi", "imports": "mi", "balance": "xi - mi", "volume": "xi + mi"}
    for mm in RECORD:
        e[f"{mm}_record"] = f"CASE WHEN max_{mm} IS NULL OR ({exact[mm]}) >= max_{mm} THEN 1 ELSE 0 END"
    e["balance_record_low"] = "CASE WHEN min_balance IS NULL OR (xi - mi) <= min_balance THEN 1 ELSE 0 END"
    return e


def _wide_sql(domain: Domain, freq: str) -> str:
    per_year = PER_YEAR[freq]
    # ranks and record flags compare exact micro-dollar integers: equal amounts tie exactly
    lv = {"exports": "xi", "imports": "mi", "balance": "xi - mi", "volume": "xi + mi"}
    ranks = ",\n".join(
        f"CASE WHEN {'m > 0' if mm == 'ratio' else 'true'} THEN rank() OVER (PARTITION BY period, breakdown, "
        f"rank_group, {'m > 0' if mm == 'ratio' else 'true'} ORDER BY "
        f"{'CAST(xi AS DOUBLE) / nullif(CAST(mi AS DOUBLE), 0)' if mm == 'ratio' else lv[mm]} DESC) END AS r_{mm}"
        for mm in RANK
    )
    records = ",\n".join(
        f"max({lv[mm]}) OVER (PARTITION BY breakdown, item ORDER BY period_index "
        f"ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS max_{mm}"
        for mm in RECORD
    )
    return f"""
    WITH cells AS (
        SELECT breakdown, item, any_value(rank_group) AS rank_group FROM cube
        WHERE domain = '{domain.id}' AND freq = '{freq}' GROUP BY ALL),
    periods AS (SELECT DISTINCT period, period_index FROM pmap WHERE freq = '{freq}'),
    lv AS (
        SELECT c.breakdown, c.item, c.rank_group, p.period, p.period_index,
            CAST(coalesce(sum(CASE WHEN k.flow = 'X' THEN k.amount_usd_micro END), 0) AS HUGEINT) AS xi,
            CAST(coalesce(sum(CASE WHEN k.flow = 'M' THEN k.amount_usd_micro END), 0) AS HUGEINT) AS mi
        FROM cells c CROSS JOIN periods p
        LEFT JOIN cube k ON k.domain = '{domain.id}' AND k.freq = '{freq}' AND k.breakdown = c.breakdown
             AND k.item = c.item AND k.period = p.period
        GROUP BY ALL),
    lv1 AS (SELECT *, {micro_double_sql("xi")} AS x, {micro_double_sql("mi")} AS m FROM lv),
    lv2 AS (
        SELECT l.*, t.x AS tx, t.m AS tm FROM lv1 l
        JOIN lv1 t ON t.breakdown = 'total' AND t.period_index = l.period_index),
    lv3 AS (
        SELECT lv2.*,
        {ranks},
        {records},
        min(xi - mi) OVER (PARTITION BY breakdown, item ORDER BY period_index
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS min_balance
        FROM lv2)
    SELECT a.*,
        p.period IS NOT NULL AS has_p, coalesce(p.x, 0) AS px, coalesce(p.m, 0) AS pm,
        coalesce(p.tx, 0) AS tpx, coalesce(p.tm, 0) AS tpm,
        y.period IS NOT NULL AS has_y, coalesce(y.x, 0) AS yx, coalesce(y.m, 0) AS ym,
        coalesce(y.tx, 0) AS tyx, coalesce(y.tm, 0) AS tym,
        coalesce(p.xi, 0) AS pxi, coalesce(p.mi, 0) AS pmi, coalesce(y.xi, 0) AS yxi, coalesce(y.mi, 0) AS ymi
    FROM lv3 a
    LEFT JOIN lv2 p ON p.breakdown = a.breakdown AND p.item = a.item AND p.period_index = a.period_index - 1
    LEFT JOIN lv2 y ON y.breakdown = a.breakdown AND y.item = a.item AND y.period_index = a.period_index - {per_year}
    """


def _money_ints(freq: str) -> dict[str, str]:
    """SQL over ``w`` of each money measure as an exact HUGEINT of micro-dollars (NULL when not
    meaningful, as its DOUBLE value)."""
    lv = {"exports": "xi", "imports": "mi", "balance": "(xi - mi)", "volume": "(xi + mi)"}
    out = {m: f"CAST({e} AS HUGEINT)" for m, e in lv.items()}
    for s, p in [("", "p")] if freq == "A" else [("", "p"), ("_yoy", "y")]:
        prev = {"exports": f"{p}xi", "imports": f"{p}mi", "balance": f"({p}xi - {p}mi)", "volume": f"({p}xi + {p}mi)"}
        for m, e in lv.items():
            out[f"{m}_change{s}"] = f"CAST(CASE WHEN has_{p} THEN {e} - {prev[m]} END AS HUGEINT)"
    return out


def micro_double_sql(e: str) -> str:
    """SQL: the DOUBLE nearest to the exact dollars of micro-dollars ``e`` (a HUGEINT), through
    the decimal text (one correct rounding; dividing a double by 1e6 would round twice)."""
    return (
        f"CAST(CASE WHEN {e} < 0 THEN '-' ELSE '' END || CAST(abs({e}) // 1000000 AS VARCHAR) || '.' "
        f"|| lpad(CAST(abs({e}) % 1000000 AS VARCHAR), 6, '0') AS DOUBLE)"
    )


def build_indicators(con: duckdb.DuckDBPyConnection, domain: Domain) -> int:
    """Rebuild the domain's indicators from ``cube`` (needs ``pmap``); returns the row count."""
    con.execute("DELETE FROM indicators WHERE domain = ?", [domain.id])
    con.execute("DELETE FROM indicator_micro WHERE domain = ?", [domain.id])
    provisional = sorted(domain.provisional_periods()) or [""]
    plist = ", ".join(f"'{p}'" for p in provisional)
    for freq in domain.frequencies:
        con.execute(f"CREATE OR REPLACE TEMP TABLE w AS {_wide_sql(domain, freq)}")
        exprs = _exprs(freq)
        money = _money_ints(freq)
        # money values: the doubles nearest to their exact micro-dollars (kept too, in indicator_micro)
        exprs.update({name: micro_double_sql(e) for name, e in money.items()})
        # one row of w gives one row per measure: each measure a column of one pass, then unpivoted
        names = measure_names(freq)
        wide = ", ".join(f'CAST({exprs[name]} AS DOUBLE) AS "{name}"' for name in names)
        con.execute(
            f"""INSERT INTO indicators
            SELECT '{domain.id}', period, breakdown, item, measure, value,
                   CASE WHEN value IS NULL THEN 'N' WHEN period IN ({plist}) THEN 'P' ELSE 'A' END
            FROM (SELECT period, breakdown, item, {wide} FROM w)
            UNPIVOT INCLUDE NULLS (value FOR measure IN ({", ".join(f'"{n}"' for n in names)}))"""
        )
        # the money measures in exact micro-dollars, for the published files (ktstat.publish.exact)
        micro = ", ".join(f'CAST({e} AS HUGEINT) AS "{name}"' for name, e in money.items())
        con.execute(
            f"""INSERT INTO indicator_micro
            SELECT '{domain.id}', period, breakdown, item, measure, micro
            FROM (SELECT period, breakdown, item, {micro} FROM w)
            UNPIVOT INCLUDE NULLS (micro FOR measure IN ({", ".join(f'"{n}"' for n in money)}))"""
        )
    return count(con, "SELECT count(*) FROM indicators WHERE domain = ?", [domain.id])
