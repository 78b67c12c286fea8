"""Compile regression: every figure of a compile, cell for cell, as sorted CSV text.

:func:`compile_figures` compiles the regression inputs (the hand-made ``kst_small`` fixture,
which has quarantined rows, and the benchmark's generated records of both programmes at
:data:`ROWS` rows, heavy-tailed and with five currencies) into a fresh in-memory store and
returns every row of the tables a compile writes: ``reporter_cells``, ``cube``, ``indicators``
(values as ``repr`` of the float), ``indicator_micro``, ``disclosure``, the batches' accepted
and quarantined counts and the quarantined rows; each line ``inputs,table,column values...``,
sorted. :func:`digest` keeps the lines of :data:`KEPT` as they are and replaces the others,
per inputs, table and domain, by one line with their count and SHA-256 (the generated
inputs' indicators alone are over a million lines).

``python tests/regression.py OUT [ROWS [WORKDIR]]`` writes the digest to OUT (``OUT.full.gz``:
every line, gzip). The expected file ``tests/fixtures/regression/compile.txt`` was written this
way by the code before the compile was reorganised (issue 17, commit 31a84d9), so
``tests/test_compile_regression.py`` checks that the reorganised compile gives the very same
figures. It was written again when the figures changed on purpose: kst publishing quarters
with its crosses yearly and half-yearly only (fewer cube cells, more indicators) and disclosure
control seeing the hierarchies inside crosses (more secondary cells); the reporter cells, the
batches and the quarantine stayed line for line the same. And again when disclosure control
began protecting against insiders (issue 18): only the disclosure pattern changed, and with it
the ranks (ranked among the published cells) and the statuses; every other published value
stayed the same. Run with
``PYTHONPATH=<other checkout>/src`` to dump another version's figures, and ``ROWS`` larger
for a one-off comparison of big inputs (``diff`` the two files).
"""

from __future__ import annotations

import gzip
import hashlib
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
FIX = ROOT / "fixtures" / "kst_small"
EXPECTED = ROOT / "fixtures" / "regression" / "compile.txt"
ROWS = 5_000
KEPT = ("small,reporter_cells,", "small,cube,", "small,batches,", "small,quarantine,")

TABLES = {
    "reporter_cells": "domain, reporter_id, period, period_index, flow, item, partner, industry, size_class, "
    "platform, amount_usd_micro, records",
    "cube": "domain, freq, period, period_index, breakdown, item, flow, amount_usd_micro, reporters, "
    "top1_micro, top2_micro, rank_group",
    "indicators": "domain, period, breakdown, item, measure, value, status",
    "indicator_micro": "domain, period, breakdown, item, measure, micro",
    "disclosure": "domain, freq, period, breakdown, item, flow, reporters, amount_usd_micro, rule",
    "batches": "domain, rows_in, accepted, quarantined",
    "quarantine": "domain, row_no, field, rule",
}


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def dump(con: Any, prefix: str) -> list[str]:
    """Every row of :data:`TABLES` in an open store, as ``prefix,table,values`` lines (unsorted):
    each value as :func:`_text` writes it. (Runs of other columns are made text by DuckDB, a
    boolean as Python writes it; a double is written by Python's ``repr``.)"""
    lines: list[str] = []
    for table, cols in TABLES.items():
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall()
        )
        pieces: list[tuple[bool, str]] = []  # (is a double, SQL): runs of other columns joined in SQL
        for name in (c.strip() for c in cols.split(",")):
            if types[name] in ("DOUBLE", "FLOAT"):
                pieces.append((True, name))
                continue
            text = (
                f"CASE WHEN {name} THEN 'True' WHEN NOT {name} THEN 'False' ELSE '' END"
                if types[name] == "BOOLEAN"
                else f"coalesce(CAST({name} AS VARCHAR), '')"
            )
            if pieces and not pieces[-1][0]:
                pieces[-1] = (False, f"{pieces[-1][1]} || ',' || {text}")
            else:
                pieces.append((False, text))
        kinds = [double for double, _ in pieces]
        head = f"{prefix},{table},"
        rows = con.execute(f"SELECT {', '.join(sql for _, sql in pieces)} FROM {table}").fetchall()
        if kinds == [False]:
            lines.extend(head + row[0] for row in rows)
            continue
        for row in rows:
            lines.append(head + ",".join(_text(v) if d else v for d, v in zip(kinds, row, strict=True)))
    return lines


def compile_figures(rows: int = ROWS, workdir: Path | None = None) -> list[str]:
    """The sorted figure lines of the regression inputs (see the module docstring)."""
    from ktstat.benchmarks.compile import DOMAINS, make_inputs
    from ktstat.pipeline import compile_domain
    from ktstat.store import open_store

    lines: list[str] = []
    con = open_store(None)
    try:
        compile_domain(con, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv")
        lines += dump(con, "small")
    finally:
        con.close()
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(rows, workdir or Path(tmp), say=lambda _m: None)
        for dom in DOMAINS:
            con = open_store(None)
            try:
                compile_domain(con, dom, inputs.records[dom], inputs.reporters[dom], inputs.rates)
                lines += dump(con, f"bench-{rows}")
            finally:
                con.close()
    return sorted(lines)


def digest(lines: list[str]) -> list[str]:
    """The lines of :data:`KEPT` as they are, the others per inputs, table and domain one
    line ``inputs,table,domain,digest,COUNT,SHA256`` over their sorted lines (sorted output)."""
    kept = [line for line in lines if line.startswith(KEPT)]
    groups: dict[str, list[str]] = {}
    for line in lines:
        if not line.startswith(KEPT):
            groups.setdefault(",".join(line.split(",", 3)[:3]), []).append(line)
    for key, group in groups.items():
        h = hashlib.sha256("".join(f"{g}\n" for g in sorted(group)).encode("utf-8")).hexdigest()
        kept.append(f"{key},digest,{len(group)},{h}")
    return sorted(kept)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else ROWS
    wd = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    out.parent.mkdir(parents=True, exist_ok=True)
    figures = compile_figures(n, wd)
    with gzip.open(out.with_name(out.name + ".full.gz"), "wt", encoding="utf-8", newline="\n") as f:
        f.write("".join(f"{line}\n" for line in figures))
    out.write_text("".join(f"{line}\n" for line in digest(figures)), encoding="utf-8")
