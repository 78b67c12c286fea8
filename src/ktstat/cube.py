"""Cube: every declared breakdown and cross, at every period level, from the reporter cells.

For each breakdown (``total``, each single breakdown, each declared cross ``a+b``) and each
frequency (the base frequency and every published one), ``build_cube`` writes one row per
period x item x flow to table ``cube``: the amount in micro-dollars (exact), the number of
reporters, and the two largest reporters' amounts (for disclosure control). Only complete
periods are formed (a year needs all its quarters within the domain's range). Items of a
cross are joined with ``+`` in the order the cross is declared.

How (the same rows as summing each reporter's cells per period of every frequency directly,
in fewer and smaller passes): reporters are numbered once; the reporter cells are summed per
reporter x base period x flow x the columns a breakdown's codes depend on (one temp table per
set of columns, shared by the breakdowns that need it, each made from a wider one when there
is one); a breakdown's codes are joined to that
and summed per reporter, base period, flow and item; each coarser frequency is then summed
from the next finer one (quarters to half-years to years), so no row is repeated per
frequency; the cells of each level come from its per-reporter sums.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ktstat.classify import KEYS, build_memberships
from ktstat.domain import Domain
from ktstat.periods import ORDER
from ktstat.store import count, insert_rows

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
    present = {
        int(r[0])
        for r in con.execute(
            "SELECT DISTINCT period_index FROM reporter_cells WHERE domain = ?", [domain.id]
        ).fetchall()
    }
    rows = []
    for f in cube_frequencies(domain):
        for p in domain.periods(f):
            subs = p.subperiods(domain.base_frequency)
            if not all(s.index in present for s in subs):
                continue
            for s in subs:
                rows.append((s.index, f, str(p), p.index))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE pmap (base_index INTEGER, freq VARCHAR, period VARCHAR, period_index INTEGER)"
    )
    insert_rows(con, "pmap", rows)


def _sources(domain: Domain, name: str) -> tuple[str, ...]:
    """The reporter-cell columns a breakdown's codes depend on (besides reporter, period, flow)."""
    cols: list[str] = []
    for part in [] if name == "total" else name.split("+"):
        cols += [c for c in KEYS[domain.breakdowns[part].source] if c not in cols]
    return tuple(sorted(cols))


def _source_tables(
    con: duckdb.DuckDBPyConnection, domain: Domain, needed: set[tuple[str, ...]]
) -> dict[tuple[str, ...], str]:
    """Temp tables of the reporter cells summed per reporter number x base period x flow x each
    set of columns in ``needed``: the widest sets first, each from the narrowest table already
    made whose columns include its own (exact integer sums in any order), else from
    ``reporter_cells``."""
    made: dict[tuple[str, ...], str] = {}
    for cols in sorted(needed, key=lambda c: (-len(c), c)):
        name = f"cube_src_{len(made)}"
        supersets = [k for k in made if set(cols) <= set(k)]
        dims = "".join(f", {c}" for c in cols)
        if supersets:
            src = made[min(supersets, key=len)]
            sql = f"SELECT rid, period_index, flow{dims}, sum(amt) AS amt FROM {src} GROUP BY ALL"
        else:
            sql = f"""SELECT r.rid, rc.period_index, rc.flow{dims}, sum(rc.amount_usd_micro) AS amt
                FROM reporter_cells rc JOIN cube_rid r ON r.reporter_id = rc.reporter_id
                WHERE rc.domain = '{domain.id}' GROUP BY ALL"""
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        made[cols] = name
    return made


def _base_sql(domain: Domain, name: str, source: str) -> str:
    """A breakdown's amounts per reporter number, base period, flow and item (codes joined)."""
    parts = [] if name == "total" else name.split("+")
    joins, codes, grps = [], [], []
    for i, part in enumerate(parts):
        b = domain.breakdowns[part]
        keys = KEYS[b.source]
        cond = " AND ".join(f"m{i}.key{k + 1} IS NOT DISTINCT FROM s.{col}" for k, col in enumerate(keys))
        joins.append(f"JOIN m_{part} m{i} ON {cond}")
        codes.append(f"m{i}.code")
        grps.append(f"CAST(m{i}.grp AS VARCHAR)")
    item = " || '+' || ".join(codes) if codes else "'all'"
    grp = (grps[0] if len(grps) == 1 else "''") if grps else "''"
    return f"""
        SELECT s.period_index, s.flow, {item} AS item, {grp} AS rank_group, s.rid, sum(s.amt) AS amt
        FROM {source} s
        {" ".join(joins)}
        GROUP BY ALL"""


def _levels(domain: Domain) -> list[tuple[str, str | None]]:
    """The cube's frequencies in the order they are built, each with the frequency whose
    per-reporter sums it is summed from (None: from the base-period sums through ``pmap``):
    the base frequency (its per-reporter sums are the base-period sums themselves), then each
    coarser one from the next finer one (the first from the base periods)."""
    base = domain.base_frequency
    nested = sorted((f for f in cube_frequencies(domain) if ORDER[f] < ORDER[base]), key=lambda f: -ORDER[f])
    out: list[tuple[str, str | None]] = [(base, None)]
    out += [(f, nested[i - 1] if i else None) for i, f in enumerate(nested)]
    return out + [(f, None) for f in cube_frequencies(domain) if ORDER[f] > ORDER[base]]


def _breakdown_sql(domain: Domain, name: str, source: str, per_reporter: bool = False) -> str:
    """One breakdown's cube rows (see the module docstring), as one statement; ``per_reporter``:
    instead, one row per reporter number and cell with the reporter's amount (``rid, freq, period,
    breakdown, item, flow, amount``)."""
    ctes = [f"l0 AS MATERIALIZED ({_base_sql(domain, name, source)})"]
    cells = []
    for freq, finer in _levels(domain):
        if freq == domain.base_frequency:  # l0 holds one row per reporter and cell already
            level = (
                f"(SELECT pm.period_index, b.flow, b.item, b.rank_group, b.rid, b.amt FROM l0 b "
                f"JOIN pmap pm ON pm.base_index = b.period_index AND pm.freq = '{freq}')"
            )
        else:
            src = (
                f"l0 b JOIN pmap m ON m.base_index = b.period_index AND m.freq = '{freq}'"
                if finer is None
                else f"l_{finer} b JOIN cube_map_{finer}_{freq} m ON m.i1 = b.period_index"
            )
            ctes.append(f"""l_{freq} AS MATERIALIZED (
                SELECT m.{"period_index" if finer is None else "i2"} AS period_index, b.flow, b.item, b.rank_group,
                       b.rid, sum(b.amt) AS amt
                FROM {src} GROUP BY ALL)""")
            level = f"l_{freq}"
        if per_reporter:
            cells.append(f"""
                SELECT c.rid, '{freq}' AS freq, p.period, '{name}' AS breakdown, c.item, c.flow, c.amt AS amount
                FROM {level} c
                JOIN (SELECT DISTINCT period, period_index FROM pmap WHERE freq = '{freq}') p
                     ON p.period_index = c.period_index""")
            continue
        cells.append(f"""
            SELECT '{domain.id}', '{freq}', p.period, c.period_index, '{name}', c.item, c.flow, c.amount,
                   c.reporters, c.top1, c.top2, c.rank_group
            FROM (SELECT period_index, flow, item, rank_group, sum(amt) AS amount, count(*) AS reporters,
                         max(amt) AS top1, coalesce(max(amt, 2)[2], 0) AS top2
                  FROM {level} GROUP BY ALL) c
            JOIN (SELECT DISTINCT period, period_index FROM pmap WHERE freq = '{freq}') p
                 ON p.period_index = c.period_index""")
    return f"WITH {', '.join(ctes)} {' UNION ALL '.join(cells)}"


def _prepare(con: duckdb.DuckDBPyConnection, domain: Domain) -> dict[tuple[str, ...], str]:
    """The temp tables both the cube and the holdings read: memberships, the period map, reporter
    numbers (``cube_rid``), the maps between frequencies and the source tables (returned)."""
    build_memberships(con, domain)
    build_period_map(con, domain)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE cube_rid AS
        SELECT reporter_id, CAST(row_number() OVER (ORDER BY reporter_id) AS INTEGER) AS rid
        FROM (SELECT DISTINCT reporter_id FROM reporter_cells WHERE domain = '{domain.id}')""")
    for freq, finer in _levels(domain):
        if finer is not None:
            con.execute(f"""CREATE OR REPLACE TEMP TABLE cube_map_{finer}_{freq} AS
                SELECT DISTINCT a.period_index AS i1, b.period_index AS i2 FROM pmap a
                JOIN pmap b ON b.base_index = a.base_index AND b.freq = '{freq}' WHERE a.freq = '{finer}'""")
    return _source_tables(con, domain, {_sources(domain, name) for name in domain.breakdown_names()})


def _drop_temps(con: duckdb.DuckDBPyConnection, domain: Domain, made: dict[tuple[str, ...], str]) -> None:
    levels = _levels(domain)
    temps = ["cube_rid", *(f"cube_map_{g}_{f}" for f, g in levels if g is not None), *made.values()]
    for table in temps:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def build_cube(con: duckdb.DuckDBPyConnection, domain: Domain) -> int:
    """Rebuild the domain's cube from ``reporter_cells``; returns its row count."""
    con.execute("DELETE FROM cube WHERE domain = ?", [domain.id])
    made = _prepare(con, domain)
    for name in domain.breakdown_names():
        con.execute(f"INSERT INTO cube {_breakdown_sql(domain, name, made[_sources(domain, name)])}")
    _drop_temps(con, domain, made)
    return count(con, "SELECT count(*) FROM cube WHERE domain = ?", [domain.id])


def build_holdings(con: duckdb.DuckDBPyConnection, domain: Domain) -> int:
    """Temp table ``sdc_holdings (reporter_id, freq, period, breakdown, item, flow, amount)``: each
    reporter's own amount (micro-dollars) in every published cube cell it reports to, the sums the
    cube makes before it counts reporters (for disclosure control against reporters who know their
    own figures); returns its row count."""
    made = _prepare(con, domain)
    freqs = ", ".join(f"'{f}'" for f in domain.frequencies)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sdc_holdings (reporter_id VARCHAR, freq VARCHAR, period VARCHAR, "
        "breakdown VARCHAR, item VARCHAR, flow VARCHAR, amount HUGEINT)"
    )
    for name in domain.breakdown_names():
        sql = _breakdown_sql(domain, name, made[_sources(domain, name)], per_reporter=True)
        con.execute(f"""INSERT INTO sdc_holdings SELECT r.reporter_id, h.freq, h.period, h.breakdown, h.item,
            h.flow, h.amount FROM ({sql}) h JOIN cube_rid r ON r.rid = h.rid WHERE h.freq IN ({freqs})""")
    _drop_temps(con, domain, made)
    return count(con, "SELECT count(*) FROM sdc_holdings")
