"""Ingest benchmark: ktstat's ingest of a large CSV and Parquet file next to a bare DuckDB
``read_csv`` of the same CSV, each a separate process, in one run. Reports rows per second,
peak memory and ratios. The records are valid knowledge-services records drawn by DuckDB."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from ktstat.benchmarks.common import Measure, measure

REGISTER = "reporter_id,name,industry,size_class,platform\n" + "".join(
    f"R{k:04d},Reporter {k},{['58211', '26110', '62010', '70111'][k % 4]},{['large', 'mid_sized', 'sme'][k % 3]},"
    f"{'true' if k % 50 == 0 else 'false'}\n"
    for k in range(1000)
)
RATES = "currency,period,per_usd\n" + "".join(f"KRW,{y},1300\nEUR,{y},0.92\n" for y in range(2010, 2026))


def make_inputs(rows: int, folder: Path) -> tuple[Path, Path, Path, Path]:
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reporters.csv").write_text(REGISTER, encoding="utf-8")
    (folder / "rates.csv").write_text(RATES, encoding="utf-8")
    csv_path, pq_path = folder / f"records-{rows}.csv", folder / f"records-{rows}.parquet"
    con = duckdb.connect()
    items = ["SH1", "SH2", "SH3", "SI1", "SI21", "SI22", "SJ1", "SJ21", "SJ31", "SK1", "SK2"]
    partners = ["US", "CN", "JP", "VN", "DE", "GB", "SG", "HK", "FR", "IN"]
    query = f"""
        SELECT 'B-' || i AS record_id, 'R' || lpad(CAST(hash(i) % 1000 AS VARCHAR), 4, '0') AS reporter_id,
               CAST(2010 + hash(i * 7) % 15 AS VARCHAR) || '-' || lpad(CAST(1 + hash(i * 3) % 12 AS VARCHAR), 2, '0')
                   AS period,
               CASE WHEN hash(i * 5) % 2 = 0 THEN 'X' ELSE 'M' END AS flow,
               {partners!r}[CAST(1 + hash(i * 11) % {len(partners)} AS INTEGER)] AS partner,
               {items!r}[CAST(1 + hash(i * 13) % {len(items)} AS INTEGER)] AS item,
               CAST(1 + hash(i * 17) % 100000000 AS VARCHAR) || '.' || lpad(CAST(hash(i) % 100 AS VARCHAR), 2, '0')
                   AS amount,
               ['USD', 'USD', 'KRW', 'EUR'][CAST(1 + hash(i * 19) % 4 AS INTEGER)] AS currency
        FROM range({rows}) t(i)"""
    if not csv_path.exists():
        con.execute(f"COPY ({query}) TO '{csv_path}' (HEADER)")
    if not pq_path.exists():
        con.execute(f"COPY (SELECT * FROM read_csv('{csv_path}', all_varchar=true)) TO '{pq_path}' (FORMAT parquet)")
    con.close()
    return csv_path, pq_path, folder / "reporters.csv", folder / "rates.csv"


def run(
    rows_list: list[int], out: Path | None = None, workdir: Path | None = None, say: Any = print
) -> list[dict[str, Any]]:
    base = workdir or Path(tempfile.mkdtemp(prefix="ktstat-bench-"))
    results = []
    for rows in rows_list:
        say(f"generating {rows:,} records")
        csv_path, pq_path, reg, rates = make_inputs(rows, base)
        runs: list[Measure] = []
        for name, src in (("ktstat ingest CSV", csv_path), ("ktstat ingest Parquet", pq_path)):
            store = base / f"bench-{rows}-{src.suffix[1:]}.duckdb"
            store.unlink(missing_ok=True)
            say(f"{name}, {rows:,} rows")
            runs.append(
                measure(
                    name,
                    [
                        sys.executable,
                        "-m",
                        "ktstat",
                        "ingest",
                        str(src),
                        "--domain",
                        "kst",
                        "--store",
                        str(store),
                        "--reporters",
                        str(reg),
                        "--rates",
                        str(rates),
                    ],
                )
            )
            store.unlink(missing_ok=True)
        say(f"bare DuckDB read_csv, {rows:,} rows")
        floor_store = base / f"bench-{rows}-floor.duckdb"
        floor_store.unlink(missing_ok=True)
        code = (
            f"import duckdb; c = duckdb.connect({str(floor_store)!r}); "
            f'c.execute("CREATE TABLE t AS SELECT * FROM read_csv({str(csv_path)!r}, all_varchar=true)")'
        )
        runs.append(measure("bare DuckDB read_csv", [sys.executable, "-c", code]))
        floor_store.unlink(missing_ok=True)
        floor = runs[-1].seconds
        for m in runs:
            results.append(
                {
                    "rows": rows,
                    "approach": m.name,
                    "seconds": round(m.seconds, 2),
                    "rows_per_second": round(rows / m.seconds),
                    "peak_memory_mb": round(m.peak_mb),
                    "ratio_to_bare_duckdb": round(m.seconds / floor, 2),
                }
            )
    if out is not None:
        out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results
