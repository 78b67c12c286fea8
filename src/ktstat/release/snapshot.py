"""Vintage snapshots: each vintage written once as an immutable, content-addressed Parquet file.

The API never reads the compiler's store (a DuckDB file that a compiler locks while it
writes): it reads these files. A vintage's snapshot lives in the store's snapshot folder
(:func:`snapshot_dir`: ``ktstat.duckdb`` -> ``ktstat.duckdb.vintages/``) as
``<vintage_id>.<content_hash>.parquet``:

- columns ``period, breakdown, item, measure, value (double), status``, the rows exactly as
  :func:`ktstat.release.vintage.vintage_rows` gives them (same order);
- Parquet key-value metadata ``ktstat.vintage``: the vintage's record (JSON: id, domain,
  period, status, release time, creation time, code lists, batches, rows, content hash,
  revises, reason).

The name carries the vintage's SHA-256 content hash (over its metadata and rows, see
:mod:`ktstat.release.vintage`), so a file is never rewritten: the same vintage gives the same
name and the same content. :func:`read_snapshot_table` recomputes the hash from what the file holds
and refuses (``VintageError``) a file whose content, metadata or name disagree. Files are
written to a temporary name in the same folder and renamed into place, so a reader never
sees half a file.

Beside them, ``rates.csv`` (:func:`write_rates`): the store's exchange rates, rewritten when they
change, so that the API can convert won amounts (the fact-check) without the store.

Writers: :func:`ktstat.release.vintage.create_vintage` (``ktstat release``) writes the snapshot
of the vintage it makes; ``ktstat publish`` writes it when missing; :func:`export_missing`
writes every missing one of a store (the API calls it once at start, read-only, for stores
made before snapshots existed).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat.release.vintage import (
    ROW_COLUMNS,
    Row,
    Vintage,
    VintageError,
    digest_of,
    digest_of_table,
    list_vintages,
    vintage_table,
)

if TYPE_CHECKING:
    import duckdb

SUFFIX = ".vintages"
META_KEY = b"ktstat.vintage"
NAME = re.compile(r"^(?P<id>[A-Za-z0-9_+\-]+)\.(?P<hash>[0-9a-f]{64})\.parquet$")


def snapshot_dir(store: Path | str) -> Path:
    """The snapshot folder of a store file: ``ktstat.duckdb`` -> ``ktstat.duckdb.vintages``."""
    p = Path(store)
    return p.with_name(p.name + SUFFIX)


def store_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the store a connection has open, ``None`` for an in-memory store."""
    got = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return Path(got[0][0]) if got and got[0][0] else None


def file_name(v: Vintage) -> str:
    """``<vintage_id>.<content_hash>.parquet``."""
    return f"{v.vintage_id}.{v.content_hash}.parquet"


def _record(v: Vintage) -> dict[str, Any]:
    return {
        "vintage_id": v.vintage_id,
        "domain": v.domain,
        "period": v.period,
        "status": v.status,
        "release_at": v.release_at.isoformat(),
        "created_at": v.created_at.isoformat(),
        "codelists": v.codelists,
        "batches": v.batches,
        "rows": v.rows,
        "content_hash": v.content_hash,
        "revises": v.revises,
        "reason": v.reason,
    }


def _vintage(doc: dict[str, Any]) -> Vintage:
    return Vintage(
        str(doc["vintage_id"]),
        str(doc["domain"]),
        str(doc["period"]),
        str(doc["status"]),
        datetime.fromisoformat(doc["release_at"]),
        datetime.fromisoformat(doc["created_at"]),
        dict(doc["codelists"]),
        list(doc["batches"]),
        int(doc["rows"]),
        str(doc["content_hash"]),
        doc.get("revises"),
        doc.get("reason"),
    )


def write_snapshot(folder: Path, v: Vintage, rows: list[Row] | Any) -> Path:
    """Write the snapshot of ``v`` into ``folder`` unless it is there already; returns its path.
    ``rows``: as :func:`vintage_rows` gives them, or the PyArrow table of
    :func:`~ktstat.release.vintage.vintage_table`. ``VintageError`` when the rows do not match
    the vintage's content hash (nothing is written then)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = folder / file_name(v)
    if target.is_file():  # (its name carries the content hash; written only after the check below)
        return target
    if isinstance(rows, pa.Table):
        table = rows.select(list(ROW_COLUMNS))
        ok = table.num_rows == v.rows and digest_of_table(v, table) == v.content_hash
    else:
        ok = len(rows) == v.rows and digest_of(v, rows) == v.content_hash
        table = pa.table(
            {
                name: pa.array([r[i] for r in rows], pa.float64() if name == "value" else pa.string())
                for i, name in enumerate(ROW_COLUMNS)
            }
        )
    if not ok:
        raise VintageError(f"vintage {v.vintage_id}: the rows do not match its content hash; no snapshot written")
    folder.mkdir(parents=True, exist_ok=True)
    table = table.replace_schema_metadata({META_KEY: json.dumps(_record(v), sort_keys=True).encode()})
    fd, tmp = tempfile.mkstemp(prefix=f".{v.vintage_id}.", suffix=".part", dir=folder)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


@dataclass(frozen=True)
class SnapshotFile:
    """A snapshot file found in a folder: its path, the vintage id and content hash its name gives,
    and its size and modification time (what tells a changed file)."""

    path: Path
    vintage_id: str
    content_hash: str
    size: int
    mtime_ns: int


def list_snapshots(folder: Path) -> list[SnapshotFile]:
    """The snapshot files of ``folder`` (named ``<id>.<sha256>.parquet``; temporary files and
    anything else are ignored), by name. An absent folder has none."""
    found: list[SnapshotFile] = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return found
    for e in entries:
        m = NAME.match(e.name)
        if m is None:
            continue
        try:
            st = e.stat()
        except OSError:
            continue
        found.append(SnapshotFile(Path(e.path), m["id"], m["hash"], st.st_size, st.st_mtime_ns))
    return sorted(found, key=lambda s: s.path.name)


def read_snapshot_table(path: Path, check: bool = True) -> tuple[Vintage, Any]:
    """The vintage and its rows (a PyArrow table of ``period, breakdown, item, measure, value,
    status``) from a snapshot file, after checking that the rows and metadata give the content
    hash that both the metadata and the file name state; ``VintageError`` otherwise (or when the
    file is not a snapshot). ``check=False``: the names are checked but not the content, which
    the caller then checks with :func:`check_snapshot_table` before it uses the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    m = NAME.match(path.name)
    if m is None:
        raise VintageError(f"{path.name}: not a snapshot file name (<vintage>.<sha256>.parquet)")
    try:
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(META_KEY)
        if raw is None:
            raise VintageError(f"{path.name}: no ktstat.vintage metadata")
        v = _vintage(json.loads(raw))
        types = {c: pa.float64() if c == "value" else pa.string() for c in ROW_COLUMNS}
        table = pa.table({c: table.column(c).cast(types[c]) for c in ROW_COLUMNS})
    except VintageError:
        raise
    except Exception as e:  # unreadable Parquet, missing column, bad metadata
        raise VintageError(f"{path.name}: not a readable vintage snapshot ({type(e).__name__}: {e})") from None
    if v.vintage_id != m["id"] or v.content_hash != m["hash"]:
        raise VintageError(
            f"{path.name}: its metadata name vintage {v.vintage_id} with hash {v.content_hash[:12]}, "
            "not what the file name says"
        )
    if check:
        check_snapshot_table(path, v, table)
    return v, table


def check_snapshot_table(path: Path, v: Vintage, table: Any) -> None:
    """``VintageError`` unless the rows ``table`` read from ``path`` give ``v``'s content hash."""
    if table.num_rows != v.rows or digest_of_table(v, table) != v.content_hash:
        raise VintageError(
            f"{path.name}: the content does not match the content hash of vintage {v.vintage_id}; "
            "the file was altered after it was written"
        )


def read_snapshot(path: Path) -> tuple[Vintage, list[Row]]:
    """:func:`read_snapshot_table` with the rows as tuples (``period, breakdown, item, measure,
    value, status``)."""
    v, table = read_snapshot_table(path)
    cols = [table.column(c).to_pylist() for c in ROW_COLUMNS]
    return v, list(zip(*cols, strict=True))


RATES = "rates.csv"
"""The exchange rates beside the snapshots (see :func:`write_rates`)."""


def write_rates(con: duckdb.DuckDBPyConnection, folder: Path) -> Path | None:
    """Write the store's exchange rates into ``folder`` as ``rates.csv`` (``currency, period,
    per_usd``: units of the currency per US dollar, exact decimals, by currency then period), so
    that what the API serves can convert amounts without the store (the fact-check of won
    amounts). Rewritten (atomically) only when the rates changed; ``None`` when the store has no
    rates table or no rates."""
    import duckdb

    try:
        got = con.execute("SELECT currency, period, per_usd FROM rates ORDER BY currency, period").fetchall()
    except duckdb.CatalogException:  # a store without a rates table
        return None
    if not got:
        return None
    lines = ["currency,period,per_usd"]
    for cur, period, micro in got:
        whole, frac = divmod(int(micro), 1_000_000)
        number = f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)
        lines.append(f"{cur},{period},{number}")
    body = ("\n".join(lines) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / RATES
    with contextlib.suppress(OSError):
        if target.read_bytes() == body:
            return target
    fd, tmp = tempfile.mkstemp(prefix=".rates.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def read_rates(folder: Path, currency: str) -> dict[str, float]:
    """The rates of ``currency`` that :func:`write_rates` left in ``folder``: period -> units per
    US dollar; empty when there is no such file."""
    import csv

    try:
        with (folder / RATES).open(encoding="utf-8", newline="") as f:
            return {r["period"]: float(r["per_usd"]) for r in csv.DictReader(f) if r["currency"] == currency}
    except FileNotFoundError:
        return {}


def export_missing(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Path]:
    """Write the snapshot of every vintage of the store that ``folder`` lacks (hash-checked from the
    store), and the store's exchange rates (:func:`write_rates`); returns the snapshot files written."""
    have = {(s.vintage_id, s.content_hash) for s in list_snapshots(folder)}
    written = []
    for v in list_vintages(con):
        if (v.vintage_id, v.content_hash) not in have:
            written.append(write_snapshot(folder, v, vintage_table(con, v)))
    write_rates(con, folder)
    return written


def export_store(store: Path, folder: Path | None = None) -> list[Path]:
    """:func:`export_missing` over a store file opened read-only (and closed again);
    ``KtstatError`` when it cannot be opened (a compiler holding it, say)."""
    import duckdb

    from ktstat.errors import KtstatError

    if not store.exists():
        raise KtstatError(f"{store}: no such store")
    try:
        con = duckdb.connect(str(store), read_only=True)
    except duckdb.Error as e:
        raise KtstatError(f"{store}: cannot open the store read-only to write its snapshots ({e})") from None
    try:
        return export_missing(con, folder or snapshot_dir(store))
    except duckdb.Error as e:
        raise KtstatError(f"{store}: not a ktstat store with vintages ({e})") from None
    finally:
        con.close()
