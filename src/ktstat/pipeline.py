"""The pipeline for one domain: ingest, classify, aggregate, cube, indicators.

``compile_domain`` runs it against an open store; ``compile`` is the Python API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ktstat import domain as domains
from ktstat.cube import build_cube
from ktstat.engine import base_aggregation, parse_engine
from ktstat.errors import InputError
from ktstat.indicators import build_indicators
from ktstat.ingest import IngestReport, ingest_files
from ktstat.store import count, insert_rows, open_store

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from ktstat.sdc import ProtectionResult

Progress = Callable[[str], None]


@dataclass
class CompileResult:
    domain: str
    ingest: IngestReport
    reporter_cells: int
    cube_rows: int
    indicator_rows: int
    protection: ProtectionResult | None = None
    withheld: int = 0


def _paths(p: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(p, (str, Path)):
        return [Path(p)]
    return [Path(x) for x in p]


def store_codelists(con: duckdb.DuckDBPyConnection, dom: domains.Domain) -> None:
    con.execute("DELETE FROM codelists WHERE domain = ?", [dom.id])
    rows = [
        (dom.id, cl.name, cl.version, c.code, c.parent, c.label_en, c.label_ko)
        for cl in dom.codelists.values()
        for c in cl.codes
    ]
    insert_rows(con, "codelists", rows)


def compile_domain(
    con: duckdb.DuckDBPyConnection,
    domain_id: str,
    records: str | Path | Sequence[str | Path],
    reporters: str | Path,
    rates: str | Path,
    progress: Progress | None = None,
    protect: bool = True,
    engine: str = "duckdb",
) -> CompileResult:
    """Compile one domain's input files into the store's tables. ``protect``: apply disclosure
    control (:mod:`ktstat.sdc`) to the indicators; ``engine``: where the base aggregation runs,
    ``duckdb`` or ``spark[:URL]`` (see :func:`ktstat.engine.parse_engine`; checked before anything
    is loaded)."""
    parse_engine(engine)
    say = progress or (lambda _msg: None)
    dom = domains.load(domain_id)
    record_paths = _paths(records)
    for role, path in [
        *(("records", p) for p in record_paths),
        ("reporters", Path(reporters)),
        ("exchange rates", Path(rates)),
    ]:
        if not path.exists():
            raise InputError(f"{path}: file not found (the {role} file)")
    store_codelists(con, dom)
    say(f"{dom.id}: loading the register, rates and records (replacing the domain's batches)")
    rep = ingest_files(
        con, dom, record_paths, submitter="ktstat compile", progress=say, reference=(reporters, rates), replace=True
    )
    say(f"{dom.id}: {rep.accepted:,} records accepted, {rep.quarantined:,} quarantined")
    from ktstat import signals

    signals.committed(
        f"the ingest of {len(record_paths)} file(s) for {dom.id} (the domain's new batches; "
        f"its cube and indicators are from before: run `ktstat compile --domain {dom.id}` again)"
    )
    res = compile_store(con, domain_id, progress, protect=protect, engine=engine)
    res.ingest = rep
    return res


def compile_store(
    con: duckdb.DuckDBPyConnection,
    domain_id: str,
    progress: Progress | None = None,
    protect: bool = True,
    engine: str = "duckdb",
) -> CompileResult:
    """Compile a domain from the records of its active batches already in the store; ``protect``:
    apply disclosure control (without it, tables ``disclosure`` and ``disclosure_audit`` are
    emptied for the domain, so no stale protection is left beside fresh figures); ``engine``:
    where the base aggregation runs, ``duckdb`` or ``spark[:URL]`` (same rows either way)."""
    parse_engine(engine)
    # one transaction: interrupted or failing half-way, the store keeps its earlier cube and indicators
    con.execute("BEGIN TRANSACTION")
    try:
        res = _compile_store(con, domain_id, progress, protect, engine)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return res


def _compile_store(
    con: duckdb.DuckDBPyConnection, domain_id: str, progress: Progress | None, protect: bool, engine: str
) -> CompileResult:
    say = progress or (lambda _msg: None)
    dom = domains.load(domain_id)
    n_batches = count(con, "SELECT count(*) FROM batches WHERE domain = ? AND status = 'active'", [dom.id])
    if n_batches == 0:
        raise InputError(f"the store has no records for {dom.id}; ingest some with `ktstat ingest` first")
    n_records = count(
        con,
        "SELECT count(*) FROM records r JOIN batches b USING (batch_id) WHERE r.domain = ? AND b.status = 'active'",
        [dom.id],
    )
    if n_records == 0:
        raise InputError(f"no accepted records for {dom.id}: every row was quarantined; see `ktstat quarantine`")
    say(f"{dom.id}: base aggregation of {n_records:,} records in {n_batches} active batch(es)")
    n_rc = base_aggregation(con, dom, engine=engine, progress=say)
    say(f"{dom.id}: building the cube from {n_rc:,} reporter cells")
    n_cube = build_cube(con, dom)
    say(f"{dom.id}: computing indicators from {n_cube:,} cube cells")
    n_ind = build_indicators(con, dom)
    res = CompileResult(dom.id, IngestReport(dom.id), n_rc, n_cube, n_ind)
    if protect:
        from ktstat.sdc import apply_to_indicators
        from ktstat.sdc import protect as run_protection

        say(f"{dom.id}: disclosure control (primary and secondary suppression, audit)")
        res.protection = run_protection(con, dom)
        res.withheld = apply_to_indicators(con, dom)
        p = res.protection
        say(
            f"{dom.id}: {sum(p.primary.values()):,} cells suppressed by the primary rules, {p.secondary:,} secondary; "
            f"audit: {'passed' if not p.audit_failures else f'{len(p.audit_failures)} cells FAIL'}"
            + (f"; against insiders {len(p.insider_failures)} cells FAIL" if p.insider_failures else "")
        )
    else:
        for table in ("disclosure", "disclosure_audit", "disclosure_insider", "disclosure_holdings"):
            con.execute(f"DELETE FROM {table} WHERE domain = ?", [dom.id])
    return res


def compile(
    domain: str,
    records: str | Path | Sequence[str | Path],
    reporters: str | Path,
    rates: str | Path,
    store: str | Path | None = None,
    protect: bool = True,
    engine: str = "duckdb",
) -> pa.Table:
    """Compile a domain from its input files; returns the indicators table (PyArrow).

    ``store``: a DuckDB file to keep the inputs, cube and indicators in (in memory if None);
    ``protect``: apply disclosure control (suppressed values are empty with status ``C``);
    ``engine``: where the base aggregation runs, ``duckdb`` or ``spark[:URL]``.
    """
    parse_engine(engine)
    con = open_store(store)
    try:
        compile_domain(con, domain, records, reporters, rates, protect=protect, engine=engine)
        dom = domains.load(domain)  # a known id: safe to quote into SQL
        table: pa.Table = con.sql(
            f"SELECT * FROM indicators WHERE domain = '{dom.id}' ORDER BY period, breakdown, item, measure"
        ).to_arrow_table()
        return table
    finally:
        con.close()
