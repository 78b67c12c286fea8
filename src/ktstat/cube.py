"""Cube: every declared breakdown and cross, at every period level, from the reporter cells.

For each breakdown (``total``, each single breakdown, each declared cross ``a+b``) and each
frequency (the base frequency and every published one), ``build_cube`` writes one row per
period x item x flow to table ``cube``: the amount in micro-dollars (exact), the number of
reporters, and the two largest reporters' amounts (for disclosure control). Only complete
periods are formed (a year needs all its quarters within the domain's range). Items of a
cross are joined with ``+`` in the order the cross is declared.

How (the same rows as summing each reporter's cells per period of every frequency directly,
in few passes): reporters are numbered once; every reporter cell gets, as columns, the code of
each breakdown whose membership gives a key at most one code (``LEFT JOIN``), and the cells are
summed per reporter x base period x flow x the codes of several breakdowns in one
``GROUPING SETS`` aggregation (one pass over the reporter cells for up to
:data:`SETS_PER_PASS` breakdowns; a breakdown whose membership gives a key several codes, as
overlapping special classes do, is joined row by row and has passes of its own, with the
crosses it is part of); each pass is then taken through every period level. Each coarser
frequency's per-reporter sums are then summed from the next finer one's (quarters to
half-years to years), so no row is repeated per frequency; each level's cells (amount,
reporters, the two largest reporters' amounts) come from its per-reporter sums in one
aggregation for all breakdowns. The passes group by integers (a number per breakdown and per
code; names and items are joined to the cells at the end), and sum in 64-bit integers when the
domain's absolute amounts sum to less than 2^63 micro-dollars (no partial sum can then be
larger: exact), else in 128-bit ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ktstat.classify import KEYS, build_memberships
from ktstat.domain import Domain
from ktstat.errors import DomainError
from ktstat.periods import ORDER
from ktstat.store import Scratch, count, insert_rows

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


SETS_PER_PASS = 4
"""Breakdowns summed in one grouped pass at most, each pass then taken through every period
level and its per-reporter tables dropped: fewer passes over the reporter cells against the
memory the per-reporter sums of many breakdowns take at once."""

CELLS_PER_PASS = 2_000_000
"""A pass takes more breakdowns than :data:`SETS_PER_PASS` while (reporter cells x breakdowns)
stays under this: a small compile makes one pass per set of multi-valued parts, saving the fixed
cost of each query."""


def _parts(name: str) -> list[str]:
    """The single breakdowns a breakdown name is made of (none for ``total``)."""
    return [] if name == "total" else name.split("+")


def _multi_valued(con: duckdb.DuckDBPyConnection, domain: Domain) -> set[str]:
    """The breakdowns whose membership gives some key more than one code (a code and its
    ancestors, overlapping classes): their codes are joined row by row, the others' as columns."""
    out = set()
    for name, b in domain.breakdowns.items():
        keys = ", ".join(f"key{k + 1}" for k in range(len(KEYS[b.source])))
        if count(con, f"SELECT count(*) - count(DISTINCT ({keys})) FROM m_{name}"):
            out.add(name)
    return out


def _code_ids(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Temp table ``cube_codes(part, cid, code, grp)``: every code of every breakdown numbered
    (so that the passes group by integers), and ``cube_m_<part>``: its membership with ``cid``
    in place of the code."""
    con.execute("CREATE OR REPLACE TEMP TABLE cube_codes (part VARCHAR, cid INTEGER, code VARCHAR, grp INTEGER)")
    for part, b in domain.breakdowns.items():
        con.execute(
            f"""INSERT INTO cube_codes SELECT '{part}', CAST(row_number() OVER (ORDER BY code) AS INTEGER), code, grp
            FROM (SELECT DISTINCT code, grp FROM m_{part})"""
        )
        keys = ", ".join(f"m.key{k + 1}" for k in range(len(KEYS[b.source])))
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE cube_m_{part} AS SELECT {keys}, c.cid FROM m_{part} m
            JOIN cube_codes c ON c.part = '{part}' AND c.code = m.code AND c.grp = m.grp"""
        )


def _pass_sql(domain: Domain, names: list[str], multi: set[str], bids: dict[str, int], width: int, money: str) -> str:
    """One grouped pass over the reporter cells for the breakdowns ``names`` (all of them with
    the same multi-valued parts): every cell gets the number of its code of each part
    (``cube_codes``) as a column, from the memberships (a multi-valued part's joined row by
    row, the others' left-joined: a key without a code leaves it NULL), then one
    ``GROUPING SETS`` aggregation sums the amounts per reporter, base period, flow and the
    codes of each breakdown. Rows of a breakdown with a NULL code are dropped (the key has no
    code in it). Gives ``bid`` (the breakdown's number, ``bids``), ``k1 .. k<width>`` (its
    parts' code numbers in order, 0 beyond them), ``rid, period_index, flow, amt``."""
    parts = sorted({p for n in names for p in _parts(n)})
    cols, joins = [], []
    for i, part in enumerate(parts):
        keys = KEYS[domain.breakdowns[part].source]
        cond = " AND ".join(f"m{i}.key{k + 1} IS NOT DISTINCT FROM rc.{col}" for k, col in enumerate(keys))
        joins.append(f"{'' if part in multi else 'LEFT '}JOIN cube_m_{part} m{i} ON {cond}")
        cols.append(f"m{i}.cid AS c_{part}")
    grouped = [f"c_{p}" for p in parts]
    sets, masks = [], {}
    for n in names:
        used = [f"c_{p}" for p in _parts(n)]
        sets.append(f"(rid, period_index, flow{''.join(f', {c}' for c in used)})")
        # GROUPING(...) of this set: a bit per column of ``grouped`` left out, the first highest
        masks[n] = sum(1 << (len(grouped) - 1 - k) for k, c in enumerate(grouped) if c not in used)
    if len(set(masks.values())) != len(masks):
        raise DomainError(f"{domain.id}: two breakdowns group by the same codes ({', '.join(names)})")
    mask = f"GROUPING({', '.join(grouped)})" if grouped else "0"

    def pick(value: Callable[[str], str]) -> str:
        return "CASE mask " + " ".join(f"WHEN {masks[n]} THEN {value(n)}" for n in names) + " END"

    def part_code(j: int) -> Callable[[str], str]:
        return lambda n: f"c_{_parts(n)[j]}" if j < len(_parts(n)) else "0"

    ks = [pick(part_code(j)) + f" AS k{j + 1}" for j in range(width)]
    keep = " OR ".join(f"(mask = {masks[n]}{''.join(f' AND c_{p} IS NOT NULL' for p in _parts(n))})" for n in names)
    return f"""
        SELECT CAST({pick(lambda n: str(bids[n]))} AS SMALLINT) AS bid, {", ".join([*ks, ""])}
               rid, period_index, flow, amt
        FROM (SELECT {mask} AS mask, rid, period_index, flow, {", ".join(grouped) or "NULL AS none"},
                     CAST(sum(amt) AS {money}) AS amt
              FROM (SELECT r.rid, rc.period_index, rc.flow, CAST(rc.amount_usd_micro AS {money}) AS amt
                           {"".join(f", {c}" for c in cols)}
                    FROM reporter_cells rc JOIN cube_rid r ON r.reporter_id = rc.reporter_id
                    {" ".join(joins)}
                    WHERE rc.domain = '{domain.id}')
              GROUP BY GROUPING SETS ({", ".join(sets)}))
        WHERE {keep}"""


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


def _agg_sql(level: str, width: int) -> str:
    """Per cell of a level's per-reporter sums (table ``level``): the amount, the number of
    reporters and the two largest reporters' amounts."""
    ks = [f"k{j + 1}" for j in range(width)]
    return f"""SELECT bid, {", ".join([*ks, ""])} period_index, flow, sum(amt) AS amount, count(*) AS reporters,
                     max(amt) AS top1, coalesce(max(amt, 2)[2], 0) AS top2
              FROM {level} GROUP BY ALL"""


def _names(width: int, c: str) -> tuple[str, str, str]:
    """The joins to ``cube_bd bd`` and ``cube_codes`` of rows ``c`` with a breakdown number and
    code numbers, and the item and rank group expressions they give."""
    joins = (
        "JOIN cube_bd bd ON bd.bid = "
        + f"{c}.bid "
        + " ".join(
            f"LEFT JOIN cube_codes a{j + 1} ON a{j + 1}.part = bd.part{j + 1} AND a{j + 1}.cid = {c}.k{j + 1}"
            for j in range(width)
        )
    )
    codes = ", ".join(f"a{j + 1}.code" for j in range(width))
    item = f"CASE WHEN bd.parts = 0 THEN 'all' ELSE concat_ws('+', {codes}) END" if width else "'all'"
    rank = "CASE WHEN bd.parts = 1 THEN CAST(a1.grp AS VARCHAR) ELSE '' END" if width else "''"
    return joins, item, rank


def _cells_sql(domain: Domain, freq: str, level: str, width: int, aggregated: bool = False) -> str:
    """The cube rows of one frequency from its per-reporter sums (table ``level``; with
    ``aggregated``, its cells as :func:`_agg_sql` gives them): per cell
    the amount, the number of reporters and the two largest reporters' amounts; the breakdown's
    name and item (its parts' codes joined with ``+``, ``all`` for the total) and rank group
    (the code's depth for a single breakdown) from the numbers (``cube_bd``, ``cube_codes``);
    only the breakdowns compiled at that frequency (``Domain.breakdowns_at``)."""
    joins, item, rank = _names(width, "c")
    return f"""
        SELECT '{domain.id}', '{freq}', p.period, c.period_index, bd.breakdown, {item}, c.flow,
               CAST(c.amount AS HUGEINT), c.reporters, CAST(c.top1 AS HUGEINT), CAST(c.top2 AS HUGEINT), {rank}
        FROM {level if aggregated else f"({_agg_sql(level, width)})"} c
        {joins}
        JOIN (SELECT DISTINCT period, period_index FROM pmap WHERE freq = '{freq}') p
             ON p.period_index = c.period_index
        WHERE bd.breakdown IN ({", ".join(f"'{n}'" for n in domain.breakdowns_at(freq))})"""


def build_cube(con: duckdb.DuckDBPyConnection, domain: Domain) -> int:
    """Rebuild the domain's cube from ``reporter_cells``; returns its row count. When the
    domain's disclosure control guards against insiders (``[disclosure] insider``), also table
    ``cube_holdings``: every reporter's own amount in each cell a primary rule makes
    confidential, from the same per-reporter sums (no pass of its own). The per-reporter sums are
    :class:`~ktstat.store.Scratch` tables, freed pass by pass even inside the compile's
    transaction."""
    build_memberships(con, domain)
    build_period_map(con, domain)
    con.execute("DELETE FROM cube WHERE domain = ?", [domain.id])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE cube_rid AS
        SELECT reporter_id, CAST(row_number() OVER (ORDER BY reporter_id) AS INTEGER) AS rid
        FROM (SELECT DISTINCT reporter_id FROM reporter_cells WHERE domain = '{domain.id}')""")
    _code_ids(con, domain)
    names = domain.breakdown_names()
    bids = {n: i for i, n in enumerate(names)}
    width = max(len(_parts(n)) for n in names)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cube_bd (bid SMALLINT, breakdown VARCHAR, parts INTEGER"
        + "".join(f", part{j + 1} VARCHAR" for j in range(width))
        + ")"
    )
    insert_rows(con, "cube_bd", [(bids[n], n, len(_parts(n)), *(_parts(n) + [None] * width)[:width]) for n in names])
    multi = _multi_valued(con, domain)
    passes: dict[tuple[str, ...], list[str]] = {}
    for name in names:
        passes.setdefault(tuple(sorted(p for p in _parts(name) if p in multi)), []).append(name)
    base = domain.base_frequency
    # every partial sum is at most the sum of the absolute amounts: 64-bit integers when that fits
    total_abs, n_cells = con.execute(
        "SELECT coalesce(sum(abs(amount_usd_micro)), 0), count(*) FROM reporter_cells WHERE domain = ?", [domain.id]
    ).fetchall()[0]
    money = "BIGINT" if int(total_abs) < 2**63 else "HUGEINT"
    temps = ["cube_rid", "cube_bd", "cube_codes", *(f"cube_m_{p}" for p in domain.breakdowns)]
    levels = _levels(domain)
    for coarse, fine in levels:
        if fine is not None:
            con.execute(f"""CREATE OR REPLACE TEMP TABLE cube_map_{fine}_{coarse} AS
                SELECT DISTINCT a.period_index AS i1, b.period_index AS i2 FROM pmap a
                JOIN pmap b ON b.base_index = a.base_index AND b.freq = '{coarse}' WHERE a.freq = '{fine}'""")
            temps.append(f"cube_map_{fine}_{coarse}")
    # the level each per-reporter table is last read by: dropped after it (they are large)
    last_use = {base: 0}
    for k, (freq, finer) in enumerate(levels):
        last_use[freq] = max(last_use.get(freq, k), k)
        if freq != base:
            last_use[finer or base] = k
    ks = "".join(f"b.k{j + 1}, " for j in range(width))
    kcols = [f"k{j + 1}" for j in range(width)]
    # each reporter's amount in the cells the primary rules make confidential (for disclosure
    # control against reporters, who know their own figures: ktstat.sdc.vintages), taken from
    # the per-reporter sums of each level before they are dropped
    from ktstat.sdc.primary import primary_condition

    holdings = domain.disclosure.insider
    big = [f"CAST({c} AS HUGEINT)" for c in ("amount", "top1", "top2")]
    confidential = primary_condition(domain.disclosure, big[0], "reporters", big[1], big[2])
    if holdings:
        temps += ["cube_agg", "cube_hold_raw"]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE cube_hold_raw (freq VARCHAR, bid SMALLINT, "
            f"{''.join(f'{k} INTEGER, ' for k in kcols)}period_index INTEGER, flow VARCHAR, rid INTEGER, amt {money})"
        )
    # one grouped pass per set of multi-valued parts and at most per_pass breakdowns, then its levels
    per_pass = max(SETS_PER_PASS, CELLS_PER_PASS // max(int(n_cells), 1))
    chunks = [ns[k : k + per_pass] for ns in passes.values() for k in range(0, len(ns), per_pass)]
    with Scratch(con) as scratch:
        for chunk in chunks:
            # per reporter, base period, flow, breakdown and item
            scratch.put(f"cube_l_{base}", _pass_sql(domain, chunk, multi, bids, width, money))
            for k, (freq, finer) in enumerate(levels):
                if freq != base:
                    if finer is None:
                        src = f"cube_l_{base} b JOIN pmap m ON m.base_index = b.period_index AND m.freq = '{freq}'"
                        target = "m.period_index"
                    else:
                        src = f"cube_l_{finer} b JOIN cube_map_{finer}_{freq} m ON m.i1 = b.period_index"
                        target = "m.i2"
                    scratch.put(
                        f"cube_l_{freq}",
                        f"""SELECT b.bid, {ks}b.rid, {target} AS period_index, b.flow,
                               CAST(sum(b.amt) AS {money}) AS amt
                        FROM {src} GROUP BY ALL""",
                        using=f"cube_l_{finer or base}",
                    )
                    level = f"cube_l_{freq}"
                else:  # the base periods of the map (all of them: each base period with records is complete)
                    level = (
                        f"(SELECT b.* FROM cube_l_{freq} b SEMI JOIN pmap pm ON pm.base_index = b.period_index "
                        f"AND pm.freq = '{freq}')"
                    )
                if holdings and freq in domain.frequencies:
                    # the cells once, for the cube and for the reporters' amounts in the primary ones
                    scratch.execute(
                        f"CREATE OR REPLACE TEMP TABLE cube_agg AS {_agg_sql(level, width)}", f"cube_l_{freq}"
                    )
                    con.execute(f"INSERT INTO cube {_cells_sql(domain, freq, 'cube_agg', width, aggregated=True)}")
                    on = " AND ".join(f"c.{col} = b.{col}" for col in ["bid", *kcols, "period_index", "flow"])
                    at = ", ".join(str(bids[n]) for n in domain.breakdowns_at(freq))
                    scratch.execute(
                        f"""INSERT INTO cube_hold_raw
                        SELECT '{freq}', b.bid, {ks}b.period_index, b.flow, b.rid, b.amt FROM {level} b
                        SEMI JOIN (SELECT * FROM cube_agg WHERE bid IN ({at}) AND {confidential}) c ON {on}""",
                        f"cube_l_{freq}",
                    )
                else:
                    scratch.execute(f"INSERT INTO cube {_cells_sql(domain, freq, level, width)}", f"cube_l_{freq}")
                for f, last in last_use.items():
                    if last == k:
                        scratch.drop(f"cube_l_{f}")
    con.execute("DELETE FROM cube_holdings WHERE domain = ?", [domain.id])
    if holdings:
        joins, item, _rank = _names(width, "h")
        con.execute(f"""INSERT INTO cube_holdings
            SELECT '{domain.id}', r.reporter_id, h.freq, p.period, bd.breakdown, {item}, h.flow,
                   CAST(h.amt AS HUGEINT)
            FROM cube_hold_raw h {joins}
            JOIN cube_rid r ON r.rid = h.rid
            JOIN (SELECT DISTINCT freq, period, period_index FROM pmap) p
                 ON p.freq = h.freq AND p.period_index = h.period_index""")
    for table in temps:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return count(con, "SELECT count(*) FROM cube WHERE domain = ?", [domain.id])
