"""Benchmark of disclosure control, each part timed side by side in one run.

1. The demo's full release: for each domain, the compile itself (ingest of the demo's input
   files, base aggregation, cube, indicators; into a fresh in-memory store) next to disclosure
   control of the result (primary rules, secondary suppression, the audit's two linear
   programs per primary cell, withholding indicators) and the independent store audit of
   ``ktstat audit``. Goal: protection and audit take less time than the compile.
2. Synthetic two-way hierarchical tables (:mod:`ktstat.sdc.synthetic`): secondary suppression
   and audit, with perturbations sought near each cell first (the default) and, on tables
   small enough, over the whole table, so the two approaches' times and suppressions compare.
   Goal: 100,000 cells in under 2 minutes.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ktstat.errors import InputError

Say = Callable[[str], None]
SIZES = {"11k": ((10, 10), (9, 10)), "111k": ((10, 10, 10), (9, 10))}


def _timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def _protect_all(con: Any, dom: Any) -> Any:
    from ktstat.sdc import apply_to_indicators, protect

    res = protect(con, dom)
    apply_to_indicators(con, dom)
    return res


def demo_release(demo_dir: Path, repeat: int, say: Say) -> list[dict[str, Any]]:
    """Compile vs protect+audit of each domain of a demo folder (median of ``repeat`` runs)."""
    from ktstat import domain as domains
    from ktstat.pipeline import compile_domain
    from ktstat.sdc.audit import audit_store
    from ktstat.store import open_store

    rates = demo_dir / "inputs" / "exchange_rates.csv"
    if not rates.exists():
        raise InputError(f"{demo_dir}: no demo inputs here; run `ktstat demo --out {demo_dir}` first")
    rows = []
    for dom_id in ("tbp", "kst"):
        d = demo_dir / "inputs" / dom_id
        times: dict[str, list[float]] = {"compile": [], "protect": [], "audit": []}
        result: Any = None
        for k in range(repeat):
            say(f"{dom_id}: run {k + 1} of {repeat}")
            con = open_store(None)
            dom = domains.load(dom_id)
            t, _ = _timed(compile_domain, con, dom_id, d / "records.parquet", d / "reporters.csv", rates, protect=False)
            times["compile"].append(t)
            t, result = _timed(_protect_all, con, dom)
            times["protect"].append(t)
            t, audited = _timed(audit_store, con, dom)
            times["audit"].append(t)
            hidden, whole = con.execute(
                "SELECT coalesce(sum(amount_usd_micro) FILTER (WHERE rule <> ''), 0) / 1e6, "
                "sum(amount_usd_micro) / 1e6 FROM disclosure WHERE domain = ?",
                [dom_id],
            ).fetchall()[0]
            con.close()
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append(
            {
                "table": f"demo {dom_id} (all tables)",
                "cells": result.cells,
                "primary": sum(result.primary.values()),
                "secondary": result.secondary,
                "value_hidden_share": float(hidden) / float(whole),
                "audit_failures": len(result.audit_failures) + len(audited.failures),
                "compile_s": med["compile"],
                "protect_and_audit_s": med["protect"],
                "store_audit_s": med["audit"],
                "ratio_to_compile": med["protect"] / med["compile"],
            }
        )
    return rows


def synthetic(names: list[str], whole_up_to: int, say: Say) -> list[dict[str, Any]]:
    """Secondary suppression and audit of synthetic hierarchical tables; the whole-table approach
    is run too on tables of at most ``whole_up_to`` cells."""
    from ktstat.sdc.audit import intervals
    from ktstat.sdc.protect import secondary
    from ktstat.sdc.synthetic import hierarchical_table

    rows = []
    for name in names:
        if name not in SIZES:
            raise InputError(f"unknown synthetic table {name!r}; choose from {', '.join(SIZES)}")
        a, b = SIZES[name]
        syn = hierarchical_table(a, b)
        t = syn.table
        prim = set(syn.primary)
        whole = sum(t.values)
        approaches = [("near the cell first", 5000)]
        if len(t.values) <= whole_up_to:
            approaches.append(("whole table", len(t.values) + 1))
        for label, local in approaches:
            say(f"{name}: {len(t.values):,} cells, {len(prim):,} primary; secondary ({label})")
            ts, hidden = _timed(secondary, t, prim, 0.10, local_block=local)
            say(f"{name}: audit ({label})")
            ta, ivs = _timed(intervals, t, hidden, prim, 0.10)
            rows.append(
                {
                    "table": f"synthetic {name} ({label})",
                    "cells": len(t.values),
                    "primary": len(prim),
                    "secondary": len(hidden) - len(prim),
                    "value_hidden_share": sum(t.values[c] for c in hidden) / whole,
                    "audit_failures": sum(1 for iv in ivs if not iv.protected),
                    "secondary_s": ts,
                    "audit_s": ta,
                    "total_s": ts + ta,
                }
            )
    return rows
