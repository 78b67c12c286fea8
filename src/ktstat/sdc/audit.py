"""Audit: how closely can a reader pin down each suppressed cell from what is published?

For a set of suppressed cells of a table, the published cells are constants and every
equation touching a suppressed cell constrains the unknowns; cells are non-negative. Per
connected group of suppressed cells, two linear programs per cell (HiGHS) give the interval
``[lower, upper]`` a reader can deduce. A primary cell of value ``v`` is protected when
``lower <= v (1 - q)`` and ``upper >= v (1 + q)`` (q: the protection percent / 100).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ktstat.sdc.linear import Table


@dataclass(frozen=True)
class Interval:
    cell: int
    value: int
    lower: float
    upper: float
    protected: bool


def components(table: Table, suppressed: set[int]) -> list[tuple[list[int], list[int]]]:
    """Groups of suppressed cells linked by equations: (cells, equation indices)."""
    parent = {c: c for c in suppressed}

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    eq_groups: list[tuple[int, list[int]]] = []
    for e, eq in enumerate(table.equations):
        hidden = [c for c, _ in eq if c in suppressed]
        if not hidden:
            continue
        eq_groups.append((e, hidden))
        for c in hidden[1:]:
            a, b = find(hidden[0]), find(c)
            if a != b:
                parent[a] = b
    cells: dict[int, list[int]] = defaultdict(list)
    eqs: dict[int, list[int]] = defaultdict(list)
    for c in suppressed:
        cells[find(c)].append(c)
    for e, hidden in eq_groups:
        eqs[find(hidden[0])].append(e)
    return [(sorted(cells[r]), eqs.get(r, [])) for r in cells]


def intervals(table: Table, suppressed: set[int], targets: set[int], q: float) -> list[Interval]:
    """The deducible interval of each target cell (targets must be suppressed)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    out: list[Interval] = []
    for cells, eqs in components(table, suppressed):
        wanted = [c for c in cells if c in targets]
        if not wanted:
            continue
        if not eqs:  # nothing published relates to these cells: unbounded above, 0 below
            out += [Interval(c, table.values[c], 0.0, math.inf, True) for c in wanted]
            continue
        pos = {c: k for k, c in enumerate(cells)}
        rows, cols, vals, rhs = [], [], [], []
        scale = max(1.0, max(abs(table.values[c]) for c in cells))
        for r, e in enumerate(eqs):
            const = 0.0
            for c, coef in table.equations[e]:
                if c in pos:
                    rows.append(r)
                    cols.append(pos[c])
                    vals.append(float(coef))
                else:
                    const -= coef * table.values[c]
            rhs.append(const / scale)
        a_eq = coo_matrix((vals, (rows, cols)), shape=(len(eqs), len(cells))).tocsr()
        b_eq = np.array(rhs)
        for c in wanted:
            obj = np.zeros(len(cells))
            obj[pos[c]] = 1.0
            lo = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            lower = lo.fun * scale if lo.status == 0 else 0.0
            upper = -hi.fun * scale if hi.status == 0 else math.inf
            v = table.values[c]
            tol = 1e-6 * scale
            ok = lower <= v * (1 - q) + tol and upper >= v * (1 + q) - tol
            out.append(Interval(c, v, lower, upper, ok))
    return out
