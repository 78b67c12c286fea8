"""The demo's plausibility rules (ktstat.demo.plausibility) on hand-made tables, and the prior's
and the quarter split's construction (ktstat.demo.prior, ktstat.demo.synth)."""

from __future__ import annotations

import numpy as np
import pytest

from ktstat.demo.plausibility import Cell, ImplausibleData, Rules, check, raise_if_flagged, rules_from_growth
from ktstat.demo.prior import gravity_shares, leaf_paths, load_partners
from ktstat.demo.synth import split_subperiods

RULES = Rules(growth_lo=-50.0, growth_hi=40.0)


def _table(values: dict[str, tuple[float, float]], totals: tuple[float, float] = (100.0, 110.0)) -> list[Cell]:
    """Partner exports in 2023 and 2024 (values in bn) with their totals."""
    cells = [Cell("tbp", p, "total", "all", "exports", t * 1e9) for p, t in zip(("2023", "2024"), totals, strict=True)]
    for code, (a, b) in values.items():
        members = (("partner", frozenset({len(cells)})),)
        cells.append(Cell("tbp", "2023", "partner", code, "exports", a * 1e9, members=members))
        cells.append(Cell("tbp", "2024", "partner", code, "exports", b * 1e9, members=members))
    return cells


def test_plausible_table_passes() -> None:
    rep = check(_table({"US": (30.0, 33.1), "DE": (5.2, 5.5), "JP": (6.1, 5.7), "VN": (0.3, 0.5)}), RULES)
    assert rep.flags == []
    # 2024 on 2023 for US, DE and JP; VN stays below 1 % of the total
    assert {g.cell.item: round(g.rate, 1) for g in rep.growth} == {"US": 10.3, "DE": 5.8, "JP": -6.6}


def test_collapse_and_surge_are_flagged() -> None:
    rep = check(_table({"US": (30.0, 33.0), "JP": (6.0, 0.6), "NL": (1.0, 17.3)}), RULES)
    flagged = {(f.cell.item, f.cell.period, f.rule) for f in rep.flags}
    assert flagged == {("JP", "2024", "growth"), ("NL", "2024", "growth")}


def test_small_cells_may_move_freely() -> None:
    """Below 1 % of the total in both periods, a doubling is not questioned."""
    rep = check(_table({"US": (30.0, 33.0), "NZ": (0.2, 0.5)}), RULES)
    assert rep.flags == []


def test_published_cells_are_not_flagged() -> None:
    cells = _table({"CN": (10.0, 3.0)})
    cells = [Cell(**{**c.__dict__, "published": c.item == "CN"}) for c in cells]
    assert check(cells, RULES).flags == []


def test_equal_values_are_flagged_unless_the_same_cell() -> None:
    cells = _table({"DE": (5.0, 5.2034), "SG": (4.0, 5.2034), "JP": (6.0, 6.3)})
    rep = check(cells, RULES)
    assert {(f.cell.item, f.rule) for f in rep.flags} == {("DE", "duplicate"), ("SG", "duplicate")}
    # two names of one set of leaves (an industry and an institution of the same reporters)
    same = (("reporter", frozenset({7, 8})),)
    alias = [
        Cell("kst", "2025H1", "industry", "digital_platforms", "imports", 2.5e9, members=same),
        Cell("kst", "2025H1", "institution", "digital_platforms", "imports", 2.5e9, members=same),
    ]
    assert check(alias, RULES).duplicates == []
    # a region whose only trade with an industry is with one of its countries
    africa, za, ee = frozenset({40, 41, 42}), frozenset({41}), frozenset({90, 91})
    nested = [
        Cell(
            "tbp",
            "2019",
            "industry+region",
            "ee+africa",
            "imports",
            1.2e7,
            members=(("partner", africa), ("reporter", ee)),
        ),
        Cell("tbp", "2019", "partner+industry", "ZA+ee", "imports", 1.2e7, members=(("partner", za), ("reporter", ee))),
        Cell("tbp", "2019", "partner", "ZA", "imports", 3.1e8, members=(("partner", za),)),
    ]
    assert check(nested, RULES).duplicates == []
    # cells overlapping in every dimension may hold the same records: games in Australia and
    # game software in Oceania, when New Zealand and other game firms have no trade
    games, software, oceania, au = frozenset({5, 6}), frozenset({5}), frozenset({50, 51}), frozenset({50})
    overlap = [
        Cell(
            "kst",
            "2011",
            "special+region",
            "sw+oceania",
            "imports",
            1.4e6,
            members=(("partner", oceania), ("reporter", software)),
        ),
        Cell(
            "kst",
            "2011",
            "special+partner",
            "games+AU",
            "imports",
            1.4e6,
            members=(("partner", au), ("reporter", games)),
        ),
    ]
    assert check(overlap, RULES).duplicates == []
    # ... but a country equal to another country's cross with an industry is a coincidence
    odd = [*nested, Cell("tbp", "2019", "partner", "EG", "imports", 1.2e7, members=(("partner", frozenset({40})),))]
    assert len(check(odd, RULES).duplicates) == 1


def test_near_but_distinct_values_pass() -> None:
    rep = check(_table({"DE": (5.0, 5.2034), "SG": (4.0, 5.2035)}), RULES)
    assert rep.duplicates == []


def test_departure_from_the_prior() -> None:
    cells = [
        Cell("kst", "2024", "total", "all", "imports", 45e9),
        Cell("kst", "2024", "region", "oceania", "imports", 4.7e9, prior=0.5e9),
        Cell("kst", "2024", "region", "europe", "imports", 9.0e9, prior=8.0e9),
        Cell("kst", "2024", "region", "africa", "imports", 0.2e9, prior=0.05e9),  # below 1 %
    ]
    rep = check(cells, RULES)
    assert [(f.cell.item, f.rule) for f in rep.flags] == [("oceania", "departure")]
    assert [c.item for c, _ in rep.departures] == ["oceania", "europe"]


def test_raise_names_the_cells() -> None:
    rep = check(_table({"US": (30.0, 33.0), "JP": (6.0, 0.6)}), RULES)
    with pytest.raises(ImplausibleData, match=r"1 implausible demo cells \(tbp 2024 partner/JP exports: growth"):
        raise_if_flagged(rep, "calibration.md")
    raise_if_flagged(check(_table({"US": (30.0, 33.0)}), RULES), "calibration.md")  # nothing flagged


def test_growth_range_from_published_rates() -> None:
    r = rules_from_growth([4.0, -42.7, 29.0], margin=15.0)
    assert (round(r.growth_lo, 1), round(r.growth_hi, 1)) == (-57.7, 44.0)
    with pytest.raises(ValueError):
        rules_from_growth([])


PRIOR_CFG = {
    "gdp_elasticity": 1.0,
    "distance_elasticity": 0.8,
    "level_noise": 0.25,
    "trend_noise": 0.02,
    "walk_noise": 0.025,
}


def test_gravity_shares_follow_size_and_distance() -> None:
    table = load_partners()
    codes = ["US", "CN", "JP", "DE", "NZ"]
    s = gravity_shares(codes, np.array([2010.5, 2024.5]), PRIOR_CFG, table=table)
    assert s.shape == (2, 2, 5)
    assert np.allclose(s.sum(axis=2), 1.0)
    # China's economy grew faster than Japan's: its share rises, Japan's falls
    assert s[1, 0, 1] > s[0, 0, 1] and s[1, 0, 2] < s[0, 0, 2]
    # a programme's own affinity moves the partner's share in that flow only
    more = gravity_shares(codes, np.array([2024.5]), PRIOR_CFG, {"DE": [1.0, 2.0]}, table=table)
    assert more[0, 1, 3] > s[1, 1, 3] and np.isclose(more[0, 0, 3], s[1, 0, 3])


def test_leaf_paths_keep_margins_and_break_ties() -> None:
    base = np.full((6, 2, 8), 0.25)  # two margins of four equal leaves
    years = np.arange(2019, 2025, dtype=float)
    s = leaf_paths(base, years, [(0, 4), (4, 8)], np.ones(8), PRIOR_CFG, np.random.default_rng(1))
    assert np.allclose(s[:, :, :4].sum(axis=2), 1.0) and np.allclose(s[:, :, 4:].sum(axis=2), 1.0)
    assert len({round(float(v), 12) for v in s[-1, 0]}) == 8  # equal bases, distinct shares


def test_quarter_split_adds_up_and_varies_by_cell() -> None:
    rng = np.random.default_rng(3)
    items = np.array([4.0, 3.0, 2.0, 1.0])
    partners = np.array([6.0, 2.5, 1.5])
    a, b = split_subperiods([items, partners], np.array([0.97, 1.01]), 0.04, rng)
    assert np.allclose(a.sum(axis=1), items) and np.allclose(b.sum(axis=1), partners)
    assert np.allclose(a.sum(axis=0), b.sum(axis=0))  # the same quarter totals in every margin
    first = a[:, 0] / items
    assert len({round(float(v), 9) for v in first}) == 4  # no two cells split alike
    assert np.all((first > 0.4) & (first < 0.6))  # a mild split
