"""Plausibility of the demo's unpublished cells: would a statistician question them?

Input: the money cells of an indicators table (exports and imports of every breakdown cell and
period, US dollars), each marked as published (the subject of a published fact) or not, with
its prior where the calibration has one and the set of calibration leaves it is made of. Three
rules flag an unpublished cell:

- **growth** (cells the calibration fits: the total, single breakdowns and crosses of reporter
  classifications): the cell holds at least ``min_share`` percent of its flow's total in the period or
  the one before, and its growth on that previous period (same frequency) lies outside the
  range of the published growth rates widened by ``growth_margin`` percentage points;
- **cross growth** (crosses with items or partners, which the calibration does not fit: their
  cells come from how the records fall): the same, with the range ``cross_lo`` to ``cross_hi``,
  wider than the single breakdowns' (a cross cell is smaller and may move more; the demo takes
  the published range stretched by a factor in ratio: growth factors from
  ``(1 + lowest) / factor`` to ``(1 + highest) x factor``);
- **duplicate**: its value equals (relative difference below ``duplicate_rtol``) the value of
  another cell of the same programme, period and flow that cannot hold a record in common with
  it (their leaves are disjoint in some dimension; cells that may share records, such as an
  industry and an institution of the same reporters or a region and its one trading country,
  can be equal without coincidence);
- **departure**: the cell holds at least ``min_share`` percent of its total and is more than
  ``max_departure`` times, or less than 1 / ``max_departure`` times, its prior.

Pure functions; nothing here reads files.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ktstat.errors import KtstatError
from ktstat.periods import parse


class ImplausibleData(KtstatError):
    """The demo's data have cells the plausibility rules flag."""


@dataclass(frozen=True)
class Cell:
    """One money cell: ``flow`` is ``exports`` or ``imports``, ``value`` and ``prior`` in US
    dollars; ``members``: what the cell is made of, pairs (source, frozenset of leaves) for the
    sources it names (None: only its own name identifies it)."""

    domain: str
    period: str
    breakdown: str
    item: str
    flow: str
    value: float
    published: bool = False
    prior: float | None = None
    members: tuple[tuple[str, frozenset[int]], ...] | None = None
    fitted: bool = True  # the calibration fits the cell (a sum of its leaves of one source)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.domain, self.period, self.breakdown, self.item, self.flow)

    def label(self) -> str:
        return f"{self.domain} {self.period} {self.breakdown}/{self.item} {self.flow}"


@dataclass(frozen=True)
class Rules:
    """Thresholds of the rules (see the module docstring); growth bounds in percent."""

    growth_lo: float
    growth_hi: float
    min_share: float = 1.0
    max_departure: float = 2.5
    duplicate_rtol: float = 1e-9
    cross_lo: float | None = None  # crosses the calibration does not fit; None: growth_lo
    cross_hi: float | None = None  # None: growth_hi

    def growth_range(self, fitted: bool) -> tuple[float, float]:
        """(lowest, highest) plausible growth in percent of a cell the calibration fits or not."""
        if fitted:
            return self.growth_lo, self.growth_hi
        lo = self.growth_lo if self.cross_lo is None else self.cross_lo
        return lo, self.growth_hi if self.cross_hi is None else self.cross_hi

    def describe(self) -> str:
        lo, hi = self.growth_range(False)
        return (
            f"an unpublished cell the calibration fits (the total, single breakdowns, crosses of "
            f"reporter classifications) is implausible when it holds at least {self.min_share:g} % of its "
            f"flow's total (in the period or the one before) and grows by less than "
            f"{self.growth_lo:+.1f} % or more than {self.growth_hi:+.1f} % on the previous period; "
            f"a cell of a cross with items or partners (which the calibration does not fit), when it "
            f"holds as much and grows by less than {lo:+.1f} % or more than {hi:+.1f} %; "
            f"or when its value equals that of another cell of the same programme, period and flow "
            f"that cannot hold a record in common with it (relative difference below "
            f"{self.duplicate_rtol:g}); or when "
            f"it holds at least {self.min_share:g} % of its total and lies more than a factor "
            f"{self.max_departure:g} from its prior"
        )


def rules_from_growth(published_growth: Sequence[float], margin: float = 15.0, cross_factor: float = 2.0) -> Rules:
    """Rules whose growth range is that of the published growth rates (percent) widened by
    ``margin`` percentage points on each side; for the crosses the calibration does not fit,
    the published range stretched by ``cross_factor`` in ratio (growth factors from
    ``(1 + lowest) / cross_factor`` to ``(1 + highest) x cross_factor``)."""
    if not published_growth:
        raise ValueError("no published growth rates to take the range of plausible growth from")
    if cross_factor < 1.0:
        raise ValueError(f"cross_factor {cross_factor} would narrow the published range")
    lo, hi = min(published_growth), max(published_growth)
    return Rules(
        lo - margin,
        hi + margin,
        cross_lo=100.0 * ((1.0 + lo / 100.0) / cross_factor - 1.0),
        cross_hi=100.0 * ((1.0 + hi / 100.0) * cross_factor - 1.0),
    )


@dataclass(frozen=True)
class Flag:
    cell: Cell
    rule: str  # growth, cross growth, duplicate or departure
    detail: str


@dataclass
class Growth:
    cell: Cell
    previous: float
    rate: float  # percent
    share: float  # percent of the total, the larger of the two periods


@dataclass
class Report:
    rules: Rules
    growth: list[Growth] = field(default_factory=list)  # cells above min_share with a previous period
    duplicates: list[tuple[Cell, Cell]] = field(default_factory=list)
    departures: list[tuple[Cell, float]] = field(default_factory=list)  # (cell, value / prior), largest first
    flags: list[Flag] = field(default_factory=list)


def _previous(period: str) -> str:
    return str(parse(period).shift(-1))


def check(cells: Iterable[Cell], rules: Rules) -> Report:
    """Apply the rules to the cells; the report lists every growth rate and departure
    considered, every duplicate pair and every flagged (unpublished) cell."""
    cells = list(cells)
    rep = Report(rules)
    by_key = {c.key: c for c in cells}
    totals = {(c.domain, c.period, c.flow): c.value for c in cells if c.breakdown == "total"}

    def share(c: Cell, period: str, value: float) -> float:
        t = totals.get((c.domain, period, c.flow))
        return 100.0 * value / t if t else 0.0

    for c in cells:
        if c.breakdown == "total":
            continue
        prev_period = _previous(c.period)
        prev = by_key.get((c.domain, prev_period, c.breakdown, c.item, c.flow))
        if prev is not None and prev.value > 0:
            s = max(share(c, c.period, c.value), share(c, prev_period, prev.value))
            if s >= rules.min_share:
                rate = 100.0 * (c.value / prev.value - 1.0)
                rep.growth.append(Growth(c, prev.value, rate, s))
                lo, hi = rules.growth_range(c.fitted)
                if not c.published and not lo <= rate <= hi:
                    rule = "growth" if c.fitted else "cross growth"
                    rep.flags.append(Flag(c, rule, f"{rate:+.1f} % on {prev_period} ({s:.1f} % of the total)"))
        if c.prior and c.prior > 0 and share(c, c.period, c.value) >= rules.min_share:
            ratio = c.value / c.prior
            rep.departures.append((c, ratio))
            if not c.published and not 1 / rules.max_departure <= ratio <= rules.max_departure:
                rep.flags.append(Flag(c, "departure", f"{ratio:.2f} times its prior"))
    rep.departures.sort(key=lambda d: -abs(math.log(d[1])))

    groups: dict[tuple[str, str, str], list[Cell]] = defaultdict(list)
    for c in cells:
        if c.value > 0:
            groups[(c.domain, c.period, c.flow)].append(c)
    for group in groups.values():
        group.sort(key=lambda c: c.value)
        values = np.array([c.value for c in group])
        close = np.flatnonzero(np.diff(values) <= rules.duplicate_rtol * values[1:])
        for i in close:
            # every pair within the run of near-equal values
            j = i + 1
            a, b = group[i], group[j]
            if _may_share(a, b):
                continue
            rep.duplicates.append((a, b))
            for c, other in ((a, b), (b, a)):
                if not c.published:
                    rep.flags.append(Flag(c, "duplicate", f"equals {other.breakdown}/{other.item} ({c.value:,.0f})"))
    return rep


def raise_if_flagged(report: Report, where: str) -> None:
    """Raise :class:`ImplausibleData` naming the flagged cells (the first three) and ``where``
    the full list is written."""
    if not report.flags:
        return
    first = "; ".join(f"{f.cell.label()}: {f.rule}: {f.detail}" for f in report.flags[:3])
    more = f" and {len(report.flags) - 3} more" if len(report.flags) > 3 else ""
    raise ImplausibleData(f"{len(report.flags)} implausible demo cells ({first}{more}); see {where}")


def _may_share(a: Cell, b: Cell) -> bool:
    """True when two cells may hold the same records: their leaves overlap in every source both
    name (``members``: pairs (source, leaves); a source a cell does not name is all of it).
    Then equal values are no coincidence: one set of leaves under two names, a region whose only
    trade in the period is with one of its countries. Cells without members: the same name."""
    if a.members is None or b.members is None:
        return (a.breakdown, a.item) == (b.breakdown, b.item)
    ma, mb = dict(a.members), dict(b.members)
    return all(ma[s] & mb[s] for s in set(ma) & set(mb))


def growth_summary(report: Report) -> list[tuple[str, str, int, list[float], int]]:
    """Per programme and frequency, the cells the calibration fits: (domain, frequency, cells,
    [min, p5, median, p95, max] growth in percent, cells outside the range)."""
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for g in report.growth:
        if g.cell.fitted:
            by[(g.cell.domain, parse(g.cell.period).freq)].append(g.rate)
    out = []
    lo, hi = report.rules.growth_range(True)
    for (dom, freq), rates in sorted(by.items()):
        a = np.array(rates)
        q = [float(v) for v in np.percentile(a, [0, 5, 50, 95, 100])]
        out.append((dom, freq, len(rates), q, int(((a < lo) | (a > hi)).sum())))
    return out


def cross_growth_summary(report: Report) -> list[tuple[str, str, str, int, list[float], int]]:
    """Per programme, cross and frequency, the crosses the calibration does not fit: (domain,
    breakdown, frequency, cells, [min, p1, median, p99, max] growth in percent, cells outside
    the cross range)."""
    by: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for g in report.growth:
        if not g.cell.fitted:
            by[(g.cell.domain, g.cell.breakdown, parse(g.cell.period).freq)].append(g.rate)
    out = []
    lo, hi = report.rules.growth_range(False)
    for (dom, breakdown, freq), rates in sorted(by.items()):
        a = np.array(rates)
        q = [float(v) for v in np.percentile(a, [0, 1, 50, 99, 100])]
        out.append((dom, breakdown, freq, len(rates), q, int(((a < lo) | (a > hi)).sum())))
    return out
