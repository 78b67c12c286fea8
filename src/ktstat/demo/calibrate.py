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
a pair is preferred when one exists). Among the feasible values, the solution minimises a sum of
squares (a convex quadratic program, HiGHS): each cell's relative deviation from its prior
(:mod:`ktstat.demo.prior`), the change of that deviation from one period to the next (so cells
grow about as their priors do) and each published fact's distance from the centre of its
rounding interval. Deviations are spread over many cells instead of piling on a few at a vertex
of the feasible set, and published figures sit near their centres, not at the edges of their
rounding. Units: billions of US dollars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ktstat.demo.facts import Fact
from ktstat.demo.prior import gravity_shares, leaf_paths
from ktstat.domain import Domain
from ktstat.indicators import split_measure
from ktstat.periods import PER_YEAR, Period, parse, span

if TYPE_CHECKING:
    pass

FLOWS = ("X", "M")
SHRINK = 0.98  # keep solutions strictly inside the published rounding
EPS = 0.003  # bn: strict inequalities (ranks, records) are met by this margin
FLOOR = 0.05  # no cell below this fraction of its prior: no zeros
# weights of the fit's sum of squares: relative deviation of a cell from its prior, change of
# that deviation between consecutive periods, distance of a published fact from the centre of
# its rounding interval (in half-widths of the interval)
W_LEVEL, W_GROWTH, W_CENTRE = 1.0, 40.0, 1.0
REG = 1e-10  # added to the fit's Hessian: the totals have no term of their own
MAX_ROUNDS = 200  # active-set rounds of the fit
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
    prior: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the same shape: the prior
    memberships: dict[str, dict[str, set[int]]] = field(default_factory=dict)  # breakdown: code -> leaves
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
        """Prior cell values [T, 2, L] in bn: the interpolated totals split by the shares of
        :mod:`ktstat.demo.prior` (items and profiles as configured, partners by the gravity
        model), each leaf on its own seeded path."""
        totals = interpolate_totals(cfg["totals"], self.periods)  # [T, 2]
        pc = cfg["prior"]
        rng = np.random.default_rng(self.seed)
        n = PER_YEAR[self.freq]
        years = np.array([p.year + (p.sub - 0.5) / n for p in self.periods])
        base = np.zeros((self.T, 2, self.L))
        ni, np_ = self.n_items, self.n_partners
        items = np.array([cfg["items"][c] for c in self.items], dtype=float)  # [I, 2]
        base[:, :, :ni] = (items / items.sum(axis=0)).T[None]
        base[:, :, ni : ni + np_] = gravity_shares(self.partners, years, pc, cfg.get("affinity"))
        base[:, :, ni + np_ :] = (prior_profiles / prior_profiles.sum(axis=0)).T[None]
        stability = np.ones(self.L)
        stability[:ni] = float(pc["item_stability"])
        spans = [(0, ni), (ni, ni + np_), (ni + np_, self.L)]
        share = leaf_paths(base, years, spans, stability, pc, rng)
        return totals[:, :, None] * share

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

    def at_prior(self, e: dict[int, float]) -> float:
        """An expression's value at the prior (bn)."""
        flat = self.prior.reshape(-1)
        n = flat.size
        out = 0.0
        for i, k in e.items():
            if i < n:
                out += k * float(flat[i])
            else:  # a total: the sum of the items margin
                t, f = divmod(i - n, 2)
                out += k * float(self.prior[t, f, : self.n_items].sum())
        return out

    def centre(self, f: Fact) -> tuple[dict[int, float], float, float] | None:
        """The fact as a term of the fit, ``(c, k, w)``: ``c.x - k`` is zero at the centre of
        the fact's rounding interval and ``w (c.x - k)^2`` is 1 at its edge (deviations scaled
        by the prior where the fact is a ratio of cells). None for ranks and record flags."""
        base, kind, yoy = split_measure(f.measure)
        tol = max(f.tolerance, 1e-9)
        if kind == "level":
            if base == "ratio":
                x = self.cell(f.breakdown, f.item, f.period, 0)
                m = self.cell(f.breakdown, f.item, f.period, 1)
                return add(x, m, -f.value), 0.0, 1.0 / (tol * self.at_prior(m)) ** 2
            return self.level(base, f.breakdown, f.item, f.period), f.value, 1.0 / tol**2
        if kind in ("growth", "change", "contribution"):
            p = parse(f.period)
            prev = str(p.shift(-(PER_YEAR[p.freq] if yoy else 1)))
            cur_e = self.level(base, f.breakdown, f.item, f.period)
            prev_e = self.level(base, f.breakdown, f.item, prev)
            if kind == "growth":
                scale = abs(self.at_prior(prev_e)) * tol / 100
                return add(cur_e, prev_e, -(1 + f.value / 100)), 0.0, 1.0 / max(scale, 1e-9) ** 2
            if kind == "change":
                return add(cur_e, prev_e, -1.0), f.value, 1.0 / tol**2
            d = add(cur_e, prev_e, -1.0)
            dt = add(self.level(base, "total", "all", f.period), self.level(base, "total", "all", prev), -1.0)
            scale = abs(self.at_prior(dt)) * tol
            return add(scaled(d, 100), dt, -f.value), 0.0, 1.0 / max(scale, 1e-9) ** 2
        if kind == "share":
            e = self.level(base, f.breakdown, f.item, f.period)
            t = self.level(base, "total", "all", f.period)
            scale = abs(self.at_prior(t)) * tol
            return add(scaled(e, 100), t, -f.value), 0.0, 1.0 / max(scale, 1e-9) ** 2
        return None

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


def _sparse(rows: list[Row], n: int) -> tuple[Any, np.ndarray, np.ndarray]:
    """Rows as a CSR matrix with their lower and upper bounds."""
    from scipy.sparse import csr_matrix

    r = [i for i, (coeffs, _, _) in enumerate(rows) for _ in coeffs]
    c = [j for coeffs, _, _ in rows for j in coeffs]
    v = [x for coeffs, _, _ in rows for x in coeffs.values()]
    lo = np.array([row[1] for row in rows], dtype=float)
    hi = np.array([row[2] for row in rows], dtype=float)
    return csr_matrix((v, (r, c)), shape=(len(rows), n)), lo, hi


def _solve(model: Model, rows: list[Row]) -> np.ndarray | None:
    """A feasible point of the rows within the variables' bounds (HiGHS), None if there is none."""
    from scipy.optimize import linprog

    a, lo, hi = _sparse(rows, model.nv)
    eq = lo == hi
    up, down = np.isfinite(hi) & ~eq, np.isfinite(lo) & ~eq
    from scipy.sparse import vstack

    a_ub = vstack([a[up], -a[down]]).tocsr()
    b_ub = np.concatenate([hi[up], -lo[down]])
    res = linprog(
        np.zeros(model.nv),
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a[eq] if eq.any() else None,
        b_eq=lo[eq] if eq.any() else None,
        bounds=model.bounds(),
        method="highs",
    )
    if res.status == 2:
        return None
    if res.status != 0:
        raise RuntimeError(f"calibration LP failed: {res.message}")
    return np.asarray(res.x)


Term = tuple[dict[int, float], float, float]  # coefficients c, target k, weight w: w (c.x - k)^2


def objective_terms(model: Model, centres: list[Term]) -> list[Term]:
    """The fit's objective as a sum of squares (see :func:`fit`): every cell's relative
    deviation from its prior (weight ``W_LEVEL``), the change of that deviation from one period
    to the next (``W_GROWTH``: a cell grows about as its prior does), and the centre terms of the
    published facts (``W_CENTRE``, each already scaled to its rounding interval).

    A cell's terms also weigh its size (its prior over the mean prior of its margin): a
    chi-square distance, under which a shortfall is spread as one relative change over the
    cells instead of piling onto the largest ones."""
    prior = model.prior
    spans = [
        (0, model.n_items),
        (model.n_items, model.n_items + model.n_partners),
        (model.n_items + model.n_partners, model.L),
    ]
    size = np.zeros_like(prior)
    for a, b in spans:
        size[:, :, a:b] = prior[:, :, a:b] / prior[:, :, a:b].mean(axis=2, keepdims=True)
    terms: list[Term] = []
    for f in range(2):
        for j in range(model.L):
            for t in range(model.T):
                p = float(prior[t, f, j])
                v = model.var(t, f, j)
                w = float(size[t, f, j])
                terms.append(({v: 1.0 / p}, 1.0, W_LEVEL * w))
                if t:
                    q = float(prior[t - 1, f, j])
                    terms.append(({v: 1.0 / p, model.var(t - 1, f, j): -1.0 / q}, 0.0, W_GROWTH * w))
    terms += [(c, k, W_CENTRE * w) for c, k, w in centres]
    return terms


def fit(model: Model, rows: list[Row], terms: list[Term]) -> np.ndarray:
    """Minimise the sum of ``w (c.x - k)^2`` over the terms subject to the rows and the
    variables' lower bounds, a convex quadratic program; returns x in bn.

    Cell variables are scaled by their prior (the solver works on x / prior, values near 1).
    Solved by an active-set method on the KKT system (sparse LU): equalities always active,
    each violated inequality or bound made active at its violated side, each active one whose
    multiplier has the wrong sign released, until none is violated and every multiplier has the
    right sign (a few rounds: at the optimum most facts lie inside their intervals)."""
    from scipy.sparse import coo_matrix, diags, eye, vstack

    n = model.nv
    scale = np.ones(n)
    scale[: model.T * 2 * model.L] = model.prior.reshape(-1)
    qr: list[int] = []
    qc: list[int] = []
    qv: list[float] = []
    g = np.zeros(n)
    for coeffs, k, w in terms:
        idx = list(coeffs)
        for i in idx:
            ci = coeffs[i]
            g[i] -= 2 * w * k * ci
            for j in idx:
                qr.append(i)
                qc.append(j)
                qv.append(2 * w * ci * coeffs[j])
    d = diags(scale)
    q = (d @ coo_matrix((qv, (qr, qc)), shape=(n, n)).tocsr() @ d + REG * eye(n)).tocsr()
    g = g * scale
    a_rows, lo, hi = _sparse(_distinct(rows), n)
    # the variables' lower bounds as rows too: one constraint matrix [A; I]
    a = vstack([a_rows @ d, eye(n)]).tocsr()
    lo = np.concatenate([lo, np.array([b for b, _ in model.bounds()]) / scale])
    hi = np.concatenate([hi, np.full(n, math.inf)])
    eq = np.flatnonzero(lo == hi)
    side = np.zeros(len(lo))  # +1 active at its upper bound, -1 at its lower bound, 0 inactive
    side[eq] = 1
    tol = 1e-9
    y = np.zeros(n)
    for _ in range(MAX_ROUNDS):
        act = np.flatnonzero(side != 0)
        rhs = np.where(side[act] > 0, hi[act], lo[act])
        y, lam = _kkt(q, g, a[act], rhs)
        ay = a @ y
        over = (ay > hi + tol * (1 + np.abs(hi))) & (side == 0)
        under = (ay < lo - tol * (1 + np.abs(lo))) & (side == 0)
        wrong = np.zeros(len(lo), dtype=bool)
        ineq = side[act] != 0
        ineq[np.isin(act, eq)] = False
        wrong[act[ineq & (side[act] * lam < -tol)]] = True
        if not over.any() and not under.any() and not wrong.any():
            return y * scale
        side[over] = 1
        side[under] = -1
        if not over.any() and not under.any():  # release only when nothing is violated
            side[wrong] = 0
    raise RuntimeError(f"calibration fit did not settle its active set in {MAX_ROUNDS} rounds")


def _distinct(rows: list[Row]) -> list[Row]:
    """The rows with repeated expressions merged (their bounds intersected): two facts on one
    number under two names must not make the fit's linear system singular."""
    out: dict[tuple[tuple[int, float], ...], tuple[float, float]] = {}
    for coeffs, lo, hi in rows:
        key = tuple(sorted(coeffs.items()))
        a, b = out.get(key, (-math.inf, math.inf))
        out[key] = (max(a, lo), min(b, hi))
    return [(dict(k), lo, hi) for k, (lo, hi) in out.items()]


def _kkt(q: Any, g: np.ndarray, a: Any, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solution of ``min 1/2 y'Qy + g'y`` subject to ``A y = b``: (y, multipliers)."""
    import warnings

    from scipy.sparse import bmat, csc_matrix
    from scipy.sparse.linalg import MatrixRankWarning, spsolve

    m = a.shape[0]
    k = bmat([[q, a.T], [a, csc_matrix((m, m))]], format="csc")
    with warnings.catch_warnings():
        warnings.simplefilter("error", MatrixRankWarning)
        try:
            sol = spsolve(k, np.concatenate([-g, b]))
        except MatrixRankWarning:
            raise RuntimeError("calibration fit: the active constraints are linearly dependent") from None
    return sol[: q.shape[0]], sol[q.shape[0] :]


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
        return _solve(model, base + [r for g in fs for r in rows_of[g.fact_id]]) is not None

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
    centres = [c for g in kept if (c := model.centre(g)) is not None]
    x = fit(model, base + [r for g in kept for r in rows_of[g.fact_id]], objective_terms(model, centres))
    values = x[: model.T * 2 * model.L].reshape(model.T, 2, model.L)
    totals = x[model.T * 2 * model.L :].reshape(model.T, 2)
    for a, b in (
        (0, model.n_items),
        (model.n_items, model.n_items + model.n_partners),
        (model.n_items + model.n_partners, model.L),
    ):
        # each margin adds up to the total exactly (the solver's equalities hold to ~1e-9)
        values[:, :, a:b] *= (totals / values[:, :, a:b].sum(axis=2))[:, :, None]
    cal.values = values
    cal.prior = model.prior
    cal.memberships = memberships
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
