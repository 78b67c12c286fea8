"""Withhold every indicator that shows or would reveal a suppressed cell.

An indicator of a cell is withheld (status ``C``, no value) when it uses a suppressed flow of
the cell: exports-based measures use X, imports-based ones M, and balance, volume and ratio
both (publishing the balance next to exports would give imports back). Changes, growth rates
and contributions also use the comparison period's cell, and shares and contributions the
total's. Ranks are withheld for suppressed cells; the rank of a published cell does not
reveal a value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.indicators import measure_names, split_measure
from ktstat.periods import PER_YEAR

if TYPE_CHECKING:
    import duckdb


def apply_to_indicators(con: duckdb.DuckDBPyConnection, domain: Domain) -> int:
    """Withhold indicators of suppressed cells (table ``disclosure``); returns rows withheld."""
    periods = [(str(p), p.freq, p.index) for f in domain.frequencies for p in domain.periods(f)]
    con.execute("CREATE OR REPLACE TEMP TABLE sdc_per (period VARCHAR, freq VARCHAR, pidx INTEGER)")
    con.executemany("INSERT INTO sdc_per VALUES (?, ?, ?)", periods)
    mdefs = {(m, *split_measure(m)) for f in domain.frequencies for m in measure_names(f)}
    con.execute("CREATE OR REPLACE TEMP TABLE sdc_mdef (measure VARCHAR, base VARCHAR, kind VARCHAR, yoy BOOLEAN)")
    con.executemany("INSERT INTO sdc_mdef VALUES (?, ?, ?, ?)", sorted(mdefs))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE sdc_flag AS
        SELECT p.freq, p.pidx, d.breakdown, d.item, bool_or(d.flow = 'X') AS xc, bool_or(d.flow = 'M') AS mc
        FROM disclosure d JOIN sdc_per p ON p.period = d.period
        WHERE d.domain = ? AND d.rule <> '' GROUP BY ALL""",
        [domain.id],
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
        LEFT JOIN sdc_flag tv ON tv.freq = p.freq AND tv.breakdown = 'total'
             AND tv.pidx = p.pidx - CASE WHEN m.yoy THEN CASE p.freq {lag} END ELSE 1 END
        WHERE i.domain = ? AND (
            {bad("c")}
            OR (m.kind IN ('change', 'growth', 'contribution') AND {bad("v")})
            OR (m.kind IN ('share', 'contribution') AND {bad("t")})
            OR (m.kind = 'contribution' AND {bad("tv")}))""",
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
    return int(n)
