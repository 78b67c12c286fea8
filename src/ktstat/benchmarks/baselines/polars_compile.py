"""The headline figures of a programme with Polars (lazy API), as an analyst would write them.

    python -m ktstat.benchmarks.baselines.polars_compile --domain-dir DIR --records FILE.parquet \\
        --reporters REGISTER.csv --rates RATES.csv --out OUT.parquet

The same computation and output as :mod:`ktstat.benchmarks.baselines.pandas_compile`: amounts
converted to US dollars with the base period's rate (else the year's; USD is 1), the register
version valid in the record's month joined for industry, size class and platform flag, sums
per cell (one lazy query over the records, run by Polars' default engine), then the total and
every single breakdown per published frequency (complete periods only) and the headline
indicators ``exports, imports, balance, volume, ratio`` and the ``_growth`` of exports, imports
and volume on the previous period (percent). Money in US dollars (float).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ktstat.benchmarks.baselines import definitions as defs

CELL = ["year", "sub", "flow", "item", "partner", "industry", "size_class", "platform"]


def rate_table(rates: pl.DataFrame, base: str, years: list[int]) -> pl.DataFrame:
    """currency, year, sub -> per_usd for every base period: its own rate, else the year's."""
    rates = rates.with_columns(year=pl.col("period").str.slice(0, 4).cast(pl.Int64))
    subs = pl.DataFrame({"sub": list(range(1, defs.PER_YEAR[base] + 1))}, schema={"sub": pl.Int64})
    full = (
        rates.filter(pl.col("period").str.len_chars() == 4)
        .select("currency", "year", "per_usd")
        .join(subs, how="cross")
    )
    if base != "A":
        own = rates.filter(pl.col("period").str.slice(4, 1) == base).select(
            "currency", "year", sub=pl.col("period").str.slice(5).cast(pl.Int64), per_usd=pl.col("per_usd")
        )
        full = own.join(full, on=["currency", "year", "sub"], how="full", coalesce=True, suffix="_year").select(
            "currency", "year", "sub", per_usd=pl.coalesce("per_usd", "per_usd_year")
        )
    usd = (
        pl.DataFrame({"currency": "USD", "year": years}, schema={"currency": pl.String, "year": pl.Int64})
        .join(subs, how="cross")
        .with_columns(per_usd=pl.lit(1.0))
    )
    return pl.concat([full.select("currency", "year", "sub", "per_usd"), usd])


def cells(records_path: Path, reporters_path: Path, rates_path: Path, d: defs.Definition) -> pl.DataFrame:
    """US-dollar sums per base period, flow, item, partner and reporter profile."""
    months_per = 12 // defs.PER_YEAR[d.base]
    rates = pl.read_csv(
        rates_path, schema_overrides={"currency": pl.String, "period": pl.String, "per_usd": pl.Float64}
    )
    lookup = rate_table(rates, d.base, list(range(d.first[0], d.last[0] + 1)))
    reg = pl.read_csv(reporters_path, infer_schema=False).select(
        "reporter_id",
        "industry",
        "size_class",
        platform=pl.col("platform").str.to_lowercase().is_in(["true", "1", "yes", "y", "t"]),
        valid_from=pl.col("valid_from").str.to_date(strict=False),
        valid_to=pl.col("valid_to").str.to_date(strict=False),
    )
    q = (
        pl.scan_parquet(records_path)
        .select(
            "reporter_id", "period", "flow", "partner", "item", "currency", amount=pl.col("amount").cast(pl.Float64)
        )
        .with_columns(
            year=pl.col("period").str.slice(0, 4).cast(pl.Int64), month=pl.col("period").str.slice(5, 2).cast(pl.Int64)
        )
        .with_columns(sub=(pl.col("month") - 1) // months_per + 1, ref_date=pl.date(pl.col("year"), pl.col("month"), 1))
        .join(lookup.lazy(), on=["currency", "year", "sub"], how="left")
        .join(reg.lazy(), on="reporter_id", how="inner")
        .filter(
            (pl.col("valid_from").is_null() | (pl.col("valid_from") <= pl.col("ref_date")))
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("ref_date")))
        )
        .with_columns(usd=pl.col("amount") / pl.col("per_usd"))
        .group_by(CELL)
        .agg(pl.col("usd").sum())
    )
    return q.collect()


def breakdown_totals(c: pl.DataFrame, d: defs.Definition) -> pl.DataFrame:
    """breakdown, item, year, sub, flow, usd: the total and every single breakdown."""
    parts = [c.with_columns(breakdown=pl.lit("total"), code=pl.lit("all"))]
    profiles = c.select("industry", "size_class", "platform").unique().rows()
    for b in d.breakdowns:
        if b.source == "reporter":
            m = pl.DataFrame(
                defs.reporter_codes(b, profiles),
                orient="row",
                schema={"industry": pl.String, "size_class": pl.String, "platform": pl.Boolean, "code": pl.String},
            )
            part = c.join(m, on=["industry", "size_class", "platform"])
        else:
            part = c.with_columns(code=pl.col(b.source).replace_strict(defs.leaf_codes(b), default=None)).drop_nulls(
                "code"
            )
        parts.append(part.with_columns(breakdown=pl.lit(b.name)).select(*c.columns, "breakdown", "code"))
    return (
        pl.concat(parts)
        .group_by("breakdown", "code", "year", "sub", "flow")
        .agg(pl.col("usd").sum())
        .rename({"code": "item"})
    )


def indicators(t: pl.DataFrame, d: defs.Definition, present: set[tuple[int, int]]) -> pl.DataFrame:
    """The headline indicators of every published frequency."""
    out = []
    for freq in d.frequencies:
        periods = defs.complete_periods(d, freq, present)
        pmap = pl.DataFrame(
            [(y, s, p) for (y, s), p in periods.items()],
            orient="row",
            schema={"year": pl.Int64, "sub": pl.Int64, "period": pl.String},
        )
        f = t.join(pmap, on=["year", "sub"])
        wide = f.pivot(on="flow", index=["breakdown", "item", "period"], values="usd", aggregate_function="sum")
        for flow in ("X", "M"):
            if flow not in wide.columns:
                wide = wide.with_columns(pl.lit(0.0).alias(flow))
        # every item seen in any period appears in every period (0 when nothing was reported)
        labels = pl.DataFrame({"period": sorted(set(periods.values()))})
        grid = wide.select("breakdown", "item").unique().join(labels, how="cross")
        w = (
            grid.join(wide, on=["breakdown", "item", "period"], how="left")
            .with_columns(
                exports=pl.col("X").fill_null(0.0),
                imports=pl.col("M").fill_null(0.0),
                freq=pl.lit(freq),
                period_index=pl.col("period").map_elements(defs.period_index, return_dtype=pl.Int64),
            )
            .sort("breakdown", "item", "period_index")
            .with_columns(balance=pl.col("exports") - pl.col("imports"), volume=pl.col("exports") + pl.col("imports"))
            .with_columns(ratio=pl.when(pl.col("imports") > 0).then(pl.col("exports") / pl.col("imports")))
        )
        consecutive = pl.col("period_index").shift(1).over("breakdown", "item") == pl.col("period_index") - 1
        w = w.with_columns(
            **{
                f"{m}_growth": pl.when(consecutive & (pl.col(m).shift(1).over("breakdown", "item") > 0)).then(
                    100 * (pl.col(m) / pl.col(m).shift(1).over("breakdown", "item") - 1)
                )
                for m in ("exports", "imports", "volume")
            }
        )
        out.append(
            w.select(
                "freq",
                "period",
                "breakdown",
                "item",
                "exports",
                "imports",
                "balance",
                "volume",
                "ratio",
                "exports_growth",
                "imports_growth",
                "volume_growth",
            )
        )
    return pl.concat(out)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    for name in ("--domain-dir", "--records", "--reporters", "--rates", "--out"):
        ap.add_argument(name, type=Path, required=True)
    a = ap.parse_args(argv)
    d = defs.load(a.domain_dir)
    c = cells(a.records, a.reporters, a.rates, d)
    present = set(c.select("year", "sub").unique().rows())
    indicators(breakdown_totals(c, d), d, present).write_parquet(a.out)


if __name__ == "__main__":
    main()
