"""Period labels and arithmetic.

Frequencies: ``A`` (year, ``2023``), ``H`` (half-year, ``2025H1``), ``Q`` (quarter, ``2025Q3``).
A period is identified within its frequency by an integer index: year ``y`` for ``A``,
``2*y + h - 1`` for ``H``, ``4*y + q - 1`` for ``Q``; consecutive periods have consecutive
indices. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PER_YEAR = {"A": 1, "H": 2, "Q": 4}
ORDER = {"A": 0, "H": 1, "Q": 2}  # coarse to fine
_PATTERN = re.compile(r"^(\d{4})(?:([HQ])([1-4]))?$")


@dataclass(frozen=True, order=True)
class Period:
    """A period of a frequency: ``Period("H", 2025, 1)`` is ``2025H1``."""

    freq: str
    year: int
    sub: int = 1

    @property
    def index(self) -> int:
        return self.year * PER_YEAR[self.freq] + self.sub - 1

    @classmethod
    def from_index(cls, freq: str, index: int) -> Period:
        n = PER_YEAR[freq]
        return cls(freq, index // n, index % n + 1)

    def shift(self, n: int) -> Period:
        return Period.from_index(self.freq, self.index + n)

    def to(self, freq: str) -> Period:
        """The period of the coarser (or same) frequency ``freq`` containing this one."""
        if ORDER[freq] > ORDER[self.freq]:
            raise ValueError(f"cannot convert {self} to the finer frequency {freq}")
        months0 = (self.sub - 1) * 12 // PER_YEAR[self.freq]
        return Period(freq, self.year, months0 * PER_YEAR[freq] // 12 + 1)

    def subperiods(self, freq: str) -> list[Period]:
        """The periods of the finer (or same) frequency ``freq`` making up this one."""
        k = PER_YEAR[freq] // PER_YEAR[self.freq]
        first = self.year * PER_YEAR[freq] + (self.sub - 1) * k
        return [Period.from_index(freq, first + i) for i in range(k)]

    def __str__(self) -> str:
        return str(self.year) if self.freq == "A" else f"{self.year}{self.freq}{self.sub}"


def parse(label: str) -> Period:
    """Parse ``2023``, ``2025H1`` or ``2025Q3``; raises ValueError otherwise."""
    m = _PATTERN.match(label.strip())
    if not m:
        raise ValueError(f"not a period: {label!r} (expected 2023, 2025H1 or 2025Q3)")
    year, freq, sub = m.groups()
    if freq is None:
        return Period("A", int(year))
    if freq == "H" and sub not in ("1", "2"):
        raise ValueError(f"not a period: {label!r} (half-years are H1 and H2)")
    return Period(freq, int(year), int(sub))


def span(first: Period, last: Period) -> list[Period]:
    """All periods from ``first`` to ``last`` inclusive (same frequency)."""
    if first.freq != last.freq:
        raise ValueError("span needs two periods of the same frequency")
    return [Period.from_index(first.freq, i) for i in range(first.index, last.index + 1)]


def complete_periods(first: Period, last: Period, freq: str) -> list[Period]:
    """Periods of ``freq`` all of whose base periods lie within ``first``..``last``."""
    out = []
    for p in span(first.to(freq), last.to(freq)):
        subs = p.subperiods(first.freq)
        if subs[0].index >= first.index and subs[-1].index <= last.index:
            out.append(p)
    return out
