"""Revisions between vintages.

``compare`` lines up two vintages' values cell by cell. ``triangle`` builds the revision
triangle of one series (a measure of one cell): a row per reference period, a column per
vintage in release order, each the value that vintage published for the period; the revision
of a period is its latest estimate minus its first, and the summary is the mean revision
(bias) and the mean absolute revision over the periods estimated at least twice, as
statistical agencies publish them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass
class Triangle:
    periods: list[str]
    vintages: list[str]
    values: dict[str, dict[str, float | None]]  # period -> vintage -> value (absent: not in that vintage)
    revisions: dict[str, float]  # period -> latest - first (periods with two estimates or more)
    mean_revision: float | None
    mean_absolute_revision: float | None


def triangle(series: Sequence[tuple[str, Mapping[str, float | None]]]) -> Triangle:
    """The revision triangle of ``series``: ``(vintage id, {period: value})`` in release order.
    A confidential or empty value (None) counts as no estimate."""
    vintages = [v for v, _ in series]
    periods = sorted({p for _, vals in series for p in vals})
    values: dict[str, dict[str, float | None]] = {p: {} for p in periods}
    for v, vals in series:
        for p, x in vals.items():
            values[p][v] = x
    revisions = {}
    for p in periods:
        estimates = [values[p][v] for v in vintages if values[p].get(v) is not None]
        if len(estimates) >= 2:
            first, latest = estimates[0], estimates[-1]
            assert first is not None and latest is not None
            revisions[p] = latest - first
    n = len(revisions)
    mr = sum(revisions.values()) / n if n else None
    mar = sum(abs(r) for r in revisions.values()) / n if n else None
    return Triangle(periods, vintages, values, revisions, mr, mar)


def compare(
    a: Mapping[tuple[str, str, str, str], tuple[float | None, str]],
    b: Mapping[tuple[str, str, str, str], tuple[float | None, str]],
) -> list[tuple[tuple[str, str, str, str], float | None, float | None, float | None]]:
    """Cells whose value or presence differs between two vintages: ``(cell, a, b, b - a)``."""
    out = []
    for k in sorted(set(a) | set(b)):
        va = a.get(k, (None, ""))[0]
        vb = b.get(k, (None, ""))[0]
        if va != vb:
            out.append((k, va, vb, vb - va if va is not None and vb is not None else None))
    return out
