"""Calibration: cell totals that reproduce the published facts, by linear programming.

The unknowns, per domain, LP period (the domain's finest published frequency) and flow, are
three margins of the synthetic micro-data: the value of each record item (leaf code), of each
partner country, and of each reporter profile (KSIC code x size class x platform flag, which
determines industry, institution and special classifications). Each margin adds up to the
period's total. Every fact becomes linear constraints on these unknowns:

- levels (exports, imports, balance, volume): within the published rounding;
- growth g: ``(1 + g_lo/100) prev <= cur <= (1 + g_hi/100) prev``; change: ``lo <= cur - prev <= hi``;
- ratio r: ``r_lo M <= X <= r_hi M``; share and contribution likewise, linear in the cells;
- rank k: the item exceeds every peer not named above it by another rank fact;
- record flag: the value exceeds the value of every earlier period of the frequency.

When the facts cannot all hold, they are added in order of priority (levels first; figures
derived from them after) and each fact that makes the system infeasible is set aside,
together with an irreducible set of facts that cannot all hold (no fact of it can be left out;
a pair is preferred when one exists). Among the feasible values, the solution minimises the
weighted L1 distance to a smooth prior plus the L1 norm of the deviations' second differences,
so that series stay smooth where no fact pins them down. Units: billions of US dollars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ktstat.demo.facts import Fact
from ktstat.domain import Domain
from ktstat.indicators import split_measure
from ktstat.periods import PER_YEAR, Period, parse, span

if TYPE_CHECKING:
    pass

FLOWS = ("X", "M")
SHRINK = 0.98  # keep solutions strictly inside the published rounding
EPS = 0.003  # bn: strict inequalities (ranks, records) are met by this margin
FLOOR = 0.05  # no cell below this fraction of its prior: no zeros
ALPHA, BETA = 0.2, 3.0  # weights of distance to the prior and of roughness
PRIORITY = [
    "exports",
    "imports",
    "balance",
    "volume",
    "ratio",
    "change",
    "growth",
    "share",
    "contribution",
    "rank",
    "record",
]
RULE = (
    "levels (exports, imports) are kept over figures derived from them, in the order "
    "balance, volume, ratio, change, growth, share, contribution, rank, record flag, "
    "because derived figures are computed from levels and then rounded; among figures of "
    "the same kind, the one listed first in the facts file is kept"
)


class Unsupported(Exception):
    """A fact this calibration cannot express as linear constraints."""


@dataclass
class Conflict:
    dropped: Fact
    facts: list[Fact]  # the irreducible infeasible set, dropped fact included
    smallest: bool  # True when no smaller conflicting set exists


@dataclass
class Calibration:
    domain: str
    periods: list[Period]
    items: list[str]
    partners: list[str]
    profiles: list[tuple[str, str, bool]]
    values: np.ndarray  # [t, flow, leaf] over items+partners+profiles, bn
    kept: list[Fact] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unsupported: list[tuple[Fact, str]] = field(default_factory=list)

    def margin(self, name: str) -> np.ndarray:
        a, b = {
            "items": (0, len(self.items)),
            "partners": (len(self.items), len(self.items) + len(self.partners)),
            "profiles": (len(self.items) + len(self.partners), self.values.shape[2]),
        }[name]
        return self.values[:, :, a:b]


Row = tuple[dict[int, float], float, float]  # coefficients, lower bound, upper bound


class Model:
    """The linear system of one domain: variables, cell expressions and fact constraints."""

    def __init__(
        self,
        dom: Domain,
        cfg: dict[str, Any],
        memberships: dict[str, dict[str, set[int]]],
        profiles: list[tuple[str, str, bool]],
        prior_profiles: np.ndarray,
        seed: int = 0,
    ) -> None:
        self.dom = dom
        self.seed = seed
        self.freq = cfg["lp_frequency"]
        first = dom.first_period.to(self.freq)
        last = dom.last_period.to(self.freq)
        self.periods = span(first, last)
        self.first_index = first.index
        self.items = list(cfg["items"])
        self.partners = list(cfg["partners"])
        self.profiles = profiles
        self.n_items, self.n_partners = len(self.items), len(self.partners)
        self.L = self.n_items + self.n_partners + len(profiles)
        self.T = len(self.periods)
        self.nv = self.T * 2 * self.L + self.T * 2
        self.memberships = memberships
        self.prior = self._prior(cfg, prior_profiles)

    # variables ---------------------------------------------------------------------------
    def var(self, t: int, f: int, j: int) -> int:
        return (t * 2 + f) * self.L + j

    def tot(self, t: int, f: int) -> int:
        return self.T * 2 * self.L + t * 2 + f

    def _prior(self, cfg: dict[str, Any], prior_profiles: np.ndarray) -> np.ndarray:
        """Prior cell values [T, 2, L]: the interpolated totals split by the configured shares,
        each share drifting on its own smooth path (a seeded random trend plus a smoothed random
        walk), so that cells do not all move in step with the total."""
        totals = interpolate_totals(cfg["totals"], self.periods)  # [T, 2]
        rng = np.random.default_rng(self.seed)
        steps = 1.0 / PER_YEAR[self.freq]
        t = np.arange(self.T)[:, None] * steps
        out = np.zeros((self.T, 2, self.L))
        spans = [
            (0, self.n_items),
            (self.n_items, self.n_items + self.n_partners),
            (self.n_items + self.n_partners, self.L),
        ]
        for f in range(2):
            it = np.array([cfg["items"][c][f] for c in self.items])
            pa = np.array([cfg["partners"][c][f] for c in self.partners])
            base = np.concatenate([it / it.sum(), pa / pa.sum(), prior_profiles[:, f] / prior_profiles[:, f].sum()])
            trend = rng.normal(0.0, 0.04, self.L)[None, :] * (t - t[-1])
            walk = np.cumsum(rng.normal(0.0, 0.03 * np.sqrt(steps), (self.T, self.L)), axis=0)
            walk = np.apply_along_axis(lambda w: np.convolve(w, np.ones(3) / 3, mode="same"), 0, walk)
            share = base[None, :] * np.exp(trend + walk - walk[-1][None, :])
            for a, b in spans:  # each margin still adds up to the total
                share[:, a:b] /= share[:, a:b].sum(axis=1, keepdims=True)
            out[:, f, :] = totals[:, f][:, None] * share
        return out

    # cell expressions --------------------------------------------------------------------
    def _ts(self, period: str) -> list[int]:
        p = parse(period)
        if PER_YEAR[p.freq] > PER_YEAR[self.freq]:
            raise Unsupported(f"period {period} is finer than the calibration's {self.freq}")
        subs = p.subperiods(self.freq)
        ts = [s.index - self.first_index for s in subs]
        if ts[0] < 0 or ts[-1] >= self.T:
            raise Unsupported(f"period {period} is outside the domain's range")
        return ts

    def leaves(self, breakdown: str, item: str) -> list[int] | None:
        """Leaf indices making up a cell; None for the total."""
        if breakdown == "total":
            return None
        parts, codes = breakdown.split("+"), item.split("+")
        if len(parts) != len(codes):
            raise Unsupported(f"item {item} does not match breakdown {breakdown}")
        sets = []
        for b, c in zip(parts, codes, strict=True):
            if b not in self.memberships:
                raise Unsupported(f"unknown breakdown {b}")
            sets.append((self.dom.breakdowns[b].source, self.memberships[b].get(c, set())))
        sources = {s for s, _ in sets}
        if len(sets) > 1 and sources != {"reporter"}:
            raise Unsupported(f"cross {breakdown} mixes record and reporter dimensions")
        out = set.intersection(*(s for _, s in sets))
        if not out:
            raise Unsupported(f"{breakdown}/{item} has no synthetic reporters or codes")
        return sorted(out)

    def cell(self, breakdown: str, item: str, period: str, flow: int) -> dict[int, float]:
        ts = self._ts(period)
        js = self.leaves(breakdown, item)
        if js is None:
            return {self.tot(t, flow): 1.0 for t in ts}
        return {self.var(t, flow, j): 1.0 for t in ts for j in js}

    def level(self, measure: str, breakdown: str, item: str, period: str) -> dict[int, float]:
        x = self.cell(breakdown, item, period, 0)
        m = self.cell(breakdown, item, period, 1)
        if measure == "exports":
            return x
        if measure == "imports":
            return m
        if measure == "balance":
            return add(x, m, -1.0)
        if measure == "volume":
            return add(x, m, 1.0)
        raise Unsupported(f"{measure} is not linear in the cells")

    # facts -------------------------------------------------------------------------------
    def fact_rows(self, f: Fact, facts: Sequence[Fact]) -> list[Row]:
        base, kind, yoy = split_measure(f.measure)
        tol = f.tolerance * SHRINK
        lo, hi = f.value - tol, f.value + tol
        scale = 1.0  # facts in usd_bn map to variables in bn
        p = parse(f.period)
        if kind == "level":
            if base == "ratio":
                x = self.cell(f.breakdown, f.item, f.period, 0)
                m = self.cell(f.breakdown, f.item, f.period, 1)
                return [(add(x, m, -lo), 0.0, math.inf), (add(x, m, -hi), -math.inf, 0.0)]
            return [(self.level(base, f.breakdown, f.item, f.period), lo * scale, hi * scale)]
        if kind in ("growth", "change", "contribution"):
            prev = str(p.shift(-(PER_YEAR[p.freq] if yoy else 1)))
            cur_e = self.level(base, f.breakdown, f.item, f.period)
            prev_e = self.level(base, f.breakdown, f.item, prev)
            if kind == "growth":
                return [
                    (add(cur_e, prev_e, -(1 + lo / 100)), 0.0, math.inf),
                    (add(cur_e, prev_e, -(1 + hi / 100)), -math.inf, 0.0),
                ]
            if kind == "change":
                return [(add(cur_e, prev_e, -1.0), lo, hi)]
            d = add(cur_e, prev_e, -1.0)
            dt = add(self.level(base, "total", "all", f.period), self.level(base, "total", "all", prev), -1.0)
            ts_cur, ts_prev = self._ts(f.period), self._ts(prev)
            f_ = {"exports": [0], "imports": [1], "volume": [0, 1]}[base]
            grow = sum(self.prior[ts_cur, k].sum() - self.prior[ts_prev, k].sum() for k in f_) >= 0
            sign = 1.0 if grow else -1.0
            rows: list[Row] = [(dt, EPS, math.inf) if grow else (dt, -math.inf, -EPS)]
            rows.append((add(scaled(d, 100 * sign), dt, -lo * sign), 0.0, math.inf))
            rows.append((add(scaled(d, 100 * sign), dt, -hi * sign), -math.inf, 0.0))
            return rows
        if kind == "share":
            e = self.level(base, f.breakdown, f.item, f.period)
            t = self.level(base, "total", "all", f.period)
            return [(add(scaled(e, 100), t, -lo), 0.0, math.inf), (add(scaled(e, 100), t, -hi), -math.inf, 0.0)]
        if kind == "rank":
            return self._rank_rows(f, base, facts)
        if kind in ("record", "record_low"):
            if f.value != 1:
                raise Unsupported("a record flag of 0 is a disjunction, not a linear constraint")
            cur = self.level(base, f.breakdown, f.item, f.period)
            rows = []
            for q in self.dom.periods(p.freq):
                if q.index >= p.index:
                    continue
                try:
                    e = add(cur, self.level(base, f.breakdown, f.item, str(q)), -1.0)
                except Unsupported:
                    continue
                rows.append((e, EPS, math.inf) if kind == "record" else (e, -math.inf, -EPS))
            return rows
        raise Unsupported(f"measure {f.measure} is not supported by the calibration")

    def _rank_rows(self, f: Fact, base: str, facts: Sequence[Fact]) -> list[Row]:
        peers = self.rank_peers(f.breakdown, f.item)
        above = {
            g.item
            for g in facts
            if g.domain == f.domain
            and g.period == f.period
            and g.breakdown == f.breakdown
            and g.measure == f.measure
            and g.value < f.value
        }
        if len(above) != int(f.value) - 1:
            raise Unsupported(f"rank {int(f.value)} needs the {int(f.value) - 1} items above it named by other facts")
        rows: list[Row] = []
        if base == "ratio":
            own = [
                g
                for g in facts
                if g.domain == f.domain
                and g.period == f.period
                and g.breakdown == f.breakdown
                and g.item == f.item
                and g.measure == "ratio"
            ]
            if not own or f.value != 1:
                raise Unsupported("a ratio rank needs a ratio fact for the same cell and rank 1")
            bound = own[0].value - own[0].tolerance - 0.05
            for peer in peers:
                if peer != f.item:
                    x = self.cell(f.breakdown, peer, f.period, 0)
                    m = self.cell(f.breakdown, peer, f.period, 1)
                    rows.append((add(x, m, -bound), -math.inf, 0.0))
            return rows
        cur = self.level(base, f.breakdown, f.item, f.period)
        for peer in peers:
            if peer == f.item:
                continue
            other = self.level(base, f.breakdown, peer, f.period)
            if peer in above:
                rows.append((add(other, cur, -1.0), EPS, math.inf))
            else:
                rows.append((add(cur, other, -1.0), EPS, math.inf))
        return rows

    def rank_peers(self, breakdown: str, item: str) -> list[str]:
        if "+" in breakdown:
            raise Unsupported("ranks within crosses are not calibrated")
        cl = self.dom.breakdowns[breakdown].codelist
        depth = cl.depth(item)
        return [c for c, s in self.memberships[breakdown].items() if s and cl.depth(c) == depth]

    # structure ---------------------------------------------------------------------------
    def structural_rows(self) -> list[Row]:
        rows: list[Row] = []
        spans = [
            (0, self.n_items),
            (self.n_items, self.n_items + self.n_partners),
            (self.n_items + self.n_partners, self.L),
        ]
        for t in range(self.T):
            for f in range(2):
                for a, b in spans:
                    e = {self.var(t, f, j): 1.0 for j in range(a, b)}
                    e[self.tot(t, f)] = -1.0
                    rows.append((e, 0.0, 0.0))
        return rows

    def bounds(self) -> list[tuple[float, float | None]]:
        lb = np.zeros(self.nv)
        lb[: self.T * 2 * self.L] = (FLOOR * self.prior).reshape(-1)
        return [(float(v), None) for v in lb]


def add(a: dict[int, float], b: dict[int, float], k: float) -> dict[int, float]:
    """``a + k * b`` as a sparse expression."""
    out = dict(a)
    for i, v in b.items():
        out[i] = out.get(i, 0.0) + k * v
    return out


def scaled(a: dict[int, float], k: float) -> dict[int, float]:
    return {i: k * v for i, v in a.items()}


def kind_of(f: Fact) -> str:
    base, kind, _ = split_measure(f.measure)
    if kind == "level":
        return base
    return "record" if kind == "record_low" else kind


def interpolate_totals(anchors: dict[str, list[float]], periods: list[Period]) -> np.ndarray:
    """Log-linear interpolation of anchor totals [X, M] to every LP period; flat growth outside."""
    freq = periods[0].freq
    pts: dict[int, np.ndarray] = {}
    for label, xm in anchors.items():
        p = parse(label)
        subs = p.subperiods(freq)
        weights = np.array([0.485, 0.515]) if len(subs) == 2 else np.full(len(subs), 1 / len(subs))
        for s, w in zip(subs, weights, strict=True):
            pts[s.index] = np.log(np.array(xm, dtype=float) * w)
    xs = sorted(pts)
    out = np.zeros((len(periods), 2))
    for i, p in enumerate(periods):
        for f in range(2):
            out[i, f] = np.interp(p.index, xs, [pts[x][f] for x in xs])
    return np.exp(out)


def _solve(model: Model, rows: list[Row], objective: bool) -> np.ndarray | None:
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    nv = model.nv
    extra: list[Row] = []
    c = np.zeros(nv)
    n_aux = 0
    if objective:
        prior = model.prior
        series = [(f, j) for f in range(2) for j in range(model.L)]
        a0 = nv
        n_aux = len(series) * model.T * 2
        c = np.concatenate([c, np.zeros(n_aux)])
        k = a0
        for f, j in series:
            w = 1.0 / max(prior[:, f, j].mean(), 1e-6)
            for t in range(model.T):
                v = model.var(t, f, j)
                p = prior[t, f, j]
                c[k] = ALPHA * w
                extra.append(({k: 1.0, v: -1.0}, -p, math.inf))
                extra.append(({k: 1.0, v: 1.0}, p, math.inf))
                k += 1
                if t >= 2:
                    d2 = {v: 1.0, model.var(t - 1, f, j): -2.0, model.var(t - 2, f, j): 1.0}
                    p2 = p - 2 * prior[t - 1, f, j] + prior[t - 2, f, j]
                    c[k] = BETA * w
                    extra.append((add({k: 1.0}, d2, -1.0), -p2, math.inf))
                    extra.append((add({k: 1.0}, d2, 1.0), p2, math.inf))
                k += 1
    all_rows = rows + extra
    ub_r: list[int] = []
    ub_c: list[int] = []
    ub_v: list[float] = []
    b_ub: list[float] = []
    eq_r: list[int] = []
    eq_c: list[int] = []
    eq_v: list[float] = []
    b_eq: list[float] = []
    for coeffs, lo, hi in all_rows:
        if lo == hi:
            i = len(b_eq)
            eq_r += [i] * len(coeffs)
            eq_c += list(coeffs)
            eq_v += list(coeffs.values())
            b_eq.append(lo)
            continue
        if hi < math.inf:
            i = len(b_ub)
            ub_r += [i] * len(coeffs)
            ub_c += list(coeffs)
            ub_v += list(coeffs.values())
            b_ub.append(hi)
        if lo > -math.inf:
            i = len(b_ub)
            ub_r += [i] * len(coeffs)
            ub_c += list(coeffs)
            ub_v += [-v for v in coeffs.values()]
            b_ub.append(-lo)
    n = nv + n_aux
    a_ub = coo_matrix((ub_v, (ub_r, ub_c)), shape=(len(b_ub), n)).tocsr() if b_ub else None
    a_eq = coo_matrix((eq_v, (eq_r, eq_c)), shape=(len(b_eq), n)).tocsr() if b_eq else None
    bounds = model.bounds() + [(0.0, None)] * n_aux
    # interior point (with crossover) is several times faster than simplex on the smoothed
    # objective; feasibility checks without objective are fastest with the default
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub or None,
        A_eq=a_eq,
        b_eq=b_eq or None,
        bounds=bounds,
        method="highs-ipm" if objective else "highs",
    )
    if res.status == 2:
        return None
    if res.status != 0:
        raise RuntimeError(f"calibration LP failed: {res.message}")
    return np.asarray(res.x[:nv])


def _closeness(a: Fact, b: Fact) -> int:
    """0 for facts on the same cell and period, growing as they are further apart."""
    if (a.period, a.breakdown, a.item) == (b.period, b.breakdown, b.item):
        return 0
    if a.period == b.period and a.breakdown == b.breakdown:
        return 1
    if a.period[:4] == b.period[:4] or abs(int(a.period[:4]) - int(b.period[:4])) <= 1:
        return 2 if a.breakdown == b.breakdown else 3
    return 4


def calibrate(
    dom: Domain,
    cfg: dict[str, Any],
    facts: list[Fact],
    memberships: dict[str, dict[str, set[int]]],
    profiles: list[tuple[str, str, bool]],
    prior_profiles: np.ndarray,
    progress: Any = None,
    seed: int = 0,
) -> Calibration:
    """Solve the calibration of one domain; see the module docstring."""
    say = progress or (lambda _m: None)
    model = Model(dom, cfg, memberships, profiles, prior_profiles, seed)
    cal = Calibration(dom.id, model.periods, model.items, model.partners, profiles, np.zeros(0))
    rows_of: dict[str, list[Row]] = {}
    mine = [f for f in facts if f.domain == dom.id]
    for f in mine:
        try:
            rows_of[f.fact_id] = model.fact_rows(f, mine)
        except (Unsupported, KeyError, ValueError) as e:
            cal.unsupported.append((f, str(e)))
    usable = [f for f in mine if f.fact_id in rows_of]
    base = model.structural_rows()

    def feasible(fs: Sequence[Fact]) -> bool:
        return _solve(model, base + [r for g in fs for r in rows_of[g.fact_id]], objective=False) is not None

    say(f"{dom.id}: checking {len(usable)} facts for consistency")
    if feasible(usable):
        kept = usable
    else:
        order = sorted(usable, key=lambda f: (PRIORITY.index(kind_of(f)), mine.index(f)))
        kept = []
        for f in order:
            if feasible([*kept, f]):
                kept.append(f)
                continue
            cal.conflicts.append(_explain(f, kept, feasible))
            say(f"{dom.id}: conflict: {', '.join(g.fact_id for g in cal.conflicts[-1].facts)}; set aside {f.fact_id}")
    cal.kept = kept
    say(f"{dom.id}: solving for cell totals ({model.nv:,} unknowns)")
    x = _solve(model, base + [r for g in kept for r in rows_of[g.fact_id]], objective=True)
    if x is None:
        raise RuntimeError("calibration infeasible after setting conflicts aside")
    cal.values = x[: model.T * 2 * model.L].reshape(model.T, 2, model.L)
    return cal


def _explain(f: Fact, kept: list[Fact], feasible: Any) -> Conflict:
    """An irreducible set of facts that cannot hold together with ``f`` (``f`` included)."""
    ordered = sorted(kept, key=lambda g: (_closeness(f, g), -PRIORITY.index(kind_of(g))))
    for g in ordered:
        if not feasible([g, f]):
            return Conflict(f, [g, f], True)
    current = list(kept)
    # deletion filter: try to leave out the furthest, least important facts first
    for g in sorted(kept, key=lambda g: (-_closeness(f, g), -PRIORITY.index(kind_of(g)))):
        trial = [h for h in current if h is not g]
        if not feasible([*trial, f]):
            current = trial
    return Conflict(f, [*sorted(current, key=lambda g: g.fact_id), f], len(current) == 2)
