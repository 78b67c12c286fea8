"""The headline figures of a programme with plain pandas, as an analyst would write them.

    python -m ktstat.benchmarks.baselines.pandas_compile --domain-dir DIR --records FILE.parquet \\
        --reporters REGISTER.csv --rates RATES.csv --out OUT.parquet

Reads the records (Parquet: ``reporter_id, period (YYYY-MM), flow, partner, item, amount,
currency``), converts each amount to US dollars with its base period's rate (the year's rate
when the period has none; USD is 1), joins the register version valid in the record's month
for the reporter's industry, size class and platform flag, sums to cells, rolls the cells up
to the total and every single breakdown of ``DIR/domain.toml`` for each published frequency
(complete periods only), and writes one row per frequency, period, breakdown and item:
``exports, imports, balance, volume, ratio`` (exports / imports) and the ``_growth`` of exports,
imports and volume on the previous period (percent). Money in US dollars (float).
No validation: the input is assumed clean, as the analyst would.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ktstat.benchmarks.baselines import definitions as defs

CELL = ["year", "sub", "flow", "item", "partner", "industry", "size_class", "platform"]


def rate_table(rates: pd.DataFrame, base: str, currencies: list[str], years: list[int]) -> pd.DataFrame:
    """currency, year, sub -> per_usd for every base period: its own rate, else the year's."""
    rates = rates.assign(year=rates["period"].str[:4].astype(int))
    annual = rates[rates["period"].str.len() == 4]
    subs = pd.DataFrame({"sub": range(1, defs.PER_YEAR[base] + 1)})
    full = annual[["currency", "year", "per_usd"]].merge(subs, how="cross")
    if base != "A":
        own = rates[rates["period"].str[4] == base].assign(sub=lambda r: r["period"].str[5:].astype(int))
        full = own[["currency", "year", "sub", "per_usd"]].merge(
            full, on=["currency", "year", "sub"], how="outer", suffixes=("", "_year")
        )
        full["per_usd"] = full["per_usd"].fillna(full["per_usd_year"])
        full = full.drop(columns="per_usd_year")
    usd = pd.DataFrame({"currency": "USD", "year": years}).merge(subs, how="cross").assign(per_usd=1.0)
    return pd.concat([full, usd], ignore_index=True)


def cells(records_path: Path, reporters_path: Path, rates_path: Path, d: defs.Definition) -> pd.DataFrame:
    """US-dollar sums per base period, flow, item, partner and reporter profile."""
    rec = pd.read_parquet(
        records_path, columns=["reporter_id", "period", "flow", "partner", "item", "amount", "currency"]
    )
    rec["amount"] = rec["amount"].astype("float64")
    rec["year"] = rec["period"].str[:4].astype("int64")
    month = rec["period"].str[5:7].astype("int64")
    rec["sub"] = (month - 1) // (12 // defs.PER_YEAR[d.base]) + 1
    rec["ref_date"] = pd.to_datetime(rec["period"], format="%Y-%m")

    rates = pd.read_csv(rates_path, dtype={"currency": str, "period": str, "per_usd": float})
    lookup = rate_table(rates, d.base, sorted(rates["currency"].unique()), sorted(rec["year"].unique()))
    rec = rec.merge(lookup, on=["currency", "year", "sub"], how="left")
    rec["usd"] = rec["amount"] / rec["per_usd"]

    reg = pd.read_csv(reporters_path, dtype=str, keep_default_na=False)
    reg["platform"] = reg["platform"].str.lower().isin(["true", "1", "yes", "y", "t"])
    reg["valid_from"] = pd.to_datetime(reg["valid_from"].replace("", None))
    reg["valid_to"] = pd.to_datetime(reg["valid_to"].replace("", None))
    rec = rec.merge(
        reg[["reporter_id", "industry", "size_class", "platform", "valid_from", "valid_to"]],
        on="reporter_id",
        how="inner",
    )
    valid = (rec["valid_from"].isna() | (rec["valid_from"] <= rec["ref_date"])) & (
        rec["valid_to"].isna() | (rec["valid_to"] >= rec["ref_date"])
    )
    rec = rec[valid]
    return rec.groupby(CELL, as_index=False, observed=True)["usd"].sum()


def breakdown_totals(c: pd.DataFrame, d: defs.Definition) -> pd.DataFrame:
    """breakdown, item, year, sub, flow, usd: the total and every single breakdown."""
    parts = [c.assign(breakdown="total", code="all")]
    profiles = list(c[["industry", "size_class", "platform"]].drop_duplicates().itertuples(index=False, name=None))
    for b in d.breakdowns:
        if b.source == "reporter":
            m = pd.DataFrame(defs.reporter_codes(b, profiles), columns=["industry", "size_class", "platform", "code"])
            part = c.merge(m, on=["industry", "size_class", "platform"])
        else:
            part = c.assign(code=c[b.source].map(defs.leaf_codes(b))).dropna(subset=["code"])
        parts.append(part.assign(breakdown=b.name))
    long = pd.concat(parts, ignore_index=True)
    return (
        long.groupby(["breakdown", "code", "year", "sub", "flow"], as_index=False)["usd"]
        .sum()
        .rename(columns={"code": "item"})
    )


def indicators(t: pd.DataFrame, d: defs.Definition, present: set[tuple[int, int]]) -> pd.DataFrame:
    """The headline indicators of every published frequency."""
    out = []
    for freq in d.frequencies:
        periods = defs.complete_periods(d, freq, present)
        f = t.assign(period=[periods.get(k) for k in zip(t["year"], t["sub"], strict=True)]).dropna(subset=["period"])
        wide = f.pivot_table(
            index=["breakdown", "item", "period"], columns="flow", values="usd", aggfunc="sum", fill_value=0.0
        )
        wide = wide.reindex(columns=["X", "M"], fill_value=0.0)
        # every item seen in any period appears in every period (0 when nothing was reported)
        items = wide.index.droplevel("period").unique()
        grid = pd.MultiIndex.from_tuples(
            [(b, i, p) for b, i in items for p in sorted(set(periods.values()))], names=["breakdown", "item", "period"]
        )
        w = wide.reindex(grid, fill_value=0.0).reset_index()
        w = w.rename(columns={"X": "exports", "M": "imports"})
        w["freq"] = freq
        w["period_index"] = w["period"].map(defs.period_index)
        w = w.sort_values(["breakdown", "item", "period_index"])
        w["balance"] = w["exports"] - w["imports"]
        w["volume"] = w["exports"] + w["imports"]
        w["ratio"] = (w["exports"] / w["imports"]).where(w["imports"] > 0)
        prev = w.groupby(["breakdown", "item"])[["exports", "imports", "volume", "period_index"]].shift(1)
        consecutive = prev["period_index"] == w["period_index"] - 1
        for m in ("exports", "imports", "volume"):
            w[f"{m}_growth"] = (100 * (w[m] / prev[m] - 1)).where(consecutive & (prev[m] > 0))
        out.append(w.drop(columns="period_index"))
    cols = [
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
    ]
    res = pd.concat(out, ignore_index=True)[cols]
    res[cols[4:]] = res[cols[4:]].astype(np.float64)
    return res


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--domain-dir", "--records", "--reporters", "--rates", "--out"):
        ap.add_argument(name, type=Path, required=True)
    a = ap.parse_args(argv)
    d = defs.load(a.domain_dir)
    c = cells(a.records, a.reporters, a.rates, d)
    present = set(zip(c["year"], c["sub"], strict=True))
    indicators(breakdown_totals(c, d), d, present).to_parquet(a.out, index=False)


if __name__ == "__main__":
    main()
