"""Numbers as published files write them: exact decimals, never a binary floating-point artefact.

- Money (``exports``, ``imports``, ``balance``, ``volume`` and their ``_change``): US dollars
  with up to 6 decimals, written from the integer micro-dollars the store keeps beside the
  indicators (``indicator_micro``, ``vintage_micro``): ``17647509999.799247``, ``1000``. The
  indicators hold each money value as the double nearest to that decimal, so the text reads back
  as the very value the API and the workbooks carry. A value that is no such double (made
  elsewhere) is written in its shortest exact form: nothing is ever rounded away.
- Ranks and record flags: integers (``1``, not ``1.0``).
- Growth, share, contribution (percent) and the ratio: unrounded, in the shortest decimal that
  reads back as the same value (rounded only where shown: press release, workbook display).
"""

from __future__ import annotations

import math
from functools import cache

MONEY_LEVELS = ("exports", "imports", "balance", "volume")
_MONEY = frozenset((*MONEY_LEVELS, *(f"{m}_change" for m in MONEY_LEVELS)))


@cache  # (called once per published value; a domain has a few dozen measures)
def is_money(measure: str) -> bool:
    base = measure[:-4] if measure.endswith("_yoy") else measure
    return base in _MONEY


@cache
def is_integer_measure(measure: str) -> bool:
    return measure.endswith(("_rank", "_record")) or measure == "balance_record_low"


def micro_text(micro: int) -> str:
    """Micro-dollars as an exact decimal of dollars: ``-1500000`` -> ``-1.5``."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(int(micro)), 1_000_000)
    return f"{sign}{whole}" + (f".{frac:06d}".rstrip("0") if frac else "")


def number_text(measure: str, value: float | int | None, micro: int | None = None) -> str:
    """The text of one indicator value in a published file ("" for no value). Always reads back
    as exactly ``value``: money is written as the exact decimal of its micro-dollars when the value
    is that decimal's nearest double (as the indicators hold it), else in the shortest exact form."""
    if value is None:
        return ""
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{measure}: value must be finite (got {value!r})")
    if is_integer_measure(measure) and v == int(v):
        return str(int(v))
    if is_money(measure):
        for m in (micro, round(v * 1e6) if abs(v) < 1e15 else None):
            if m is not None and float(micro_text(m)) == v:
                return micro_text(m)
    text = repr(v)
    return text[:-2] if text.endswith(".0") else text


def _micro_text_sql(m: str) -> str:
    return (
        f"(CASE WHEN {m} < 0 THEN '-' ELSE '' END || CAST(abs({m}) // 1000000 AS VARCHAR) || "
        f"CASE WHEN abs({m}) % 1000000 = 0 THEN '' "
        f"ELSE '.' || rtrim(lpad(CAST(abs({m}) % 1000000 AS VARCHAR), 6, '0'), '0') END)"
    )


def number_text_sql(measure: str = "measure", value: str = "value", micro: str = "micro") -> str:
    """SQL for :func:`number_text` over columns (``micro`` a HUGEINT column, NULL when unknown)."""
    integer = (
        f"({measure} LIKE '%\\_rank' ESCAPE '\\' OR {measure} LIKE '%\\_record' ESCAPE '\\' "
        f"OR {measure} = 'balance_record_low')"
    )
    money_names = [*MONEY_LEVELS, *(f"{m}_change" for m in MONEY_LEVELS)]
    money = f"(regexp_replace({measure}, '_yoy$', '') IN ({', '.join(repr(m) for m in money_names)}))"
    exact = _micro_text_sql(micro)
    rounded = _micro_text_sql(f"CAST(round({value} * 1e6) AS HUGEINT)")
    plain = f"regexp_replace(CAST({value} AS VARCHAR), '\\.0$', '')"
    return (
        f"CASE WHEN {value} IS NULL THEN NULL "
        f"WHEN {integer} AND {value} = round({value}) AND abs({value}) < 1e38 "
        f"THEN CAST(CAST({value} AS HUGEINT) AS VARCHAR) "
        f"WHEN {money} AND {micro} IS NOT NULL AND TRY_CAST({exact} AS DOUBLE) = {value} THEN {exact} "
        f"WHEN {money} AND abs({value}) < 1e15 AND TRY_CAST({rounded} AS DOUBLE) = {value} THEN {rounded} "
        f"ELSE {plain} END"
    )


# ---- Parquet: one typed column per kind of value, so no reader meets a binary float for money
PARQUET_VALUE_COLUMNS = ("usd", "integer", "rate")
"""The value columns of ``indicators.parquet`` (in place of the CSV's ``value``); exactly one is
set in a row with a value, by the measure's kind (all three are null for a row without one):

- ``usd``: money, ``decimal128(38, 6)``: the exact US dollars of the integer micro-dollars;
- ``integer``: ranks and record flags, ``int64``;
- ``rate``: growth, share, contribution (percent) and the ratio, ``float64``, unrounded."""


@cache
def value_kind(measure: str) -> str:
    """The Parquet value column of ``measure``: ``usd``, ``integer`` or ``rate``."""
    return "integer" if is_integer_measure(measure) else "usd" if is_money(measure) else "rate"


def parquet_value(row: dict[str, object]) -> object:
    """The value of a row read from ``indicators.parquet`` (a Decimal, an int, a float or None)."""
    for name in PARQUET_VALUE_COLUMNS:
        if row.get(name) is not None:
            return row[name]
    return None


def parquet_columns(measures: list[str], values: list[float | None], micros: list[int | None]) -> dict[str, object]:
    """The three value columns (pyarrow arrays) of the rows of ``measures`` with their ``values``
    and exact micro-dollars (None when unknown). Money without micro-dollars is the exact decimal of
    :func:`number_text` when it has at most 6 decimals; else ValueError (never a silent rounding).
    A rank or flag that is not integral raises ValueError."""
    from decimal import Decimal

    import pyarrow as pa

    usd: list[Decimal | None] = []
    integer: list[int | None] = []
    rate: list[float | None] = []
    for measure, v, m in zip(measures, values, micros, strict=True):
        kind = value_kind(measure)
        usd.append(None)
        integer.append(None)
        rate.append(None)
        if v is None:
            continue
        if kind == "integer":
            if float(v) != int(v):
                raise ValueError(f"{measure}: value {v!r} is not an integer")
            integer[-1] = int(v)
        elif kind == "usd":
            d = Decimal(number_text(measure, v, m))
            if d != d.quantize(Decimal("0.000001")):
                raise ValueError(f"{measure}: value {v!r} is not a whole number of micro-dollars")
            usd[-1] = d.quantize(Decimal("0.000001"))
        else:
            rate[-1] = float(v)
    return {
        "usd": pa.array(usd, type=pa.decimal128(38, 6)),
        "integer": pa.array(integer, type=pa.int64()),
        "rate": pa.array(rate, type=pa.float64()),
    }
