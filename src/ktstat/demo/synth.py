"""Synthetic firms and transactions that add up exactly to calibrated cell totals.

Given a domain's calibration (item, partner and profile margins per LP period and flow),
``synthesize`` draws reporters (heavy-tailed sizes: a Pareto draw scaled by size class) and
records (each active reporter reports one or more transactions, item and partner drawn in
proportion to the margins), then rakes the record amounts so that every margin equals its
calibrated total, and writes each amount in a currency of the record at the period's rate.
Deterministic for a given seed. Amounts in the output are in currency units with 2 decimals.

Where a programme configures ``contracts`` (population.toml), the reporters expected to hold a
noticeable part of a flow keep their trade from period to period: each has a few lasting
contracts (an item and a partner each, drawn once, none too large for its item or partner),
whose sizes drift slowly; everyone else's records are drawn afresh each period. Without it a
large reporter's trade of a period is one record on a random item and partner, and the crosses
of items or partners jump between near zero and large from one period to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from ktstat.demo.calibrate import Calibration
from ktstat.domain import Domain
from ktstat.periods import Period, span

# Annual average units per US dollar (approximate published averages), used to make
# plausible synthetic rates; quarters vary around them.
ANNUAL_RATES: dict[str, list[float]] = {
    "KRW": [
        1156.3,
        1108.1,
        1126.9,
        1095.0,
        1053.2,
        1131.5,
        1160.5,
        1130.8,
        1100.3,
        1165.7,
        1180.1,
        1144.4,
        1291.9,
        1305.4,
        1364.0,
        1415.0,
    ],
    "EUR": [
        0.755,
        0.719,
        0.778,
        0.753,
        0.754,
        0.902,
        0.904,
        0.887,
        0.847,
        0.893,
        0.877,
        0.846,
        0.951,
        0.925,
        0.924,
        0.900,
    ],
    "JPY": [87.8, 79.8, 79.8, 97.6, 105.9, 121.0, 108.8, 112.2, 110.4, 109.0, 106.8, 109.8, 131.5, 140.5, 151.4, 148.0],
    "CNY": [6.77, 6.46, 6.31, 6.20, 6.16, 6.28, 6.64, 6.76, 6.62, 6.91, 6.90, 6.45, 6.73, 7.08, 7.19, 7.20],
    "GBP": [
        0.647,
        0.624,
        0.631,
        0.640,
        0.607,
        0.654,
        0.741,
        0.777,
        0.750,
        0.784,
        0.780,
        0.727,
        0.811,
        0.804,
        0.783,
        0.760,
    ],
}
FIRST_RATE_YEAR = 2010
WHOLE_UNITS = {"KRW", "JPY"}
NAMES = [
    "Hanbit",
    "Saerom",
    "Daon",
    "Nuri",
    "Gaon",
    "Haneul",
    "Bitna",
    "Arum",
    "Dasom",
    "Yeseul",
    "Sol",
    "Maru",
    "Onnuri",
    "Jinri",
    "Seum",
    "Baram",
]


def exchange_rates() -> list[tuple[str, str, str]]:
    """Rows ``(currency, period, per_usd)``: quarters and years 2010 to 2025."""
    rows = []
    for cur, annual in ANNUAL_RATES.items():
        for k, a in enumerate(annual):
            y = FIRST_RATE_YEAR + k
            qs = [a * (1 + 0.015 * np.sin(1.3 * y + 1.7 * q + len(cur))) for q in range(4)]
            mean = sum(qs) / 4
            qs = [q * a / mean for q in qs]
            rows.append((cur, str(y), f"{a:.6f}"))
            rows += [(cur, f"{y}Q{q + 1}", f"{v:.6f}") for q, v in enumerate(qs)]
    return rows


@dataclass
class Reporter:
    reporter_id: str
    name: str
    versions: list[tuple[int, str, str | None, str | None]]  # (profile, size, valid_from, valid_to)
    industry: str
    platform: bool
    weight: float


def build_profiles(cfg: dict[str, Any]) -> tuple[list[tuple[str, str, bool]], np.ndarray]:
    """Reporter profiles (KSIC, size class, platform flag) and their prior shares [P, 2]
    (industry share x size class share x the KSIC code's weight within its industry)."""
    profiles, prior = [], []
    sizes = cfg["sizes"]
    for ind in cfg["industries"].values():
        codes = ind["ksic"]
        # a list of KSIC codes weighs them equally; a table gives their weights [X, M]
        weights = codes if isinstance(codes, dict) else {k: [1.0, 1.0] for k in codes}
        sums = [sum(float(w[f]) for w in weights.values()) for f in range(2)]
        for ksic, w in weights.items():
            for size, s in sizes.items():
                profiles.append((ksic, size, False))
                prior.append([ind["share"][f] * s["share"][f] * float(w[f]) / sums[f] for f in range(2)])
    plat = cfg.get("platforms")
    if plat:
        n = len(plat["ksic"]) * len(plat["sizes"])
        for ksic in plat["ksic"]:
            for size in plat["sizes"]:
                profiles.append((ksic, size, True))
                prior.append([plat["share"][f] / n for f in range(2)])
    return profiles, np.array(prior)


def _reporters(
    dom: Domain, cfg: dict[str, Any], profiles: list[tuple[str, str, bool]], rng: np.random.Generator, scale: float
) -> list[Reporter]:
    out: list[Reporter] = []
    first, last = dom.first_period.year, dom.last_period.year
    index = {p: i for i, p in enumerate(profiles)}
    for pi, (ksic, size, platform) in enumerate(profiles):
        s = cfg["sizes"][size]
        n = max(4, int(round(s["reporters"] * scale)))
        for n_ in range(n):
            rid = f"{dom.id.upper()}{len(out) + 1:05d}"
            name = f"{NAMES[int(rng.integers(len(NAMES)))]} {ksic}-{len(out) + 1:05d}"
            weight = float(s["scale"] * (rng.pareto(1.2) + 1.0))
            if size == "large" and n_ == 0:
                weight *= s.get("leader", 1.0)  # each large-firm profile has a dominant leader
            versions: list[tuple[int, str, str | None, str | None]] = [(pi, size, None, None)]
            # about 3% of SMEs grow into mid-sized enterprises during the series
            grown = (ksic, "mid_sized", platform)
            if size == "sme" and grown in index and rng.random() < 0.03:
                y = int(rng.integers(first + 1, last + 1))
                versions = [(pi, size, None, f"{y - 1}-12-31"), (index[grown], "mid_sized", f"{y}-01-01", None)]
            out.append(Reporter(rid, name, versions, ksic, platform, weight))
    return out


@dataclass
class Contracts:
    """A reporter's lasting contracts in one flow: the item and partner of each (leaf indices)
    and its log-size, which drifts from period to period."""

    items: np.ndarray
    partners: np.ndarray
    log_size: np.ndarray

    def amounts(self, total: float) -> np.ndarray:
        """The contracts' values when the reporter trades ``total``."""
        w = np.exp(self.log_size - self.log_size.max())
        return total * w / w.sum()


def expected_shares(reporters: list[Reporter], cfg: dict[str, Any], profile_means: np.ndarray) -> np.ndarray:
    """Each reporter's expected share of each flow's total [R, 2]: its profile's mean share
    ([2, P] values) times its weight among the profile's reporters (each counted as often as
    it is active)."""
    sizes = cfg["sizes"]
    share = profile_means / profile_means.sum(axis=1, keepdims=True)
    wsum = np.zeros(profile_means.shape[1])
    for r in reporters:
        pi, size = r.versions[0][0], r.versions[0][1]
        wsum[pi] += r.weight * min(1.0, float(sizes[size]["active"]))
    out = np.zeros((len(reporters), 2))
    for k, r in enumerate(reporters):
        pi = r.versions[0][0]
        out[k] = share[:, pi] * r.weight / wsum[pi]
    return out


def _pick(means: np.ndarray, value: float, capacity: float, rng: np.random.Generator) -> int:
    """A leaf drawn in proportion to its mean value among those at least ``value / capacity``
    (a contract is at most ``capacity`` of its leaf's value); the largest leaf if none is."""
    ok = means * capacity >= value
    if not ok.any():
        return int(np.argmax(means))
    p = np.where(ok, means, 0.0)
    return int(rng.choice(len(means), p=p / p.sum()))


def draw_contracts(
    value: float,
    item_means: np.ndarray,
    partner_means: np.ndarray,
    cc: dict[str, Any],
    rng: np.random.Generator,
) -> Contracts:
    """The lasting contracts of a reporter expected to trade ``value`` (the same unit as the
    means): about one per ``contract_share`` of the flow's total (at most ``max_contracts``),
    log-normal sizes (sigma ``spread``), each with an item and a partner drawn in proportion to
    their mean values among those it is at most ``capacity`` of."""
    total = float(item_means.sum())
    n = int(min(int(cc["max_contracts"]), max(1, np.ceil(value / total / float(cc["contract_share"])))))
    log_size = rng.normal(0.0, float(cc["spread"]), n)
    sizes = value * np.exp(log_size) / np.exp(log_size).sum()
    cap = float(cc["capacity"])
    items = np.array([_pick(item_means, v, cap, rng) for v in sizes])
    partners = np.array([_pick(partner_means, v, cap, rng) for v in sizes])
    return Contracts(items, partners, log_size)


def _version_at(r: Reporter, year: int) -> tuple[int, str]:
    for pi, size, vf, vt in r.versions:
        if (vf is None or int(vf[:4]) <= year) and (vt is None or int(vt[:4]) >= year):
            return pi, size
    return r.versions[-1][0], r.versions[-1][1]


def _rake(amount: np.ndarray, idx: list[np.ndarray], targets: list[np.ndarray]) -> np.ndarray:
    """Record amounts close to ``amount`` whose sums by each index equal the targets.

    Iterative proportional fitting first; where the sparse support makes it converge too
    slowly, a linear program (HiGHS) closes the remaining gap with the smallest relative
    changes, keeping every amount at least 30 % of its fitted value.
    """
    a = amount.copy()
    for _ in range(200):
        worst = 0.0
        for ix, tg in zip(idx, targets, strict=True):
            sums = np.bincount(ix, weights=a, minlength=len(tg))
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(sums > 0, tg / sums, 1.0)
            a *= factor[ix]
            worst = max(worst, float(np.max(np.abs(factor - 1.0))))
        if worst < 1e-12:
            return a
    return _close_gap(a, idx, targets)


def _assign_reporters(
    amt: np.ndarray,
    prof: np.ndarray,
    active: list[tuple[int, int]],
    reporters: list[Reporter],
    rng: np.random.Generator,
) -> list[int]:
    """Give each record to a reporter of its profile so that reporters' totals follow their
    weights (largest records first, each to the reporter furthest below its due share).
    Margins are unchanged: a record keeps its profile, item, partner and amount."""
    import heapq

    by_prof: dict[int, list[int]] = {}
    for ri, pi in active:
        by_prof.setdefault(pi, []).append(ri)
    out = [0] * len(amt)
    for pi, members in by_prof.items():
        recs = np.flatnonzero(prof == pi)
        if len(recs) == 0:
            continue
        w = np.array([reporters[ri].weight for ri in members]) * rng.lognormal(0.0, 0.2, len(members))
        due = w / w.sum() * amt[recs].sum()
        heap = [(-d, k) for k, d in enumerate(due)]
        heapq.heapify(heap)
        for rec in recs[np.argsort(-amt[recs])]:
            d, k = heapq.heappop(heap)
            out[rec] = members[k]
            heapq.heappush(heap, (d + amt[rec], k))
    return out


def _northwest(rows: np.ndarray, cols: np.ndarray, rng: np.random.Generator) -> list[tuple[int, int, float]]:
    """A sparse non-negative table with the given row and column sums (equal totals), by the
    north-west corner rule over randomly ordered rows and columns: (row, column, value)."""
    r_order = [int(i) for i in rng.permutation(len(rows)) if rows[i] > 0]
    c_order = [int(j) for j in rng.permutation(len(cols)) if cols[j] > 0]
    r_left, c_left = rows.astype(float).copy(), cols.astype(float) * (rows.sum() / cols.sum())
    out: list[tuple[int, int, float]] = []
    a = b = 0
    while a < len(r_order) and b < len(c_order):
        i, j = r_order[a], c_order[b]
        v = min(r_left[i], c_left[j])
        if v > 0:
            out.append((i, j, float(v)))
        r_left[i] -= v
        c_left[j] -= v
        if r_left[i] <= c_left[j]:
            a += 1
        else:
            b += 1
    return out


def split_subperiods(
    margins: list[np.ndarray], season: np.ndarray, sigma: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """Split each margin's cells (same total) over K subperiods: arrays [J, K] whose rows add up
    to the cells and whose columns add up to the same subperiod totals for every margin.

    The subperiod totals follow ``season`` (relative levels) times a seeded log-normal factor;
    each cell's split varies around them (log-normal, ``sigma``), then iterative proportional
    fitting restores the row and column sums. No two cells split alike by construction."""
    total = float(margins[0].sum())
    k = len(season)
    col = season * np.exp(rng.normal(0.0, sigma / 2, k))
    col = total * col / col.sum()
    out = []
    for m in margins:
        a = m[:, None] * (col / total)[None, :] * np.exp(rng.normal(0.0, sigma, (len(m), k)))
        for _ in range(200):
            rows = a.sum(axis=1)
            a *= np.where(rows > 0, m / np.where(rows > 0, rows, 1.0), 0.0)[:, None]
            cols = a.sum(axis=0)
            a *= (col / cols)[None, :]
            if np.allclose(a.sum(axis=1), m, rtol=1e-12, atol=1e-15):
                break
        out.append(a)
    return out


def _close_gap(a: np.ndarray, idx: list[np.ndarray], targets: list[np.ndarray]) -> np.ndarray:
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, hstack, vstack

    k = 1.0 / float(np.mean(a))  # work in units of the mean record for a well-scaled LP
    a = a * k
    targets = [t * k for t in targets]
    n = len(a)
    blocks, rhs = [], []
    for ix, tg in zip(idx, targets, strict=True):
        m = coo_matrix((np.ones(n), (ix, np.arange(n))), shape=(len(tg), n))
        blocks.append(m)
        rhs.append(tg - np.bincount(ix, weights=a, minlength=len(tg)))
    a_eq = vstack(blocks)
    a_eq = hstack([a_eq, -a_eq]).tocsr()
    w = 1.0 / np.maximum(a, 1e-3)
    cost = np.concatenate([w, w])
    bounds = [(0.0, None)] * n + [(0.0, 1.0 * float(v)) for v in a]
    res = linprog(cost, A_eq=a_eq, b_eq=np.concatenate(rhs), bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"cannot fit synthetic records to the calibrated totals: {res.message}")
    return (a + res.x[:n] - res.x[n:]) / k


def synthesize(
    dom: Domain,
    cfg: dict[str, Any],
    cal: Calibration,
    rng: np.random.Generator,
    scale: float,
    rates: dict[tuple[str, str], float],
) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    """Records (column lists, in record order) and business-register rows of one domain."""
    profiles = cal.profiles
    reporters = _reporters(dom, cfg, profiles, rng, scale)
    sizes = cfg["sizes"]
    base = span(dom.first_period, dom.last_period)
    lp_freq = cal.periods[0].freq
    n_records = int(cfg["records"] * scale)
    budget = n_records / (len(base) * 2)
    currencies = list(cfg["currencies"])
    cur_p = np.array([cfg["currencies"][c] for c in currencies])
    cur_p = cur_p / cur_p.sum()
    split: dict[tuple[int, int], list[np.ndarray]] = {}
    prior_cfg = cfg.get("prior", {})
    seasonal = np.array(prior_cfg.get("seasonal", [1.0, 1.0, 1.0, 1.0]), dtype=float)
    quarter_noise = float(prior_cfg.get("quarter_noise", 0.0))
    # reporters with lasting contracts (None: every record drawn afresh each period)
    cc: dict[str, Any] = cfg.get("contracts") or {}
    contracts: dict[tuple[int, int], Contracts] = {}
    lasting: set[tuple[int, int]] = set()  # (reporter, flow)
    if cc:
        means = {m: cal.margin(m).mean(axis=0) for m in ("items", "partners", "profiles")}
        shares = expected_shares(reporters, cfg, means["profiles"])
        rs, fs = np.nonzero(shares >= float(cc["min_share"]))
        lasting = {(int(ri), int(f)) for ri, f in zip(rs, fs, strict=True)}
        step = {"A": 1.0, "H": 0.5, "Q": 0.25}[base[0].freq] if base else 1.0
        drift = float(cc["drift"]) * np.sqrt(step)
        noise = float(cc["noise"])
    cols: dict[str, list[Any]] = {
        k: [] for k in ("record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency")
    }
    for s in base:
        lp = s.to(lp_freq)
        t = lp.index - cal.periods[0].index
        subs = lp.subperiods(s.freq)
        members: dict[int, list[int]] = {}
        for ri, r in enumerate(reporters):
            pi, _ = _version_at(r, s.year)
            members.setdefault(pi, []).append(ri)
        for f, flow in enumerate(("X", "M")):
            margins = [cal.margin(m)[t, f] for m in ("items", "partners", "profiles")]
            if len(subs) > 1:
                key = (lp.index, f)
                if key not in split:
                    season = seasonal[[u.to("Q").sub - 1 for u in subs]]
                    split[key] = split_subperiods(margins, season, quarter_noise, rng)
                k = subs.index(s)
                t_items, t_partners, t_prof = (m[:, k] for m in split[key])
            else:
                t_items, t_partners, t_prof = margins
            rec_r, rec_item, rec_partner, rec_amt, rec_prof = [], [], [], [], []
            active: list[tuple[int, int]] = []
            for pi in range(len(profiles)):
                if t_prof[pi] <= 0:
                    continue
                mem = members.get(pi, [])
                size = profiles[pi][1]
                act = [ri for ri in mem if (ri, f) in lasting or rng.random() < sizes[size]["active"]]
                if len(act) < min(3, len(mem)):
                    act = sorted(mem, key=lambda ri: -reporters[ri].weight)[: min(3, len(mem))]
                active += [(ri, pi) for ri in act]
            # large reporters report many transactions: record counts grow with size
            lam = np.array([reporters[ri].weight ** 0.75 for ri, _ in active])
            c = max(0.0, (budget - len(active)) / max(lam.sum(), 1e-9))
            ks = 1 + rng.poisson(lam * c)
            p_item = t_items / t_items.sum()
            p_partner = t_partners / t_partners.sum()
            fixed_item: list[int] = []  # the lasting contracts' items and partners, -1: drawn below
            fixed_partner: list[int] = []
            for (ri, pi), k in zip(active, ks, strict=True):
                if (ri, f) in lasting:
                    con = contracts.get((ri, f))
                    if con is None:
                        value = float(shares[ri, f]) * float(means["items"][f].sum())
                        con = contracts[(ri, f)] = draw_contracts(
                            value, means["items"][f], means["partners"][f], cc, rng
                        )
                    else:
                        con.log_size = con.log_size + rng.normal(0.0, drift, len(con.log_size))
                    m = len(con.items)
                    # the mean of the other records' log-normal factor: the same expected size
                    total = reporters[ri].weight * np.exp(0.18 + rng.normal(0.0, noise))
                    rec_r += [ri] * m
                    rec_prof += [pi] * m
                    rec_amt += list(con.amounts(total) * np.exp(rng.normal(0.0, noise, m)))
                    fixed_item += [int(v) for v in con.items]
                    fixed_partner += [int(v) for v in con.partners]
                    continue
                rec_r += [ri] * k
                rec_prof += [pi] * k
                rec_amt += list(reporters[ri].weight * rng.lognormal(0.0, 0.6, k) / k)
                fixed_item += [-1] * k
                fixed_partner += [-1] * k
            fi, fp = np.array(fixed_item, dtype=int), np.array(fixed_partner, dtype=int)
            free = np.flatnonzero(fi < 0)
            fi[free] = rng.choice(len(t_items), len(free), p=p_item)
            fp[free] = rng.choice(len(t_partners), len(free), p=p_partner)
            rec_item = list(fi)
            rec_partner = list(fp)
            # a backbone of records that meets all three margins exactly on its own (north-west
            # corner rule in random order) guarantees the fit below is feasible
            top_reporter: dict[int, int] = {}
            for ri, pi in active:
                if pi not in top_reporter or reporters[ri].weight > reporters[top_reporter[pi]].weight:
                    top_reporter[pi] = ri
            orphans = [p for p in np.flatnonzero(t_prof > 0) if p not in top_reporter]
            if orphans:
                raise RuntimeError(f"{dom.id} {s}: profiles {orphans} have value but no reporters")
            pairs = _northwest(t_prof, t_items, rng)
            cells = np.array([v for _, _, v in pairs])
            for c_, j, v in _northwest(cells, t_partners, rng):
                p_, i_, _ = pairs[c_]
                rec_r.append(top_reporter[p_])
                rec_prof.append(p_)
                rec_item.append(i_)
                rec_partner.append(j)
                rec_amt.append(v)
            amt = _rake(
                np.array(rec_amt, dtype=float),
                [np.array(rec_prof), np.array(rec_item), np.array(rec_partner)],
                [t_prof, t_items, t_partners],
            )
            rec_r = _assign_reporters(amt, np.array(rec_prof), active, reporters, rng)
            month0 = (s.sub - 1) * 12 // {"A": 1, "H": 2, "Q": 4}[s.freq]
            span_m = 12 // {"A": 1, "H": 2, "Q": 4}[s.freq]
            rate_period = str(s)
            curs = rng.choice(len(currencies), len(amt), p=cur_p)
            months = rng.integers(0, span_m, len(amt))
            rows = zip(rec_r, rec_item, rec_partner, amt, curs, months, strict=True)
            for n_, (ri, j, q, a, cu, mo) in enumerate(rows):
                cur = currencies[cu]
                usd = a * 1e9
                units = usd if cur == "USD" else usd * rates[(cur, rate_period)]
                # currencies with no minor unit (ISO 4217) get whole amounts
                cents = max(1, round(units)) * 100 if cur in WHOLE_UNITS else max(1, round(units * 100))
                cols["record_id"].append(f"{dom.id.upper()}-{s}-{flow}-{n_ + 1:06d}")
                cols["reporter_id"].append(reporters[ri].reporter_id)
                cols["period"].append(f"{s.year}-{month0 + int(mo) + 1:02d}")
                cols["flow"].append(flow)
                cols["partner"].append(cal.partners[q])
                cols["item"].append(cal.items[j])
                cols["amount"].append(Decimal(cents).scaleb(-2))
                cols["currency"].append(cur)
    register = []
    for r in reporters:
        for pi, size, vf, vt in r.versions:
            register.append(
                {
                    "reporter_id": r.reporter_id,
                    "name": r.name,
                    "industry": r.industry,
                    "size_class": size,
                    "platform": str(r.platform).lower(),
                    "valid_from": vf or "",
                    "valid_to": vt or "",
                }
            )
            del pi
    return cols, register


__all__ = ["Period", "build_profiles", "exchange_rates", "synthesize"]
