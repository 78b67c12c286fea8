"""Withhold every indicator that shows or would reveal a suppressed cell.

An indicator of a cell is withheld (status ``C``, no value) when it uses a suppressed flow of
the cell: exports-based measures use X, imports-based ones M, and balance, volume and ratio
both (publishing the balance next to exports would give imports back). Changes, growth rates
and contributions also use the comparison period's cell, and shares and contributions the
total's. Record flags compare a cell with its whole past, so they are withheld from the
first suppressed period of the cell on.

Ranks are withheld for suppressed cells, and the ranks of published cells are recounted
among the published cells of their group only: a rank counted among all cells would give a
suppressed cell's value away between those of its published neighbours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.indicators import RANK, measure_names, split_measure
from ktstat.periods import PER_YEAR
from ktstat.store import insert_rows

if TYPE_CHECKING:
    import duckdb


def apply_to_indicators(con: duckdb.DuckDBPyConnection, domain: Domain) -> int:
    """Withhold indicators of suppressed cells (table ``disclosure``); returns rows withheld."""
    periods = [(str(p), p.freq, p.index) for f in domain.frequencies for p in domain.periods(f)]
    con.execute("CREATE OR REPLACE TEMP TABLE sdc_per (period VARCHAR, freq VARCHAR, pidx INTEGER)")
    insert_rows(con, "sdc_per", periods)
    mdefs = {(m, *split_measure(m)) for f in domain.frequencies for m in measure_names(f)}
    con.execute("CREATE OR REPLACE TEMP TABLE sdc_mdef (measure VARCHAR, base VARCHAR, kind VARCHAR, yoy BOOLEAN)")
    insert_rows(con, "sdc_mdef", sorted(mdefs))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sdc_flag AS
        SELECT p.freq, p.pidx, d.breakdown, d.item, bool_or(d.flow = 'X') AS xc, bool_or(d.flow = 'M') AS mc
        FROM disclosure d JOIN sdc_per p ON p.period = d.period
        WHERE d.domain = ? AND d.rule <> '' GROUP BY ALL""",
        [domain.id],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sdc_first AS
        SELECT freq, breakdown, item, min(pidx) FILTER (WHERE xc) AS fx, min(pidx) FILTER (WHERE mc) AS fm
        FROM sdc_flag GROUP BY ALL"""
    )
    per_year = {f: PER_YEAR[f] for f in domain.frequencies}
    lag = " ".join(f"WHEN '{f}' THEN {n}" for f, n in per_year.items())

    def bad(alias: str) -> str:
        return (
            f"((m.base IN ('exports', 'balance', 'volume', 'ratio') AND coalesce({alias}.xc, false)) OR "
            f"(m.base IN ('imports', 'balance', 'volume', 'ratio') AND coalesce({alias}.mc, false)))"
        )

    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sdc_withhold AS
        SELECT i.period, i.breakdown, i.item, i.measure
        FROM indicators i
        JOIN sdc_per p ON p.period = i.period
        JOIN sdc_mdef m ON m.measure = i.measure
        LEFT JOIN sdc_flag c ON c.freq = p.freq AND c.pidx = p.pidx AND c.breakdown = i.breakdown AND c.item = i.item
        LEFT JOIN sdc_flag v ON v.freq = p.freq AND v.breakdown = i.breakdown AND v.item = i.item
             AND v.pidx = p.pidx - CASE WHEN m.yoy THEN CASE p.freq {lag} END ELSE 1 END
        LEFT JOIN sdc_flag t ON t.freq = p.freq AND t.pidx = p.pidx AND t.breakdown = 'total'
        LEFT JOIN sdc_first f ON f.freq = p.freq AND f.breakdown = i.breakdown AND f.item = i.item
        LEFT JOIN sdc_flag tv ON tv.freq = p.freq AND tv.breakdown = 'total'
             AND tv.pidx = p.pidx - CASE WHEN m.yoy THEN CASE p.freq {lag} END ELSE 1 END
        WHERE i.domain = ? AND (
            {bad("c")}
            OR (m.kind IN ('change', 'growth', 'contribution') AND {bad("v")})
            OR (m.kind IN ('share', 'contribution') AND {bad("t")})
            OR (m.kind = 'contribution' AND {bad("tv")})
            OR (m.kind IN ('record', 'record_low') AND (
                (m.base IN ('exports', 'balance', 'volume') AND f.fx <= p.pidx) OR
                (m.base IN ('imports', 'balance', 'volume') AND f.fm <= p.pidx))))""",
        [domain.id],
    )
    n = con.execute("SELECT count(*) FROM sdc_withhold").fetchall()[0][0]
    con.execute(
        """UPDATE indicators SET value = NULL, status = 'C'
        FROM sdc_withhold w
        WHERE indicators.domain = ? AND indicators.period = w.period AND indicators.breakdown = w.breakdown
          AND indicators.item = w.item AND indicators.measure = w.measure""",
        [domain.id],
    )
    _rerank(con, domain)
    return int(n)


def _rerank(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Recount the ranks of published cells among the published cells of their group, in every
    (period, breakdown, rank group) where a cell's rank was withheld."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sdc_groups AS
        SELECT DISTINCT breakdown, item, rank_group FROM cube WHERE domain = ?""",
        [domain.id],
    )
    for base in RANK:
        positive = "m.value > 0" if base == "ratio" else "true"  # ratios rank only where imports > 0
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE sdc_rerank AS
            WITH cells AS (
                SELECT r.period, r.breakdown, r.item, g.rank_group, r.status = 'C' AS hidden, b.value AS v,
                       {positive} AS rankable
                FROM indicators r
                JOIN indicators b ON b.domain = r.domain AND b.period = r.period AND b.breakdown = r.breakdown
                     AND b.item = r.item AND b.measure = '{base}'
                LEFT JOIN indicators m ON m.domain = r.domain AND m.period = r.period AND m.breakdown = r.breakdown
                     AND m.item = r.item AND m.measure = 'imports'
                LEFT JOIN sdc_groups g ON g.breakdown = r.breakdown AND g.item = r.item
                WHERE r.domain = ? AND r.measure = '{base}_rank'),
            ranked AS (
                SELECT *, bool_or(hidden) OVER (PARTITION BY period, breakdown, rank_group) AS touched,
                       rank() OVER (PARTITION BY period, breakdown, rank_group, hidden, rankable ORDER BY v DESC) AS r
                FROM cells)
            SELECT period, breakdown, item, r FROM ranked WHERE touched AND NOT hidden AND rankable""",
            [domain.id],
        )
        con.execute(
            f"""UPDATE indicators SET value = x.r FROM sdc_rerank x
            WHERE indicators.domain = ? AND indicators.measure = '{base}_rank' AND indicators.period = x.period
              AND indicators.breakdown = x.breakdown AND indicators.item = x.item""",
            [domain.id],
        )
