"""The demo's plausibility rules (ktstat.demo.plausibility) on hand-made tables, and the prior's
and the quarter split's construction (ktstat.demo.prior, ktstat.demo.synth)."""

from __future__ import annotations

import numpy as np
import pytest

from ktstat.demo.plausibility import (
    Cell,
    ImplausibleData,
    Rules,
    check,
    cross_growth_summary,
    growth_summary,
    raise_if_flagged,
    rules_from_growth,
)
from ktstat.demo.prior import gravity_shares, leaf_paths, load_partners
from ktstat.demo.synth import draw_contracts, split_subperiods

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
    # crosses: the published range stretched by a factor 2 in ratio (0.573 / 2, 1.29 x 2)
    assert tuple(round(v, 1) for v in r.growth_range(False)) == (-71.4, 158.0)
    assert r.growth_range(True) == (r.growth_lo, r.growth_hi)
    r3 = rules_from_growth([4.0, -42.7, 29.0], margin=15.0, cross_factor=3.0)
    assert tuple(round(v, 1) for v in r3.growth_range(False)) == (-80.9, 287.0)
    with pytest.raises(ValueError):
        rules_from_growth([])
    with pytest.raises(ValueError):
        rules_from_growth([4.0], cross_factor=0.5)


def _cross_table(values: dict[str, tuple[float, float]]) -> list[Cell]:
    """Cells of a cross of items and partners (two sources of leaves: the calibration does not
    fit them) in 2023 and 2024 (bn), with the totals 100 and 110."""
    cells = [Cell("kst", p, "total", "all", "exports", t * 1e9) for p, t in (("2023", 100.0), ("2024", 110.0))]
    for n, (code, (a, b)) in enumerate(values.items()):
        members = (("item", frozenset({n})), ("partner", frozenset({100 + n})))
        for period, v in (("2023", a), ("2024", b)):
            cells.append(
                Cell("kst", period, "category+partner", code, "exports", v * 1e9, members=members, fitted=False)
            )
    return cells


CROSS_RULES = Rules(growth_lo=-50.0, growth_hi=40.0, cross_lo=-70.0, cross_hi=150.0)


def test_cross_cells_grow_within_the_cross_range() -> None:
    """A cross cell above 1 % of its total that jumps from little to much (a large record landing
    on another item or partner) is flagged; crosses may move more than single breakdowns."""
    table = _cross_table(
        {
            "pb+GB": (1.2, 5.6),  # +367 %: flagged
            "ict+SG": (3.0, 0.6),  # -80 %: flagged
            "pb+US": (2.0, 4.0),  # +100 %: beyond the single breakdowns' range, within the crosses'
            "cl+NZ": (0.3, 0.9),  # +200 % but below 1 % of the total in both years
        }
    )
    rep = check(table, CROSS_RULES)
    assert {(f.cell.item, f.rule) for f in rep.flags} == {("pb+GB", "cross growth"), ("ict+SG", "cross growth")}
    assert {g.cell.item: round(g.rate, 1) for g in rep.growth} == {"pb+GB": 366.7, "ict+SG": -80.0, "pb+US": 100.0}
    with pytest.raises(ImplausibleData, match=r"category\+partner/pb\+GB exports: cross growth: \+366.7 %"):
        raise_if_flagged(rep, "calibration.md")
    # without a range of their own, crosses are held to the single breakdowns' range
    plain = check(table, RULES)
    assert {f.cell.item for f in plain.flags} == {"pb+GB", "ict+SG", "pb+US"}
    # a fact's cell is not flagged
    published = [Cell(**{**c.__dict__, "published": c.item == "pb+GB"}) for c in table]
    assert {f.cell.item for f in check(published, CROSS_RULES).flags} == {"ict+SG"}
    assert "more than +150.0 %" in CROSS_RULES.describe()


def test_cross_growth_summary_by_cross() -> None:
    cells = _cross_table({"pb+GB": (1.2, 5.6), "pb+US": (2.0, 2.2), "ict+US": (4.0, 4.4)}) + _table({"US": (30, 33)})
    rep = check(cells, CROSS_RULES)
    rows = cross_growth_summary(rep)
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [("kst", "category+partner", "A", 3, 1)]
    q = rows[0][4]
    assert round(q[0], 1) == 10.0 and round(q[2], 1) == 10.0 and round(q[4], 1) == 366.7
    # the fitted cells' summary leaves the crosses out
    assert [(r[0], r[2]) for r in growth_summary(rep)] == [("tbp", 1)]


def test_lasting_contracts_fit_their_items_and_partners() -> None:
    """A large reporter's contracts: about one per contract_share of the total, none above
    `capacity` of its item's or partner's mean value (when a leaf that large exists)."""
    items = np.array([30.0, 20.0, 10.0, 2.0, 0.5])
    partners = np.array([40.0, 15.0, 5.0, 2.0, 1.0])
    cc = {"contract_share": 0.005, "max_contracts": 8, "capacity": 0.5, "spread": 0.5}
    rng = np.random.default_rng(5)
    for value in (0.2, 1.0, 3.0):
        c = draw_contracts(value, items, partners, cc, rng)
        n = min(8, int(np.ceil(value / items.sum() / 0.005)))
        assert len(c.items) == len(c.partners) == len(c.log_size) == n
        sizes = c.amounts(value)
        assert np.isclose(sizes.sum(), value)
        assert np.all(sizes <= 0.5 * items[c.items]) and np.all(sizes <= 0.5 * partners[c.partners])
    # a contract larger than every leaf can hold goes to the largest
    huge = draw_contracts(100.0, items, partners, {**cc, "max_contracts": 1}, rng)
    assert list(huge.items) == [0] and list(huge.partners) == [0]


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
