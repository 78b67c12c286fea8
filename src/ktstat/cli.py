"""The command line: a thin layer over the pipeline, the demo and the store.

Every error a user can cause is a ``KtstatError``: printed as one line, exit status 1.
Heavy libraries are imported inside the commands so that ``ktstat --help`` stays fast.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ktstat.errors import KtstatError

app = typer.Typer(
    help="ktstat: compile, check and publish statistics on trade in technology and knowledge services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(msg: str) -> None:
    typer.echo(f"ktstat: error: {msg}", err=True)
    raise typer.Exit(1)


# a command that finds its store busy (another ktstat writing it) waits this long, saying for whom
Wait = Annotated[float, typer.Option(help="Seconds to wait while another process holds the store (0: fail at once).")]
WAIT_DEFAULT = 300.0


def _open(store: Path, wait: float, read_only: bool = False) -> Any:
    """The store, waiting for it when busy (a progress line names the holder)."""
    from ktstat.store import open_store

    return open_store(store, read_only=read_only, wait=wait)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder to write the demo to.")] = Path("ktstat-demo"),
    scale: Annotated[float, typer.Option(help="Multiply the number of reporters and records.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 20251,
    facts: Annotated[
        list[Path] | None, typer.Option(help="Extra facts files (columns of published_figures.csv).")
    ] = None,
) -> None:
    """Build synthetic inputs calibrated to the published figures, compile them, report."""
    from ktstat.demo.run import run_demo

    run_demo(out, scale=scale, seed=seed, extra_facts=facts or [], now=_now())


@app.command("compile")
def compile_cmd(
    domain: Annotated[str, typer.Option(help="Domain id, e.g. tbp or kst.")],
    records: Annotated[
        list[Path] | None,
        typer.Option(help="Record files (CSV, Parquet, Excel); repeat for several. Without: the store's batches."),
    ] = None,
    reporters: Annotated[Path | None, typer.Option(help="Business register (CSV or Parquet).")] = None,
    rates: Annotated[Path | None, typer.Option(help="Exchange rates (CSV or Parquet).")] = None,
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat.duckdb"),
    out: Annotated[Path | None, typer.Option(help="Write the indicators here (.csv or .parquet).")] = None,
    protect: Annotated[
        bool, typer.Option(help="Apply disclosure control (suppressed cells get status C). Off: for checking only.")
    ] = True,
    engine: Annotated[
        str,
        typer.Option(
            help="Base aggregation engine: duckdb, spark or spark:URL (local[N], spark://host:7077, "
            "sc://host:15002); plain spark uses $KTSTAT_SPARK, else local[2]."
        ),
    ] = "duckdb",
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """Compile a domain: from your files (replacing the domain's batches), or from the store's batches."""
    from ktstat.pipeline import compile_domain, compile_store
    from ktstat.publish import write_indicators
    from ktstat.ui import progress_printer

    if records and (reporters is None or rates is None):
        _fail("compiling from files needs --reporters and --rates too")
    if not records and not store.exists():
        _fail(f"{store}: store not found; give --records, --reporters and --rates to compile from files")
    con = _open(store, wait)
    with progress_printer() as say:
        if records:
            assert reporters is not None and rates is not None
            res = compile_domain(con, domain, records, reporters, rates, progress=say, protect=protect, engine=engine)
        else:
            res = compile_store(con, domain, progress=say, protect=protect, engine=engine)
    rep = res.ingest
    if records:
        typer.echo(
            f"{domain}: {rep.rows_in:,} rows in, {rep.accepted:,} accepted, {rep.quarantined:,} quarantined"
            + (f" ({', '.join(f'{k} {v}' for k, v in rep.by_rule.items())})" if rep.by_rule else "")
        )
    typer.echo(f"{domain}: {res.indicator_rows:,} indicator values in {store}")
    if out is not None:
        write_indicators(con, out, domain)
        typer.echo(f"wrote {out}")


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Record files: CSV, Parquet or Excel (.xlsx).")],
    domain: Annotated[str, typer.Option(help="Domain id, e.g. tbp or kst.")],
    store: Annotated[Path, typer.Option(help="DuckDB store file (created if missing).")] = Path("ktstat.duckdb"),
    mapping: Annotated[Path | None, typer.Option(help="CSV 'source,target' renaming the file's columns.")] = None,
    supersedes: Annotated[int | None, typer.Option(help="Batch this corrected submission replaces.")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the ingest report here (JSON).")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding of CSV files (default: detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name (default: the first).")] = None,
    submitter: Annotated[str | None, typer.Option(help="Who sent the files (kept with the batch).")] = None,
    reporters: Annotated[Path | None, typer.Option(help="Load (replace) the business register first.")] = None,
    rates: Annotated[Path | None, typer.Option(help="Load (replace) the exchange rates first.")] = None,
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """Validate record files and add them to the store as batches; bad rows are quarantined, never lost."""
    import json

    from rich.table import Table

    from ktstat import domain as domains
    from ktstat.ingest import ingest_files
    from ktstat.ui import console, progress_printer

    dom = domains.load(domain)
    if (reporters is None) != (rates is None):
        _fail("give --reporters and --rates together")
    con = _open(store, wait)
    reference = (reporters, rates) if reporters is not None and rates is not None else None
    with progress_printer() as say:
        rep = ingest_files(
            con,
            dom,
            files,
            mapping=mapping,
            encoding=encoding,
            sheet=sheet,
            submitter=submitter,
            supersedes=supersedes,
            progress=say,
            reference=reference,
        )
    table = Table(title=f"ingest into {store} ({domain})")
    for col in ("file", "batch", "rows in", "accepted", "quarantined", "review", "by rule"):
        table.add_column(col, justify="left" if col in ("file", "by rule") else "right")
    for f in rep.files:
        if f.duplicate_of is not None:
            note = f"already ingested as batch {f.duplicate_of}: not counted again"
            table.add_row(Path(f.file).name, "", "-", "-", "-", "-", note)
            continue
        table.add_row(
            Path(f.file).name,
            str(f.batch_id),
            f"{f.rows_in:,}",
            f"{f.accepted:,}",
            f"{f.quarantined:,}",
            f"{f.review:,}",
            ", ".join(f"{k} {v}" for k, v in f.by_rule.items()),
        )
    table.add_row(
        "total",
        "",
        f"{rep.rows_in:,}",
        f"{rep.accepted:,}",
        f"{rep.quarantined:,}",
        "",
        ", ".join(f"{k} {v}" for k, v in rep.by_rule.items()),
    )
    console().print(table)
    typer.echo("rows and amounts reconcile: rows in = accepted + quarantined, per file and currency")
    if rep.superseded is not None:
        typer.echo(f"batch {rep.superseded} is superseded (kept in the audit trail)")
    if report is not None:
        report.write_text(json.dumps(rep.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        typer.echo(f"report written to {report}")


@app.command()
def quarantine(
    rows: Annotated[
        list[str] | None, typer.Argument(help="With --resolve: the rows to mark resolved, BATCH:ROW as listed.")
    ] = None,
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat.duckdb"),
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    batch: Annotated[int | None, typer.Option(help="Only this batch.")] = None,
    rule: Annotated[str | None, typer.Option(help="Only rows that broke this rule.")] = None,
    export: Annotated[Path | None, typer.Option(help="Write the rows as CSV, ready to fix and ingest again.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    review: Annotated[bool, typer.Option(help="List the accepted rows flagged for review instead.")] = False,
    all_rows: Annotated[
        bool, typer.Option("--all", help="Every quarantined row, with how each resolved one was resolved.")
    ] = False,
    resolve: Annotated[
        bool, typer.Option(help="Mark the ROWs given resolved by hand (e.g. a true duplicate); needs --reason.")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why the rows are resolved (kept with them).")] = None,
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """List the open quarantined rows (bad values, reasons, the raw line of a syntax error), export
    them to fix and ingest again, or mark rows resolved. A row is resolved by itself when a later
    accepted record of the same reporter carries its record id."""
    from rich.table import Table

    from ktstat.ingest.listing import export_quarantine, quarantined, resolution, summary
    from ktstat.ui import console

    if not store.exists():
        _fail(f"{store}: store not found")
    if rows and not resolve:
        _fail("rows given without --resolve; to mark them resolved: ktstat quarantine --resolve BATCH:ROW ... --reason")
    if resolve:
        from ktstat.ingest.listing import resolve as resolve_rows

        if not rows:
            _fail("--resolve needs the rows, BATCH:ROW as `ktstat quarantine` lists them")
        if not reason:
            _fail("--resolve needs --reason (why the rows need no correction)")
        assert rows is not None and reason is not None
        n = resolve_rows(_open(store, wait), rows, reason)
        typer.echo(f"{n:,} quarantined row(s) marked resolved: {reason}")
        return
    con = _open(store, wait, read_only=True)
    if review:
        from ktstat.ingest.listing import review_flags

        cols, found = review_flags(con, domain)
        table = Table(title=f"{len(found):,} rows flagged for review (accepted)")
        for c in cols:
            table.add_column(c)
        for r in found[:limit]:
            table.add_row(*("" if v is None else str(v) for v in r))
        console().print(table)
        return
    if export is not None:
        n = export_quarantine(con, export, domain, batch, rule)
        typer.echo(f"wrote {n:,} open quarantined rows to {export}")
        return
    cols, found = quarantined(con, domain, batch, rule, include_resolved=all_rows)
    what = "quarantined rows" if all_rows else "open quarantined rows"
    table = Table(title=f"{len(found):,} {what}" + (f" (first {limit})" if len(found) > limit else ""))
    show = ["row", "source_file", "record_id", "reasons", "bad value / line"]
    if all_rows:
        show.append("resolved")
    for c in show:
        table.add_column(c, overflow="fold")
    for r in found[:limit]:
        d = dict(zip(cols, r, strict=True))
        bad = d["bad_values"] or ("line: " + d["unparsed_line"] if d["unparsed_line"] is not None else "")
        cells = [
            d["row"],
            Path(d["source_file"]).name,
            "" if d["record_id"] is None else d["record_id"],
            d["reasons"],
            bad,
        ]
        if all_rows:
            cells.append(resolution(d) or "open")
        table.add_row(*cells)
    console().print(table)
    s = summary(con, domain)
    typer.echo(
        f"active batches: {s['rows_in']:,} rows in = {s['accepted']:,} accepted + {s['quarantined']:,} "
        f"quarantined; quarantined = {s['open']:,} open + {s['corrected']:,} corrected by a later record + "
        f"{s['by_hand']:,} resolved by hand"
    )


@app.command("batches")
def list_batches(
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat.duckdb"),
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """List the batches in a store: active, superseded, with counts and content hashes."""
    from rich.table import Table

    from ktstat.ingest.listing import batches
    from ktstat.ui import console

    if not store.exists():
        _fail(f"{store}: store not found")
    cols, rows = batches(_open(store, wait, read_only=True), domain)
    table = Table(title=f"batches in {store}")
    for c in cols:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    console().print(table)


@app.command()
def show(
    period: Annotated[str, typer.Option(help="Period, e.g. 2023, 2025H1.")],
    domain: Annotated[str, typer.Option(help="Domain id.")],
    breakdown: Annotated[str, typer.Option(help="Breakdown, e.g. total, industry, industry+institution.")] = "total",
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat-demo/ktstat.duckdb"),
    lang: Annotated[str, typer.Option(help="Labels in en or ko.")] = "en",
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """Print one breakdown of one period as a table (billions of US dollars)."""
    from ktstat.show import show_table

    show_table(store, domain, period, breakdown, lang, wait=wait)


@app.command()
def trace(
    period: Annotated[str, typer.Option(help="Period of the cell, e.g. 2023, 2025H1.")],
    domain: Annotated[str, typer.Option(help="Domain id.")],
    item: Annotated[str, typer.Option(help="Item of the cell, e.g. all, ip_royalties, manufacturing+large.")],
    flow: Annotated[str, typer.Option(help="X (exports) or M (imports).")],
    breakdown: Annotated[str, typer.Option(help="Breakdown, e.g. total, category, industry+institution.")] = "total",
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat-demo/ktstat.duckdb"),
    out: Annotated[Path | None, typer.Option(help="Write the records behind the cell here (CSV).")] = None,
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """Trace one cube cell to its reporter cells and the records (batch, file, row) behind them."""
    import csv

    from ktstat import domain as domains
    from ktstat.publish.exact import micro_text
    from ktstat.trace import RECORD_COLUMNS, trace_cell

    if not store.exists():
        _fail(f"{store}: store not found")
    t = trace_cell(_open(store, wait, read_only=True), domains.load(domain), period, breakdown, item, flow)
    files = sorted({(r[0], r[1]) for r in t.records})
    typer.echo(
        f"{t.domain} {t.period} {t.breakdown} {t.item} {t.flow}: {micro_text(t.amount_usd_micro)} US dollars "
        f"from {t.reporters:,} reporter(s)"
    )
    typer.echo(
        f"  {len(t.cells):,} reporter cells, summing to {micro_text(t.cells_sum)} US dollars; "
        f"{len(t.records):,} records in {len(files)} batch(es): "
        + "; ".join(f"batch {b} {f}" for b, f in files[:5])
        + (" ..." if len(files) > 5 else "")
    )
    typer.echo(f"  adds up: {'yes' if t.adds_up else 'NO'}")
    if out is not None:
        with out.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(RECORD_COLUMNS)
            w.writerows(t.records)
        typer.echo(f"  records written to {out}")
    if not t.adds_up:
        raise typer.Exit(1)


@app.command()
def factcheck(
    article: Annotated[list[Path], typer.Argument(help="Article files (plain text, HTML or Markdown).")],
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat-demo/ktstat.duckdb"),
    release: Annotated[
        list[str] | None, typer.Option(help="Vintage id to check against; repeat (default: latest released).")
    ] = None,
    lang: Annotated[str, typer.Option(help="auto, en or ko.")] = "auto",
    fmt: Annotated[str, typer.Option("--format", help="table, json or html.")] = "table",
    out: Annotated[Path | None, typer.Option(help="Write the report here (default: standard output).")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The day the articles appeared (2025-09-17): check against the vintages current then; "
            "'this year', 'last year' and a half named without its year are read from that day "
            "(without it, from each article's dateline when it has one).",
        ),
    ] = None,
) -> None:
    """Check the numbers in press articles against the released figures."""
    from ktstat.factcheck.figures import parse_as_of, store_figures
    from ktstat.factcheck.report import check_article, read_article, to_html, to_json, to_table

    if lang not in ("auto", "en", "ko"):
        _fail(f"unknown language {lang!r}; choose auto, en or ko")
    if fmt not in ("table", "json", "html"):
        _fail(f"unknown format {fmt!r}; choose table, json or html")
    for a in article:
        if not a.is_file():
            _fail(f"{a}: no such article")
    when = parse_as_of(as_of) if as_of else None
    if when is not None and release:
        _fail("--as-of and --release: give one (--as-of chooses the vintages current at that time)")
    texts = [read_article(a) for a in article]  # a bad article is named before the store is read
    figures = store_figures(store, release or None, as_of=when)
    done = [check_article(str(a), t, figures, lang, when) for a, t in zip(article, texts, strict=True)]
    if fmt == "table":
        from ktstat.ui import console

        if out is not None:
            from rich.console import Console

            with out.open("w", encoding="utf-8") as f:
                Console(file=f, width=200).print(to_table(done))
        else:
            console().print(to_table(done))
        return
    text = to_json(done) if fmt == "json" else to_html(done)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")


@app.command()
def audit(
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat.duckdb"),
    domain: Annotated[
        list[str] | None, typer.Option(help="Domain id; repeat for several (default: all in the store).")
    ] = None,
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """Audit disclosure control: print the cells a reader could pin down, from the compile and from
    every vintage together, as an outsider or as a cell's largest reporter; exit status 1 if any."""
    from rich.table import Table

    from ktstat import domain as domains
    from ktstat.sdc.audit import audit_store
    from ktstat.sdc.layers import audit_released
    from ktstat.ui import console

    if not store.exists():
        _fail(f"{store}: store not found")
    con = _open(store, wait, read_only=True)
    ids = domain or [r[0] for r in con.execute("SELECT DISTINCT domain FROM cube ORDER BY 1").fetchall()]
    if not ids:
        _fail(f"{store}: nothing compiled yet; run `ktstat compile` first")
    failed = False
    for d in ids:
        dom = domains.load(d)
        if not con.execute("SELECT count(*) FROM disclosure WHERE domain = ?", [d]).fetchall()[0][0]:
            typer.echo(f"{d}: FAIL: no disclosure control was applied (compiled with --no-protect?)")
            failed = True
            continue
        res = audit_store(con, dom)
        q = dom.disclosure.protection_percent
        joint = audit_released(con, dom)
        who = "outsiders and largest reporters" if dom.disclosure.insider else "outsiders"
        for vid in joint.missing:
            typer.echo(f"{d}: note: {vid} was made without a disclosure record; it is left out of the joint audit")
        if joint.passed:
            typer.echo(
                f"{d}: all vintages together ({', '.join(joint.vintages) or 'none released'}) and the compile: "
                f"passed against {who} ({joint.checked:,} intervals)"
            )
        else:
            failed = True
            typer.echo(f"{d}: FAIL: {len(joint.revealed)} cells revealed by the vintages together")
            for r in joint.revealed:
                typer.echo(
                    f"  {r.vintage}: {' '.join(r.key)} (value {r.value:,.2f}): the {r.attacker} deduces "
                    f"[{r.lower:,.2f}, {r.upper:,.2f}] from"
                )
                for line in r.equations:
                    typer.echo(f"      {line}")
        if res.passed:
            typer.echo(
                f"{d}: passed: {res.checked:,} primary cells each protected by at least {q:g} % "
                f"({res.suppressed:,} cells suppressed in all)"
            )
            continue
        failed = True
        if res.failures:
            t = Table(title=f"{d}: {len(res.failures)} cells a reader can narrow below {q:g} %")
            for col in ("freq", "period", "breakdown", "item", "flow", "value USD", "lower USD", "upper USD"):
                t.add_column(col)
            for key, value, lo, hi in res.failures:
                t.add_row(*key, f"{value:,.2f}", f"{lo:,.2f}", f"{hi:,.2f}")
            console().print(t)
        for key, rule, n in res.unsuppressed_primary:
            typer.echo(f"{d}: FAIL: {' '.join(key)} ({n} reporters) breaks the {rule} rule but is published")
        for p, b, i, m, shown in res.shown:
            typer.echo(f"{d}: FAIL: {p} {b} {i} {m} = {shown} is shown although its cell is suppressed")
    if failed:
        raise typer.Exit(1)


def _now() -> datetime:
    """The clock: now, or ``KTSTAT_NOW`` (ISO 8601 with a time zone) for rehearsals and tests."""
    import os
    from datetime import UTC

    raw = os.environ.get("KTSTAT_NOW")
    if not raw:
        return datetime.now(UTC)
    t = _parse_time(raw, "KTSTAT_NOW")
    return t


def _parse_time(raw: str, what: str) -> datetime:
    try:
        t = datetime.fromisoformat(raw)
    except ValueError:
        _fail(f"{what}: {raw!r} is not a time (ISO 8601, e.g. 2025-09-17T12:00+09:00)")
        raise
    if t.tzinfo is None:
        _fail(f"{what}: {raw!r} needs a time zone (e.g. +09:00)")
    return t


@app.command()
def release(
    domain: Annotated[str, typer.Option(help="Domain id.")],
    period: Annotated[str, typer.Option(help="The period released, e.g. 2024 or 2025H1.")],
    status: Annotated[str, typer.Option(help="provisional or final.")],
    at: Annotated[
        str | None, typer.Option(help="Release time, ISO 8601 with zone (default: the calendar's, else now).")
    ] = None,
    revises: Annotated[str | None, typer.Option(help="The vintage this one corrects.")] = None,
    reason: Annotated[str | None, typer.Option(help="Why (needed with --revises).")] = None,
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat.duckdb"),
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """Turn a compiled period into an immutable vintage (embargoed until its release time)."""
    from ktstat import domain as domains
    from ktstat.release.calendar import release_time
    from ktstat.release.vintage import create_vintage

    if not store.exists():
        _fail(f"{store}: store not found")
    dom = domains.load(domain)
    now = _now()
    when = _parse_time(at, "--at") if at else (release_time(dom, period, status) or now)
    v = create_vintage(_open(store, wait), dom, period, status, when, now, revises, reason)
    state = f"EMBARGOED until {v.release_at.isoformat()}" if v.embargoed(now) else "released"
    typer.echo(
        f"{v.vintage_id}: {v.domain} {v.period} {v.status}, {v.rows:,} values, {state}; "
        f"sha256 {v.content_hash[:16]}" + (f"; revises {v.revises} ({v.reason})" if v.revises else "")
    )


@app.command()
def publish(
    vintage: Annotated[str, typer.Argument(help="The vintage to publish, e.g. kst-2025H1-v1.")],
    out: Annotated[Path, typer.Option(help="Folder to write the release to.")],
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat.duckdb"),
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """Write a vintage's release: press release (en/ko, HTML and PDF), statements.json, data files, SDMX."""
    from ktstat.publish.release import write_release
    from ktstat.ui import progress_printer

    if not store.exists():
        _fail(f"{store}: store not found")
    now = _now()
    from ktstat import signals

    signals.note(f"{out} may hold part of the release: publish it again")
    with progress_printer() as say:
        files = write_release(_open(store, wait, read_only=True), vintage, out, now, say)
    typer.echo(
        f"{vintage}: wrote {len(files)} files to {out}"
        + (" (EMBARGOED: see EMBARGOED.txt)" if "EMBARGOED.txt" in files else "")
    )


@app.command()
def vintages(
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat.duckdb"),
    domain: Annotated[str | None, typer.Option(help="Domain id.")] = None,
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """List the vintages in a store, with their embargo."""
    from rich.table import Table

    from ktstat.release.vintage import list_vintages
    from ktstat.ui import console

    if not store.exists():
        _fail(f"{store}: store not found")
    now = _now()
    t = Table(title=f"vintages in {store}")
    for col in ("vintage", "domain", "period", "status", "release time", "state", "values", "sha256", "revises"):
        t.add_column(col)
    for v in list_vintages(_open(store, wait, read_only=True), domain):
        t.add_row(
            v.vintage_id,
            v.domain,
            v.period,
            v.status,
            v.release_at.isoformat(),
            "embargoed" if v.embargoed(now) else "released",
            f"{v.rows:,}",
            v.content_hash[:12],
            f"{v.revises} ({v.reason})" if v.revises else "",
        )
    console().print(t)


@app.command("calendar")
def calendar_cmd(
    domain: Annotated[list[str] | None, typer.Option(help="Domain id; repeat for several (default: all).")] = None,
    store: Annotated[Path | None, typer.Option(help="DuckDB store file (to mark what is released).")] = None,
    days: Annotated[int, typer.Option(help="Days back and ahead of now to list.")] = 400,
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """The release calendar: what is due, what is overdue, what has been released."""
    from rich.table import Table

    from ktstat import domain as domains
    from ktstat.release.calendar import calendar
    from ktstat.release.vintage import list_vintages
    from ktstat.ui import console

    now = _now()
    con = _open(store, wait, read_only=True) if store is not None and store.exists() else None
    t = Table(title=f"release calendar around {now:%Y-%m-%d}")
    for col in ("release time", "domain", "period", "status", "state", "vintage"):
        t.add_column(col)
    for d in domain or domains.available():
        dom = domains.load(d)
        for due in calendar(dom, list_vintages(con, d) if con else [], now, days, days):
            t.add_row(
                due.release_at.isoformat(timespec="minutes"),
                due.domain,
                due.period,
                due.status,
                due.state,
                due.vintage or "",
            )
    console().print(t)


@app.command()
def revisions(
    domain: Annotated[str, typer.Option(help="Domain id.")],
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat.duckdb"),
    period: Annotated[str | None, typer.Option(help="Compare the vintages of this period.")] = None,
    measure: Annotated[str, typer.Option(help="The series' measure (for the triangle).")] = "exports",
    breakdown: Annotated[str, typer.Option(help="The series' breakdown.")] = "total",
    item: Annotated[str, typer.Option(help="The series' item.")] = "all",
    wait: Wait = WAIT_DEFAULT,
) -> None:
    """Revisions: the vintages of a period compared, or a series' revision triangle (mean, mean absolute)."""
    from rich.table import Table

    from ktstat.release.revisions import compare, triangle
    from ktstat.release.vintage import list_vintages, vintage_rows
    from ktstat.ui import console

    if not store.exists():
        _fail(f"{store}: store not found")
    con = _open(store, wait, read_only=True)
    vs = list_vintages(con, domain, period)
    if not vs:
        _fail(f"no vintages of {domain}{' ' + period if period else ''} in {store}")
    if period:
        if len(vs) < 2:
            _fail(f"{domain} {period} has one vintage ({vs[0].vintage_id}): nothing to compare")
        a = {r[:4]: (r[4], r[5]) for r in vintage_rows(con, vs[0])}
        b = {r[:4]: (r[4], r[5]) for r in vintage_rows(con, vs[-1])}
        diffs = compare(a, b)
        typer.echo(f"{vs[0].vintage_id} -> {vs[-1].vintage_id}: {len(diffs):,} of {len(b):,} values differ")
        t = Table(title=f"{measure}, total, {vs[0].vintage_id} -> {vs[-1].vintage_id}")
        for col in ("period", "breakdown", "item", "measure", vs[0].vintage_id, vs[-1].vintage_id, "revision"):
            t.add_column(col)
        for k, x, y, dxy in diffs:
            if k[1] == breakdown and k[3] == measure:
                t.add_row(*k, *("" if z is None else f"{z:,.2f}" for z in (x, y, dxy)))
        console().print(t)
        return
    series = []
    for v in vs:
        vals = {r[0]: r[4] for r in vintage_rows(con, v) if r[1] == breakdown and r[2] == item and r[3] == measure}
        series.append((v.vintage_id, vals))
    tri = triangle(series)
    t = Table(title=f"revision triangle: {domain} {breakdown} {item} {measure}")
    t.add_column("period")
    for vid in tri.vintages:
        t.add_column(vid, justify="right")
    t.add_column("revision", justify="right")
    for p in tri.periods:
        if len([x for x in tri.values[p].values() if x is not None]) == 0:
            continue
        cells = ["" if tri.values[p].get(x) is None else f"{tri.values[p][x]:,.0f}" for x in tri.vintages]
        t.add_row(p, *cells, f"{tri.revisions[p]:,.0f}" if p in tri.revisions else "")
    console().print(t)
    if tri.mean_revision is None:
        typer.echo("no period has two estimates yet: no revision to summarise")
    else:
        typer.echo(
            f"mean revision {tri.mean_revision:,.2f}; mean absolute revision {tri.mean_absolute_revision:,.2f} "
            f"(over {len(tri.revisions)} periods, latest minus first estimate)"
        )


@app.command()
def serve(
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat-demo/ktstat.duckdb"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    releases: Annotated[
        Path | None, typer.Option(help="Release folders to serve (default: 'releases' beside the store, if any).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve released vintages: the web data explorer at /, the SDMX REST API (/data, /dataflow, ...),
    /releases and /api (see /docs)."""
    from ktstat.api.serve import serve as run_server

    if not store.exists():
        _fail(f"{store}: store not found; run `ktstat demo` or give --store")
    rel = releases if releases is not None else (store.parent / "releases")
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"ktstat: serving {store}; explorer http://{shown}:{port}/ , API docs http://{shown}:{port}/docs", err=True
    )
    run_server(store, host, port, rel if rel.is_dir() else None, workers=workers)


@app.command("bench")
def bench(
    rows: Annotated[list[int], typer.Option(help="Rows of generated records; repeat for several sizes.")] = [  # noqa: B006
        1_000_000,
        10_000_000,
    ],
    out: Annotated[Path | None, typer.Option(help="Write the results here (JSON).")] = None,
    workdir: Annotated[Path | None, typer.Option(help="Folder for the generated inputs (reused between runs).")] = None,
    approach: Annotated[list[str] | None, typer.Option(help="Approaches to run besides ktstat (default: all).")] = None,
    memory_budget_gb: Annotated[float, typer.Option(help="Stop any process above this resident memory.")] = 16.0,
) -> None:
    """Benchmark the full compile against a bare DuckDB GROUP BY, a pandas script and a Polars script."""
    from ktstat.benchmarks.compile import APPROACHES, run, table
    from ktstat.ui import console

    results = run(
        rows,
        out,
        workdir,
        say=lambda m: typer.echo(m, err=True),
        approaches=approach or list(APPROACHES),
        memory_budget_gb=memory_budget_gb,
    )
    console().print(table(results))
    if out is not None:
        typer.echo(f"results written to {out}")


@app.command("bench-ingest")
def bench_ingest(
    rows: Annotated[list[int], typer.Option(help="Rows of the generated file; repeat for several sizes.")] = [  # noqa: B006
        10_000_000
    ],
    out: Annotated[Path | None, typer.Option(help="Write the results here (JSON).")] = None,
    workdir: Annotated[Path | None, typer.Option(help="Folder for the generated files (default: temporary).")] = None,
) -> None:
    """Benchmark ingest: CSV and Parquet next to a bare DuckDB read_csv, rows/s and peak memory."""
    from rich.table import Table

    from ktstat.benchmarks.ingest import run
    from ktstat.ui import console

    results = run(rows, out, workdir, say=lambda m: typer.echo(m, err=True))
    table = Table(title="ingest benchmark (each approach a separate process, same run)")
    for col in ("rows", "approach", "seconds", "rows/s", "peak MB", "x bare DuckDB"):
        table.add_column(col, justify="left" if col == "approach" else "right")
    for r in results:
        table.add_row(
            f"{r['rows']:,}",
            r["approach"],
            f"{r['seconds']:.1f}",
            f"{r['rows_per_second']:,}",
            f"{r['peak_memory_mb']:,}",
            f"{r['ratio_to_bare_duckdb']:.2f}",
        )
    console().print(table)
    if out is not None:
        typer.echo(f"results written to {out}")


@app.command("bench-sdc")
def bench_sdc(
    demo_dir: Annotated[Path, typer.Option(help="A demo folder (from `ktstat demo`) whose inputs to compile.")] = Path(
        "ktstat-demo"
    ),
    repeat: Annotated[int, typer.Option(help="Runs of the demo part; medians are reported.")] = 3,
    synthetic: Annotated[
        list[str] | None, typer.Option(help="Synthetic hierarchical tables: 11k, 111k; repeat for several.")
    ] = None,
    whole_up_to: Annotated[
        int, typer.Option(help="Also run the whole-table approach on synthetic tables up to this many cells.")
    ] = 20_000,
    out: Annotated[Path | None, typer.Option(help="Write the results here (JSON).")] = None,
) -> None:
    """Benchmark disclosure control: the demo release (compile vs protect and audit) and synthetic tables."""
    import json

    from rich.table import Table

    from ktstat.benchmarks.sdc import demo_release
    from ktstat.benchmarks.sdc import synthetic as run_synthetic
    from ktstat.ui import console

    def say(m: str) -> None:
        typer.echo(m, err=True)

    demo_rows = demo_release(demo_dir, repeat, say)
    syn_rows = run_synthetic(synthetic if synthetic is not None else ["11k", "111k"], whole_up_to, say)
    t = Table(title=f"disclosure control on the demo release (median of {repeat} runs, same process)")
    for col in (
        "table",
        "cells",
        "primary",
        "secondary",
        "value hidden",
        "compile s",
        "protect+audit s",
        "x compile",
        "store audit s",
        "audit failures",
    ):
        t.add_column(col, justify="left" if col == "table" else "right")
    for r in demo_rows:
        t.add_row(
            r["table"],
            f"{r['cells']:,}",
            f"{r['primary']:,}",
            f"{r['secondary']:,}",
            f"{100 * r['value_hidden_share']:.2f} %",
            f"{r['compile_s']:.2f}",
            f"{r['protect_and_audit_s']:.2f}",
            f"{r['ratio_to_compile']:.2f}",
            f"{r['store_audit_s']:.2f}",
            str(r["audit_failures"]),
        )
    console().print(t)
    t = Table(title="synthetic two-way hierarchical tables (10 % protection)")
    for col in (
        "table",
        "cells",
        "primary",
        "secondary",
        "value hidden",
        "secondary s",
        "audit s",
        "total s",
        "audit failures",
    ):
        t.add_column(col, justify="left" if col == "table" else "right")
    for r in syn_rows:
        t.add_row(
            r["table"],
            f"{r['cells']:,}",
            f"{r['primary']:,}",
            f"{r['secondary']:,}",
            f"{100 * r['value_hidden_share']:.2f} %",
            f"{r['secondary_s']:.1f}",
            f"{r['audit_s']:.1f}",
            f"{r['total_s']:.1f}",
            str(r["audit_failures"]),
        )
    console().print(t)
    if out is not None:
        out.write_text(json.dumps({"demo": demo_rows, "synthetic": syn_rows}, indent=2), encoding="utf-8")
        typer.echo(f"results written to {out}")


@app.command("check")
def check_cmd(
    indicators: Annotated[
        Path, typer.Argument(help="An indicators file (.csv or .parquet), e.g. ktstat-demo/indicators.csv.")
    ],
    facts: Annotated[
        list[Path] | None, typer.Option(help="More facts to check (columns of published_figures.csv).")
    ] = None,
    set_aside: Annotated[
        list[str] | None, typer.Option(help="A fact id not to count (conflicting); repeat for several.")
    ] = None,
) -> None:
    """Check an indicators file against the published figures (to their rounding) and its own sums;
    exit status 1 if anything fails."""
    from ktstat.check import check

    res = check(indicators, facts or [], set_aside or [])
    for line in res.failures[:60] + res.inconsistent[:60]:
        typer.echo(line)
    if res.set_aside:
        typer.echo(f"set aside as conflicting (see calibration.md): {', '.join(res.set_aside)}")
    typer.echo(
        f"facts: {res.held}/{res.checked} reproduced within their rounding; consistency failures: "
        f"{len(res.inconsistent)}; cells: {res.cells:,}"
    )
    if not res.passed:
        raise typer.Exit(1)


@app.command("domains")
def list_domains() -> None:
    """List the domains (programmes) ktstat knows."""
    from ktstat import domain as domains

    for d in domains.available():
        dom = domains.load(d)
        typer.echo(
            f"{dom.id}\t{dom.label_en} / {dom.label_ko}\t{dom.first_period}..{dom.last_period}\t"
            f"breakdowns: {', '.join(dom.breakdown_names())}"
        )


def _subcommand(argv: list[str]) -> str:
    """``ktstat ingest`` for the lock-info file: the first word of the command line that is no option."""
    words = [a for a in argv if not a.startswith("-")]
    return f"ktstat {words[0]}" if words else "ktstat"


def main() -> None:
    """Entry point: user errors as one line; an interrupt (Ctrl-C, SIGTERM) as one line saying what
    was kept, exit status 130 or 143; anything else as one line too, with the traceback only when
    ``KTSTAT_DEBUG`` is set."""
    import os

    from ktstat import signals, store

    store.COMMAND = _subcommand(sys.argv[1:])
    signals.install()
    try:
        app()
    except KtstatError as e:
        if signals.received():
            _interrupted()
        typer.echo(f"ktstat: error: {e}", err=True)
        sys.exit(1)
    except (KeyboardInterrupt, signals.Interrupted):
        _interrupted()
    except Exception as e:
        if signals.received():  # the query DuckDB stopped for the signal, or what followed from it
            _interrupted()
        if os.environ.get("KTSTAT_DEBUG"):
            raise
        first = (str(e).splitlines() or [type(e).__name__])[0]
        typer.echo(f"ktstat: internal error: {first} (set KTSTAT_DEBUG=1 for details and report it)", err=True)
        sys.exit(2)


def _interrupted() -> None:
    import signal

    from ktstat import signals

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the message and exit are not to be interrupted again
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    typer.echo(f"ktstat: {signals.message()}", err=True)
    signals.leave(signals.exit_status() if signals.received() else 130)
