"""Prior cell values of the demo's calibration: what such trade looks like where nobody published.

The prior of a leaf (record item, partner country, reporter profile) in a period and flow is the
period's total times the leaf's share. Shares come from data (``population.toml``, section
``[prior]``, and ``partners.csv``):

- partners: a gravity model, ``GDP^a / distance^d x affinity`` of the flow, GDP interpolated
  log-linearly between the file's two years (so fast-growing economies gain share over time);
- items and reporter profiles: the configured shares;

then every leaf gets its own seeded log-normal level, trend and smoothed random walk (items
less: their shares are stable over time), so that no two cells are equal by construction and
cells do not all move in step with the total. Each margin still adds up to the total.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ktstat.errors import InputError

PARTNERS_FILE = Path(__file__).resolve().parent / "partners.csv"
GDP_YEARS = (2010, 2024)  # the years of the columns gdp_2010_bn and gdp_2024_bn


@dataclass(frozen=True)
class Partner:
    """One row of ``partners.csv``: GDP in billions of US dollars, distance from Seoul in km,
    and the flow's affinity (what the gravity model misses: subsidiaries, IP holding companies)."""

    code: str
    gdp: tuple[float, float]
    distance_km: float
    affinity: tuple[float, float]  # exports, imports


def load_partners(path: Path = PARTNERS_FILE) -> dict[str, Partner]:
    """The partners' data file; a bad row is a one-line error naming file, row and field."""
    out: dict[str, Partner] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for n, r in enumerate(csv.DictReader(f), start=2):
            field = "code"
            try:
                vals = {}
                for field in ("gdp_2010_bn", "gdp_2024_bn", "distance_km", "exports_affinity", "imports_affinity"):
                    vals[field] = float(r[field])
                    if vals[field] <= 0:
                        raise ValueError("not positive")
                out[r["code"]] = Partner(
                    r["code"],
                    (vals["gdp_2010_bn"], vals["gdp_2024_bn"]),
                    vals["distance_km"],
                    (vals["exports_affinity"], vals["imports_affinity"]),
                )
            except (KeyError, TypeError, ValueError) as e:
                raise InputError(f"{path}: row {n}: field {field}: {e}") from None
    return out


def gravity_shares(
    codes: list[str],
    years: np.ndarray,
    prior_cfg: dict[str, Any],
    affinity: dict[str, list[float]] | None = None,
    table: dict[str, Partner] | None = None,
) -> np.ndarray:
    """Partners' shares [len(years), 2 (exports, imports), len(codes)], each row adding up to 1.

    ``years`` may be fractional (a half-year's middle); ``affinity`` multiplies the file's
    affinities of some partners ([exports, imports] factors, a programme's own). Unknown partner
    codes are an error."""
    table = table if table is not None else load_partners()
    missing = [c for c in codes if c not in table]
    if missing:
        raise InputError(f"{PARTNERS_FILE}: no row for partners {', '.join(missing)}")
    a, d = float(prior_cfg["gdp_elasticity"]), float(prior_cfg["distance_elasticity"])
    y0, y1 = GDP_YEARS
    g0 = np.log([table[c].gdp[0] for c in codes])
    g1 = np.log([table[c].gdp[1] for c in codes])
    w = (np.asarray(years, dtype=float)[:, None] - y0) / (y1 - y0)
    log_gdp = g0[None, :] + w * (g1 - g0)[None, :]
    dist = np.log([table[c].distance_km for c in codes])
    out = np.zeros((len(years), 2, len(codes)))
    for f in range(2):
        extra = affinity or {}
        aff = np.log([table[c].affinity[f] * float(extra.get(c, [1.0, 1.0])[f]) for c in codes])
        log_w = a * log_gdp - d * dist[None, :] + aff[None, :]
        e = np.exp(log_w - log_w.max(axis=1, keepdims=True))
        out[:, f, :] = e / e.sum(axis=1, keepdims=True)
    return out


def leaf_paths(
    base: np.ndarray,
    years: np.ndarray,
    spans: list[tuple[int, int]],
    stability: np.ndarray,
    prior_cfg: dict[str, Any],
    rng: np.random.Generator,
) -> np.ndarray:
    """Shares [T, 2, L] of leaves on their own seeded paths around ``base`` [T, 2, L].

    Each leaf and flow: a log-normal level (sigma ``level_noise``), a trend (sigma
    ``trend_noise`` per year, zero at the last period) and a random walk smoothed over three
    periods (sigma ``walk_noise`` per year), all times the leaf's ``stability`` [L] (1 for
    full noise); then the shares of each span of leaves (a margin) add up to 1 again."""
    t_count, _, n = base.shape
    years = np.asarray(years, dtype=float)
    step = float(np.median(np.diff(years))) if t_count > 1 else 1.0
    level = rng.normal(0.0, float(prior_cfg["level_noise"]), (2, n))
    trend = rng.normal(0.0, float(prior_cfg["trend_noise"]), (2, n))
    walk = np.cumsum(rng.normal(0.0, float(prior_cfg["walk_noise"]) * np.sqrt(step), (t_count, 2, n)), axis=0)
    if t_count >= 3:
        padded = np.concatenate([walk[:1], walk, walk[-1:]], axis=0)
        walk = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
    walk = walk - walk[-1][None]
    noise = level[None] + trend[None] * (years - years[-1])[:, None, None] + walk
    share = base * np.exp(noise * stability[None, None, :])
    for a, b in spans:
        share[:, :, a:b] /= share[:, :, a:b].sum(axis=2, keepdims=True)
    return share
