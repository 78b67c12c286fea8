"""Compile benchmark: ktstat's full compile of both programmes next to the floor (one bare
DuckDB ``GROUP BY``) and what a user would write instead (a pandas and a Polars script), each
approach a separate process per programme, side by side in one run.

For each size N (records of both programmes together, split as the demo splits them:
:func:`row_shares`), :func:`make_inputs` writes the demo's kind of input files once into a
work folder (reused when present; not timed): per programme a business register drawn by the
demo's own reporter model (:func:`ktstat.demo.synth._reporters`: heavy-tailed sizes, size
classes, platforms, SMEs that grow into mid-sized firms during the series) and N records as
Parquet (the demo's columns and types; items, partners and currencies in the demo's
population shares, reporters in proportion to their size, months over the programme's range),
written in chunks of at most ``chunk`` rows so memory stays bounded at any N; and the demo's
exchange rates (quarters and years of five currencies).

Then :func:`run` times, for each programme, as separate processes
(:func:`ktstat.benchmarks.common.measure`: wall time, peak RSS):

a. ``ktstat compile``: :func:`ktstat.pipeline.compile_domain` into a fresh store file (ingest
   and validation of the Parquet with the register and rates, classification, base
   aggregation, cube, all indicators, disclosure control), stage times logged;
b. the floor: a bare DuckDB ``GROUP BY`` of the same Parquet to the reporter-cell level
   (reporter, period, flow, item, partner, currency: sum of amount);
c. :mod:`ktstat.benchmarks.baselines.pandas_compile` and
   :mod:`ktstat.benchmarks.baselines.polars_compile`: currency conversion, the register's
   industry and size, totals of every single breakdown per period and flow, and the headline
   indicators (exports, imports, balance, volume, ratio, growth).

An approach's time is the sum over the two programmes, its peak memory the larger of the two.
The baselines' results are compared with ktstat's compiled figures (every single-breakdown
exports and imports value of every published period), so a competitor that computes less
or something else shows up as a disagreement. A process whose resident memory exceeds the
budget is stopped, and a script whose projected peak is far beyond it is not started; either
is recorded with the reason (:func:`run`).

Generating the inputs is not timed. The ktstat child (``python -m ktstat.benchmarks.compile``,
:func:`_child`) also logs every SQL statement's seconds: the statement-level profile of the
compile.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ktstat.benchmarks.common import Measure, measure

Say = Callable[[str], None]
DOMAINS = ("tbp", "kst")
APPROACHES = ("ktstat compile", "bare DuckDB GROUP BY", "pandas script", "Polars script")
KTSTAT, FLOOR, PANDAS, POLARS = APPROACHES
BASELINE_MODULES = {
    PANDAS: "ktstat.benchmarks.baselines.pandas_compile",
    POLARS: "ktstat.benchmarks.baselines.polars_compile",
}
BASELINE_LIBRARIES = {PANDAS: "pandas", POLARS: "polars"}  # what each script imports beyond ktstat's own
SEED = 20251
# the partner shares [exports, imports] the benchmark"s generated records have always used (the demo"s
# priors before its gravity model), kept so that the inputs, and the regression figures, stay the same
BENCH_PARTNERS: dict[str, dict[str, list[float]]] = {
    "tbp": {
        "US": [0.29, 0.39],
        "CN": [0.16, 0.05],
        "VN": [0.09, 0.005],
        "JP": [0.06, 0.11],
        "DE": [0.03, 0.07],
        "GB": [0.02, 0.04],
        "FR": [0.015, 0.03],
        "NL": [0.015, 0.05],
        "CH": [0.005, 0.04],
        "IE": [0.005, 0.03],
        "SE": [0.005, 0.015],
        "IN": [0.05, 0.01],
        "ID": [0.03, 0.005],
        "TH": [0.02, 0.004],
        "MY": [0.015, 0.004],
        "SG": [0.03, 0.03],
        "HK": [0.02, 0.01],
        "TW": [0.03, 0.02],
        "PH": [0.01, 0.002],
        "SA": [0.03, 0.003],
        "AE": [0.02, 0.003],
        "MX": [0.02, 0.003],
        "BR": [0.02, 0.003],
        "CA": [0.01, 0.02],
        "AU": [0.01, 0.01],
        "RU": [0.01, 0.003],
        "PL": [0.015, 0.002],
        "TR": [0.01, 0.002],
        "ZA": [0.005, 0.001],
        "EG": [0.005, 0.001],
    },
    "kst": {
        "US": [0.2, 0.36],
        "CA": [0.01, 0.02],
        "CN": [0.16, 0.07],
        "JP": [0.08, 0.07],
        "VN": [0.07, 0.01],
        "HK": [0.05, 0.02],
        "SG": [0.05, 0.05],
        "TW": [0.03, 0.02],
        "IN": [0.03, 0.01],
        "ID": [0.02, 0.005],
        "TH": [0.015, 0.005],
        "MY": [0.01, 0.005],
        "PH": [0.01, 0.005],
        "DE": [0.03, 0.06],
        "GB": [0.03, 0.06],
        "FR": [0.02, 0.03],
        "NL": [0.02, 0.05],
        "IE": [0.01, 0.06],
        "CH": [0.01, 0.03],
        "LU": [0.005, 0.02],
        "SE": [0.005, 0.01],
        "SA": [0.03, 0.005],
        "AE": [0.02, 0.005],
        "QA": [0.01, 0.002],
        "MX": [0.015, 0.005],
        "BR": [0.015, 0.005],
        "AU": [0.015, 0.01],
        "NZ": [0.005, 0.002],
        "ZA": [0.005, 0.002],
        "NG": [0.003, 0.001],
    },
}
TOLERANCE_USD = 0.01  # plus a relative 1e-9: float sums of the scripts vs ktstat's exact micro-dollars


def _population() -> dict[str, Any]:
    from ktstat.demo.run import CONFIG

    cfg: dict[str, Any] = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    return cfg


def row_shares() -> dict[str, float]:
    """Each programme's share of the records, as in the demo (``records`` of population.toml)."""
    cfg = _population()
    total = sum(cfg[d]["records"] for d in DOMAINS)
    return {d: cfg[d]["records"] / total for d in DOMAINS}


def split_rows(rows: int) -> dict[str, int]:
    """Records per programme for ``rows`` records in all (they add up to ``rows``)."""
    shares = row_shares()
    first = round(rows * shares[DOMAINS[0]])
    return {DOMAINS[0]: first, DOMAINS[1]: rows - first}


@dataclass(frozen=True)
class Inputs:
    """The generated files of one size: per programme its records (Parquet) and register (CSV),
    and the exchange rates shared by both."""

    rows: int
    records: dict[str, Path]
    reporters: dict[str, Path]
    rates: Path


def _write_register(dom_id: str, cfg: dict[str, Any], path: Path) -> list[tuple[str, float]]:
    """The demo's reporters of a programme (scale 1) as a register CSV; returns (id, weight)."""
    import csv

    import numpy as np

    from ktstat import domain as domains
    from ktstat.demo.synth import _reporters, build_profiles

    dom = domains.load(dom_id)
    profiles, _ = build_profiles(cfg)
    reps = _reporters(dom, cfg, profiles, np.random.default_rng([SEED, DOMAINS.index(dom_id), 0]), 1.0)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["reporter_id", "name", "industry", "size_class", "platform", "valid_from", "valid_to"])
        for r in reps:
            for _, size, vf, vt in r.versions:
                w.writerow([r.reporter_id, r.name, r.industry, size, str(r.platform).lower(), vf or "", vt or ""])
    tmp.replace(path)
    return [(r.reporter_id, r.weight) for r in reps]


def _month_range(dom_id: str) -> list[tuple[int, int]]:
    from ktstat import domain as domains

    dom = domains.load(dom_id)
    first, last = dom.first_period, dom.last_period
    m0 = (first.sub - 1) * 12 // {"A": 1, "H": 2, "Q": 4}[first.freq]
    m1 = last.sub * 12 // {"A": 1, "H": 2, "Q": 4}[last.freq] - 1
    return [
        (y, m)
        for y in range(first.year, last.year + 1)
        for m in range(12)
        if (y, m) >= (first.year, m0) and (y, m) <= (last.year, m1)
    ]


def _write_records(
    dom_id: str,
    cfg: dict[str, Any],
    rows: int,
    reporters: list[tuple[str, float]],
    rates: dict[tuple[str, str], float],
    path: Path,
    chunk: int,
) -> None:
    """``rows`` records of a programme, written ``chunk`` rows (one row group) at a time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from ktstat.demo.synth import WHOLE_UNITS

    months = _month_range(dom_id)
    month_labels = pa.array([f"{y}-{m + 1:02d}" for y, m in months])
    currencies = list(cfg["currencies"])
    cur_p = np.array([cfg["currencies"][c] for c in currencies], dtype=float)
    cur_p /= cur_p.sum()
    # units per US dollar of each currency in each month (the month's quarter rate)
    per_usd = np.array(
        [[1.0 if c == "USD" else rates[(c, f"{y}Q{m // 3 + 1}")] for y, m in months] for c in currencies]
    )
    whole = np.array([c in WHOLE_UNITS for c in currencies])
    items, partners = list(cfg["items"]), list(cfg["partners"])
    item_p = np.array([cfg["items"][i] for i in items], dtype=float)
    partners = list(BENCH_PARTNERS[dom_id])
    partner_p = np.array([BENCH_PARTNERS[dom_id][p] for p in partners], dtype=float)
    totals = np.array(list(cfg["totals"].values()), dtype=float).sum(axis=0)
    p_export = float(totals[0] / totals.sum())
    rep_ids = pa.array([r for r, _ in reporters])
    weights = np.array([w for _, w in reporters])
    rep_p = weights**0.75 / (weights**0.75).sum()  # large reporters report more transactions
    rep_scale = weights**0.25  # ... and larger ones
    schema = pa.schema(
        [
            ("record_id", pa.string()),
            ("reporter_id", pa.string()),
            ("period", pa.string()),
            ("flow", pa.string()),
            ("partner", pa.string()),
            ("item", pa.string()),
            ("amount", pa.decimal128(18, 2)),
            ("currency", pa.string()),
        ]
    )
    prefix = f"{dom_id.upper()}-"
    tmp = path.with_suffix(".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        for k, start in enumerate(range(0, rows, chunk)):
            n = min(chunk, rows - start)
            rng = np.random.default_rng([SEED, DOMAINS.index(dom_id), 1, k])
            flow_x = rng.random(n) < p_export
            f_idx = np.where(flow_x, 0, 1)
            item_i = np.where(
                flow_x,
                rng.choice(len(items), n, p=item_p[:, 0] / item_p[:, 0].sum()),
                rng.choice(len(items), n, p=item_p[:, 1] / item_p[:, 1].sum()),
            )
            part_i = np.where(
                flow_x,
                rng.choice(len(partners), n, p=partner_p[:, 0] / partner_p[:, 0].sum()),
                rng.choice(len(partners), n, p=partner_p[:, 1] / partner_p[:, 1].sum()),
            )
            rep_i = rng.choice(len(rep_p), n, p=rep_p)
            mon_i = rng.integers(0, len(months), n)
            cur_i = rng.choice(len(currencies), n, p=cur_p)
            usd = 20_000.0 * rep_scale[rep_i] * rng.lognormal(0.0, 1.0, n)
            units = usd * per_usd[cur_i, mon_i]
            cents = np.where(
                whole[cur_i], np.maximum(1, np.rint(units)) * 100, np.maximum(1, np.rint(units * 100))
            ).astype(np.int64)
            # decimal128 values are 128-bit integers (here: cents, non-negative): low word, high word 0
            words = np.zeros(2 * n, dtype=np.int64)
            words[0::2] = cents
            amount = pa.Array.from_buffers(pa.decimal128(18, 2), n, [None, pa.py_buffer(words)])
            ids = pc.binary_join_element_wise(
                prefix, pc.cast(pa.array(np.arange(start + 1, start + n + 1)), pa.string()), ""
            )
            flows = pa.array(np.array(["X", "M"])[f_idx])
            batch = pa.record_batch(
                [
                    ids,
                    rep_ids.take(pa.array(rep_i)),
                    month_labels.take(pa.array(mon_i)),
                    flows,
                    pa.array(partners).take(pa.array(part_i)),
                    pa.array(items).take(pa.array(item_i)),
                    amount,
                    pa.array(currencies).take(pa.array(cur_i)),
                ],
                schema=schema,
            )
            writer.write_batch(batch, row_group_size=chunk)
    tmp.replace(path)


def make_inputs(rows: int, folder: Path, chunk: int = 2_000_000, say: Say = print) -> Inputs:
    """Write (or reuse) the inputs of size ``rows`` in ``folder``; see the module docstring.
    Deterministic: the same ``rows`` always gives the same files. Memory is bounded by ``chunk``."""
    from ktstat.demo.synth import exchange_rates

    folder.mkdir(parents=True, exist_ok=True)
    cfg_all = _population()
    rates_path = folder / "rates.csv"
    rate_rows = exchange_rates()
    if not rates_path.exists():
        tmp = rates_path.with_suffix(".tmp")
        tmp.write_text(
            "currency,period,per_usd\n" + "".join(f"{c},{p},{v}\n" for c, p, v in rate_rows), encoding="utf-8"
        )
        tmp.replace(rates_path)
    rates = {(c, p): float(v) for c, p, v in rate_rows}
    records, registers = {}, {}
    for dom_id, n in split_rows(rows).items():
        reg = folder / f"{dom_id}-reporters.csv"
        reporters = _write_register(dom_id, cfg_all[dom_id], reg)  # cheap; always rewritten, identical
        registers[dom_id] = reg
        path = folder / f"{dom_id}-{rows}.parquet"
        if not path.exists():
            say(f"generating {n:,} {dom_id} records")
            _write_records(dom_id, cfg_all[dom_id], n, reporters, rates, path, chunk)
        records[dom_id] = path
    return Inputs(rows, records, registers, rates_path)


# --- the approaches' command lines -----------------------------------------------------------


def _ktstat_argv(dom_id: str, inputs: Inputs, store: Path, log: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ktstat.benchmarks.compile",
        "--domain",
        dom_id,
        "--records",
        str(inputs.records[dom_id]),
        "--reporters",
        str(inputs.reporters[dom_id]),
        "--rates",
        str(inputs.rates),
        "--store",
        str(store),
        "--log",
        str(log),
        "--sql-log",
        str(log.with_suffix(".sql.log")),
    ]


def _floor_argv(dom_id: str, inputs: Inputs) -> list[str]:
    path = str(inputs.records[dom_id])
    code = (
        "import duckdb; c = duckdb.connect(); "
        'c.execute("CREATE TABLE cells AS SELECT reporter_id, period, flow, item, partner, currency, '
        f'sum(amount) AS amount FROM read_parquet({path!r}) GROUP BY ALL")'
    )
    return [sys.executable, "-c", code]


def _baseline_argv(approach: str, dom_id: str, inputs: Inputs, out: Path) -> list[str]:
    from ktstat import domain as domains

    return [
        sys.executable,
        "-m",
        BASELINE_MODULES[approach],
        "--domain-dir",
        str(domains.load(dom_id).path),
        "--records",
        str(inputs.records[dom_id]),
        "--reporters",
        str(inputs.reporters[dom_id]),
        "--rates",
        str(inputs.rates),
        "--out",
        str(out),
    ]


# --- the ktstat child process -----------------------------------------------------------------


class _TimedConnection:
    """A DuckDB connection that records the seconds of each ``execute``/``executemany``/``sql``
    call with the start of its SQL, for a statement-level profile of the compile; everything
    else is passed through."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.timings: list[tuple[float, str]] = []

    def _timed(self, method: str, sql: str, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        out = getattr(self._con, method)(sql, *args, **kwargs)
        text = " ".join(str(sql).split())
        short = text if len(text) <= 300 else f"{text[:140]} ... {text[-150:]}"
        self.timings.append((time.perf_counter() - start, short))
        return out

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return self._timed("execute", sql, *args, **kwargs)

    def executemany(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return self._timed("executemany", sql, *args, **kwargs)

    def sql(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return self._timed("sql", sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _child(argv: Sequence[str] | None = None) -> None:
    """``python -m ktstat.benchmarks.compile``: compile one domain into a fresh store file, as
    ``ktstat compile --domain D --records F --reporters R --rates X --store S`` does, logging
    each progress message with its elapsed seconds (``seconds<TAB>message``) to ``--log`` and,
    with ``--sql-log``, each SQL statement's seconds (:class:`_TimedConnection`)."""
    import argparse

    from ktstat.ingest import staging
    from ktstat.pipeline import compile_domain
    from ktstat.store import open_store

    # the Parquet schema reader insists on a real connection: hand it the wrapped one
    schema_reader = staging.read_parquet_schema
    staging.read_parquet_schema = lambda con, path: schema_reader(getattr(con, "_con", con), path)

    ap = argparse.ArgumentParser(prog="python -m ktstat.benchmarks.compile")
    for name in ("--domain", "--records", "--reporters", "--rates", "--store", "--log"):
        ap.add_argument(name, required=True)
    ap.add_argument("--sql-log", help="Also write each SQL statement's seconds here (seconds<TAB>statement).")
    a = ap.parse_args(argv)
    start = time.perf_counter()
    with open(a.log, "w", encoding="utf-8") as log:

        def say(msg: str) -> None:
            log.write(f"{time.perf_counter() - start:.3f}\t{msg}\n")
            log.flush()

        say("opening the store")
        con = _TimedConnection(open_store(a.store))
        try:
            res = compile_domain(
                con,  # type: ignore[arg-type]
                a.domain,
                a.records,
                a.reporters,
                a.rates,
                progress=say,
            )
        except Exception as e:
            say(f"FAILED: {' '.join(str(e).split())}")
            raise
        finally:
            if a.sql_log:
                Path(a.sql_log).write_text("".join(f"{t:.3f}\t{q}\n" for t, q in con.timings), encoding="utf-8")
        say(f"{a.domain}: {res.indicator_rows:,} indicator values; closing the store (checkpoint)")
        con.close()
        say("done")


def slowest_statements(log: Path, n: int = 8) -> list[dict[str, Any]]:
    """The ``n`` slowest SQL statements of a ktstat child's ``--sql-log``."""
    if not log.exists():
        return []
    rows = [ln.split("\t", 1) for ln in log.read_text(encoding="utf-8").splitlines() if "\t" in ln]
    rows.sort(key=lambda r: -float(r[0]))
    return [{"seconds": float(t), "sql": q} for t, q in rows[:n]]


def stage_times(log: Path) -> list[dict[str, Any]]:
    """The stages of a ktstat child's log: each message with the seconds until the next one."""
    lines = [ln.split("\t", 1) for ln in log.read_text(encoding="utf-8").splitlines() if "\t" in ln]
    marks = [(float(t), m) for t, m in lines]
    return [{"stage": m, "seconds": round(marks[i + 1][0] - t, 2)} for i, (t, m) in enumerate(marks[:-1])]


# --- agreement of the baselines with ktstat --------------------------------------------------


def ktstat_figures(store: Path, dom_id: str) -> dict[tuple[str, str, str, str], float]:
    """ktstat's compiled exports and imports of the total and every single breakdown, in US
    dollars, keyed ``(period, breakdown, item, measure)``: from the cube (before disclosure
    control, so suppressed cells compare too), for every published frequency; items with
    nothing reported in a period count as 0, as in the indicators."""
    import duckdb

    from ktstat import domain as domains

    dom = domains.load(dom_id)
    single = ["total", *dom.breakdowns]
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute(
            "SELECT period, breakdown, item, CASE flow WHEN 'X' THEN 'exports' ELSE 'imports' END, "
            "CAST(amount_usd_micro AS DOUBLE) / 1e6 FROM cube WHERE domain = ? AND freq IN "
            f"({', '.join(repr(f) for f in dom.frequencies)}) AND breakdown IN ({', '.join(repr(b) for b in single)})",
            [dom_id],
        ).fetchall()
    finally:
        con.close()
    return {(p, b, i, m): float(v) for p, b, i, m, v in rows}


def baseline_figures(path: Path) -> dict[tuple[str, str, str, str], float]:
    """A baseline script's exports and imports, keyed like :func:`ktstat_figures`."""
    import pyarrow.parquet as pq

    t = pq.read_table(path).to_pydict()
    out: dict[tuple[str, str, str, str], float] = {}
    for k in range(len(t["period"])):
        for m in ("exports", "imports"):
            out[(str(t["period"][k]), str(t["breakdown"][k]), str(t["item"][k]), m)] = float(t[m][k])
    return out


def disagreements(
    ours: dict[tuple[str, str, str, str], float], theirs: dict[tuple[str, str, str, str], float]
) -> list[str]:
    """Where two sets of figures differ beyond :data:`TOLERANCE_USD` (and a relative 1e-9);
    a figure missing on one side counts as 0 (ktstat's cube omits empty cells)."""
    bad = []
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key, 0.0), theirs.get(key, 0.0)
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=TOLERANCE_USD):
            bad.append(f"{'/'.join(key)}: ktstat {a:,.2f}, script {b:,.2f}")
    return bad


# --- the run ---------------------------------------------------------------------------------


@dataclass
class _Outcome:
    approach: str
    parts: list[Measure]
    status: str = "ok"
    reason: str = ""

    @property
    def seconds(self) -> float:
        return sum(m.seconds for m in self.parts)

    @property
    def peak_mb(self) -> float:
        return max((m.peak_mb for m in self.parts), default=0.0)


class _MemoryGuard:
    """While active, kills (SIGKILL) any direct child process of this one whose resident memory
    exceeds ``limit_mb``, so a baseline that cannot fit is stopped before it starves the
    machine; ``killed`` holds (pid, peak MB) of each one stopped."""

    def __init__(self, limit_mb: float, interval: float = 0.1) -> None:
        self.limit_mb, self.interval = limit_mb, interval
        self.killed: list[tuple[int, float]] = []
        self._stop = False
        self._thread: Any = None

    def __enter__(self) -> _MemoryGuard:
        import threading

        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop = True
        self._thread.join()

    def _children(self) -> list[int]:
        me, out = os.getpid(), []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                    out.append(int(entry.name))
        return out

    def _watch(self) -> None:
        import signal

        while not self._stop:
            for pid in self._children():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                rss = next((int(ln.split()[1]) / 1024 for ln in status.splitlines() if ln.startswith("VmRSS:")), 0.0)
                if rss > self.limit_mb:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        self.killed.append((pid, rss))
                    except ProcessLookupError:
                        pass
            time.sleep(self.interval)


def _projected_peak_mb(history: dict[int, float], rows: int) -> float | None:
    """Peak memory at ``rows`` extrapolated linearly from the largest smaller size measured."""
    smaller = [n for n in history if n < rows]
    if not smaller:
        return None
    n = max(smaller)
    return history[n] * rows / n


def run(
    rows_list: Sequence[int],
    out: Path | None = None,
    workdir: Path | None = None,
    say: Say = print,
    approaches: Sequence[str] = APPROACHES,
    memory_budget_gb: float = 16.0,
    keep: bool = False,
    chunk: int = 2_000_000,
) -> list[dict[str, Any]]:
    """Run the compile benchmark at each size in ``rows_list``; returns one row per size and
    approach (see below; :func:`table` shows them), and writes them to ``out`` (JSON, with the
    targets and the machine: :func:`write_json`) after each size, so a long run keeps what it
    measured.

    ``workdir``: where the inputs are generated, and reused by later runs (default: a new
    temporary folder); ``approaches``: a subset of :data:`APPROACHES` (ktstat is always run:
    the others are compared with it); ``memory_budget_gb``: any approach's process whose
    resident memory exceeds this is stopped (status ``failed``, the reason recorded), and a
    script whose peak, projected linearly from the largest smaller size it ran at, exceeds
    four times this is not started (status ``skipped``), nor a script whose library is not
    installed (status ``skipped``, the reason saying how to install it:
    :func:`missing_library`); ``keep``: leave the ktstat stores and the
    scripts' outputs in ``workdir`` (``{domain}-{rows}.duckdb``, ``{domain}-{rows}-pandas.parquet``,
    ``{domain}-{rows}-polars.parquet``); ``chunk``: rows generated at a time.

    Each row: ``rows``, ``approach``, ``status`` (``ok``, ``skipped``, ``failed``), ``reason``,
    ``seconds`` and ``peak_memory_mb`` (the sum of the programmes' times, the larger of their
    peaks; None unless ok), ``seconds_by_domain``, ``rows_per_second``, ``x_floor`` (seconds /
    the floor's; for ktstat: a/b), ``x_ktstat`` (seconds / ktstat's; for the scripts: c/a),
    ``agrees`` (a script's figures equal ktstat's, see :func:`disagreements`; None for ktstat
    and the floor), ``disagreements`` (the first ten), ``load_average`` (the machine's 1-minute
    load when the approach started: other work on the machine slows every approach) and, for
    ktstat, ``stages`` (per domain: each progress message and the seconds until the next) and
    ``slowest_sql`` (per domain: the slowest SQL statements and their seconds).
    """
    unknown = [a for a in approaches if a not in APPROACHES]
    if unknown:
        from ktstat.errors import QueryError

        raise QueryError(
            f"--approach: unknown approach {', '.join(map(repr, unknown))}; choose from "
            + ", ".join(repr(a) for a in APPROACHES)
        )
    base = workdir or Path(tempfile.mkdtemp(prefix="ktstat-bench-compile-"))
    base.mkdir(parents=True, exist_ok=True)
    chosen = [a for a in APPROACHES if a in approaches or a == KTSTAT]
    budget_mb = memory_budget_gb * 1024
    results: list[dict[str, Any]] = []
    peaks: dict[str, dict[int, float]] = {a: {} for a in APPROACHES}
    missing = {a: missing_library(a) for a in chosen}
    for rows in rows_list:
        t0 = time.perf_counter()
        inputs = make_inputs(rows, base, chunk=chunk, say=say)
        say(f"{rows:,} rows: inputs ready in {time.perf_counter() - t0:.0f} s ({base})")
        outcomes: dict[str, _Outcome] = {}
        loads: dict[str, float] = {}
        stages: dict[str, list[dict[str, Any]]] = {}
        statements: dict[str, list[dict[str, Any]]] = {}
        outputs: dict[str, dict[str, Path]] = {a: {} for a in BASELINE_MODULES}
        for approach in chosen:
            oc = _Outcome(approach, [])
            outcomes[approach] = oc
            loads[approach] = round(os.getloadavg()[0], 2)
            if missing[approach]:
                oc.status, oc.reason = "skipped", str(missing[approach])
                say(f"{approach}, {rows:,} rows: skipped: {oc.reason}")
                continue
            projected = _projected_peak_mb(peaks[approach], rows)
            if approach in BASELINE_MODULES and projected is not None and projected > 4 * budget_mb:
                oc.status = "skipped"
                oc.reason = (
                    f"projected peak memory {projected / 1024:.0f} GiB (linear from "
                    f"{max(n for n in peaks[approach] if n < rows):,} rows) is over four times the budget of "
                    f"{memory_budget_gb:g} GiB on this {_memory_gib():.0f} GiB machine"
                )
                say(f"{approach}, {rows:,} rows: skipped: {oc.reason}")
                continue
            for dom_id in DOMAINS:
                say(f"{approach}, {dom_id}, {inputs.records[dom_id].name}")
                if approach == KTSTAT:
                    store, log = base / f"{dom_id}-{rows}.duckdb", base / f"{dom_id}-{rows}-ktstat.log"
                    store.unlink(missing_ok=True)
                    Path(str(store) + ".wal").unlink(missing_ok=True)
                    log.unlink(missing_ok=True)
                    argv = _ktstat_argv(dom_id, inputs, store, log)
                elif approach == FLOOR:
                    argv = _floor_argv(dom_id, inputs)
                else:
                    target = base / f"{dom_id}-{rows}-{approach.split()[0].lower()}.parquet"
                    target.unlink(missing_ok=True)
                    outputs[approach][dom_id] = target
                    argv = _baseline_argv(approach, dom_id, inputs, target)
                started = time.perf_counter()
                with _MemoryGuard(budget_mb) as guard:
                    try:
                        oc.parts.append(measure(f"{approach} {dom_id}", argv))
                    except RuntimeError as e:
                        oc.status = "failed"
                        oc.reason = (
                            f"{dom_id}: stopped after {time.perf_counter() - started:.0f} s at "
                            f"{guard.killed[0][1] / 1024:.1f} GiB resident, over the budget of "
                            f"{memory_budget_gb:g} GiB"
                            if guard.killed
                            else f"{dom_id}: {e}"
                        )
                        if approach == KTSTAT and log.exists():
                            stages[dom_id] = stage_times(log)  # how far it got
                            failed = [ln for ln in log.read_text(encoding="utf-8").splitlines() if "FAILED: " in ln]
                            if failed and not guard.killed:
                                oc.reason = f"{dom_id}: {failed[-1].split('FAILED: ', 1)[1][:400]}"
                        say(f"{approach}, {rows:,} rows: failed: {oc.reason}")
                if oc.status != "ok":
                    break
                if approach == KTSTAT:
                    stages[dom_id] = stage_times(log)
                    statements[dom_id] = slowest_statements(log.with_suffix(".sql.log"))
            if oc.status == "ok":
                peaks[approach][rows] = oc.peak_mb
        checks: dict[str, list[str]] = {}
        if outcomes[KTSTAT].status == "ok":
            ours = {d: ktstat_figures(base / f"{d}-{rows}.duckdb", d) for d in DOMAINS}
            for approach, paths in outputs.items():
                if outcomes.get(approach) is not None and outcomes[approach].status == "ok":
                    checks[approach] = [
                        f"{d}: {x}" for d in DOMAINS for x in disagreements(ours[d], baseline_figures(paths[d]))
                    ]
        if not keep:
            for d in DOMAINS:
                for p in (base / f"{d}-{rows}.duckdb", *(paths.get(d) for paths in outputs.values())):
                    if p is not None:
                        p.unlink(missing_ok=True)
        floor, ktstat = outcomes.get(FLOOR), outcomes[KTSTAT]
        for approach, oc in outcomes.items():
            ok = oc.status == "ok"
            results.append(
                {
                    "rows": rows,
                    "approach": approach,
                    "status": oc.status,
                    "reason": oc.reason,
                    "seconds": round(oc.seconds, 2) if ok else None,
                    "peak_memory_mb": round(oc.peak_mb) if ok else None,
                    "seconds_by_domain": {m.name.rsplit(" ", 1)[1]: round(m.seconds, 2) for m in oc.parts}
                    if ok
                    else {},
                    "rows_per_second": round(rows / oc.seconds) if ok and oc.seconds else None,
                    "x_floor": round(oc.seconds / floor.seconds, 2) if ok and floor and floor.status == "ok" else None,
                    "x_ktstat": round(oc.seconds / ktstat.seconds, 2) if ok and ktstat.status == "ok" else None,
                    "agrees": (not checks[approach]) if approach in checks else None,
                    "disagreements": checks.get(approach, [])[:10],
                    "load_average": loads[approach],
                    **({"stages": stages, "slowest_sql": statements} if approach == KTSTAT else {}),
                }
            )
        say(f"{rows:,} rows done")
        if out is not None:
            write_json(results, out)
    return results


def missing_library(approach: str) -> str | None:
    """Why a comparison script cannot run here (its library is not installed, and how to
    install it), or None when it can (ktstat and the floor need nothing more)."""
    import importlib.util

    lib = BASELINE_LIBRARIES.get(approach)
    if lib is None or importlib.util.find_spec(lib) is not None:
        return None
    return f"{lib} is not installed; to compare with it: pip install {lib} (or pip install 'ktstat[bench]')"


def _memory_gib() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        return float("nan")


TARGETS = {  # rows: (most times the floor, peak memory under GiB); issue 17
    10_000_000: (3.0, 2.0),
    100_000_000: (3.0, 3.0),
}


def targets(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, judged on ``results`` where the sizes were run (:data:`TARGETS`):
    at 10 M and at 100 M rows the full compile at most 3x the floor, with peak memory under
    2 GiB at 10 M rows and under 3 GiB at 100 M rows; at 10 M rows faster than the Polars
    script (its ``x_ktstat``, script seconds / ktstat's, at least 1)."""
    by = {(r["rows"], r["approach"]): r for r in results}
    out = []
    for rows, (x_floor, gib) in TARGETS.items():
        k = by.get((rows, KTSTAT))
        if k is None:
            continue
        label = f"{rows // 1_000_000} M rows"
        out.append(
            {
                "target": f"{label}: ktstat at most {x_floor:g}x the floor",
                "value": k["x_floor"],
                "met": k["x_floor"] is not None and k["x_floor"] <= x_floor,
            }
        )
        out.append(
            {
                "target": f"{label}: ktstat peak memory < {gib:g} GiB",
                "value": k["peak_memory_mb"],
                "met": k["peak_memory_mb"] is not None and k["peak_memory_mb"] < gib * 1024,
            }
        )
    r = by.get((10_000_000, POLARS))
    if r is not None:
        out.append(
            {
                "target": f"10 M rows: ktstat faster than the {POLARS}",
                "value": r["x_ktstat"],
                "met": r["x_ktstat"] is not None and r["x_ktstat"] >= 1.0,
            }
        )
    return out


def write_json(results: Sequence[dict[str, Any]], out: Path) -> None:
    """Write the results, the targets and the machine to ``out`` (JSON)."""
    import duckdb

    doc = {
        "benchmark": "compile",
        "results": list(results),
        "targets": targets(results),
        "row_shares": row_shares(),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(_memory_gib(), 1),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
            "pandas": _version("pandas"),
            "polars": _version("polars"),
            "ktstat_memory_limit": os.environ.get("KTSTAT_MEMORY_LIMIT", "2GB"),
        },
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def _version(module: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return None


def table(results: Sequence[dict[str, Any]]) -> Any:
    """A Rich table of :func:`run`'s rows (the CLI prints it)."""
    from rich.table import Table

    t = Table(title="compile benchmark (both programmes; each approach a separate process per programme, same run)")
    for col in (
        "rows",
        "approach",
        "seconds",
        "rows/s",
        "peak MB",
        "x floor (a/b)",
        "x ktstat (c/a)",
        "same figures",
        "note",
    ):
        t.add_column(col, justify="left" if col in ("approach", "note") else "right")

    def f(v: Any, fmt: str) -> str:
        return "" if v is None else format(v, fmt)

    for r in results:
        same = "" if r["agrees"] is None else ("yes" if r["agrees"] else f"NO ({len(r['disagreements'])}+)")
        t.add_row(
            f"{r['rows']:,}",
            r["approach"],
            f(r["seconds"], ".1f"),
            f(r["rows_per_second"], ","),
            f(r["peak_memory_mb"], ","),
            f(r["x_floor"], ".2f"),
            f(r["x_ktstat"], ".2f"),
            same,
            r["status"] if not r["reason"] else f"{r['status']}: {r['reason']}",
        )
    return t


def clean(workdir: Path) -> None:
    """Remove a work folder made by :func:`run` (inputs, stores, outputs)."""
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    _child()
