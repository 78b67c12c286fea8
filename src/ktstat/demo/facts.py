"""Published facts (``reference/published_figures.csv`` and files of the same columns).

The demo is calibrated to the packaged copy of the reference file (:func:`default_facts_path`)
and to ``press_figures.csv`` (:func:`press_facts_path`): figures the releases state, as the
press coverage repeats them, that the reference file leaves out (the 2022 balance ratio the
2023 release compares with, a contribution to the growth of exports, an industry's surplus).
:func:`demo_facts_paths` gives both; ``ktstat demo`` and ``ktstat check`` read them.

A fact states one indicator value with its rounding: the true value lies within
``value ± tolerance`` where ``tolerance`` is half a unit of the last published decimal (or
the file's ``tolerance`` column). Money facts are in billions of US dollars (``usd_bn``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ktstat.errors import InputError

PACKAGED = Path(__file__).resolve().parent / "published_figures.csv"
PRESS = Path(__file__).resolve().parent / "press_figures.csv"
SCALE = {"usd_bn": 1e9}


@dataclass(frozen=True)
class Fact:
    fact_id: str
    domain: str
    period: str
    breakdown: str
    item: str
    measure: str
    value: float
    tolerance: float
    unit: str
    statement: str
    source: str = ""

    @property
    def lo(self) -> float:
        return self.value - self.tolerance

    @property
    def hi(self) -> float:
        return self.value + self.tolerance

    def in_unit(self, indicator_value: float) -> float:
        """An indicators-table value (US dollars for money) in this fact's unit."""
        return indicator_value / SCALE.get(self.unit, 1.0)

    def holds(self, indicator_value: float | None) -> bool:
        if indicator_value is None:
            return False
        v = self.in_unit(indicator_value)
        if self.unit in ("rank", "flag"):
            return abs(v - self.value) < 1e-9
        return abs(v - self.value) <= self.tolerance * 1.0001


def default_facts_path() -> Path:
    """The published figures shipped with the package (a copy of the reference file)."""
    return PACKAGED


def press_facts_path() -> Path:
    """Published figures the reference file leaves out, as the press repeats them (module docstring)."""
    return PRESS


def demo_facts_paths() -> list[Path]:
    """Every facts file the demo is calibrated to and ``ktstat check`` checks by default."""
    return [PACKAGED, PRESS]


def load_facts(path: Path) -> list[Fact]:
    if not path.exists():
        raise InputError(f"{path}: facts file not found")
    out = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        for n, r in enumerate(csv.DictReader(f), start=1):
            try:
                if r.get("tolerance"):
                    tol = float(r["tolerance"])
                elif r["unit"] in ("rank", "flag"):
                    tol = 0.0
                else:
                    tol = 0.5 * 10 ** -int(r["decimals"])
                out.append(
                    Fact(
                        r["fact_id"],
                        r["domain"],
                        r["period"],
                        r["breakdown"],
                        r["item"],
                        r["measure"],
                        float(r["value"]),
                        tol,
                        r["unit"],
                        r.get("statement", ""),
                        r.get("source", ""),
                    )
                )
            except (KeyError, ValueError) as e:
                raise InputError(f"{path}: row {n}: cannot read the fact ({e})") from None
    return out
