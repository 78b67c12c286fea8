"""Audit: how closely can a reader pin down each suppressed cell from what is published?

For a set of suppressed cells of a table, the published cells are constants and every
equation touching a suppressed cell constrains the unknowns; cells are non-negative. Per
connected group of suppressed cells, two linear programs per cell (HiGHS, see
:class:`~ktstat.sdc.lp.Attacker`) give the interval ``[lower, upper]`` a reader can deduce.
A primary cell of value ``v`` is protected when ``lower <= v (1 - q)`` and
``upper >= v (1 + q)`` (q: the protection percent / 100), up to a tolerance of 1e-12 of the
group's largest value (solver round-off).

Exact intervals cost two programs per cell. Deciding protection needs fewer: every solution of
a program is a table the reader cannot rule out, so once the solutions seen take a cell beyond
its protection on one side, that side is proven without a program of its own
(:meth:`~ktstat.sdc.lp.Attacker.reach`). With ``exact=False`` an interval's side is then the
value seen (the reader's bound lies further out) and the interval says so (``exact``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.sdc.linear import Table
from ktstat.sdc.lp import SPAN, Attacker

if TYPE_CHECKING:
    import duckdb

TOLERANCE = 1e-12


@dataclass(frozen=True)
class Interval:
    cell: int
    value: int
    lower: float
    upper: float
    protected: bool
    exact: bool = True  # False: at least one side is a value the reader cannot rule out, not the bound


def components(table: Table, cells: set[int]) -> list[tuple[list[int], list[int]]]:
    """Groups of the given cells linked by equations: (cells, indices of the equations touching them)."""
    parent = {c: c for c in cells}

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    eq_groups: list[tuple[int, list[int]]] = []
    for e, eq in enumerate(table.equations):
        hidden = [c for c, _ in eq if c in parent]
        if not hidden:
            continue
        eq_groups.append((e, hidden))
        for c in hidden[1:]:
            a, b = find(hidden[0]), find(c)
            if a != b:
                parent[a] = b
    members: dict[int, list[int]] = defaultdict(list)
    eqs: dict[int, list[int]] = defaultdict(list)
    for c in cells:
        members[find(c)].append(c)
    for e, hidden in eq_groups:
        eqs[find(hidden[0])].append(e)
    return [(sorted(members[r]), eqs.get(r, [])) for r in sorted(members)]


def intervals(table: Table, suppressed: set[int], targets: set[int], q: float, exact: bool = True) -> list[Interval]:
    """The deducible interval of each target cell (targets must be suppressed), in micro-dollars;
    with ``exact=False``, exact only where needed to decide protection (see module doc)."""
    out: list[Interval] = []
    for cells, eqs in components(table, suppressed):
        wanted = [c for c in cells if c in targets]
        if not wanted:
            continue
        if not eqs:  # nothing published relates to these cells: unbounded above, 0 below
            out += [Interval(c, table.values[c], 0.0, math.inf, True) for c in wanted]
            continue
        attacker = Attacker(table, cells, eqs)
        tol = TOLERANCE * attacker.scale * SPAN
        for c in wanted:
            v = table.values[c]
            # a side is proven by a table seen only when it reaches the protection itself; the
            # tolerance allows for the round-off of a bound solved exactly
            need_low, need_high = v - q * abs(v), v + q * abs(v)
            lower, upper, known = attacker.reach(c, need_low, need_high) if not exact else (*attacker.bounds(c), True)
            out.append(Interval(c, v, lower, upper, lower <= need_low + tol and upper >= need_high - tol, known))
    return out


@dataclass
class StoreAudit:
    """What ``audit_store`` found for one domain (keys: freq, period, breakdown, item, flow)."""

    domain: str
    checked: int = 0  # primary cells whose interval was computed
    suppressed: int = 0
    failures: list[tuple[tuple[str, str, str, str, str], float, float, float]] = field(default_factory=list)
    unsuppressed_primary: list[tuple[tuple[str, str, str, str, str], str, int]] = field(default_factory=list)
    shown: list[tuple[str, str, str, str, float | None]] = field(default_factory=list)  # leaks in indicators

    @property
    def passed(self) -> bool:
        return not (self.failures or self.unsuppressed_primary or self.shown)


def audit_store(con: duckdb.DuckDBPyConnection, domain: Domain) -> StoreAudit:
    """Audit a compiled and protected domain from the store alone, independently of the run
    that protected it:

    1. the primary rules, applied afresh to the cube, fire only on cells marked suppressed;
    2. every primary cell's interval, deduced from the cells left published (table
       ``disclosure``) through every equation of the table, covers its protection;
       (a primary cell an earlier vintage published with the same value is public already and
       may stay published: the revision rule of :mod:`ktstat.sdc.vintages`)
    3. no indicator shows the level of a suppressed cell (``exports`` for X, ``imports`` for
       M; ``balance``, ``volume`` and ``ratio`` for either).
    """
    from ktstat.sdc.linear import build_tables
    from ktstat.sdc.primary import primary_cells

    res = StoreAudit(domain.id)
    q = domain.disclosure.protection_percent / 100
    hidden = {
        (f, p, b, i, fl): rule
        for f, p, b, i, fl, rule in con.execute(
            "SELECT freq, period, breakdown, item, flow, rule FROM disclosure WHERE domain = ? AND rule <> ''",
            [domain.id],
        ).fetchall()
    }
    res.suppressed = len(hidden)
    primary_cells(con, domain)
    public = {
        tuple(r)
        for r in con.execute(
            """SELECT c.freq, c.period, c.breakdown, c.item, c.flow FROM sdc_cells c JOIN vintage_cells v
                 ON v.freq = c.freq AND v.period = c.period AND v.breakdown = c.breakdown AND v.item = c.item
                 AND v.flow = c.flow AND v.rule = '' AND v.amount_usd_micro = c.amount
            JOIN vintages g ON g.vintage_id = v.vintage_id AND g.domain = ?""",
            [domain.id],
        ).fetchall()
    }
    for f, p, b, i, fl, rule, n in con.execute(
        "SELECT freq, period, breakdown, item, flow, rule, reporters FROM sdc_cells WHERE rule <> '' ORDER BY ALL"
    ).fetchall():
        # a primary cell a vintage published with the same value is public already (the revision rule)
        if (f, p, b, i, fl) not in hidden and (f, p, b, i, fl) not in public:
            res.unsuppressed_primary.append(((f, p, b, i, fl), rule, int(n)))
    for flow, table in build_tables(con, domain).items():
        sup = {table.index[k[:4]] for k in hidden if k[4] == flow and k[:4] in table.index}
        prim = {
            table.index[k[:4]] for k, r in hidden.items() if k[4] == flow and r != "secondary" and k[:4] in table.index
        }
        for iv in intervals(table, sup, prim, q, exact=False):
            res.checked += 1
            if not iv.protected:
                res.failures.append(((*table.keys[iv.cell], flow), iv.value / 1e6, iv.lower / 1e6, iv.upper / 1e6))
    res.shown = [
        (p, b, i, m, v)
        for p, b, i, m, v in con.execute(
            """SELECT i.period, i.breakdown, i.item, i.measure, i.value FROM indicators i
            JOIN disclosure d ON d.domain = i.domain AND d.period = i.period AND d.breakdown = i.breakdown
                 AND d.item = i.item AND d.rule <> ''
            WHERE i.domain = ? AND i.value IS NOT NULL AND (
                  i.measure IN ('balance', 'volume', 'ratio')
                  OR (i.measure = 'exports' AND d.flow = 'X') OR (i.measure = 'imports' AND d.flow = 'M'))
            ORDER BY ALL""",
            [domain.id],
        ).fetchall()
    ]
    return res
