"""The linear relations a reader can use to recompute cells: the table structure.

Per flow, every published cell (frequency, period, breakdown, item) is a variable; the
relations are additivity equations, each ``sum(coef * cell) = 0``:

- a partitioning breakdown adds up to the total;
- a hierarchy: a code equals the sum of its children in a finer breakdown over the same
  code list (category = its subcategories, region = its partners, a special class = its
  sub-classes);
- a cross ``a+b``: for each code of ``a``, the sum over ``b`` (and for each code of ``b``, the
  sum over ``a``); a hierarchy inside a cross: a cell of ``a+b`` is the sum of the cells of a
  cross refining it (``category+region`` of ``category+partner``, ``industry+region`` of
  ``partner+industry``: the parts in any order, one over a finer level of the same code list)
  and of the cells of its own codes' children (a special class and its sub-classes);
- time: a period equals the sum of its subperiods in every finer published frequency (a year
  its halves or quarters, a half its quarters), from the period hierarchy of :mod:`ktstat.periods`.

Every candidate relation is kept only if it holds exactly, in micro-dollars, in the data
(a relation that does not hold gives a reader nothing), so the structure is the data's own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.periods import ORDER, parse

if TYPE_CHECKING:
    import duckdb

Key = tuple[str, str, str, str]  # freq, period, breakdown, item


@dataclass
class Table:
    """Cells of one flow with their exact values, and the equations linking them."""

    flow: str
    keys: list[Key] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    index: dict[Key, int] = field(default_factory=dict)
    equations: list[list[tuple[int, int]]] = field(default_factory=list)  # [(cell, coef)]

    def cell(self, key: Key) -> int:
        """Index of a cell; cells nobody reported are zeros."""
        if key not in self.index:
            self.index[key] = len(self.keys)
            self.keys.append(key)
            self.values.append(0)
        return self.index[key]

    def add(self, total: Key, parts: list[Key]) -> bool:
        """Add ``total = sum(parts)`` if it holds exactly; returns whether it was added."""
        if not parts or (len(parts) == 1 and parts[0] == total):
            return False
        t = self.cell(total)
        ps = [self.cell(p) for p in parts]
        if self.values[t] != sum(self.values[p] for p in ps):
            return False
        self.equations.append([(t, 1), *((p, -1) for p in ps)])
        return True


def build_tables(con: duckdb.DuckDBPyConnection, domain: Domain) -> dict[str, Table]:
    """The X and M tables of a domain's published cells (reads ``cube``)."""
    freqs = ", ".join(f"'{f}'" for f in domain.frequencies)
    rows = con.execute(
        "SELECT flow, freq, period, breakdown, item, amount_usd_micro FROM cube "
        f"WHERE domain = ? AND freq IN ({freqs}) ORDER BY flow, freq, period, breakdown, item",
        [domain.id],
    ).fetchall()
    return tables_from_rows(rows, domain)


def tables_from_rows(rows: Iterable[tuple[str, str, str, str, str, int]], domain: Domain) -> dict[str, Table]:
    """The X and M tables of cells given as ``(flow, freq, period, breakdown, item, micro-dollars)``
    (a compile's cube, or a released vintage's cells), with every equation that holds in them."""
    tables = {f: Table(f) for f in ("X", "M")}
    items: dict[tuple[str, str], set[str]] = defaultdict(set)  # (freq, breakdown) -> items
    periods: dict[str, set[str]] = defaultdict(set)
    for flow, freq, period, breakdown, item, amount in sorted(rows):
        t = tables[flow]
        t.values[t.cell((freq, period, breakdown, item))] = int(amount)
        items[(freq, breakdown)].add(item)
        periods[freq].add(period)
    for t in tables.values():
        _equations(t, domain, items, periods)
    return tables


def _equations(t: Table, domain: Domain, items: dict[tuple[str, str], set[str]], periods: dict[str, set[str]]) -> None:
    singles = domain.breakdowns
    for freq, plist in periods.items():
        for period in sorted(plist):
            total = (freq, period, "total", "all")
            # partitions and hierarchies
            for b in singles.values():
                codes = sorted(items.get((freq, b.name), set()))
                if b.partition:
                    depths = {b.codelist.depth(c) for c in codes if c in b.codelist.by_code}
                    for d in depths:
                        t.add(total, [(freq, period, b.name, c) for c in codes if b.codelist.depth(c) == d])
                # children of a code within the same breakdown (special classes)
                for parent in codes:
                    by = b.codelist.by_code
                    kids = [c for c in codes if c in by and by[c].parent == parent]
                    if kids:
                        t.add((freq, period, b.name, parent), [(freq, period, b.name, c) for c in kids])
            # a coarser breakdown over the same code list (category <- subcategory, region <- partner)
            for b1 in singles.values():
                for b2 in singles.values():
                    if b1.name == b2.name or b1.source == "reporter" or b1.source != b2.source:
                        continue
                    if b1.codelist.name != b2.codelist.name or not b1.level < b2.level:
                        continue
                    fine = sorted(items.get((freq, b2.name), set()))
                    for c in sorted(items.get((freq, b1.name), set())):
                        kids = [d for d in fine if b2.codelist.ancestor(d, b1.level) == c]
                        t.add((freq, period, b1.name, c), [(freq, period, b2.name, d) for d in kids])
            # hierarchies inside crosses: a cross refining another, a code's children in a cross
            for c_parts, f_parts, order in _refinements(domain):
                c_name, f_name = "+".join(c_parts), "+".join(f_parts)
                refined: dict[str, list[str]] = defaultdict(list)
                for it in sorted(items.get((freq, f_name), set())):
                    codes = it.split("+")
                    up = [_up(domain, c_parts[k], f_parts[order[k]], codes[order[k]]) for k in range(len(c_parts))]
                    if all(u is not None for u in up):
                        refined["+".join(u for u in up if u is not None)].append(it)
                for code, members in sorted(refined.items()):
                    t.add((freq, period, c_name, code), [(freq, period, f_name, m) for m in members])
            for cross in domain.crosses:
                name = "+".join(cross)
                cells = sorted(items.get((freq, name), set()))
                present = set(cells)
                for pos, part in enumerate(cross):
                    by = singles[part].codelist.by_code
                    children: dict[str, list[str]] = defaultdict(list)
                    for it in cells:
                        codes = it.split("+")
                        parent = by[codes[pos]].parent if codes[pos] in by else ""
                        if parent:
                            children["+".join([*codes[:pos], parent, *codes[pos + 1 :]])].append(it)
                    for code, members in sorted(children.items()):
                        if code in present:
                            t.add((freq, period, name, code), [(freq, period, name, m) for m in members])
            # crosses: each margin is the sum of its row or column
            for cross in domain.crosses:
                name = "+".join(cross)
                cells = sorted(items.get((freq, name), set()))
                for pos, part in enumerate(cross):
                    groups: dict[str, list[str]] = defaultdict(list)
                    for it in cells:
                        groups[it.split("+")[pos]].append(it)
                    for code, members in groups.items():
                        t.add((freq, period, part, code), [(freq, period, name, m) for m in members])
    # time: a period is the sum of its subperiods of every finer published frequency
    # (a year of its halves and of its quarters, a half of its quarters), from the period hierarchy
    for coarse_f in periods:
        for fine_f in periods:
            if ORDER[fine_f] <= ORDER[coarse_f]:
                continue
            for (freq, breakdown), coarse_codes in items.items():
                if freq != coarse_f or (fine_f, breakdown) not in items:  # not compiled at the finer frequency
                    continue
                for label in sorted(periods[coarse_f]):
                    subs = [str(p) for p in parse(label).subperiods(fine_f)]
                    if not all(p in periods[fine_f] for p in subs):
                        continue
                    for c in sorted(coarse_codes | items.get((fine_f, breakdown), set())):
                        t.add((coarse_f, label, breakdown, c), [(fine_f, p, breakdown, c) for p in subs])


def _refines(domain: Domain, coarse: str, fine: str) -> bool:
    """Whether breakdown ``fine`` is a finer level of ``coarse``'s code list (partner of region,
    subcategory of category); a breakdown of reporters has no levels."""
    a, b = domain.breakdowns[coarse], domain.breakdowns[fine]
    return a.source == b.source != "reporter" and a.codelist.name == b.codelist.name and a.level < b.level


def _up(domain: Domain, coarse: str, fine: str, code: str) -> str | None:
    """The code of breakdown ``coarse`` containing ``code`` of ``fine`` (the same when they are
    one breakdown)."""
    if coarse == fine:
        return code
    cl = domain.breakdowns[fine].codelist
    return cl.ancestor(code, domain.breakdowns[coarse].level) if code in cl.by_code else None


def _refinements(domain: Domain) -> list[tuple[tuple[str, ...], tuple[str, ...], list[int]]]:
    """Pairs of declared crosses ``(coarse, fine, order)`` where each part ``coarse[k]`` is part
    ``fine[order[k]]`` or a coarser level of it, at least one coarser."""
    from itertools import permutations

    out = []
    for coarse in domain.crosses:
        for fine in domain.crosses:
            if coarse == fine or len(coarse) != len(fine):
                continue
            for order in permutations(range(len(fine))):
                pairs = [(coarse[k], fine[order[k]]) for k in range(len(coarse))]
                if all(a == b or _refines(domain, a, b) for a, b in pairs) and any(a != b for a, b in pairs):
                    out.append((coarse, fine, list(order)))
                    break
    return out
