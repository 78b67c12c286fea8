"""Secondary suppression: hide as little value as possible so that no primary cell can be
recomputed, or narrowed below its protection interval, from the published cells.

The table splits into blocks that no equation links (a year with its halves, say). In each
block, primary cells are taken largest first; for each not yet protected, a linear program
(:class:`~ktstat.sdc.lp.WitnessFinder`) finds the cheapest perturbation of the table that
moves it by its protection and leaves every published equation intact; the cells it moves
are suppressed. Each perturbation, scaled as far as the cells allow, also protects the other
primary cells it moves by enough, which then need no program of their own. The audit
(:mod:`ktstat.sdc.audit`) then checks the result independently. Deterministic: ties are
broken by cell order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.sdc.audit import Interval, components, intervals
from ktstat.sdc.linear import Table, build_tables
from ktstat.sdc.lp import WitnessFinder
from ktstat.sdc.primary import primary_cells
from ktstat.store import insert_rows

if TYPE_CHECKING:
    import duckdb

    from ktstat.sdc.linear import Key
    from ktstat.sdc.vintages import InsiderInterval, Layer, LayersResult

FIXED_COST = 1e-5  # per-cell part of the cost of hiding a cell, relative to the block's largest value
MARGIN = 1e-4  # witnesses move a cell by its protection times (1 + MARGIN), against round-off
LOCAL_BLOCK = 5000  # larger blocks look for perturbations near the cell first


@dataclass
class ProtectionResult:
    domain: str
    primary: dict[str, int] = field(default_factory=dict)  # rule -> cells
    secondary: int = 0
    audit_failures: list[Interval] = field(default_factory=list)  # outsider, any vintage
    insider_failures: list[InsiderInterval] = field(default_factory=list)
    unprotectable: list[int] = field(default_factory=list)
    cells: int = 0
    missing_vintages: list[str] = field(default_factory=list)  # vintages without a disclosure record


def _ball(table: Table, eqs_of: dict[int, list[int]], cell: int, radius: int, within: set[int]) -> set[int]:
    """Cells of ``within`` reachable from ``cell`` through at most ``radius`` shared equations."""
    seen = {cell}
    frontier = {cell}
    for _ in range(radius):
        nxt: set[int] = set()
        for c in frontier:
            for e in eqs_of[c]:
                nxt.update(x for x, _ in table.equations[e] if x in within and x not in seen)
        seen |= nxt
        frontier = nxt
    return seen


def secondary(
    table: Table,
    primary: set[int],
    q: float,
    unprotectable: list[int] | None = None,
    local_block: int = LOCAL_BLOCK,
    frozen: set[int] | None = None,
    kept: set[int] | None = None,
    witnesses: list[dict[int, float]] | None = None,
) -> set[int]:
    """The suppressed cells (primary ones included) protecting every primary cell (see module doc).

    Cells nobody reported (value 0, published as zero) are never chosen. Primary cells that no
    perturbation can protect are appended to ``unprotectable``. In blocks of more than
    ``local_block`` cells, a cell's perturbation is sought first among the cells within two
    shared equations of it, then three, then in the whole block (a perturbation found in a
    neighbourhood is one of the whole table: the cells outside stay put).

    Across vintages (:mod:`ktstat.sdc.vintages`): ``frozen`` cells are published already and
    never move; ``kept`` cells are suppressed already (they move freely and stay suppressed).
    ``witnesses``: the perturbations found are appended to it (they prove cells protected against
    insiders too: :class:`ktstat.sdc.vintages.Knowledge`).
    """
    frozen = frozen or set()
    kept = kept or set()
    suppressed = set(primary) | kept
    movable = ({c for c, v in enumerate(table.values) if v != 0} - frozen) | suppressed
    eqs_of: dict[int, list[int]] = defaultdict(list)
    for e, eq in enumerate(table.equations):
        for c, _ in eq:
            eqs_of[c].append(e)
    for cells, eqs in components(table, movable):
        prim = sorted(
            (c for c in cells if c in primary and table.values[c] != 0), key=lambda c: (-abs(table.values[c]), c)
        )
        if not prim:
            continue
        fixed = FIXED_COST * max(abs(table.values[c]) for c in cells)
        whole: WitnessFinder | None = None
        block = set(cells)
        covered: dict[int, float] = {}
        for p in prim:
            need = q * abs(table.values[p]) * (1 + MARGIN)
            if covered.get(p, 0.0) >= need:
                continue
            d = None
            if len(cells) > local_block:
                for radius in (2, 3):
                    near = sorted(_ball(table, eqs_of, p, radius, block))
                    near_eqs = sorted({e for c in near for e in eqs_of[c]})
                    d = WitnessFinder(table, near, near_eqs, suppressed, fixed).find(p, need)
                    if d is not None:
                        break
            if d is None:
                if whole is None:
                    whole = WitnessFinder(table, cells, eqs, suppressed, fixed)
                d = whole.find(p, need)
            if d is None:
                if unprotectable is not None:
                    unprotectable.append(p)
                continue
            if witnesses is not None and d:
                witnesses.append(d)
            new = set(d) - suppressed
            suppressed |= new
            if whole is not None:
                whole.mark_suppressed(new)
            stretch = min(abs(table.values[c]) / abs(dc) for c, dc in d.items())
            for c, dc in d.items():
                covered[c] = max(covered.get(c, 0.0), abs(dc) * stretch)
    return drop_recomputable(table, suppressed, primary | kept)


def drop_recomputable(table: Table, hidden: set[int], primary: set[int]) -> set[int]:
    """Publish again every secondary cell that is the only hidden cell of an equation: a reader
    recomputes it exactly anyway, so hiding it protects nothing. Repeats until none is left."""
    hidden = set(hidden)
    changed = True
    while changed:
        changed = False
        for eq in table.equations:
            inside = [c for c, _ in eq if c in hidden]
            if len(inside) == 1 and inside[0] not in primary:
                hidden.discard(inside[0])
                changed = True
    return hidden


def repair(
    table: Table,
    hidden: set[int],
    primary: set[int],
    q: float,
    ivs: list[Interval],
    rounds: int = 3,
    frozen: set[int] | None = None,
    kept: set[int] | None = None,
    witnesses: list[dict[int, float]] | None = None,
) -> list[Interval]:
    """A safety net behind ``secondary``: for each primary cell the audit finds unprotected, look
    for a protecting perturbation over its whole block afresh and hide the cells it moves (into
    ``hidden``); audit again. Returns the final intervals. ``frozen``, ``kept`` and
    ``witnesses`` as in :func:`secondary`."""
    frozen = frozen or set()
    kept = kept or set()
    for _ in range(rounds):
        failing = [iv.cell for iv in ivs if not iv.protected]
        if not failing:
            break
        movable = ({c for c, v in enumerate(table.values) if v != 0} - frozen) | hidden
        for cells, eqs in components(table, movable):
            here = [c for c in failing if c in set(cells)]
            if not here:
                continue
            finder = WitnessFinder(table, cells, eqs, hidden, FIXED_COST * max(abs(table.values[c]) for c in cells))
            for c in here:
                d = finder.find(c, q * abs(table.values[c]) * (1 + MARGIN))
                if d:
                    if witnesses is not None:
                        witnesses.append(d)
                    hidden |= set(d)
                    finder.mark_suppressed(set(d))
        hidden &= drop_recomputable(table, hidden, primary | kept)
        ivs = intervals(table, hidden, primary, q, exact=False)
    return ivs


PARALLEL_CELLS = 20_000  # flows protected in processes of their own when a table has more cells


def _protect_flow(
    job: tuple[list[Layer], Layer, float, float | None],
) -> tuple[LayersResult, set[Key] | None]:
    """One flow's protection (:func:`ktstat.sdc.vintages.protect_layers`) and, when earlier
    vintages exist, the pattern its data alone would get (None otherwise)."""
    from ktstat.sdc.vintages import alone, protect_layers

    earlier, current, q, p_ins = job
    res = protect_layers(earlier, current, q, p_ins)
    return res, (alone(current, res, q, p_ins) if earlier else None)


def _protect_flows(
    jobs: dict[str, tuple[list[Layer], Layer, float, float | None]],
) -> dict[str, tuple[LayersResult, set[Key] | None]]:
    """:func:`_protect_flow` of each flow, in two processes when a table has more than
    ``PARALLEL_CELLS`` cells (:func:`ktstat.sdc.worker.per_flow`: the same results)."""
    from ktstat.sdc.worker import per_flow

    big = any(len(job[1].table.values) > PARALLEL_CELLS for job in jobs.values())
    return per_flow(_protect_flow, jobs, parallel=big)


def protect(con: duckdb.DuckDBPyConnection, domain: Domain) -> ProtectionResult:
    """Primary and secondary suppression and the audit for a compiled domain, against the
    domain's released vintages and the largest reporters of primary cells as the domain's
    ``[disclosure]`` settings say (:mod:`ktstat.sdc.vintages`). Writes tables ``disclosure``
    (domain, freq, period, breakdown, item, flow, reporters, amount, rule), ``disclosure_audit``
    (the interval an outsider can deduce for each primary cell, or where ``exact`` is false, values the
    reader cannot rule out, proving it protected), ``disclosure_insider`` (the
    interval each largest reporter deduces), ``disclosure_holdings`` (what a vintage keeps for
    later protection), and, when earlier vintages exist, ``disclosure_changes`` (cells whose
    status differs from the latest vintage that released them, and why) and ``disclosure_alone``
    (the pattern the data alone would get, for comparison)."""
    from ktstat.sdc.layers import current_holdings, keep_holdings, vintage_layers
    from ktstat.sdc.vintages import Layer

    rules = domain.disclosure
    q = rules.protection_percent / 100
    p_ins = rules.insider_fraction
    primary_cells(con, domain)
    rows = con.execute("SELECT freq, period, breakdown, item, flow, rule FROM sdc_cells").fetchall()
    tables = build_tables(con, domain)
    earlier, result_missing = vintage_layers(con, domain) if rules.across_vintages else ({"X": [], "M": []}, [])
    holdings, tops = current_holdings(con, domain) if p_ins is not None else ({"X": {}, "M": {}}, {"X": {}, "M": {}})
    result = ProtectionResult(domain.id)
    result.missing_vintages = result_missing
    second: list[tuple[str, str, str, str, str]] = []
    public: list[tuple[str, str, str, str, str]] = []
    alone: list[tuple[str, ...]] = []
    changes: list[tuple[str, ...]] = []
    audit_rows = []
    insider_rows = []
    rule_of = {(f, p, b, i, fl): rule for f, p, b, i, fl, rule in rows}
    jobs = {
        flow: (
            earlier[flow],
            Layer(
                "",
                table,
                set(),
                {(f, p, b, i) for f, p, b, i, fl, rule in rows if fl == flow and rule},
                holdings[flow],
                tops[flow],
            ),
            q,
            p_ins,
        )
        for flow, table in tables.items()
    }
    for flow, (res, by_itself) in _protect_flows(jobs).items():
        table = tables[flow]
        j = res.joint
        last = len(earlier[flow])
        result.unprotectable += res.unprotectable
        second += [(*k, flow) for k in sorted(res.hidden - res.primary)]
        public += [(*d.key, flow) for d in res.decisions if d.outcome == "public"]
        for iv in res.outsider:
            i, key = j.origin[iv.cell]
            if not iv.protected:
                result.audit_failures.append(iv)
            if i != last:
                continue
            audit_rows.append(
                (
                    domain.id,
                    *key,
                    flow,
                    iv.value / 1e6,
                    iv.lower / 1e6,
                    None if iv.upper == float("inf") else iv.upper / 1e6,
                    iv.protected,
                    iv.exact,
                )
            )
        for ins in res.insider:
            i, key = j.origin[ins.cell]
            if not ins.protected:
                result.insider_failures.append(ins)
            tag = earlier[flow][i].tag if i < last else ""
            insider_rows.append(
                (
                    domain.id,
                    tag,
                    *key,
                    flow,
                    ins.attacker,
                    ins.value / 1e6,
                    ins.need / 1e6,
                    ins.lower / 1e6,
                    None if ins.upper == float("inf") else ins.upper / 1e6,
                    ins.protected,
                    ins.exact,
                )
            )
        if by_itself is None:
            continue
        # the comparison: the pattern these data alone would get, and the changes against the latest vintage
        alone += [(domain.id, *k, flow) for k in sorted(by_itself)]
        decided = {d.key: d for d in res.decisions}
        for k, c in sorted(table.index.items()):
            before = next((lay for lay in reversed(earlier[flow]) if k in lay.table.index), None)
            if before is None:
                continue
            was = "suppressed" if k in before.hidden else "published"
            now = "suppressed" if k in res.hidden else "published"
            changed = before.table.values[before.table.index[k]] != table.values[c]
            d = decided.get(k)
            if was == now and d is None:
                continue
            rule = rule_of.get((*k, flow), "")  # "" also for a cell nobody reports any more
            if d is not None and d.outcome == "public":
                why = f"{rule} now, but unchanged since {d.vintage}, which published it: public, published again"
            elif d is not None:
                why = f"{rule} now; {d.vintage} published another value, which no longer identifies anyone"
            elif now == "suppressed" and rule:
                why = f"{rule} now" + (" (revised)" if changed else "")
            elif now == "suppressed":
                why = (
                    "secondary, needed against the earlier vintages"
                    if k not in by_itself
                    else "secondary" + (" (revised)" if changed else "")
                )
            else:
                why = "no longer confidential" + (" (revised)" if changed else " (its earlier pattern is not needed)")
            changes.append((domain.id, *k, flow, before.tag, was, now, why))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sdc_secondary (freq VARCHAR, period VARCHAR, breakdown VARCHAR, "
        "item VARCHAR, flow VARCHAR)"
    )
    insert_rows(con, "sdc_secondary", second)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sdc_public (freq VARCHAR, period VARCHAR, breakdown VARCHAR, "
        "item VARCHAR, flow VARCHAR)"
    )
    insert_rows(con, "sdc_public", public)
    con.execute("DELETE FROM disclosure WHERE domain = ?", [domain.id])
    con.execute(
        """INSERT INTO disclosure
        SELECT c.domain, c.freq, c.period, c.breakdown, c.item, c.flow, c.reporters, c.amount,
               CASE WHEN u.flow IS NOT NULL THEN '' WHEN c.rule <> '' THEN c.rule
                    WHEN s.flow IS NOT NULL THEN 'secondary' ELSE '' END
        FROM sdc_cells c LEFT JOIN sdc_secondary s USING (freq, period, breakdown, item, flow)
        LEFT JOIN sdc_public u USING (freq, period, breakdown, item, flow)"""
    )
    con.execute("DELETE FROM disclosure_audit WHERE domain = ?", [domain.id])
    insert_rows(con, "disclosure_audit", audit_rows)
    con.execute("DELETE FROM disclosure_insider WHERE domain = ?", [domain.id])
    insert_rows(con, "disclosure_insider", insider_rows)
    con.execute("DELETE FROM disclosure_changes WHERE domain = ?", [domain.id])
    insert_rows(con, "disclosure_changes", changes)
    con.execute("DELETE FROM disclosure_alone WHERE domain = ?", [domain.id])
    insert_rows(con, "disclosure_alone", alone)
    keep_holdings(con, domain)
    result.primary = dict(
        con.execute(
            "SELECT rule, count(*) FROM disclosure WHERE domain = ? AND rule NOT IN ('', 'secondary') GROUP BY 1",
            [domain.id],
        ).fetchall()
    )
    result.secondary = len(second)
    result.cells = len(rows)
    return result
