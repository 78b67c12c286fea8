"""Ingest: read submitted files into the store as batches, validate, quarantine, reconcile.

Inputs (the contracts of README.md, "Your own data"):

- records (CSV, Parquet or Excel): ``record_id, reporter_id, period, flow, partner, item,
  amount, currency`` and optionally ``note``; ``period`` is a date, ``YYYY-MM``, ``YYYYQn``
  or, for annual programmes, ``YYYY``; ``amount`` in the currency's units (up to 2 decimals);
- reporters (CSV or Parquet): ``reporter_id, name, industry, size_class, platform`` and
  optionally ``valid_from, valid_to`` (ISO dates, empty = open);
- exchange rates (CSV or Parquet): ``currency, period, per_usd`` (units per US dollar,
  period average) for the domain's base periods, or a year as a fallback; USD needs none.

Each file is a batch (content hash, submitter, time). Every data row ends either in
``records`` (accepted) or in ``quarantine`` with each rule it broke, its file, row number,
field and value; rows in = accepted + quarantined, and amounts reconcile per currency, or the
ingest fails and the store is left as it was (one transaction per call). The same file sent
again is recognised and not counted twice; a corrected file may supersede an earlier batch.
Money is exact: ``amount_minor`` is the amount in ten-thousandths of the currency unit
(HUGEINT); an amount with more decimals than its currency has is quarantined, never rounded.

The steps have their modules: :mod:`~ktstat.ingest.contracts` (the input columns),
:mod:`~ktstat.ingest.readers` (CSV, Excel, Parquet), :mod:`~ktstat.ingest.reference` (register
and rates), :mod:`~ktstat.ingest.staging` (a file's rows as ``stg``),
:mod:`~ktstat.ingest.validation` with :mod:`~ktstat.ingest.rules` (quarantine, review, accepted
records), :mod:`~ktstat.ingest.reconciliation` (rows and amounts three ways) and
:mod:`~ktstat.ingest.report`; this module runs them per file, as batches, in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.errors import InputError
from ktstat.ingest import reconciliation, staging, validation
from ktstat.ingest.contracts import (
    FORMATS,
    OPTIONAL_COLUMNS,
    RATE_COLUMNS,
    RECORD_COLUMNS,
    REPORTER_COLUMNS,
    SIZE_CLASSES,
    Progress,
)
from ktstat.ingest.readers import load_mapping
from ktstat.ingest.reference import load_reference
from ktstat.ingest.report import FileReport, IngestReport
from ktstat.store import count, one

__all__ = [
    "FORMATS",
    "OPTIONAL_COLUMNS",
    "RATE_COLUMNS",
    "RECORD_COLUMNS",
    "REPORTER_COLUMNS",
    "SIZE_CLASSES",
    "FileReport",
    "IngestReport",
    "Progress",
    "file_sha256",
    "ingest_files",
    "load_reference",
    "reset_domain",
]

if TYPE_CHECKING:
    import duckdb


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    paths: Sequence[Path | str],
    mapping: Path | str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    submitter: str | None = None,
    supersedes: int | None = None,
    progress: Progress | None = None,
    reference: tuple[Path | str, Path | str] | None = None,
    replace: bool = False,
) -> IngestReport:
    """Ingest record files as batches, all or nothing (one transaction); see the module docstring.

    ``reference``: (register, rates) files to load first, in the same transaction; otherwise the
    store must already hold them. ``replace``: forget the domain's earlier batches (also in the
    transaction). Raises ``InputError`` naming the file when a file cannot be processed at all;
    the store is then left exactly as it was.
    """
    say = progress or (lambda _m: None)
    files = [Path(p) for p in paths]
    for p in files:
        if not p.exists():
            raise InputError(f"{p}: file not found")
    maps = load_mapping(Path(mapping) if mapping is not None else None)
    report = IngestReport(domain.id)
    con.execute("BEGIN TRANSACTION")
    try:
        if reference is not None:
            load_reference(con, domain, Path(reference[0]), Path(reference[1]))
        if count(con, "SELECT count(*) FROM reporters WHERE domain = ?", [domain.id]) == 0:
            raise InputError(
                f"the store has no business register for {domain.id}; load it with --reporters FILE --rates FILE"
            )
        if replace:
            reset_domain(con, domain)
        if supersedes is not None:
            row = one(con, "SELECT domain, status FROM batches WHERE batch_id = ?", [supersedes])
            if row is None or row[0] != domain.id:
                raise InputError(f"batch {supersedes} does not exist for {domain.id}; `ktstat batches` lists them")
            if row[1] != "active":
                raise InputError(f"batch {supersedes} is already {row[1]}")
            con.execute("UPDATE batches SET status = 'superseded' WHERE batch_id = ?", [supersedes])
            report.superseded = supersedes
        for path in files:
            say(f"{domain.id}: reading {path.name}")
            rep = FileReport(str(path))
            digest = file_sha256(path)
            dup = one(
                con,
                "SELECT batch_id FROM batches WHERE domain = ? AND sha256 = ? AND status = 'active'",
                [domain.id, digest],
            )
            if dup is not None:
                if supersedes is not None:
                    raise InputError(
                        f"{path}: this file was already ingested as batch {int(dup[0])}; nothing was superseded"
                    )
                rep.duplicate_of = int(dup[0])
                report.files.append(rep)
                continue
            batch_id = int(one(con, "SELECT nextval('batch_ids')")[0])  # type: ignore[index]
            rep.batch_id = batch_id
            amount_sql = staging._stage(con, path, batch_id, maps, encoding, sheet, domain, say)
            say(f"{domain.id}: validating {path.name}")
            validation._check_file(con, domain, batch_id, path, amount_sql, say)
            reconciliation._file_report(con, rep, batch_id, amount_sql[0])
            rep.resolved = _resolve_corrected(con, domain, batch_id)
            if not rep.reconciles:
                raise InputError(f"{path}: rows or amounts do not reconcile; nothing was ingested")
            if path.suffix.lower() == ".parquet" and file_sha256(path) != digest:  # read in several passes
                raise InputError(f"{path}: the file changed while it was being ingested; nothing was ingested")
            con.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?, ?, 'active')",
                [
                    batch_id,
                    domain.id,
                    str(path),
                    digest,
                    submitter,
                    rep.rows_in,
                    rep.accepted,
                    rep.quarantined,
                    supersedes,
                ],
            )
            report.files.append(rep)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report


OPEN_SQL = """NOT EXISTS (SELECT 1 FROM quarantine_resolved x LEFT JOIN batches xb ON xb.batch_id = x.by_batch
                WHERE x.batch_id = {q}.batch_id AND x.row_no = {q}.row_no
                  AND (x.by_batch IS NULL OR xb.status = 'active'))"""
"""SQL: quarantined row ``{q}`` is open (no resolution by hand, none by a record of an active batch)."""


def _resolve_corrected(con: duckdb.DuckDBPyConnection, domain: Domain, batch_id: int) -> int:
    """Mark resolved the open quarantined rows of earlier active batches whose record id, with
    the same reporter, batch ``batch_id`` accepted (a corrected row sent again); their number."""
    before = count(con, "SELECT count(*) FROM quarantine_resolved")
    con.execute(
        f"""INSERT INTO quarantine_resolved
        SELECT qr.domain, qr.batch_id, qr.row_no, now(), 'corrected', r.batch_id, min(r.row_no), NULL
        FROM quarantined_rows qr
        JOIN batches b ON b.batch_id = qr.batch_id AND b.status = 'active'
        JOIN records r ON r.batch_id = ? AND r.record_id = qr.record_id AND r.reporter_id = qr.reporter_id
        WHERE qr.domain = ? AND qr.batch_id < ? AND {OPEN_SQL.format(q="qr")}
        GROUP BY qr.domain, qr.batch_id, qr.row_no, r.batch_id""",
        [batch_id, domain.id, batch_id],
    )
    return count(con, "SELECT count(*) FROM quarantine_resolved") - before


def reset_domain(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Forget a domain's batches, records, quarantine and review flags."""
    for table in ("records", "quarantine", "quarantined_rows", "quarantine_resolved", "review", "batches"):
        con.execute(f"DELETE FROM {table} WHERE domain = ?", [domain.id])
