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

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ktstat.periods import parse
from ktstat.sdc.audit import TOLERANCE, Interval, components, intervals
from ktstat.sdc.linear import Key, Table
from ktstat.sdc.lp import SPAN, Attacker, WitnessFinder
from ktstat.sdc.protect import FIXED_COST, MARGIN, drop_recomputable, secondary

PROOFS = 64  # perturbations kept per group of suppressed cells, to prove other cells protected


@dataclass
class Layer:
    """One flow of one vintage (``tag`` its id; ``""`` for the compile being protected)."""

    tag: str
    table: Table  # the cells with their values in this vintage (micro-dollars) and its equations
    hidden: set[Key]  # suppressed cells, primary ones included
    primary: set[Key]
    holdings: dict[Key, dict[str, int]] = field(default_factory=dict)  # cell -> reporter -> own amount
    top: dict[Key, int] = field(default_factory=dict)  # cell -> its largest single contribution

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


def _year(key: Key) -> int:
    return parse(key[1]).year


def _signature(layer: Layer, year: int, status: bool = True) -> frozenset[tuple[Key, int, bool]]:
    t = layer.table
    return frozenset((k, t.values[c], status and k in layer.hidden) for k, c in t.index.items() if _year(k) == year)


def unchanged_years(earlier: list[Layer], current: Layer) -> dict[int, set[Key]]:
    """Years (with their halves and quarters) whose every cell has the same value in the current
    layer as in the latest earlier layer holding the year, and whose current primary cells that
    layer suppressed: year -> the earlier pattern, which the current layer keeps."""
    out: dict[int, set[Key]] = {}
    for y in sorted({_year(k) for k in current.table.index}):
        for layer in reversed(earlier):
            if not any(_year(k) == y for k in layer.table.index):
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
    hidden = secondary(j.table, targets, q, unprotectable, frozen=frozen, kept=kept)
    outsider = repair(
        j.table, hidden, targets, q, intervals(j.table, hidden, targets, q, exact=False), frozen=frozen, kept=kept
    )
    insider: list[InsiderInterval] = []
    if p_insider is not None:
        start = set(hidden)
        insider = insider_intervals(j, layers, hidden, targets, p_insider)
        for _ in range(rounds):
            failing = [iv for iv in insider if not iv.protected]
            if not failing:
                break
            before = set(hidden)
            insider_repair(j, layers, hidden, failing, frozen, p_insider)
            hidden &= drop_recomputable(j.table, hidden, targets | kept)
            # audit again the groups of suppressed cells the repair touched
            touched = (hidden ^ before) | {iv.cell for iv in failing}
            again = {c for cells, _ in components(j.table, hidden) if touched.intersection(cells) for c in cells}
            insider = [iv for iv in insider if iv.cell not in again]
            insider += insider_intervals(j, layers, hidden, targets, p_insider, only=touched)
        if hidden != start:
            outsider = intervals(j.table, hidden, targets, q, exact=False)
    mine = {k for c, (i, k) in enumerate(j.origin) if i == last and c in hidden}
    mine |= {k for pattern in reused.values() for k in pattern}
    return LayersResult(mine, prim_keys, decisions, outsider, insider, unprotectable, j)


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


def _known(j: Joint, layers: list[Layer], cells: Iterable[int], who: str) -> dict[int, int]:
    """What ``who`` knows of each of the cells (:meth:`Layer.own`), where it is not nothing."""
    out = {}
    for c in cells:
        i, k = j.origin[c]
        a = layers[i].own(k, who)
        if a:
            out[c] = a
    return out


def _need(j: Joint, layers: list[Layer], c: int, who: str, p: float) -> float:
    """p times the largest contribution to cell ``c`` that is not ``who``'s."""
    i, k = j.origin[c]
    others = [a for r, a in layers[i].holdings.get(k, {}).items() if r != who]
    return p * max(others, default=0)


def insider_intervals(
    j: Joint, layers: list[Layer], hidden: set[int], targets: set[int], p: float, only: set[int] | None = None
) -> list[InsiderInterval]:
    """Each primary cell's interval as deduced by its attackers (module doc): its largest reporter,
    and every reporter alone in another primary cell of its group of suppressed cells (who knows
    that whole cell), each subtracting its own figures; the cells where the attacker is the only
    reporter are skipped (its own figure).

    First, per primary cell, one perturbation that moves it by the largest protection these
    attackers need while every cell moves within the part none of them holds (a
    ``WitnessFinder`` with that room): if there is one, the cell is protected against all of
    them, and the interval recorded is the one it proves (each attacker's own is at least as
    wide). Otherwise each attacker's interval is computed exactly (two linear programs).
    ``only``: audit only the groups holding one of these cells."""
    out: list[InsiderInterval] = []
    for cells, eqs in components(j.table, hidden):
        wanted = [c for c in cells if c in targets]
        if not wanted or not eqs or (only is not None and not only.intersection(cells)):
            continue
        knowns = {w: _known(j, layers, cells, w) for w in _singles(j, layers, cells, targets)}
        singles = sorted(knowns)
        finder = WitnessFinder(j.table, cells, eqs, set(cells), 0.0)
        exact: dict[str, Attacker] = {}
        proofs: list[tuple[frozenset[str], dict[int, float]]] = []
        for c in wanted:
            i, k = j.origin[c]
            top = layers[i].largest(k)
            if top is not None and top[0] not in knowns:
                knowns[top[0]] = _known(j, layers, cells, top[0])
            v = j.table.values[c]
            needs = {
                w: _need(j, layers, c, w, p)
                for w in sorted({*singles, *([top[0]] if top else [])})
                if knowns[w] and v - knowns[w].get(c, 0) > 0
            }
            if not needs:
                continue  # no attacker knows more than an outsider, or it is their own figure
            # the largest reporter (p % of the second) and the others (p % of the largest) apart:
            # one perturbation for each group, and exact intervals for a group without one
            groups = [[w for w in needs if top and w == top[0]], [w for w in needs if not top or w != top[0]]]
            for group in groups:
                if not group:
                    continue
                room: dict[int, int] = {}
                for w in group:
                    for x, a in knowns[w].items():
                        room[x] = min(room.get(x, j.table.values[x]), j.table.values[x] - a)
                most = max(needs[w] for w in group)
                # a perturbation found for another cell against a larger group of attackers, moving
                # this one enough, proves it too (its room was no larger)
                g = frozenset(group)
                moved = max((m.get(c, 0.0) for big, m in proofs if g <= big), default=0.0)
                if moved >= most > 0:
                    out += [InsiderInterval(c, w, v, needs[w], v - moved, v + moved, True, False) for w in group]
                    continue
                d = finder.find(c, most * (1 + MARGIN), room) if most > 0 else {}
                moved = abs(d.get(c, 0.0)) if d is not None else 0.0
                if d is not None and moved >= most:
                    out += [InsiderInterval(c, w, v, needs[w], v - moved, v + moved, True, False) for w in group]
                    if d:  # stretched as far as the room allows
                        stretch = min(room.get(x, abs(j.table.values[x])) / abs(dx) for x, dx in d.items())
                        proofs.append((g, {x: abs(dx) * stretch for x, dx in d.items()}))
                        del proofs[:-PROOFS]
                    continue
                for w in group:
                    if w not in exact:
                        exact[w] = Attacker(j.table, cells, eqs, knowns[w])
                    attacker = exact[w]
                    tol = TOLERANCE * attacker.scale * SPAN
                    low, high = v - needs[w] + tol, v + needs[w] - tol
                    lower, upper, known = attacker.reach(c, low, high)
                    out.append(InsiderInterval(c, w, v, needs[w], lower, upper, lower <= low and upper >= high, known))
    return out


def insider_repair(
    j: Joint, layers: list[Layer], hidden: set[int], failing: list[InsiderInterval], frozen: set[int], p: float
) -> None:
    """Hide (into ``hidden``) the cells of a perturbation protecting each failing cell against its
    attacker: movements within the part of each cell the attacker does not hold."""
    movable = ({c for c, v in enumerate(j.table.values) if v != 0} - frozen) | hidden
    by_who: dict[str, list[InsiderInterval]] = defaultdict(list)
    for iv in failing:
        by_who[iv.attacker].append(iv)
    for cells, eqs in components(j.table, movable):
        inside = set(cells)
        fixed = FIXED_COST * max(abs(j.table.values[c]) for c in cells)
        for who, ivs in sorted(by_who.items()):
            here = [iv for iv in ivs if iv.cell in inside]
            if not here:
                continue
            room = {c: j.table.values[c] - a for c, a in _known(j, layers, cells, who).items()}
            finder = WitnessFinder(j.table, cells, eqs, hidden, fixed, room)
            for iv in here:
                d = finder.find(iv.cell, iv.need * (1 + MARGIN))
                if d:
                    hidden |= set(d)
                    finder.mark_suppressed(set(d))


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
