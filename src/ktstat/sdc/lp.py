"""Linear programs of disclosure control, solved with HiGHS (highspy).

Two models over a :class:`~ktstat.sdc.linear.Table` (values in micro-dollars, scaled to at
most 1 inside the solver):

- :class:`Attacker`: what a reader can deduce about a set of suppressed cells. The published
  cells are constants; every equation touching a suppressed cell constrains the unknowns; a
  cell is non-negative (when its true value is). ``bounds(cell)`` solves the two programs
  ``min x_cell`` and ``max x_cell`` (warm-started from the previous solve). Every optimal
  solution is a table the reader cannot rule out, so the range each cell takes over the
  solutions seen so far (the true table first) is inside its interval: ``reach(cell, lo, hi)``
  solves a program only for a side that range does not already reach.
- :class:`WitnessFinder`: for a cell ``p`` that must be protected by ``need``, the cheapest
  perturbation ``d`` with ``A d = 0``, ``|d_c| <= |x_c|`` and ``d_p = need``. If every cell
  with ``d_c != 0`` is suppressed, both ``x + d`` and ``x - d`` are tables a reader cannot tell
  from the true one, so ``p`` is protected in both directions. The cost of moving a published
  cell by one unit is its value (plus a small fixed part), a linear relaxation of the value it
  hides: the cells chosen are cheap, though not always the cheapest set (a small cell that can
  carry only part of the movement may be hidden beside one that could carry it all). Moving
  an already suppressed cell costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ktstat.sdc.linear import Table

INF = math.inf
FEASIBILITY = 1e-9  # HiGHS primal and dual feasibility tolerances, in scaled units
SPAN = 1e4  # the attacker's model is scaled so that the group's largest value is SPAN
NOISE = 1e-10  # witness movements below NOISE times the protection needed (a tenth of FEASIBILITY) are round-off
UNCLEAR = 1e-6  # movements below this (times the protection) are re-solved with the cell held still
PRIMAL_SIMPLEX = 4  # HiGHS simplex_strategy value for the primal simplex
CAP = 1e4  # after numerical trouble, movements are bounded by CAP times the protection needed


def _highs(
    cost: np.ndarray, lo: np.ndarray, hi: np.ndarray, rows: Sequence[Sequence[tuple[int, float]]], rhs: np.ndarray
) -> Any:
    """A HiGHS instance holding ``min cost.x, rows(x) = rhs, lo <= x <= hi`` (silent, tight tolerances,
    no presolve: each instance is solved many times from the last basis, and presolving the
    first solve costs more than it saves)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("primal_feasibility_tolerance", FEASIBILITY)
    h.setOptionValue("dual_feasibility_tolerance", FEASIBILITY)
    lp = highspy.HighsLp()
    n = len(cost)
    lp.num_col_ = n
    lp.num_row_ = len(rows)
    lp.col_cost_ = cost
    lp.col_lower_ = np.where(np.isinf(lo), -highspy.kHighsInf, lo)
    lp.col_upper_ = np.where(np.isinf(hi), highspy.kHighsInf, hi)
    lp.row_lower_ = rhs
    lp.row_upper_ = rhs
    starts = [0]
    index: list[int] = []
    value: list[float] = []
    for row in rows:
        for c, coef in row:
            index.append(c)
            value.append(coef)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=np.float64)
    h.passModel(lp)
    return h


def _run(h: Any) -> None:
    """Solve; a status other than optimal, infeasible or unbounded (e.g. ``kUnknown`` after a warm
    start went astray) is retried once from scratch."""
    import highspy

    h.run()
    settled = (
        highspy.HighsModelStatus.kOptimal,
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    )
    if h.getModelStatus() not in settled:
        h.clearSolver()
        h.run()


def _unsettled(h: Any) -> bool:
    """Whether the last solve ended neither optimal, infeasible nor unbounded (numerical trouble)."""
    import highspy

    return h.getModelStatus() not in (
        highspy.HighsModelStatus.kOptimal,
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnbounded,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    )


def _optimal(h: Any) -> bool:
    import highspy

    return bool(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)


class Attacker:
    """The reader's model of one group of suppressed cells (see module doc)."""

    def __init__(
        self, table: Table, cells: Sequence[int], equations: Iterable[int], known: dict[int, int] | None = None
    ) -> None:
        """``known``: a part of some suppressed cells the reader knows (a reporter's own figures,
        micro-dollars); the cell is then that part plus a non-negative unknown rest."""
        self.table = table
        self.cells = list(cells)
        self.pos = {c: k for k, c in enumerate(self.cells)}
        self.known = {c: known[c] for c in self.cells if known and known.get(c)}
        values = [table.values[c] - self.known.get(c, 0) for c in self.cells]
        self.scale = float(max(1, *(abs(v) for v in values))) / SPAN
        rows: list[list[tuple[int, float]]] = []
        rhs: list[float] = []
        for e in equations:
            row: list[tuple[int, float]] = []
            const = 0
            for c, coef in table.equations[e]:
                if c in self.pos:
                    row.append((self.pos[c], float(coef)))
                    const -= coef * self.known.get(c, 0)
                else:
                    const -= coef * table.values[c]
            rows.append(row)
            rhs.append(const / self.scale)
        n = len(self.cells)
        lo = np.array([0.0 if v >= 0 else -INF for v in values])
        self.h = _highs(np.zeros(n), lo, np.full(n, INF), rows, np.array(rhs))
        # only the objective changes between solves, so the last optimal basis stays primal
        # feasible: primal simplex restarts from it (several times faster than the default dual)
        self.h.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        self._last: int | None = None
        self.seen_low = np.array(values, dtype=np.float64)  # micro-dollars, over the solutions seen
        self.seen_high = self.seen_low.copy()

    def _solve(self, k: int, sense: float) -> float:
        if self._last is not None:
            self.h.changeColCost(self._last, 0.0)
        self.h.changeColCost(k, sense)
        self._last = k
        _run(self.h)
        if not _optimal(self.h):
            # unbounded in that direction: no lower bound for a minimum, no upper bound for a maximum
            return INF if sense < 0 else -INF
        x = np.asarray(self.h.getSolution().col_value) * self.scale
        np.minimum(self.seen_low, x, out=self.seen_low)
        np.maximum(self.seen_high, x, out=self.seen_high)
        return float(self.h.getInfo().objective_function_value) * sense * self.scale

    def bounds(self, cell: int) -> tuple[float, float]:
        """``(lower, upper)`` a reader can deduce for a cell of the group (micro-dollars)."""
        lower, upper, _ = self.reach(cell, -INF, INF)
        return lower, upper

    def reach(self, cell: int, low: float, high: float) -> tuple[float, float, bool]:
        """``(lower, upper, exact)`` for a cell: the reader's exact bound on each side, except where
        a solution seen already takes the cell to ``low`` or below (to ``high`` or above); that
        side is then the value seen, which the reader's bound lies beyond (``exact`` False)."""
        k = self.pos[cell]
        part = self.known.get(cell, 0)  # the seen range and the solves are of the unknown rest
        exact = True
        if self.seen_low[k] + part <= low:
            lower, exact = float(self.seen_low[k]) + part, False
        else:
            lower = self._solve(k, 1.0) + part
        if self.seen_high[k] + part >= high:
            upper, exact = float(self.seen_high[k]) + part, False
        else:
            upper = self._solve(k, -1.0) + part
        if self.table.values[cell] - part >= 0:
            lower = max(lower, float(part))
        return lower, upper, exact


class WitnessFinder:
    """Cheapest protecting perturbations within a set of movable cells (see module doc).

    ``cells``: the cells that may move (others stay at their value: ``d = 0``);
    ``equations``: every equation touching them; ``fixed_cost``: added to each published
    cell's per-unit cost, in micro-dollars, so that many tiny cells are not preferred to one.
    """

    def __init__(
        self,
        table: Table,
        cells: Sequence[int],
        equations: Iterable[int],
        suppressed: set[int],
        fixed_cost: float,
        room: dict[int, float] | None = None,
    ) -> None:
        """``room``: how far some cells may move at most, if less than their value (against a
        reporter who knows its own part of a cell, the rest of it)."""
        self.table = table
        self.cells = list(cells)
        self.pos = {c: k for k, c in enumerate(self.cells)}
        n = len(self.cells)
        value = np.array([abs(float(table.values[c])) for c in self.cells])
        self.bound = value.copy()  # |d_c| <= |x_c|
        for c, r in (room or {}).items():
            if c in self.pos:
                self.bound[self.pos[c]] = min(self.bound[self.pos[c]], abs(float(r)))
        scale = float(max(1.0, value.max(initial=0.0)))
        cost = np.array([0.0 if c in suppressed else (value[k] + fixed_cost) / scale for k, c in enumerate(self.cells)])
        # columns: u_0..u_{n-1} (d up), l_0..l_{n-1} (d down)
        rows = []
        for e in equations:
            row = []
            for c, coef in table.equations[e]:
                if c in self.pos:
                    row += [(self.pos[c], float(coef)), (n + self.pos[c], -float(coef))]
            rows.append(row)
        self.n = n
        self.h = _highs(
            np.concatenate([cost, cost]),
            np.zeros(2 * n),
            np.concatenate([self.bound, self.bound]),
            rows,
            np.zeros(len(rows)),
        )

    def mark_suppressed(self, cells: Iterable[int]) -> None:
        """Moving these cells costs nothing from now on."""
        for c in cells:
            k = self.pos.get(c)
            if k is not None:
                self.h.changeColCost(k, 0.0)
                self.h.changeColCost(self.n + k, 0.0)

    def find(self, cell: int, need: float, room: dict[int, float] | None = None) -> dict[int, float] | None:
        """The perturbation (cell -> d, micro-dollars) moving ``cell`` up by ``need``; None if none
        exists. ``room``: tighter limits for this search only (as in the constructor)."""
        bound = self.bound
        if room:
            bound = bound.copy()
            for c, r in room.items():
                if c in self.pos:
                    bound[self.pos[c]] = min(bound[self.pos[c]], abs(float(r)))
        k = self.pos[cell]
        need = min(need, bound[k])
        if need <= 0:
            return {}
        # solve in units of the movement wanted, so that small cells are not lost in round-off
        upper = np.concatenate([bound, bound]) / need
        upper[k] = upper[self.n + k] = 0.0
        lower = np.zeros(2 * self.n)
        lower[k] = upper[k] = 1.0
        self.h.changeColsBounds(2 * self.n, np.arange(2 * self.n, dtype=np.int32), lower, upper)
        _run(self.h)
        if _unsettled(self.h):
            # numerical trouble, typically a need many orders of magnitude below the block's largest
            # values: bound every movement by CAP times the one wanted (a protecting perturbation
            # moves each cell by a few times it at most) and solve again
            self.h.changeColsBounds(
                2 * self.n, np.arange(2 * self.n, dtype=np.int32), lower, np.minimum(upper, np.maximum(lower, CAP))
            )
            _run(self.h)
        if not _optimal(self.h):
            return None
        x = np.asarray(self.h.getSolution().col_value)
        net = x[: self.n] - x[self.n :]
        # movements too small to tell from round-off: solve again with those cells held still, so
        # the perturbation's support is unambiguous (else keep the first solution)
        unclear = np.nonzero((np.abs(net) > 0) & (np.abs(net) <= UNCLEAR))[0]
        if len(unclear):
            idx = np.concatenate([unclear, unclear + self.n]).astype(np.int32)
            self.h.changeColsBounds(len(idx), idx, np.zeros(len(idx)), np.zeros(len(idx)))
            _run(self.h)
            if _optimal(self.h):
                x = np.asarray(self.h.getSolution().col_value)
                net = x[: self.n] - x[self.n :]
        return {self.cells[int(j)]: float(net[j]) * need for j in np.nonzero(np.abs(net) > NOISE)[0]}
