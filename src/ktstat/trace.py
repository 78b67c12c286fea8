"""Trace a cube cell back to its reporter cells and records (``ktstat trace``).

:func:`trace_cell` takes one cell of the cube (domain, period, breakdown, item, flow) and
finds, in the store, the reporter cells it is summed from (those whose codes in each part of
the breakdown are the cell's, through the same memberships as the cube, in the base periods of
the cell's period) and the accepted records of active batches behind those reporter cells
(same reporter, base period, flow, item and partner, and the register version the base
aggregation used: the one valid at the record's reference date with the cell's attributes),
with each record's batch, file and row number. It checks that the reporter cells add up to the
cell's amount and their record counts to the records found. Read-only: it creates temporary
tables only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ktstat.classify import KEYS, build_memberships
from ktstat.cube import build_period_map
from ktstat.domain import Domain
from ktstat.errors import InputError

if TYPE_CHECKING:
    import duckdb

RECORD_COLUMNS = (
    "batch_id",
    "file",
    "row_no",
    "record_id",
    "reporter_id",
    "period",
    "flow",
    "item",
    "partner",
    "currency",
    "amount_minor",
    "per_usd",
)


@dataclass
class Trace:
    """One cell's lineage. ``amount_usd_micro``: the cell's amount in the cube (micro-dollars);
    ``cells``: its reporter cells (rows of ``reporter_cells``, :attr:`cell_columns`);
    ``records``: the records behind them (:data:`RECORD_COLUMNS`; ``amount_minor`` in
    ten-thousandths of the currency, ``per_usd`` in micro-units per US dollar)."""

    domain: str
    freq: str
    period: str
    breakdown: str
    item: str
    flow: str
    amount_usd_micro: int
    reporters: int
    cell_columns: list[str]
    cells: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]

    @property
    def cells_sum(self) -> int:
        k = self.cell_columns.index("amount_usd_micro")
        return sum(int(c[k]) for c in self.cells)

    @property
    def cells_records(self) -> int:
        k = self.cell_columns.index("records")
        return sum(int(c[k]) for c in self.cells)

    @property
    def adds_up(self) -> bool:
        """The reporter cells sum to the cell's amount, come from its number of reporters, and
        their record counts equal the records found."""
        k = self.cell_columns.index("reporter_id")
        return (
            self.cells_sum == self.amount_usd_micro
            and len({c[k] for c in self.cells}) == self.reporters
            and self.cells_records == len(self.records)
        )


def trace_cell(
    con: duckdb.DuckDBPyConnection, domain: Domain, period: str, breakdown: str, item: str, flow: str
) -> Trace:
    """The lineage of one cube cell (see the module docstring). Raises :class:`InputError`
    naming the cell when the cube has no such cell."""
    flow = flow.upper()
    row = con.execute(
        "SELECT freq, amount_usd_micro, reporters FROM cube WHERE domain = ? AND period = ? AND breakdown = ? "
        "AND item = ? AND flow = ?",
        [domain.id, period, breakdown, item, flow],
    ).fetchone()
    if row is None:
        raise InputError(f"no cube cell {domain.id} {period} {breakdown} {item} {flow}; `ktstat show` lists the cells")
    freq, amount, reporters = str(row[0]), int(row[1]), int(row[2])
    build_memberships(con, domain)
    build_period_map(con, domain)
    parts = [] if breakdown == "total" else breakdown.split("+")
    codes = item.split("+") if parts else []
    joins, params = [], []
    for i, (part, code) in enumerate(zip(parts, codes, strict=True)):
        cond = " AND ".join(
            f"m{i}.key{k + 1} IS NOT DISTINCT FROM rc.{col}"
            for k, col in enumerate(KEYS[domain.breakdowns[part].source])
        )
        joins.append(f"SEMI JOIN (SELECT * FROM m_{part} WHERE code = ?) m{i} ON {cond}")
        params.append(code)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE trace_cells AS
        SELECT rc.* FROM reporter_cells rc
        {" ".join(joins)}
        WHERE rc.domain = ? AND rc.flow = ?
          AND rc.period_index IN (SELECT base_index FROM pmap WHERE freq = ? AND period = ?)""",
        [*params, domain.id, flow, freq, period],
    )
    cur = con.execute("SELECT * FROM trace_cells ORDER BY reporter_id, period_index, item, partner")
    cell_columns = [d[0] for d in cur.description]
    cells = cur.fetchall()
    records = con.execute(
        f"""SELECT {", ".join(f"r.{c}" for c in RECORD_COLUMNS)}
        FROM records r
        JOIN batches b ON b.batch_id = r.batch_id AND b.status = 'active'
        JOIN trace_cells c ON c.reporter_id = r.reporter_id AND c.period_index = r.period_index AND c.flow = r.flow
             AND c.item = r.item AND c.partner IS NOT DISTINCT FROM r.partner
        JOIN reporters g ON g.domain = r.domain AND g.reporter_id = r.reporter_id
             AND (g.valid_from IS NULL OR g.valid_from <= r.ref_date)
             AND (g.valid_to IS NULL OR g.valid_to >= r.ref_date)
             AND g.industry IS NOT DISTINCT FROM c.industry AND g.size_class IS NOT DISTINCT FROM c.size_class
             AND g.platform IS NOT DISTINCT FROM c.platform
        WHERE r.domain = ?
        ORDER BY r.batch_id, r.row_no""",
        [domain.id],
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS trace_cells")
    return Trace(domain.id, freq, period, breakdown, item, flow, amount, reporters, cell_columns, cells, records)
