"""Cube: every declared breakdown and cross, at every period level, from the reporter cells.

For each breakdown (``total``, each single breakdown, each declared cross ``a+b``) and each
frequency (the base frequency and every published one), ``build_cube`` writes one row per
period x item x flow to table ``cube``: the amount in micro-dollars (exact), the number of
reporters, and the two largest reporters' amounts (for disclosure control). Only complete
periods are formed (a year needs all its quarters within the domain's range). Items of a
cross are joined with ``+`` in the order the cross is declared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ktstat.classify import KEYS, build_memberships
from ktstat.domain import Domain
from ktstat.periods import ORDER
from ktstat.store import count

if TYPE_CHECKING:
    import duckdb


def cube_frequencies(domain: Domain) -> list[str]:
    freqs = {domain.base_frequency, *domain.frequencies}
    return sorted(freqs, key=lambda f: ORDER[f])


def build_period_map(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Temp table ``pmap(base_index, freq, period, period_index)``: the periods the data cover.

    A base period exists when some record falls in it; a coarser period (half-year, year) only
    when all its base periods exist, so a year is never formed from part of its quarters and a
    period nobody reported is absent (its comparisons then have status N)."""
    present = {int(r[0]) for r in con.execute(
        "SELECT DISTINCT period_index FROM reporter_cells WHERE domain = ?", [domain.id]).fetchall()}
    rows = []
    for f in cube_frequencies(domain):
        for p in domain.periods(f):
            subs = p.subperiods(domain.base_frequency)
            if not all(s.index in present for s in subs):
                continue
            for s in subs:
                rows.append((s.index, f, str(p), p.index))
    con.execute("CREATE OR REPLACE TEMP TABLE pmap (base_index INTEGER, freq VARCHAR, "
                "period VARCHAR, period_index INTEGER)")
    con.executemany("INSERT INTO pmap VALUES (?, ?, ?, ?)", rows)


def _breakdown_sql(domain: Domain, name: str) -> str:
    parts = [] if name == "total" else name.split("+")
    joins, codes, grps = [], [], []
    for i, part in enumerate(parts):
        b = domain.breakdowns[part]
        keys = KEYS[b.source]
        cond = " AND ".join(
            f"m{i}.key{k + 1} IS NOT DISTINCT FROM rc.{col}" for k, col in enumerate(keys)
        )
        joins.append(f"JOIN m_{part} m{i} ON {cond}")
        codes.append(f"m{i}.code")
        grps.append(f"CAST(m{i}.grp AS VARCHAR)")
    item = " || '+' || ".join(codes) if codes else "'all'"
    grp = (grps[0] if len(grps) == 1 else "''") if grps else "''"
    return f"""
    WITH per_reporter AS (
        SELECT pm.freq, pm.period, pm.period_index, rc.flow, {item} AS item, {grp} AS rank_group,
               rc.reporter_id, sum(rc.amount_usd_micro) AS amt
        FROM reporter_cells rc
        JOIN pmap pm ON pm.base_index = rc.period_index
        {' '.join(joins)}
        WHERE rc.domain = '{domain.id}'
        GROUP BY ALL
    )
    SELECT '{domain.id}', freq, period, period_index, '{name}', item, flow, sum(amt),
           count(*), max(amt), coalesce(max(amt, 2)[2], 0), rank_group
    FROM per_reporter GROUP BY ALL"""


def build_cube(con: duckdb.DuckDBPyConnection, domain: Domain) -> int:
    """Rebuild the domain's cube from ``reporter_cells``; returns its row count."""
    build_memberships(con, domain)
    build_period_map(con, domain)
    con.execute("DELETE FROM cube WHERE domain = ?", [domain.id])
    for name in domain.breakdown_names():
        con.execute(f"INSERT INTO cube {_breakdown_sql(domain, name)}")
    return count(con, "SELECT count(*) FROM cube WHERE domain = ?", [domain.id])
