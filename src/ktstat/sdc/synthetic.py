"""Synthetic hierarchical tables for testing and benchmarking disclosure control.

``hierarchical_table`` builds a two-way table whose both dimensions are hierarchies (a root,
then levels of children), e.g. ``a_fanout=(10, 10, 10)`` gives 1 + 10 + 100 + 1000 codes.
Every cell of the cross of the two code sets is a cell of the table; each interior cell is
the sum of its children along either dimension. Leaf cells get a random number of reporters
(some none: true zeros) with log-normal contributions; aggregates add them up, keeping the
two largest contributions. Values are integers (micro-dollars in the pipeline's units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ktstat.domain import Disclosure
from ktstat.sdc.linear import Table
from ktstat.sdc.primary import primary_rule


@dataclass
class Synthetic:
    table: Table
    primary: dict[int, str]  # cell -> the primary rule that fired
    reporters: list[int]


def _codes(fanout: tuple[int, ...]) -> tuple[list[str], dict[str, str]]:
    """Codes of a hierarchy (``"0"`` the root, ``"0.3.1"`` a grandchild) and each code's parent."""
    codes, parent = ["0"], {}
    level = ["0"]
    for k in fanout:
        nxt = []
        for p in level:
            for i in range(k):
                c = f"{p}.{i}"
                parent[c] = p
                nxt.append(c)
        codes += nxt
        level = nxt
    return codes, parent


def hierarchical_table(
    a_fanout: tuple[int, ...] = (10, 10, 10),
    b_fanout: tuple[int, ...] = (9, 10),
    seed: int = 1,
    rules: Disclosure | None = None,
    mean_reporters: float = 6.0,
) -> Synthetic:
    """A two-way hierarchical table with its primary cells (see module doc)."""
    rules = rules or Disclosure()
    rng = np.random.default_rng(seed)
    a_codes, a_parent = _codes(a_fanout)
    b_codes, b_parent = _codes(b_fanout)
    a_leaves = [c for c in a_codes if c.count(".") == len(a_fanout)]
    b_leaves = [c for c in b_codes if c.count(".") == len(b_fanout)]
    stats: dict[tuple[str, str], list[int]] = {}  # cell -> [value, reporters, top1, top2]
    for a in a_leaves:
        counts = rng.geometric(1 / mean_reporters, size=len(b_leaves)) - 1
        for b, n in zip(b_leaves, counts, strict=True):
            amounts = sorted((int(x) for x in rng.lognormal(18, 1.5, size=n)), reverse=True)
            stats[(a, b)] = [sum(amounts), int(n), amounts[0] if n else 0, amounts[1] if n > 1 else 0]

    def merge(target: tuple[str, str], part: list[int]) -> None:
        s = stats.setdefault(target, [0, 0, 0, 0])
        top = sorted([s[2], s[3], part[2], part[3]], reverse=True)
        s[0] += part[0]
        s[1] += part[1]
        s[2], s[3] = top[0], top[1]

    # aggregate along b (leaves upwards), then along a for every b code
    for b in sorted(b_parent, key=lambda c: -c.count(".")):
        for a in a_leaves:
            merge((a, b_parent[b]), stats[(a, b)])
    for a in sorted(a_parent, key=lambda c: -c.count(".")):
        for b in b_codes:
            merge((a_parent[a], b), stats[(a, b)])
    t = Table("X")
    primary: dict[int, str] = {}
    reporters: list[int] = []
    for a in a_codes:
        for b in b_codes:
            value, n, t1, t2 = stats[(a, b)]
            c = t.cell(("A", "2024", a, b))
            t.values[c] = value
            reporters.append(n)
            rule = primary_rule(n, value, t1, t2, rules)
            if rule and value > 0:
                primary[c] = rule
    a_kids: dict[str, list[str]] = {}
    b_kids: dict[str, list[str]] = {}
    for k, p in a_parent.items():
        a_kids.setdefault(p, []).append(k)
    for k, p in b_parent.items():
        b_kids.setdefault(p, []).append(k)
    for a in a_codes:
        for b in b_codes:
            kids_b = b_kids.get(b, [])
            if kids_b:
                t.add(("A", "2024", a, b), [("A", "2024", a, k) for k in kids_b])
            kids_a = a_kids.get(a, [])
            if kids_a:
                t.add(("A", "2024", a, b), [("A", "2024", k, b) for k in kids_a])
    return Synthetic(t, primary, reporters)
