"""The layers of :mod:`ktstat.sdc.vintages` read from the store, and what protection keeps there.

- ``vintage_layers``: each vintage's cells as released (``vintage_cells``: every cube cell of its
  periods with its true value, reporters, two largest contributions and the rule that hid it)
  and the holdings kept with it (``vintage_holdings``), as X and M layers, oldest release first;
- ``current_holdings``: per flow, cell -> reporter -> own amount (micro-dollars) for every
  reporter of each cell a primary rule makes confidential (table ``cube_holdings``, kept by
  :func:`ktstat.cube.build_cube` from its per-reporter sums), and every cell's largest single
  contribution (an upper bound on what any one reporter knows of a cell whose holdings are not
  kept);
- ``keep_holdings``: table ``disclosure_holdings``, the part of those a vintage keeps (the
  holdings; the largest contributions are in ``vintage_cells``);
- ``audit_released``: every vintage and the compile audited together, as an outsider and as
  the largest reporters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ktstat.domain import Domain
from ktstat.sdc.linear import Key, tables_from_rows
from ktstat.sdc.vintages import Layer

if TYPE_CHECKING:
    import duckdb

PRIMARY_RULES = ("threshold", "dominance", "p_percent")


def _holdings(rows: list[tuple[str, str, str, str, str, str, int]]) -> dict[str, dict[Key, dict[str, int]]]:
    out: dict[str, dict[Key, dict[str, int]]] = {"X": defaultdict(dict), "M": defaultdict(dict)}
    for flow, f, p, b, i, r, a in rows:
        out[flow][(f, p, b, i)][r] = int(a)
    return out


def _add_layers(
    layers: dict[str, list[Layer]],
    tag: str,
    rows: list[tuple[Any, ...]],
    hold_rows: list[tuple[Any, ...]],
    domain: Domain,
) -> None:
    """Append to each flow's layers the one of ``rows`` (flow, freq, period, breakdown, item,
    amount in micro-dollars, rule, largest contribution in micro-dollars) with the holdings of
    ``hold_rows`` (flow, freq, period, breakdown, item, reporter, amount in micro-dollars)."""
    tables = tables_from_rows([r[:6] for r in rows], domain)
    hold = _holdings(hold_rows)
    tops = _tops([(*r[:5], r[7]) for r in rows])
    for flow, table in tables.items():
        hidden = {(f, p, b, i) for fl, f, p, b, i, _a, rule, _t in rows if fl == flow and rule}
        prim = {(f, p, b, i) for fl, f, p, b, i, _a, rule, _t in rows if fl == flow and rule in PRIMARY_RULES}
        layers[flow].append(Layer(tag, table, hidden, prim, dict(hold[flow]), tops[flow]))


def vintage_layers(
    con: duckdb.DuckDBPyConnection, domain: Domain, upto: str | None = None
) -> tuple[dict[str, list[Layer]], list[str]]:
    """The X and M layers of the domain's vintages (released or embargoed: a reader will have
    them), oldest release first, up to and including the vintage ``upto`` when given; and the
    ids of vintages made without a disclosure record (before ktstat kept one), left out."""
    from ktstat.release.vintage import list_vintages

    layers: dict[str, list[Layer]] = {"X": [], "M": []}
    missing = []
    for v in list_vintages(con, domain.id):
        rows = con.execute(
            "SELECT flow, freq, period, breakdown, item, amount_usd_micro, rule, top1_micro FROM vintage_cells "
            "WHERE vintage_id = ?",
            [v.vintage_id],
        ).fetchall()
        if not rows:
            missing.append(v.vintage_id)
        else:
            hold = con.execute(
                "SELECT flow, freq, period, breakdown, item, reporter_id, amount_usd_micro FROM vintage_holdings "
                "WHERE vintage_id = ?",
                [v.vintage_id],
            ).fetchall()
            _add_layers(layers, v.vintage_id, rows, hold, domain)
        if v.vintage_id == upto:
            break
    return layers, missing


def _arrow_rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> list[tuple[Any, ...]]:
    table = con.sql(sql, params=params).to_arrow_table()
    assert table is not None  # a SELECT always has a result
    cols = [table.column(n).to_pylist() for n in table.column_names]
    return list(zip(*cols, strict=True))


def _tops(rows: list[tuple[Any, ...]]) -> dict[str, dict[Key, int]]:
    out: dict[str, dict[Key, int]] = {"X": {}, "M": {}}
    for flow, f, p, b, i, t in rows:
        out[flow][(f, p, b, i)] = int(t or 0)
    return out


def current_holdings(
    con: duckdb.DuckDBPyConnection, domain: Domain
) -> tuple[dict[str, dict[Key, dict[str, int]]], dict[str, dict[Key, int]]]:
    """Per flow, cell -> reporter -> own amount for every reporter of each cell a primary rule
    makes confidential (table ``cube_holdings``, made with the cube), and cell -> largest single
    contribution for every cell (what a reporter is taken to know of a cell whose holdings are
    not kept: :meth:`ktstat.sdc.vintages.Layer.own`)."""
    freqs = list(domain.frequencies)
    held = _holdings(
        _arrow_rows(
            con,
            "SELECT flow, freq, period, breakdown, item, reporter_id, CAST(amount_usd_micro AS BIGINT) "
            "FROM cube_holdings WHERE domain = ? AND list_contains(?, freq)",
            [domain.id, freqs],
        )
    )
    tops = _tops(
        _arrow_rows(
            con,
            "SELECT flow, freq, period, breakdown, item, CAST(top1_micro AS BIGINT) FROM cube "
            "WHERE domain = ? AND list_contains(?, freq)",
            [domain.id, freqs],
        )
    )
    return {flow: dict(h) for flow, h in held.items()}, tops


def keep_holdings(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Table ``disclosure_holdings`` of the domain: every reporter's amount in each cell a
    primary rule makes confidential (from ``cube_holdings``; empty when the insider attack is off)."""
    con.execute("DELETE FROM disclosure_holdings WHERE domain = ?", [domain.id])
    if not domain.disclosure.insider:
        return
    con.execute(
        """INSERT INTO disclosure_holdings
        SELECT domain, reporter_id, freq, period, breakdown, item, flow, amount_usd_micro FROM cube_holdings
        WHERE domain = ? AND list_contains(?, freq)""",
        [domain.id, list(domain.frequencies)],
    )


@dataclass(frozen=True)
class Revealed:
    """A primary cell of a vintage that all vintages together narrow below its protection."""

    vintage: str
    key: tuple[str, str, str, str, str]  # freq, period, breakdown, item, flow
    attacker: str  # "outsider", or "largest reporter of a primary cell" (never its id)
    value: float  # US dollars
    lower: float
    upper: float
    equations: list[str]


@dataclass
class ReleasedAudit:
    """What :func:`audit_released` found for one domain."""

    domain: str
    vintages: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # vintages without a disclosure record
    checked: int = 0  # (cell, attacker) intervals computed
    revealed: list[Revealed] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.revealed


AuditFound = tuple[str, Key, str, float, float, float, list[str]]  # Revealed's fields, the key without its flow


def _audit_flow(job: tuple[list[Layer], float, float | None]) -> tuple[int, list[AuditFound]]:
    """One flow's joint audit: the intervals computed, and for each revealed cell the fields of
    :class:`Revealed` (its key without the flow)."""
    from ktstat.sdc.audit import intervals
    from ktstat.sdc.vintages import Knowledge, explain, insider_intervals, joint, relevant_years

    lays, q, p_ins = job
    j = joint(lays, relevant_years(lays, last_too=True))
    shut = {c for c, (i, k) in enumerate(j.origin) if k in lays[i].hidden}
    targets = {c for c, (i, k) in enumerate(j.origin) if k in lays[i].primary and j.table.values[c] != 0}
    checked = 0
    found: list[tuple[int, str, float, float]] = []
    for iv in intervals(j.table, shut, targets, q, exact=False):
        checked += 1
        if not iv.protected:
            found.append((iv.cell, "outsider", iv.lower, iv.upper))
    if p_ins is not None:
        for ins in insider_intervals(j, lays, shut, targets, p_ins, know=Knowledge(j, lays)):
            checked += 1
            if not ins.protected:
                found.append((ins.cell, "largest reporter of a primary cell", ins.lower, ins.upper))
    revealed: list[AuditFound] = []
    for c, who, lo, hi in found:
        i, key = j.origin[c]
        revealed.append((lays[i].tag, key, who, j.table.values[c] / 1e6, lo / 1e6, hi / 1e6, explain(j, lays, c, shut)))
    return checked, revealed


def audit_released(con: duckdb.DuckDBPyConnection, domain: Domain) -> ReleasedAudit:
    """Audit every vintage of the domain together (released and embargoed) and the compile in
    the store (tagged ``compile``, what the next release would publish): the joint table of all
    of them (:func:`ktstat.sdc.vintages.joint`; years identical in a later layer left out), each
    primary cell's interval as an outsider deduces it, and as the largest reporter of each primary
    cell deduces it (when the domain's ``insider`` setting is on)."""
    rules = domain.disclosure
    q = rules.protection_percent / 100
    p_ins = rules.insider_fraction
    layers, missing = vintage_layers(con, domain)
    out = ReleasedAudit(domain.id, [lay.tag for lay in layers["X"]], missing)
    compiled = con.execute(
        """SELECT d.flow, d.freq, d.period, d.breakdown, d.item, d.amount_usd_micro, d.rule, c.top1_micro
        FROM disclosure d LEFT JOIN cube c ON c.domain = d.domain AND c.freq = d.freq AND c.period = d.period
             AND c.breakdown = d.breakdown AND c.item = d.item AND c.flow = d.flow
        WHERE d.domain = ?""",
        [domain.id],
    ).fetchall()
    if compiled:
        hold = con.execute(
            "SELECT flow, freq, period, breakdown, item, reporter_id, amount_usd_micro FROM disclosure_holdings "
            "WHERE domain = ?",
            [domain.id],
        ).fetchall()
        _add_layers(layers, "compile", compiled, hold, domain)
    from ktstat.sdc.protect import PARALLEL_CELLS
    from ktstat.sdc.worker import per_flow

    jobs = {flow: (lays, q, p_ins) for flow, lays in layers.items() if lays}
    big = any(len(lay.table.values) > PARALLEL_CELLS for lays, _, _ in jobs.values() for lay in lays)
    for flow, (checked, found) in per_flow(_audit_flow, jobs, parallel=big).items():
        out.checked += checked
        out.revealed += [Revealed(tag, (*key, flow), who, v, lo, hi, eqs) for tag, key, who, v, lo, hi, eqs in found]
    return out
