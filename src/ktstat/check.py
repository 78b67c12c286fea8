"""``ktstat check``: an indicators file against the published figures, to their stated rounding.

Each fact (``src/ktstat/demo/published_figures.csv``, ``press_figures.csv`` beside it and any
``--facts`` files, same columns) is looked up in the indicators file and compared within its
rounding (``decimals``, or a ``tolerance`` column in the fact's unit). Facts the demo's
calibration set aside as conflicting with other facts (read from ``calibration.md`` beside the
indicators file, if there is one) and any given with ``--set-aside`` are reported but not counted.
Then the internal consistency of the file: balance = exports - imports and volume = exports +
imports in every cell, a year the sum of its halves and of its quarters, a half of its quarters.
Reads the exact decimals the files carry (``Decimal``), so the sums are exact.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ktstat.demo.facts import Fact, demo_facts_paths, load_facts
from ktstat.errors import InputError
from ktstat.periods import ORDER, parse

Key = tuple[str, str, str, str, str]


@dataclass
class CheckResult:
    checked: int = 0
    held: int = 0
    set_aside: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)
    cells: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures and not self.inconsistent


COLUMNS = ("domain", "period", "breakdown", "item", "measure", "value", "status")


def load_indicators(path: Path) -> tuple[dict[Key, Decimal | None], dict[Key, str]]:
    """The values (exact decimals, ``None`` for an empty value) and statuses of an indicators
    table, CSV or Parquet, by (domain, period, breakdown, item, measure). ``InputError`` naming
    the file for a missing file, missing columns, a malformed CSV or a value that is no number."""
    if not path.exists():
        raise InputError(f"{path}: indicators file not found")
    columns = _parquet_columns(path) if path.suffix.lower() == ".parquet" else _csv_columns(path)
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise InputError(f"{path}: not an indicators table (columns {', '.join(sorted(COLUMNS))})")
    values: dict[Key, Decimal | None] = {}
    status: dict[Key, str] = {}
    cols = [columns[c] for c in COLUMNS]
    for domain, period, breakdown, item, measure, raw, st in zip(*cols, strict=True):
        key = (domain, period, breakdown, item, measure)
        try:
            values[key] = None if raw in (None, "") else Decimal(str(raw))
        except InvalidOperation:
            raise InputError(f"{path}: {'/'.join(key)}: value {raw!r} is not a number") from None
        status[key] = st or ""
    return values, status


def _csv_columns(path: Path) -> dict[str, list[str]]:
    """The columns of a CSV file as text (read by Arrow: every column a string, empty fields ``""``)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f), [])
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start} of its first block)") from None
    if not header:
        return {}
    try:
        table = pcsv.read_csv(
            path,
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a readable CSV file: {_csv_fault(path, len(header)) or e}") from None
    return {name: table.column(name).to_pylist() for name in table.column_names if name in COLUMNS}


def _csv_fault(path: Path, width: int) -> str | None:
    """Where a CSV file first breaks its header's width or is not UTF-8 (``line N: ...``; physical
    lines, as an editor numbers them), if it does."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for row in reader:
                if row and len(row) != width:
                    return f"line {reader.line_num}: {len(row)} fields where the header has {width}"
    except csv.Error as e:
        return f"line {reader.line_num + 1}: {e}"
    except UnicodeDecodeError:
        with path.open("rb") as raw:
            for n, line in enumerate(raw, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as e:
                    return f"line {n}: not UTF-8 text ({e.reason} at byte {e.start + 1} of the line)"
    return None


def _parquet_columns(path: Path) -> dict[str, list[object]]:
    """The columns of an indicators Parquet file, ``value`` from the typed value columns when it has them."""
    import pyarrow.parquet as pq

    from ktstat.publish.exact import PARQUET_VALUE_COLUMNS, parquet_value

    table = pq.read_table(path)
    columns: dict[str, list[object]] = {name: table.column(name).to_pylist() for name in table.column_names}
    if "value" not in columns and set(PARQUET_VALUE_COLUMNS) <= set(columns):
        typed = [
            dict(zip(PARQUET_VALUE_COLUMNS, vs, strict=True))
            for vs in zip(*(columns[c] for c in PARQUET_VALUE_COLUMNS), strict=True)
        ]
        columns["value"] = [parquet_value(r) for r in typed]
    return columns


def calibration_set_aside(indicators: Path) -> list[str]:
    """Fact ids the demo's ``calibration.md`` (beside the file) set aside as conflicting."""
    report = indicators.parent / "calibration.md"
    if not report.exists():
        return []
    return re.findall(r"^\| (\S+) \|.*\| set aside: conflicts with other facts \|", report.read_text("utf-8"), re.M)


def check(indicators: Path, facts_files: list[Path] | None = None, set_aside: list[str] | None = None) -> CheckResult:
    values, status = load_indicators(indicators)
    aside = set(set_aside or []) | set(calibration_set_aside(indicators))
    facts: list[Fact] = []
    for path in [*demo_facts_paths(), *(facts_files or [])]:
        facts += load_facts(path)
    res = CheckResult(cells=len(values))
    for f in facts:
        key = (f.domain, f.period, f.breakdown, f.item, f.measure)
        got = values.get(key)
        if f.fact_id in aside:
            res.set_aside.append(f.fact_id)
            continue
        res.checked += 1
        if f.holds(None if got is None else float(got)):
            res.held += 1
        else:
            shown = "missing" if key not in values else ("no value" if got is None else f"{f.in_unit(float(got)):g}")
            res.failures.append(
                f"{f.fact_id} {'/'.join(key)}: published {f.value:g} {f.unit} "
                f"(± {f.tolerance:g}), compiled {shown} (status {status.get(key, '-')})"
            )
    res.inconsistent = consistency(values)
    return res


def consistency(values: dict[Key, Decimal | None]) -> list[str]:
    """Exact identities: balance and volume from exports and imports; a period the sum of its
    subperiods of each finer frequency present (a year of its halves and quarters, a half of its quarters)."""
    out = []
    cells: dict[tuple[str, str, str, str], dict[str, Decimal | None]] = defaultdict(dict)
    for (d, p, b, i, measure), v in values.items():
        cells[(d, p, b, i)][measure] = v
    for k, ms in cells.items():
        x, im, bal, vol = (ms.get(n) for n in ("exports", "imports", "balance", "volume"))
        if x is None or im is None or bal is None or vol is None:
            continue
        tol = Decimal("1e-6") * max(abs(x), abs(im), Decimal(1)) if _inexact(x, im, bal, vol) else Decimal(0)
        if abs(x - im - bal) > tol or abs(x + im - vol) > tol:
            out.append(f"{'/'.join(k)}: exports {x} imports {im} balance {bal} volume {vol} do not add up")
    # the period hierarchy: a year is the sum of its halves and of its quarters, a half of its quarters
    for (d, p, b, i), ms in cells.items():
        try:
            per = parse(p)
        except ValueError:
            continue
        for fine in ("H", "Q"):
            if ORDER[fine] <= ORDER[per.freq]:
                continue
            subs = [str(s) for s in per.subperiods(fine)]
            parts = [cells.get((d, s, b, i)) for s in subs]
            for m in ("exports", "imports"):
                whole, got = ms.get(m), [c.get(m) if c else None for c in parts]
                if whole is None or any(v is None for v in got):
                    continue
                vs = [v for v in got if v is not None]
                tol = Decimal("1e-6") * max(abs(whole), Decimal(1)) if _inexact(whole, *vs) else Decimal(0)
                if abs(whole - sum(vs, Decimal(0))) > tol:
                    named = {"H": "halves", "Q": "quarters"}[fine]
                    shown = " + ".join(str(v) for v in vs)
                    out.append(f"{d} {b}/{i} {p} {m}: {whole} is not the sum of its {named} ({shown})")
    return out


def _inexact(*vs: Decimal) -> bool:
    """Values with more than 6 decimals did not come from exact micro-dollars: compare loosely."""
    exps = [v.as_tuple().exponent for v in vs]
    return any(isinstance(e, int) and -e > 6 for e in exps)
