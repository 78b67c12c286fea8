"""Audit: how closely can a reader pin down each suppressed cell from what is published?

For a set of suppressed cells of a table, the published cells are constants and every
equation touching a suppressed cell constrains the unknowns; cells are non-negative. Per
connected group of suppressed cells, two linear programs per cell (HiGHS, see
:class:`~ktstat.sdc.lp.Attacker`) give the interval ``[lower, upper]`` a reader can deduce.
A primary cell of value ``v`` is protected when ``lower <= v (1 - q)`` and
``upper >= v (1 + q)`` (q: the protection percent / 100), up to a tolerance of 1e-12 of the
group's largest value (solver round-off).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from ktstat.sdc.linear import Table
from ktstat.sdc.lp import SPAN, Attacker

TOLERANCE = 1e-12


@dataclass(frozen=True)
class Interval:
    cell: int
    value: int
    lower: float
    upper: float
    protected: bool


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


def intervals(table: Table, suppressed: set[int], targets: set[int], q: float) -> list[Interval]:
    """The deducible interval of each target cell (targets must be suppressed), in micro-dollars."""
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
            lower, upper = attacker.bounds(c)
            v = table.values[c]
            ok = lower <= v - q * abs(v) + tol and upper >= v + q * abs(v) - tol
            out.append(Interval(c, v, lower, upper, ok))
    return out
