"""Secondary suppression and the audit loop.

Heuristic in the spirit of tau-ARGUS's and sdcTable's simple methods, checked by the exact
LP audit: (1) while an equation has exactly one suppressed cell (which it would reveal), hide
one more of its cells: the smallest one whose value covers the protection the equation's
suppressed cells need (else the largest available), so as little value as possible is hidden;
(2) audit every primary cell by linear programming; for each that a reader could narrow below
its protection interval, hide one more cell of an equation of its group the same way, and
repeat. Deterministic: ties are broken by cell order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.sdc.audit import Interval, components, intervals
from ktstat.sdc.linear import Table, build_tables
from ktstat.sdc.primary import primary_cells

if TYPE_CHECKING:
    import duckdb

MAX_ROUNDS = 200


@dataclass
class ProtectionResult:
    domain: str
    primary: dict[str, int] = field(default_factory=dict)  # rule -> cells
    secondary: int = 0
    audit_failures: list[Interval] = field(default_factory=list)
    cells: int = 0


def _partner(table: Table, eq: list[tuple[int, int]], suppressed: set[int], need: float) -> int | None:
    """The published cell of an equation to hide: smallest value >= need, else the largest."""
    open_cells = [(table.values[c], c) for c, _ in eq if c not in suppressed and table.values[c] > 0]
    if not open_cells:
        open_cells = [(table.values[c], c) for c, _ in eq if c not in suppressed]
    if not open_cells:
        return None
    enough = sorted(x for x in open_cells if x[0] >= need)
    return enough[0][1] if enough else max(open_cells)[1]


def secondary(table: Table, primary: set[int], q: float) -> set[int]:
    """Cells to hide so that no primary cell can be recomputed or narrowed (see module doc)."""
    suppressed = set(primary)
    eqs_of: dict[int, list[int]] = defaultdict(list)
    for e, eq in enumerate(table.equations):
        for c, _ in eq:
            eqs_of[c].append(e)
    for _ in range(MAX_ROUNDS):
        queue = sorted({e for c in suppressed for e in eqs_of[c]})
        while queue:
            e = queue.pop()
            eq = table.equations[e]
            hidden = [c for c, _ in eq if c in suppressed]
            if len(hidden) != 1:
                continue
            need = q * max(table.values[c] for c in hidden)
            p = _partner(table, eq, suppressed, need)
            if p is None:
                continue
            suppressed.add(p)
            queue.extend(eqs_of[p])
        failing = [iv for iv in intervals(table, suppressed, primary, q) if not iv.protected]
        if not failing:
            return suppressed
        groups = {c: cells for cells, _ in components(table, suppressed) for c in cells}
        for iv in failing:
            group = groups[iv.cell]
            need = q * iv.value
            options = sorted({e for c in group for e in eqs_of[c]})
            best = None
            for e in options:
                p = _partner(table, table.equations[e], suppressed, need)
                if (
                    p is not None
                    and (best is None or (table.values[p], p) < (table.values[best], best))
                    and (table.values[p] >= need or best is None)
                ):
                    best = p
            if best is not None:
                suppressed.add(best)
    return suppressed


def protect(con: duckdb.DuckDBPyConnection, domain: Domain) -> ProtectionResult:
    """Primary and secondary suppression and the audit for a compiled domain; writes table
    ``disclosure`` (domain, freq, period, breakdown, item, flow, reporters, amount, rule) and
    ``disclosure_audit`` (the interval a reader can deduce for each primary cell)."""
    q = domain.disclosure.protection_percent / 100
    primary_cells(con, domain)
    rows = con.execute("SELECT freq, period, breakdown, item, flow, rule FROM sdc_cells").fetchall()
    tables = build_tables(con, domain)
    result = ProtectionResult(domain.id)
    second: list[tuple[str, str, str, str, str]] = []
    audit_rows = []
    for flow, table in tables.items():
        prim = {table.index[(f, p, b, i)] for f, p, b, i, fl, rule in rows if fl == flow and rule}
        hidden = secondary(table, prim, q)
        second += [(*table.keys[c], flow) for c in sorted(hidden - prim)]
        for iv in intervals(table, hidden, prim, q):
            f, p, b, i = table.keys[iv.cell]
            audit_rows.append(
                (
                    domain.id,
                    f,
                    p,
                    b,
                    i,
                    flow,
                    iv.value / 1e6,
                    iv.lower / 1e6,
                    None if iv.upper == float("inf") else iv.upper / 1e6,
                    iv.protected,
                )
            )
            if not iv.protected:
                result.audit_failures.append(iv)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sdc_secondary (freq VARCHAR, period VARCHAR, breakdown VARCHAR, "
        "item VARCHAR, flow VARCHAR)"
    )
    if second:
        con.executemany("INSERT INTO sdc_secondary VALUES (?, ?, ?, ?, ?)", second)
    con.execute("DELETE FROM disclosure WHERE domain = ?", [domain.id])
    con.execute(
        """INSERT INTO disclosure
        SELECT c.domain, c.freq, c.period, c.breakdown, c.item, c.flow, c.reporters, c.amount,
               CASE WHEN c.rule <> '' THEN c.rule WHEN s.flow IS NOT NULL THEN 'secondary' ELSE '' END
        FROM sdc_cells c LEFT JOIN sdc_secondary s USING (freq, period, breakdown, item, flow)"""
    )
    con.execute("DELETE FROM disclosure_audit WHERE domain = ?", [domain.id])
    if audit_rows:
        con.executemany("INSERT INTO disclosure_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", audit_rows)
    result.primary = dict(
        con.execute(
            "SELECT rule, count(*) FROM disclosure WHERE domain = ? AND rule NOT IN ('', 'secondary') GROUP BY 1",
            [domain.id],
        ).fetchall()
    )
    result.secondary = len(second)
    result.cells = len(rows)
    return result
