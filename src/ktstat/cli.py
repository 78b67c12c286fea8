"""The command line: a thin layer over the pipeline, the demo and the store.

Every error a user can cause is a ``KtstatError``: printed as one line, exit status 1.
Heavy libraries are imported inside the commands so that ``ktstat --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

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

    run_demo(out, scale=scale, seed=seed, extra_facts=facts or [])


@app.command("compile")
def compile_cmd(
    domain: Annotated[str, typer.Option(help="Domain id, e.g. tbp or kst.")],
    records: Annotated[list[Path], typer.Option(help="Record files (CSV or Parquet); repeat for several.")],
    reporters: Annotated[Path, typer.Option(help="Business register (CSV or Parquet).")],
    rates: Annotated[Path, typer.Option(help="Exchange rates (CSV or Parquet).")],
    store: Annotated[Path, typer.Option(help="DuckDB store file to write.")] = Path("ktstat.duckdb"),
    out: Annotated[Path | None, typer.Option(help="Write the indicators here (.csv or .parquet).")] = None,
) -> None:
    """Compile a domain from your own files into a store and an indicators file."""
    from ktstat.pipeline import compile_domain
    from ktstat.publish import write_indicators
    from ktstat.store import open_store
    from ktstat.ui import progress_printer

    con = open_store(store)
    with progress_printer() as say:
        res = compile_domain(con, domain, records, reporters, rates, progress=say)
    rep = res.ingest
    typer.echo(
        f"{domain}: {rep.rows_in:,} rows in, {rep.accepted:,} accepted, {rep.quarantined:,} quarantined"
        + (f" ({', '.join(f'{k} {v}' for k, v in rep.by_rule.items())})" if rep.by_rule else "")
    )
    typer.echo(f"{domain}: {res.indicator_rows:,} indicator values in {store}")
    if out is not None:
        write_indicators(con, out, domain)
        typer.echo(f"wrote {out}")


@app.command()
def show(
    period: Annotated[str, typer.Option(help="Period, e.g. 2023, 2025H1.")],
    domain: Annotated[str, typer.Option(help="Domain id.")],
    breakdown: Annotated[str, typer.Option(help="Breakdown, e.g. total, industry, industry+institution.")] = "total",
    store: Annotated[Path, typer.Option(help="DuckDB store file.")] = Path("ktstat-demo/ktstat.duckdb"),
    lang: Annotated[str, typer.Option(help="Labels in en or ko.")] = "en",
) -> None:
    """Print one breakdown of one period as a table (billions of US dollars)."""
    from ktstat.show import show_table

    show_table(store, domain, period, breakdown, lang)


@app.command("domains")
def list_domains() -> None:
    """List the domains (programmes) ktstat knows."""
    from ktstat import domain as domains

    for d in domains.available():
        dom = domains.load(d)
        typer.echo(f"{dom.id}\t{dom.label_en} / {dom.label_ko}\t{dom.first_period}..{dom.last_period}\t"
                   f"breakdowns: {', '.join(dom.breakdown_names())}")


def main() -> None:
    try:
        app()
    except KtstatError as e:
        typer.echo(f"ktstat: error: {e}", err=True)
        sys.exit(1)
