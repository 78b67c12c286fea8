"""Numbers as published files write them: exact decimals, never a binary floating-point artefact.

- Money (``exports``, ``imports``, ``balance``, ``volume`` and their ``_change``): US dollars
  with up to 6 decimals, written from the integer micro-dollars the store keeps beside the
  indicators (``indicator_micro``, ``vintage_micro``): ``17647509999.799247``, ``1000``. Without
  them (a value from elsewhere) the nearest micro-dollar of the value.
- Ranks and record flags: integers (``1``, not ``1.0``).
- Growth, share, contribution (percent) and the ratio: unrounded, in the shortest decimal that
  reads back as the same value (rounded only where shown: press release, workbook display).
"""

from __future__ import annotations

import math

MONEY_LEVELS = ("exports", "imports", "balance", "volume")


def is_money(measure: str) -> bool:
    base = measure[:-4] if measure.endswith("_yoy") else measure
    return base in MONEY_LEVELS or base in {f"{m}_change" for m in MONEY_LEVELS}


def is_integer_measure(measure: str) -> bool:
    return measure.endswith(("_rank", "_record")) or measure == "balance_record_low"


def micro_text(micro: int) -> str:
    """Micro-dollars as an exact decimal of dollars: ``-1500000`` -> ``-1.5``."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(int(micro)), 1_000_000)
    return f"{sign}{whole}" + (f".{frac:06d}".rstrip("0") if frac else "")


def number_text(measure: str, value: float | int | None, micro: int | None = None) -> str:
    """The text of one indicator value in a published file ("" for no value)."""
    if value is None:
        return ""
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{measure}: value must be finite (got {value!r})")
    if is_integer_measure(measure):
        return str(int(round(v)))
    if is_money(measure):
        if micro is not None and abs(micro / 1e6 - v) <= max(1e-6, abs(v) * 1e-12):
            return micro_text(micro)
        return micro_text(round(v * 1e6))
    text = repr(v)
    return text[:-2] if text.endswith(".0") else text


def number_text_sql(measure: str = "measure", value: str = "value", micro: str = "micro") -> str:
    """SQL for :func:`number_text` over columns (``micro`` a HUGEINT column, NULL when unknown)."""
    integer = (f"({measure} LIKE '%\\_rank' ESCAPE '\\' OR {measure} LIKE '%\\_record' ESCAPE '\\' "
               f"OR {measure} = 'balance_record_low')")
    money_names = [*MONEY_LEVELS, *(f"{m}_change" for m in MONEY_LEVELS)]
    money = f"(regexp_replace({measure}, '_yoy$', '') IN ({', '.join(repr(m) for m in money_names)}))"
    exact = (f"({micro} IS NOT NULL AND abs(CAST({micro} AS DOUBLE) / 1e6 - {value}) "
             f"<= greatest(1e-6, abs({value}) * 1e-12))")
    m = f"(CASE WHEN {exact} THEN {micro} ELSE CAST(round({value} * 1e6) AS HUGEINT) END)"
    frac = f"CAST(abs({m}) % 1000000 AS VARCHAR)"
    money_text = (f"(CASE WHEN {m} < 0 THEN '-' ELSE '' END || CAST(abs({m}) // 1000000 AS VARCHAR) || "
                  f"CASE WHEN abs({m}) % 1000000 = 0 THEN '' ELSE '.' || rtrim(lpad({frac}, 6, '0'), '0') END)")
    plain = f"regexp_replace(CAST({value} AS VARCHAR), '\\.0$', '')"
    return (f"CASE WHEN {value} IS NULL THEN NULL WHEN {integer} THEN CAST(CAST(round({value}) AS BIGINT) AS VARCHAR) "
            f"WHEN {money} THEN {money_text} ELSE {plain} END")
