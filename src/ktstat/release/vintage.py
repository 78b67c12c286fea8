"""Vintages: immutable, hashed snapshots of a compiled period, as released.

A vintage of ``(domain, period)`` holds the domain's indicators for every period that ends no
later than ``period`` (the series as known at the release), the release status (``provisional``
or ``final``: the release period's own figures get status ``P`` or ``A``), the release time
(time-zone aware), the code-list versions and the active input batches it was compiled from,
and a SHA-256 content hash over all of it. Ids read ``<domain>-<period>-v<n>``.

Vintages are never changed: a second vintage of a period must name the one it revises and
why (a final release revises the provisional one by itself). A provisional vintage of a period
that already has a final one is refused: once final, a period is corrected only by another
final vintage (``--status final --revises ...``). Every read checks the hash, so a vintage
altered in the store is refused.

Which vintage is current (:func:`current_by_period`, :func:`latest`): of a period, its newest
final vintage if it has one, else its newest provisional one (newest: latest release time);
the latest of a domain is the current vintage of its newest period (the one that ends last),
so a period released late never becomes the default.

Each vintage made is also written as an immutable snapshot file beside the store
(:mod:`ktstat.release.snapshot`), which is what the API serves. The store also keeps, never
published, the vintage's disclosure pattern with its true cell values (``vintage_cells``) and
the holdings of the largest reporters (``vintage_holdings``): later compiles protect their
pattern against it (:mod:`ktstat.sdc.vintages`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ktstat.bulk import gc_paused
from ktstat.domain import Domain
from ktstat.errors import InputError, KtstatError
from ktstat.periods import parse

if TYPE_CHECKING:
    import duckdb

STATUSES = ("provisional", "final")

Row = tuple[str, str, str, str, float | None, str]
"""A vintage's indicator row: ``(period, breakdown, item, measure, value, status)``."""


class VintageError(KtstatError):
    """A vintage cannot be made or read as asked."""


@dataclass(frozen=True)
class Vintage:
    vintage_id: str
    domain: str
    period: str
    status: str
    release_at: datetime
    created_at: datetime
    codelists: dict[str, str]
    batches: list[int]
    rows: int
    content_hash: str
    revises: str | None
    reason: str | None

    def embargoed(self, now: datetime) -> bool:
        """True before the release time."""
        return now < self.release_at


def _end_quarter(label: str) -> int:
    p = parse(label)
    return p.subperiods("Q")[-1].index if p.freq != "Q" else p.index


ROW_COLUMNS = ("period", "breakdown", "item", "measure", "value", "status")


def _digest(meta: dict[str, Any], rows: list[tuple[Any, ...]]) -> str:
    """SHA-256 over the JSON of ``meta`` (sorted keys), then one line per row: the ``repr`` of each
    field (empty for ``None``) joined by U+001F, then a newline. This loop is the definition;
    :func:`_digest_table` computes the same for typed columns."""
    h = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode())
    for r in rows:
        h.update(("\x1f".join("" if v is None else repr(v) for v in r) + "\n").encode())
    return h.hexdigest()


def _digest_table(meta: dict[str, Any], table: Any) -> str:
    """:func:`_digest` of the rows of a PyArrow table with the string columns ``period, breakdown,
    item, measure, status`` and the float64 column ``value`` (``ROW_COLUMNS``), computed by column:
    each distinct string's ``repr`` once, each value's ``repr`` once, the lines joined by Arrow."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    h = hashlib.sha256(json.dumps(meta, sort_keys=True, default=str).encode())
    if table.num_rows == 0:
        return h.hexdigest()
    parts = []
    for name in ROW_COLUMNS:
        col = table.column(name).combine_chunks()
        if name == "value":
            texts = pa.array(["" if x is None else repr(x) for x in col.to_pylist()], pa.large_string())
        else:
            enc = col.cast(pa.string()).dictionary_encode()
            reprs = pa.array([repr(x) for x in enc.dictionary.to_pylist()], pa.large_string())
            texts = pc.fill_null(pc.take(reprs, enc.indices), "")
        parts.append(texts)
    lines = pc.binary_join_element_wise(*parts, pa.scalar("\x1f", pa.large_string()))
    lines = pc.binary_join_element_wise(lines, pa.scalar("", pa.large_string()), pa.scalar("\n", pa.large_string()))
    arr = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    start, end = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    h.update(memoryview(arr.buffers()[2])[start:end])
    return h.hexdigest()


def rows_table(rows: list[Row] | list[tuple[Any, ...]], ints: bool = False) -> Any:
    """``rows`` as a PyArrow table of ``ROW_COLUMNS`` (strings, a float64 value) when every row has
    six fields of the plain types (a ``str`` per code, the value a ``float`` or ``None``; with
    ``ints`` also an ``int`` below 2**53, which becomes its float), else ``None``."""
    import pyarrow as pa

    if set(map(len, rows)) - {6}:
        return None
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    if any(set(map(type, cols[i])) - {str} for i in (0, 1, 2, 3, 5)):
        return None
    kinds = set(map(type, cols[4])) - {float, type(None)}
    if kinds and (not ints or kinds - {int} or any(type(x) is int and abs(x) >= 2**53 for x in cols[4])):
        return None
    return pa.table(
        {
            name: pa.array(cols[i], pa.float64() if name == "value" else pa.string())
            for i, name in enumerate(ROW_COLUMNS)
        }
    )


def _digest_rows(meta: dict[str, Any], rows: list[tuple[Any, ...]]) -> str:
    """:func:`_digest`, by column when the rows are typed as vintage rows are."""
    table = rows_table(rows) if len(rows) > 1000 else None
    return _digest(meta, rows) if table is None else _digest_table(meta, table)


def digest_of(v: Vintage, rows: list[Row] | list[tuple[Any, ...]]) -> str:
    """The content hash of a vintage's metadata with these rows (what ``content_hash`` must equal)."""
    return _digest_rows(_meta(v), list(rows))


def digest_of_table(v: Vintage, table: Any) -> str:
    """The content hash of a vintage's metadata with the rows of a PyArrow table (``ROW_COLUMNS``;
    strings and a float64 value), the same as :func:`digest_of` of those rows."""
    return _digest_table(_meta(v), table)


def _meta(v: Vintage) -> dict[str, Any]:
    return {
        "domain": v.domain,
        "period": v.period,
        "status": v.status,
        "release_at": v.release_at.isoformat(),
        "codelists": v.codelists,
        "batches": v.batches,
        "revises": v.revises,
        "reason": v.reason,
    }


_COLUMNS = (
    "vintage_id, domain, period, status, release_at, created_at, codelists, batches, rows, content_hash, "
    "revises, reason"
)


def _from_row(r: tuple[Any, ...]) -> Vintage:
    return Vintage(
        r[0],
        r[1],
        r[2],
        r[3],
        datetime.fromisoformat(r[4]),
        datetime.fromisoformat(r[5]),
        json.loads(r[6]),
        json.loads(r[7]),
        int(r[8]),
        r[9],
        r[10],
        r[11],
    )


def list_vintages(
    con: duckdb.DuckDBPyConnection, domain: str | None = None, period: str | None = None
) -> list[Vintage]:
    """Vintages in the store (optionally of one domain and period), oldest release first."""
    where, params = [], []
    if domain:
        where.append("domain = ?")
        params.append(domain)
    if period:
        where.append("period = ?")
        params.append(period)
    sql = f"SELECT {_COLUMNS} FROM vintages {'WHERE ' + ' AND '.join(where) if where else ''}"
    found = [_from_row(r) for r in con.execute(sql, params).fetchall()]
    return sorted(found, key=lambda v: (v.release_at, v.created_at, v.vintage_id))


def get_vintage(con: duckdb.DuckDBPyConnection, vintage_id: str) -> Vintage:
    rows = con.execute(f"SELECT {_COLUMNS} FROM vintages WHERE vintage_id = ?", [vintage_id]).fetchall()
    if not rows:
        known = [v.vintage_id for v in list_vintages(con)]
        raise VintageError(
            f"no vintage {vintage_id!r} in the store"
            + (f"; known: {', '.join(known[-8:])}" if known else "; make one with `ktstat release`")
        )
    return _from_row(rows[0])


def vintage_table(con: duckdb.DuckDBPyConnection, vintage: Vintage) -> Any:
    """The vintage's indicator rows as a PyArrow table of ``ROW_COLUMNS`` (in the order of
    :func:`vintage_rows`), after checking its content hash (raises VintageError if the store's
    copy was altered)."""
    table = con.sql(
        "SELECT period, breakdown, item, measure, value::DOUBLE AS value, status FROM vintage_indicators "
        "WHERE vintage_id = $v ORDER BY period, breakdown, item, measure",
        params={"v": vintage.vintage_id},
    ).to_arrow_table()
    if table.num_rows != vintage.rows or _digest_table(_meta(vintage), table) != vintage.content_hash:
        raise VintageError(
            f"vintage {vintage.vintage_id} does not match its content hash: it was altered in the "
            "store after its release; vintages are immutable (make a correction with --revises)"
        )
    return table


def table_rows(table: Any) -> list[Row]:
    """The rows of a PyArrow table of ``ROW_COLUMNS`` as tuples (what :func:`vintage_rows` gives)."""
    return list(zip(*(table.column(name).to_pylist() for name in ROW_COLUMNS), strict=True))


def vintage_rows(con: duckdb.DuckDBPyConnection, vintage: Vintage) -> list[Row]:
    """The vintage's indicator rows ``(period, breakdown, item, measure, value, status)``, after
    checking its content hash (raises VintageError if the store's copy was altered)."""
    return table_rows(vintage_table(con, vintage))


@gc_paused()  # a vintage holds a row tuple per indicator (over a million for kst)
def create_vintage(
    con: duckdb.DuckDBPyConnection,
    dom: Domain,
    period: str,
    status: str,
    release_at: datetime,
    now: datetime,
    revises: str | None = None,
    reason: str | None = None,
) -> Vintage:
    """Snapshot the compiled indicators of ``dom`` up to ``period`` as a new vintage (see module doc)."""
    if status not in STATUSES:
        raise InputError(f"release status must be provisional or final, not {status!r}")
    if release_at.tzinfo is None:
        raise InputError("the release time needs a time zone (e.g. 2025-09-17T12:00+09:00)")
    try:
        per = parse(period)
    except ValueError as e:
        raise InputError(str(e)) from None
    if per.freq not in dom.frequencies:
        raise InputError(f"{dom.id} publishes {', '.join(dom.frequencies)} periods, not {period}")
    if not con.execute("SELECT count(*) FROM indicators WHERE domain = ? AND period = ?", [dom.id, period]).fetchall()[
        0
    ][0]:
        raise InputError(f"{dom.id} {period} is not compiled in this store; run `ktstat compile` first")
    earlier = list_vintages(con, dom.id, period)
    if earlier:
        latest = earlier[-1]
        finals = [v for v in earlier if v.status == "final"]
        if status == "provisional" and finals:
            raise VintageError(
                f"{dom.id} {period} already has a final release ({finals[-1].vintage_id}); a provisional vintage "
                f"cannot follow it. Correct the final figures with a new final vintage: --status final "
                f"--revises {finals[-1].vintage_id} --reason '...'"
            )
        if revises is None and status == "final" and all(v.status == "provisional" for v in earlier):
            revises, reason = latest.vintage_id, reason or "final figures"
        if revises is None:
            raise VintageError(
                f"{dom.id} {period} was already released as {latest.vintage_id} ({latest.status}); vintages are "
                f"immutable: a correction is a new vintage, e.g. --revises {latest.vintage_id} --reason '...'"
            )
        if revises not in {v.vintage_id for v in earlier}:
            raise VintageError(
                f"--revises {revises}: not a vintage of {dom.id} {period} "
                f"(those are {', '.join(v.vintage_id for v in earlier)})"
            )
        if not reason:
            raise VintageError("a correction needs --reason: what it corrects and why")
    elif revises is not None:
        raise VintageError(f"--revises {revises}: {dom.id} {period} has no earlier vintage")
    end = _end_quarter(period)
    periods = [
        p
        for (p,) in con.execute("SELECT DISTINCT period FROM indicators WHERE domain = ?", [dom.id]).fetchall()
        if _end_quarter(p) <= end
    ]
    inside = {str(s) for f in dom.frequencies if _finer(f, per.freq) for s in per.subperiods(f)} | {period}
    n = len(earlier) + 1
    vid = f"{dom.id}-{period}-v{n}"
    while con.execute("SELECT count(*) FROM vintages WHERE vintage_id = ?", [vid]).fetchall()[0][0]:
        n += 1
        vid = f"{dom.id}-{period}-v{n}"
    own = "P" if status == "provisional" else "A"
    con.execute("CREATE OR REPLACE TEMP TABLE v_periods (period VARCHAR)")
    con.executemany("INSERT INTO v_periods VALUES (?)", [(p,) for p in periods])
    con.execute("CREATE OR REPLACE TEMP TABLE v_inside (period VARCHAR)")
    con.executemany("INSERT INTO v_inside VALUES (?)", [(p,) for p in sorted(inside)])
    snapshot = f"""SELECT i.period, i.breakdown, i.item, i.measure, i.value,
            CASE WHEN i.status IN ('A', 'P') AND i.period IN (SELECT period FROM v_inside) THEN '{own}'
                 ELSE i.status END AS status
        FROM indicators i WHERE i.domain = ? AND i.period IN (SELECT period FROM v_periods)"""
    table = con.sql(
        f"SELECT period, breakdown, item, measure, value::DOUBLE AS value, status FROM ({snapshot}) "
        "ORDER BY period, breakdown, item, measure",
        params=[dom.id],
    ).to_arrow_table()
    codelists = {name: cl.version for name, cl in sorted(dom.codelists.items())}
    batches = [
        b
        for (b,) in con.execute(
            "SELECT batch_id FROM batches WHERE domain = ? AND status = 'active' ORDER BY 1", [dom.id]
        ).fetchall()
    ]
    v = Vintage(vid, dom.id, period, status, release_at, now, codelists, batches, table.num_rows, "", revises, reason)
    digest = _digest_table(_meta(v), table)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"INSERT INTO vintages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                vid,
                dom.id,
                period,
                status,
                release_at.isoformat(),
                now.isoformat(),
                json.dumps(codelists),
                json.dumps(batches),
                table.num_rows,
                digest,
                revises,
                reason,
            ],
        )
        con.execute(f"INSERT INTO vintage_indicators SELECT '{vid}', * FROM ({snapshot})", [dom.id])
        # the money values' exact micro-dollars, for the published files (ktstat.publish.exact)
        con.execute(
            f"""INSERT INTO vintage_micro SELECT '{vid}', m.period, m.breakdown, m.item, m.measure, m.micro
            FROM indicator_micro m JOIN vintage_indicators v ON v.vintage_id = '{vid}' AND v.period = m.period
                 AND v.breakdown = m.breakdown AND v.item = m.item AND v.measure = m.measure
            WHERE m.domain = ? AND v.value IS NOT NULL AND m.micro IS NOT NULL""",
            [dom.id],
        )
        # the pattern's record, for protecting later vintages against this one (never published)
        con.execute(
            f"""INSERT INTO vintage_cells SELECT '{vid}', d.freq, d.period, d.breakdown, d.item, d.flow, d.reporters,
                d.amount_usd_micro, c.top1_micro, c.top2_micro, d.rule
            FROM disclosure d LEFT JOIN cube c ON c.domain = d.domain AND c.freq = d.freq AND c.period = d.period
                 AND c.breakdown = d.breakdown AND c.item = d.item AND c.flow = d.flow
            WHERE d.domain = ? AND d.period IN (SELECT period FROM v_periods)""",
            [dom.id],
        )
        con.execute(
            f"""INSERT INTO vintage_holdings SELECT '{vid}', reporter_id, freq, period, breakdown, item, flow,
                amount_usd_micro FROM disclosure_holdings
            WHERE domain = ? AND period IN (SELECT period FROM v_periods)""",
            [dom.id],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    made = get_vintage(con, vid)
    store = _store_file(con)
    if store is not None:
        from ktstat.release.snapshot import snapshot_dir, write_rates, write_snapshot

        write_snapshot(snapshot_dir(store), made, table)  # the rows just hashed and stored
        write_rates(con, snapshot_dir(store))
    return made


def _store_file(con: duckdb.DuckDBPyConnection) -> Any:
    from ktstat.release.snapshot import store_path

    return store_path(con)


def _period_end(label: str) -> tuple[int, int]:
    """Sort key of a period by the quarter it ends in (then coarser periods first)."""
    p = parse(label)
    return _end_quarter(label), {"A": 0, "H": 1, "Q": 2}[p.freq]


def current_by_period(vintages: list[Vintage]) -> dict[tuple[str, str], Vintage]:
    """The current vintage of each ``(domain, period)`` among ``vintages``: the newest final one
    (latest release time, then creation, then id) if the period has a final vintage, else the
    newest provisional one."""
    out: dict[tuple[str, str], Vintage] = {}
    for v in vintages:
        k = (v.domain, v.period)
        have = out.get(k)
        if have is None or _better(v, have):
            out[k] = v
    return out


def _better(v: Vintage, than: Vintage) -> bool:
    rank = {"provisional": 0, "final": 1}
    return (rank.get(v.status, 0), v.release_at, v.created_at, _natural(v.vintage_id)) > (
        rank.get(than.status, 0),
        than.release_at,
        than.created_at,
        _natural(than.vintage_id),
    )


def _natural(text: str) -> tuple[Any, ...]:
    import re

    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text))


def latest(vintages: list[Vintage], domain: str) -> Vintage | None:
    """The latest vintage of ``domain`` among ``vintages`` (e.g. the released ones): the current
    vintage (:func:`current_by_period`) of the newest period, the one that ends last; ``None``
    when the domain has none."""
    cur = [v for (d, _p), v in current_by_period(vintages).items() if d == domain]
    if not cur:
        return None
    return max(cur, key=lambda v: (_period_end(v.period), v.release_at))


def _finer(f: str, than: str) -> bool:
    return {"A": 0, "H": 1, "Q": 2}[f] > {"A": 0, "H": 1, "Q": 2}[than]
