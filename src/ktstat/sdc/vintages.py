"""Disclosure control over everything released, and against reporters who know their own figures.

**Across vintages.** A reader holds every vintage released. Each vintage of a flow is a *layer*:
its cells with their values in that vintage (micro-dollars), its suppressed and primary cells,
and the equations that hold in it (:func:`ktstat.sdc.linear.tables_from_rows`). The *joint
table* (:func:`joint`) puts the layers side by side, each cell once per layer, with each
layer's own equations, and links a cell of two layers by ``x_old - x_new = 0`` where its value
did not change; where it changed, the revision is an unknown the reader cannot bound, so the
two are not linked. Earlier layers are fixed: their published cells are constants (they never
move), their suppressed cells stay suppressed. Secondary suppression of the new layer
(:func:`protect_layers`) runs on the joint table, so that no primary cell of any layer can be
narrowed below its protection from all layers together. Layers whose cells of a year (with its
halves and quarters) equal those of a later layer, value and status alike, add nothing a reader
did not have and are left out of that year.

**A revision that makes a published cell confidential** (the rule, :func:`revision_rule`): a
primary cell of the new data that an earlier vintage published

- with the same value: that value is public already and hiding it would protect nothing, so
  it is published again (``public``; reported, since the primary rule fires on it);
- with another value: the earlier value no longer identifies anyone (the revision is an
  unknown), so the new value is suppressed and secondary suppression hides the neighbours
  needed to protect it against every layer (``revised``).

**Insiders** (:func:`insider_intervals`, :func:`insider_repair`). The largest reporter ``L`` of
each primary cell knows its own part of every cell. It subtracts it: a suppressed cell ``c``
is ``a_L,c`` (known) plus a non-negative rest. For every primary cell ``s`` with a rest
(others reported to it), ``L``'s interval for ``s`` must reach ``p`` % of the largest other
contribution to ``s`` on either side (the p % rule against that reporter). So a suppressed
cell with one reporter is never protected only by another one-reporter cell, nor by cells of
the same reporter: against that reporter those cells cannot move. Failures are repaired by a
protecting perturbation whose movements fit inside the rests (``WitnessFinder``'s ``room``).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ktstat.periods import parse
from ktstat.sdc.audit import TOLERANCE, Interval, components, intervals
from ktstat.sdc.linear import Key, Table
from ktstat.sdc.lp import SPAN, Attacker, WitnessFinder
from ktstat.sdc.protect import FIXED_COST, MARGIN, drop_recomputable, secondary


@dataclass
class Layer:
    """One flow of one vintage (``tag`` its id; ``""`` for the compile being protected)."""

    tag: str
    table: Table  # the cells with their values in this vintage (micro-dollars) and its equations
    hidden: set[Key]  # suppressed cells, primary ones included
    primary: set[Key]
    holdings: dict[Key, dict[str, int]] = field(default_factory=dict)  # cell -> reporter -> own amount
    top: dict[Key, int] = field(default_factory=dict)  # cell -> its largest single contribution
    _by_year: dict[int, list[Key]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def keys_of(self, year: int) -> list[Key]:
        """The layer's cells of a year (with its halves and quarters)."""
        if not self._by_year and self.table.index:
            for k in self.table.index:
                self._by_year.setdefault(_year(k), []).append(k)
        return self._by_year.get(year, [])

    def own(self, key: Key, who: str) -> int:
        """What reporter ``who`` knows of a cell: its own amount where the holdings are kept (the
        cells a primary rule makes confidential: all their reporters), else at most the cell's
        largest contribution, taken as known (the attacker is assumed to know more, not less)."""
        h = self.holdings.get(key)
        if h is not None:
            return h.get(who, 0)
        return self.top.get(key, 0)

    def largest(self, key: Key) -> tuple[str, int] | None:
        """The largest reporter of a cell and its amount (ties: the smaller id), if known."""
        h = self.holdings.get(key)
        if not h:
            return None
        r = min(h, key=lambda x: (-h[x], x))
        return r, h[r]


@dataclass
class Joint:
    table: Table
    origin: list[tuple[int, Key]]  # joint cell -> (layer, key)
    where: dict[tuple[int, Key], int]
    links: set[int]  # equations linking two layers


@functools.cache
def _period_year(period: str) -> int:
    return parse(period).year


def _year(key: Key) -> int:
    return _period_year(key[1])


def _signature(layer: Layer, year: int, status: bool = True) -> frozenset[tuple[Key, int, bool]]:
    t = layer.table
    return frozenset((k, t.values[t.index[k]], status and k in layer.hidden) for k in layer.keys_of(year))


def unchanged_years(earlier: list[Layer], current: Layer) -> dict[int, set[Key]]:
    """Years (with their halves and quarters) whose every cell has the same value in the current
    layer as in the latest earlier layer holding the year, and whose current primary cells that
    layer suppressed: year -> the earlier pattern, which the current layer keeps."""
    out: dict[int, set[Key]] = {}
    for y in sorted({_year(k) for k in current.table.index}):
        for layer in reversed(earlier):
            if not layer.keys_of(y):
                continue
            if _signature(layer, y, False) == _signature(current, y, False):
                prim = {k for k in current.primary if _year(k) == y}
                old = {k for k in layer.hidden if _year(k) == y}
                if prim <= old:
                    out[y] = old
            break
    return out


def relevant_years(layers: list[Layer], skip: set[int] | None = None, last_too: bool = False) -> list[set[int]]:
    """For each layer, the years (with their halves and quarters) it adds to the joint table: all
    of the last layer's but ``skip``; an earlier layer's year only where it differs (a value or a
    status) from every later earlier layer's (``last_too``: and from the last layer's, when its
    pattern is settled, as in an audit)."""
    skip = skip or set()
    end = len(layers) if last_too else -1
    out: list[set[int]] = []
    for i, layer in enumerate(layers):
        years = {_year(k) for k in layer.table.index} - skip
        if i == len(layers) - 1:
            out.append(years)
            continue
        keep = set()
        for y in years:
            sig = _signature(layer, y)
            if all(_signature(later, y) != sig for later in layers[i + 1 : end]):
                keep.add(y)
        out.append(keep)
    return out


def joint(layers: list[Layer], years: list[set[int]] | None = None) -> Joint:
    """The joint table of the layers (see module doc), oldest first; ``years``: per layer, the
    years it contributes (default: all)."""
    t = Table(layers[0].table.flow if layers else "X")
    origin: list[tuple[int, Key]] = []
    where: dict[tuple[int, Key], int] = {}
    for i, layer in enumerate(layers):
        keep = years[i] if years is not None else None
        local: dict[int, int] = {}
        for k, c in layer.table.index.items():
            if keep is not None and _year(k) not in keep:
                continue
            j = len(t.keys)
            t.keys.append(k)
            t.values.append(layer.table.values[c])
            origin.append((i, k))
            where[(i, k)] = j
            local[c] = j
        for eq in layer.table.equations:
            if all(c in local for c, _ in eq):
                t.equations.append([(local[c], coef) for c, coef in eq])
    links: set[int] = set()
    for i in range(len(layers)):
        for j in range(i + 1, len(layers)):
            for k in layers[i].table.index:
                a, b = where.get((i, k)), where.get((j, k))
                if a is None or b is None or t.values[a] != t.values[b]:
                    continue
                if k not in layers[i].hidden and k not in layers[j].hidden and j < len(layers) - 1:
                    continue  # two published constants of fixed layers: nothing to learn
                links.add(len(t.equations))
                t.equations.append([(a, 1), (b, -1)])
    return Joint(t, origin, where, links)


@dataclass(frozen=True)
class Decision:
    """What the revision rule decided for a primary cell that an earlier vintage published."""

    key: Key
    outcome: str  # "public" (published again, value unchanged) or "revised" (suppressed)
    vintage: str  # the earlier vintage that published it


def revision_rule(earlier: list[Layer], current: Layer) -> list[Decision]:
    """The revision rule (module doc) for the current layer's primary cells, newest vintage first."""
    out = []
    for k in sorted(current.primary):
        v = current.table.values[current.table.index[k]]
        for layer in reversed(earlier):
            c = layer.table.index.get(k)
            if c is None or k in layer.hidden:
                continue
            out.append(Decision(k, "public" if layer.table.values[c] == v else "revised", layer.tag))
            break
    return out


@dataclass
class LayersResult:
    hidden: set[Key]  # the current layer's suppressed cells
    primary: set[Key]  # its primary cells after the revision rule
    decisions: list[Decision]
    outsider: list[Interval]  # joint cells
    insider: list[InsiderInterval]
    unprotectable: list[int]
    joint: Joint
    shared: set[int] = field(default_factory=set)  # years the earlier layers add to the joint table


def alone(current: Layer, result: LayersResult, q: float, p_insider: float | None) -> set[Key]:
    """The current layer's pattern had no vintage been released (for comparison): protected
    afresh in the years the earlier layers shared with it (``result.shared``); elsewhere the
    joint table held this layer alone already, so its pattern there is the one it got."""
    if not result.shared:
        return set(result.hidden)
    sub = joint([current], [result.shared]).table  # one layer: each key once
    sub.index = {k: c for c, k in enumerate(sub.keys)}
    keys = set(sub.index)
    mine = Layer(current.tag, sub, set(), current.primary & keys, current.holdings, current.top)
    fresh = protect_layers([], mine, q, p_insider).hidden
    return fresh | {k for k in result.hidden if _year(k) not in result.shared}


def protect_layers(
    earlier: list[Layer], current: Layer, q: float, p_insider: float | None, rounds: int = 3
) -> LayersResult:
    """Secondary suppression of ``current`` against itself and every earlier layer (module doc),
    then the outsider audit and, when ``p_insider`` is set (a fraction), the insider audit, each
    repaired where it fails (up to ``rounds`` times). Earlier layers' patterns never change."""
    from ktstat.sdc.protect import repair

    decisions = revision_rule(earlier, current)
    public = {d.key for d in decisions if d.outcome == "public"}
    prim_keys = current.primary - public
    reused = unchanged_years(earlier, current)
    layers = [*earlier, Layer(current.tag, current.table, set(prim_keys), prim_keys, current.holdings, current.top)]
    j = joint(layers, relevant_years(layers, set(reused)))
    last = len(layers) - 1
    frozen = {c for c, (i, k) in enumerate(j.origin) if i < last and k not in layers[i].hidden}
    kept = {c for c, (i, k) in enumerate(j.origin) if i < last and k in layers[i].hidden}
    targets = {
        c
        for c, (i, k) in enumerate(j.origin)
        if (k in layers[i].primary) and j.table.values[c] != 0 and (i == last or k in layers[i].hidden)
    }
    unprotectable: list[int] = []
    seen: list[dict[int, float]] = []  # the perturbations found: they prove cells protected against insiders too
    hidden = secondary(j.table, targets, q, unprotectable, frozen=frozen, kept=kept, witnesses=seen)
    outsider = repair(
        j.table,
        hidden,
        targets,
        q,
        intervals(j.table, hidden, targets, q, exact=False),
        frozen=frozen,
        kept=kept,
        witnesses=seen,
    )
    insider: list[InsiderInterval] = []
    if p_insider is not None:
        start = set(hidden)
        know = Knowledge(j, layers)
        for d in seen:
            know.add(d)
        insider = insider_intervals(j, layers, hidden, targets, p_insider, know=know, settle=False)
        for _ in range(rounds):
            failing = [iv for iv in insider if not iv.protected]
            if not failing:
                break
            before = set(hidden)
            insider_repair(j, know, hidden, failing, frozen)
            hidden &= drop_recomputable(j.table, hidden, targets | kept)
            # audit again the failing cells and those a perturbation through a cell published again
            # may have proven (hiding more cells leaves every other proof valid)
            again = {iv.cell for iv in failing}
            for r in before - hidden:
                for n in know.by_cell.get(r, ()):
                    again.update(c for c in know.pool[n] if c in targets)
            insider = [iv for iv in insider if iv.cell not in again]
            insider += insider_intervals(
                j, layers, hidden, targets & again, p_insider, only=again, know=know, settle=False
            )
        # what no perturbation proved: the attackers' intervals, computed
        failing = [iv for iv in insider if not iv.protected]
        if failing:
            cells = {iv.cell for iv in failing}
            insider = [iv for iv in insider if iv.cell not in cells]
            insider += insider_intervals(j, layers, hidden, targets & cells, p_insider, only=cells, know=know)
        if hidden != start:
            # the groups of suppressed cells that changed: their intervals afresh (the others' hold)
            changed = hidden ^ start
            moved = {c for cells, _ in components(j.table, hidden) if changed.intersection(cells) for c in cells}
            moved |= {c for cells, _ in components(j.table, start) if changed.intersection(cells) for c in cells}
            outsider = [iv for iv in outsider if iv.cell not in moved]
            outsider += intervals(j.table, hidden, targets & moved, q, exact=False)
    mine = {k for c, (i, k) in enumerate(j.origin) if i == last and c in hidden}
    mine |= {k for pattern in reused.values() for k in pattern}
    shared = {_year(k) for i, k in j.origin if i < last}
    return LayersResult(mine, prim_keys, decisions, outsider, insider, unprotectable, j, shared)


@dataclass(frozen=True)
class InsiderInterval:
    """The interval the largest reporter ``attacker`` of a primary cell deduces for a primary cell."""

    cell: int  # joint cell
    attacker: str
    value: int
    need: float  # p % of the largest contribution not the attacker's
    lower: float
    upper: float
    protected: bool
    exact: bool = True  # False: the interval a perturbation or a solution seen proves; the reader's is wider
    who: frozenset[str] = frozenset()  # the reporters whose own amounts the attacker knows
    free: int = -1  # a cell where it knows none (Threat)


def _singles(j: Joint, layers: list[Layer], cells: Iterable[int], targets: set[int]) -> set[str]:
    """The reporters who are alone in a primary cell among ``cells`` (each knows a whole cell)."""
    found = set()
    for c in cells:
        if c in targets:
            i, k = j.origin[c]
            h = layers[i].holdings.get(k, {})
            if len(h) == 1:
                found |= set(h)
    return found


def _need(j: Joint, layers: list[Layer], c: int, who: str, p: float) -> float:
    """p times the largest contribution to cell ``c`` that is not ``who``'s."""
    i, k = j.origin[c]
    others = [a for r, a in layers[i].holdings.get(k, {}).items() if r != who]
    return p * max(others, default=0)


class Knowledge:
    """What attackers know of the joint table's cells, and the perturbations seen so far.

    ``room``: how far a cell can move, up and down, for every attacker: ``|x|`` for a cell whose
    holdings are kept (an attacker's own amount there narrows it further: :meth:`room_of`), else
    ``x`` less the cell's largest contribution (what one reporter knows at most). ``pool``: the
    protecting perturbations found (by secondary suppression, its repairs, and here), each valid
    as long as every cell it moves is suppressed: ``x + t d`` and ``x - t d`` are then tables an
    attacker cannot rule out for every ``t`` with ``t |d_c|`` within the attacker's room."""

    def __init__(self, j: Joint, layers: list[Layer]) -> None:
        self.j = j
        self.values = np.array(j.table.values, dtype=np.float64)
        self.room = np.abs(self.values)
        self.held: dict[int, dict[str, int]] = {}
        self.cells_of: dict[str, list[int]] = defaultdict(list)  # reporter -> held cells it reports to
        for c, (i, k) in enumerate(j.origin):
            h = layers[i].holdings.get(k)
            if h is not None:
                self.held[c] = h
                for r in h:
                    self.cells_of[r].append(c)
            elif self.values[c] > 0:
                self.room[c] = max(0.0, self.values[c] - layers[i].top.get(k, 0))
        self.pool: list[dict[int, float]] = []
        self._base: list[float] = []  # per perturbation: the largest t every attacker allows outside held cells
        self._held: list[list[int]] = []  # per perturbation: the held cells it moves
        self._blocked: list[set[str]] = []
        self.by_cell: dict[int, list[int]] = defaultdict(list)
        self._rooms: dict[frozenset[str], dict[int, float]] = {}
        self._involved: dict[int, set[str]] = {}
        self._valid: dict[int, bool] = {}  # perturbation -> every cell it moves suppressed (see begin)
        self._hidden: set[int] = set()

    def begin(self, hidden: set[int]) -> None:
        """The suppressed cells the perturbations are checked against from now on."""
        self._hidden = hidden
        self._valid = {}

    def _ok(self, n: int) -> bool:
        got = self._valid.get(n)
        if got is None:
            got = self._valid[n] = self._hidden.issuperset(self.pool[n])
        return got

    def _candidates(self, cell: int) -> list[int]:
        """The perturbations moving ``cell``."""
        return self.by_cell.get(cell, [])

    def moved_by_last(self, cell: int, th: Threat) -> float:
        """How far the latest perturbation moves ``cell`` against ``th``."""
        n = len(self.pool) - 1
        d = self.pool[n]
        if cell not in d or not self._ok(n):
            return 0.0
        return self.stretch(n, th.who, th.free) * abs(d[cell])

    def add(self, d: dict[int, float]) -> None:
        if not d:
            return
        n = len(self.pool)
        self.pool.append(d)
        base = math.inf
        held = []
        for c, dc in d.items():
            base = min(base, self.room[c] / abs(dc))
            if c in self.held:
                held.append(c)
            self.by_cell[c].append(n)
        self._base.append(base)
        self._held.append(held)
        # reporters alone in a cell it moves: they know that cell, so it proves nothing against them
        self._blocked.append({next(iter(self.held[c])) for c in held if len(self.held[c]) == 1})

    def room_of(self, c: int, who: frozenset[str]) -> float:
        """The room of cell ``c`` against attackers who know all of ``who``'s amounts."""
        h = self.held.get(c)
        if h is None or self.values[c] < 0:
            return float(self.room[c])
        if len(who) < len(h):
            own = max((h.get(r, 0) for r in who), default=0)
        else:
            own = max((a for r, a in h.items() if r in who), default=0)
        return max(0.0, float(self.values[c]) - own)

    def overrides(self, who: frozenset[str], free: int = -1) -> dict[int, float]:
        """The held cells where ``who`` narrow the room, with their room (for ``WitnessFinder.find``);
        ``free``: a cell whose room is its whole value (none of ``who``'s amounts in it are known)."""
        got = self._rooms.get(who)
        if got is None:
            got = self._rooms[who] = {c: self.room_of(c, who) for r in who for c in self.cells_of.get(r, ())}
        if free in got:
            got = {**got, free: float(abs(self.values[free]))}
        return got

    def stretch(self, n: int, who: frozenset[str], free: int = -1) -> float:
        """How far perturbation ``n`` can be scaled against attackers knowing ``who``'s amounts
        (but in cell ``free``)."""
        t = self._base[n]
        d = self.pool[n]
        rooms = self._rooms.get(who)
        if rooms is None:
            rooms = self.overrides(who)
        if len(rooms) < len(self._held[n]):
            for c, r in rooms.items():
                if c in d and c != free:
                    t = min(t, r / abs(d[c]))
        else:
            for c in self._held[n]:
                room = rooms.get(c)
                if room is not None and c != free:
                    t = min(t, room / abs(d[c]))
        if free in d:
            t = min(t, abs(self.values[free]) / abs(d[free]))
        return t

    def proven(self, cell: int, threats: list[Threat], hidden: set[int]) -> list[float]:
        """For each threat to ``cell``: how far a perturbation seen moves the cell against it, if
        one moves it at least the threat's need; else 0."""
        out = [0.0] * len(threats)
        left = set(range(len(threats)))
        for n in self._candidates(cell):
            d = self.pool[n]
            far = self._base[n] * abs(d[cell])
            can = [a for a in left if far >= threats[a].need]
            if not can or not self._ok(n):
                continue  # cannot move it far enough, or moves a published cell
            inv = self.involved(n)
            for a in can:
                th = threats[a]
                moved = far if th.who.isdisjoint(inv) else self.stretch(n, th.who, th.free) * abs(d[cell])
                if moved >= th.need:
                    out[a] = moved
                    left.discard(a)
            if not left:
                break
        return out

    def proven_each(self, cell: int, members: set[str], need: float, hidden: set[int]) -> tuple[float, set[str]]:
        """Against each of ``members`` alone (each knowing its own amounts only), kept ``need``
        away from ``cell``: the least movement the perturbations seen prove, and the members none
        proves it against. A perturbation moving no held cell a member reports to proves it
        against that member without looking further."""
        left: set[str] | None = None  # None: none proven yet
        least = math.inf
        for n in self._candidates(cell):
            d = self.pool[n]
            far = self._base[n] * abs(d[cell])
            if far < need or not self._ok(n):
                continue
            inv = self.involved(n)
            if left is None:
                todo = {w for w in inv if w in members} if len(inv) < len(members) else members & inv
                least, left = far, set()
            else:
                todo, left = left, set()
            blocked = self._blocked[n]
            for w in todo:
                if w in blocked:
                    left.add(w)
                    continue
                moved = far if w not in inv else self.stretch(n, frozenset([w])) * abs(d[cell])
                if moved >= need:
                    least = min(least, moved)
                else:
                    left.add(w)
            if not left:
                break
        if left is None:
            return 0.0, set(members)
        return least, left

    def involved(self, n: int) -> set[str]:
        """The reporters holding a part of a cell perturbation ``n`` moves (held cells)."""
        got = self._involved.get(n)
        if got is None:
            got = self._involved[n] = {r for c in self._held[n] for r in self.held[c]}
        return got


@dataclass(frozen=True)
class Threat:
    """An attacker of a primary cell: ``who`` (the reporters whose amounts it knows) and the
    protection it must be kept away by."""

    label: str
    who: frozenset[str]
    need: float
    free: int = -1  # a cell where it knows nothing (unused: kept for the interval's record)


def _attackers(
    j: Joint, layers: list[Layer], c: int, singles: frozenset[str], p: float
) -> tuple[list[Threat], set[str], float]:
    """The attackers of primary cell ``c``: its largest reporter and the reporters of ``c`` alone
    in a primary cell of its group (threats of their own); where ``c`` has one reporter, the
    other reporters alone in a primary cell of the group too (each to be kept the returned p % of
    the cell's value away); none who is ``c``'s only reporter."""
    i, k = j.origin[c]
    h = layers[i].holdings.get(k, {})
    top = layers[i].largest(k)
    v = j.table.values[c]
    one = {r for r in h if r in singles}
    if top is not None:
        one.add(top[0])
    out = [Threat(w, frozenset([w]), _need(j, layers, c, w, p)) for w in sorted(one) if v - h.get(w, 0) > 0]
    # a cell with one reporter is never protected only by another one-reporter cell: its other attackers
    others = set(singles - one) if len(h) == 1 else set()
    return [a for a in out if a.need > 0], others, p * max(h.values(), default=0)


def insider_intervals(
    j: Joint,
    layers: list[Layer],
    hidden: set[int],
    targets: set[int],
    p: float,
    only: set[int] | None = None,
    know: Knowledge | None = None,
    settle: bool = True,
) -> list[InsiderInterval]:
    """Each primary cell's interval as deduced by its attackers (:func:`_attackers`), each
    subtracting its own figures (:class:`Knowledge`).

    First, the perturbations seen (``know.pool``): one that every cell it moves is suppressed
    and that, scaled within an attacker's room, moves the cell by that attacker's protection
    proves it protected against that attacker, and the interval recorded is the one it proves
    (the attacker's own is at least as wide; ``exact`` false). Else a new perturbation within
    the attacker's room (a ``WitnessFinder``; added to the pool, it may prove other cells), and
    where none exists the attacker's interval is computed (two linear programs at most; not with
    ``settle`` false: the cell is then taken as failing, to be repaired, its interval the
    movement found). ``only``: audit only the groups holding one of these cells."""
    know = know or Knowledge(j, layers)
    know.begin(hidden)
    out: list[InsiderInterval] = []
    for cells, eqs in components(j.table, hidden):
        wanted = [c for c in cells if c in targets]
        if not wanted or not eqs or (only is not None and not only.intersection(cells)):
            continue
        singles = frozenset(_singles(j, layers, cells, targets))
        finder: WitnessFinder | None = None
        exact: dict[tuple[frozenset[str], int], Attacker] = {}
        for c in wanted:
            v = j.table.values[c]
            them, others, most = _attackers(j, layers, c, singles, p)
            if others and most > 0:
                # the other reporters alone in a cell: each proven against by a perturbation seen,
                # one row for them all; those none proves are threats of their own
                least, left = know.proven_each(c, others, most, hidden)
                if len(left) < len(others):
                    label = f"{len(others) - len(left)} reporters alone in another primary cell, each"
                    out.append(InsiderInterval(c, label, v, most, v - least, v + least, True, False))
                them += [Threat(w, frozenset([w]), most) for w in sorted(left)]
            seen = know.proven(c, them, hidden)
            short = [a for a, th in enumerate(them) if seen[a] < th.need]
            if len(short) > 1:
                # one perturbation within every such attacker's room proves the cell against them all
                if finder is None:
                    finder = WitnessFinder(j.table, cells, eqs, set(cells), 0.0, {x: know.room[x] for x in cells})
                rooms: dict[int, float] = {}
                for a in short:
                    for x, r in know.overrides(them[a].who, them[a].free).items():
                        rooms[x] = min(r, rooms.get(x, r))
                d = finder.find(c, max(them[a].need for a in short) * (1 + MARGIN), rooms)
                if d:
                    know.add(d)
                    for a in short:
                        seen[a] = max(seen[a], know.moved_by_last(c, them[a]))
            for th, moved in zip(them, seen, strict=True):
                need = th.need
                if moved < need:
                    if finder is None:
                        finder = WitnessFinder(j.table, cells, eqs, set(cells), 0.0, {x: know.room[x] for x in cells})
                    d = finder.find(c, need * (1 + MARGIN), know.overrides(th.who, th.free))
                    if d:
                        know.add(d)
                        moved = know.moved_by_last(c, th)
                if moved >= need:
                    out.append(
                        InsiderInterval(c, th.label, v, need, v - moved, v + moved, True, False, th.who, th.free)
                    )
                    continue
                if not settle:
                    out.append(
                        InsiderInterval(c, th.label, v, need, v - moved, v + moved, False, False, th.who, th.free)
                    )
                    continue
                if (th.who, th.free) not in exact:
                    knowns = {
                        x: int(know.values[x] - know.room_of(x, th.who))
                        for x in cells
                        if know.values[x] > 0 and x != th.free
                    }
                    exact[(th.who, th.free)] = Attacker(j.table, cells, eqs, knowns)
                attacker = exact[(th.who, th.free)]
                tol = TOLERANCE * attacker.scale * SPAN
                low, high = v - need + tol, v + need - tol
                lower, upper, known = attacker.reach(c, low, high)
                ok = lower <= low and upper >= high
                out.append(InsiderInterval(c, th.label, v, need, lower, upper, ok, known, th.who, th.free))
    return out


def insider_repair(
    j: Joint, know: Knowledge, hidden: set[int], failing: list[InsiderInterval], frozen: set[int]
) -> None:
    """Hide (into ``hidden``) the cells of a perturbation protecting each failing cell against its
    attacker: movements within the attacker's room (added to ``know.pool``)."""
    movable = ({c for c, v in enumerate(j.table.values) if v != 0} - frozen) | hidden
    for cells, eqs in components(j.table, movable):
        inside = set(cells)
        here = [iv for iv in failing if iv.cell in inside]
        if not here:
            continue
        fixed = FIXED_COST * max(abs(j.table.values[c]) for c in cells)
        finder = WitnessFinder(j.table, cells, eqs, hidden, fixed, {x: know.room[x] for x in cells})
        for iv in here:
            th = Threat(iv.attacker, iv.who, iv.need, iv.free)
            know.begin(hidden)  # (changes as cells are hidden)
            if know.proven(iv.cell, [th], hidden)[0] >= iv.need:
                continue  # a perturbation found for another cell protects it already
            d = finder.find(iv.cell, iv.need * (1 + MARGIN), know.overrides(iv.who, iv.free))
            if d:
                hidden |= set(d)
                finder.mark_suppressed(set(d))
                know.add(d)


def explain(j: Joint, layers: list[Layer], cell: int, hidden: set[int], limit: int = 6) -> list[str]:
    """The equations touching a cell, written out with each cell's vintage and status (the
    published values a reader combines); links between vintages first."""

    def name(c: int) -> str:
        i, (f, p, b, it) = j.origin[c]
        tag = layers[i].tag or "this compile"
        state = "suppressed" if c in hidden else f"published {j.table.values[c] / 1e6:,.2f}"
        return f"[{tag}] {p} {b} {it} ({state})"

    found = [e for e, eq in enumerate(j.table.equations) if any(c == cell for c, _ in eq)]
    found.sort(key=lambda e: (e not in j.links, e))
    out = []
    for e in found[:limit]:
        eq = j.table.equations[e]
        if e in j.links:
            out.append(f"unchanged between vintages: {name(eq[0][0])} = {name(eq[1][0])}")
        else:
            total = eq[0][0]
            parts = " + ".join(name(c) for c, _ in eq[1:])
            out.append(f"{name(total)} = {parts}")
    if len(found) > limit:
        out.append(f"... and {len(found) - limit} more equations")
    return out
