"""Property tests of secondary suppression (hypothesis) on random small tables.

Two families of tables: two-way tables with row, column and grand-total margins (random sizes,
non-negative integers with some true zeros, primaries among interior and margin cells), and the
synthetic two-way hierarchical tables of :mod:`ktstat.sdc.synthetic`. After
:func:`~ktstat.sdc.protect.secondary`, the audit (:func:`~ktstat.sdc.audit.intervals`, the
reader's own LP, independent of the witnesses) must find every primary cell protected, and the
pattern must be consistent: primaries hidden, no true zero hidden, no hidden cell alone in an
equation (it would be recomputable), nothing reported unprotectable (in these tables every nonzero
cell can move together with its margins and the grand total, so every primary is protectable).

Values stay within a factor 10^8 of each other in a table: beyond that, known defects show (see
the strict xfail tests at the end of ``test_sdc.py``); only determinism is checked across wider
magnitudes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktstat.domain import Disclosure
from ktstat.sdc.audit import intervals
from ktstat.sdc.linear import Key, Table
from ktstat.sdc.protect import secondary
from ktstat.sdc.synthetic import hierarchical_table

Q = 0.10
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NARROW = 3  # cells 1..999 x 10^0..10^3: with the margins, values within a factor ~4e7 of each other
WIDE = 9  # cells up to ~10^12: from one micro-dollar to a million dollars


def _key(name: str) -> Key:
    return ("A", "2023", "b", name)


@dataclass
class TwoWay:
    table: Table
    primary: set[int]


def _two_way(cells: list[list[int]]) -> Table:
    """A rows x cols table with margins ``r{i}``, ``c{j}`` and ``T`` (T = sum of rows = sum of columns)."""
    t = Table("X")
    nr, nc = len(cells), len(cells[0])
    for i, row in enumerate(cells):
        for j, v in enumerate(row):
            t.values[t.cell(_key(f"x{i}_{j}"))] = v
    for i in range(nr):
        t.values[t.cell(_key(f"r{i}"))] = sum(cells[i])
    for j in range(nc):
        t.values[t.cell(_key(f"c{j}"))] = sum(cells[i][j] for i in range(nr))
    t.values[t.cell(_key("T"))] = sum(map(sum, cells))
    for i in range(nr):
        assert t.add(_key(f"r{i}"), [_key(f"x{i}_{j}") for j in range(nc)])
    for j in range(nc):
        assert t.add(_key(f"c{j}"), [_key(f"x{i}_{j}") for i in range(nr)])
    assert t.add(_key("T"), [_key(f"r{i}") for i in range(nr)])
    assert t.add(_key("T"), [_key(f"c{j}") for j in range(nc)])
    return t


def _values(max_exponent: int) -> st.SearchStrategy[int]:
    """A cell value: a true zero (nobody reported) one time in four, else 1..999 times 10^0..10^max_exponent."""
    nonzero = st.builds(lambda m, e: m * 10**e, st.integers(1, 999), st.integers(0, max_exponent))
    return st.one_of(st.just(0), nonzero, nonzero, nonzero)


@st.composite
def two_way(draw: st.DrawFn, max_exponent: int = NARROW) -> TwoWay:
    """A 2..6 x 2..6 table with margins, and 1 to 4 primary cells among its nonzero cells (margins too)."""
    nr, nc = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    value = _values(max_exponent)
    cells = draw(st.lists(st.lists(value, min_size=nc, max_size=nc), min_size=nr, max_size=nr))
    if not any(map(any, cells)):
        cells[0][0] = draw(st.integers(1, 999))
    t = _two_way(cells)
    nonzero = [c for c, v in enumerate(t.values) if v != 0]
    primary = draw(st.sets(st.sampled_from(nonzero), min_size=1, max_size=min(4, len(nonzero))))
    return TwoWay(t, primary)


def _spread(t: Table) -> float:
    """Largest value over smallest nonzero value (1 for a table of zeros)."""
    nonzero = [abs(v) for v in t.values if v] or [1]
    return max(nonzero) / min(nonzero)


def _alone(t: Table, hidden: set[int]) -> list[list[str]]:
    """Equations with exactly one hidden cell: that cell is recomputable from the published ones."""
    return [[t.keys[c][3] for c, _ in eq] for eq in t.equations if sum(c in hidden for c, _ in eq) == 1]


def _check_pattern(t: Table, primary: set[int], hidden: set[int], unprotectable: list[int]) -> None:
    """The properties every result of ``secondary`` must have."""
    assert unprotectable == [], [t.keys[c] for c in unprotectable]
    assert primary <= hidden
    assert [t.keys[c] for c in hidden - primary if t.values[c] == 0] == [], "a true zero chosen as a secondary"
    for eq in t.equations:
        assert sum(coef * t.values[c] for c, coef in eq) == 0  # the table itself is consistent
    assert _alone(t, hidden) == []
    ivs = intervals(t, hidden, hidden, Q)
    assert {iv.cell for iv in ivs} == hidden
    tol = 1e-12 * max(t.values)  # the audit's own tolerance (solver round-off)
    for iv in ivs:
        where = (t.keys[iv.cell], iv)
        upper = iv.upper
        assert iv.lower - tol <= iv.value <= upper + tol, where  # the true table is one the reader considers
        assert iv.lower < upper, where  # no hidden cell (secondaries too) is pinned to one value
        if iv.cell in primary:
            # the interval covers +-q of the value, and the audit agrees
            assert iv.lower <= iv.value * (1 - Q) + tol and upper >= iv.value * (1 + Q) - tol, where
            assert iv.protected, where


@pytest.mark.parametrize(
    ("cells", "primary", "also_hidden"),
    [
        # a cell of 1 alone in its row beside a billion: HiGHS ended "unknown" on its perturbation
        ([[0, 1000, 1000000000], [0, 0, 1]], ["x1_2", "r0"], "r1"),
        ([[1, 1000000000, 0], [1, 100000, 0], [0, 0, 1], [1, 0, 1]], ["x0_0", "x0_1"], "x1_0"),
    ],
)
def test_a_tiny_primary_beside_huge_cells_is_protected(
    cells: list[list[int]], primary: list[str], also_hidden: str
) -> None:
    """Found by the property below: values nine orders of magnitude apart made the solver give up
    on the tiny cell's perturbation (it was reported unprotectable); now solved with bounded moves."""
    t = _two_way(cells)
    names = [k[3] for k in t.keys]
    prim = {names.index(n) for n in primary}
    unprotectable: list[int] = []
    hidden = secondary(t, prim, Q, unprotectable)
    _check_pattern(t, prim, hidden, unprotectable)
    assert names.index(also_hidden) in hidden


@SETTINGS
@given(case=st.one_of(two_way(NARROW), two_way(WIDE)))
def test_two_way_tables_every_primary_protected(case: TwoWay) -> None:
    unprotectable: list[int] = []
    hidden = secondary(case.table, case.primary, Q, unprotectable)
    _check_pattern(case.table, case.primary, hidden, unprotectable)


@SETTINGS
@given(case=two_way())
def test_no_equation_reveals_a_hidden_cell(case: TwoWay) -> None:
    # every equation whose cells are all published holds exactly (the table's own data, by
    # construction); an equation with exactly one hidden cell would give that cell back exactly
    hidden = secondary(case.table, case.primary, Q)
    published = 0
    for eq in case.table.equations:
        names = [case.table.keys[c][3] for c, _ in eq if c in hidden]
        if not names:
            published += 1
            assert sum(coef * case.table.values[c] for c, coef in eq) == 0
        assert len(names) != 1, f"the only hidden cell of an equation is recomputable: {names}"
    assert published < len(case.table.equations)  # the primaries are in some equation


@SETTINGS
@given(case=st.one_of(two_way(NARROW), two_way(WIDE)))
def test_secondary_is_deterministic(case: TwoWay) -> None:
    first = secondary(case.table, set(case.primary), Q)
    assert secondary(case.table, set(case.primary), Q) == first
    # and on a fresh copy of the same table (no state kept between runs)
    t = case.table
    copy = Table("X", list(t.keys), list(t.values), dict(t.index), [list(eq) for eq in t.equations])
    assert secondary(copy, set(case.primary), Q) == first


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    a_fanout=st.lists(st.integers(2, 3), min_size=1, max_size=2).map(tuple),
    b_fanout=st.lists(st.integers(2, 3), min_size=1, max_size=2).map(tuple),
    seed=st.integers(0, 2**31 - 1),
    mean_reporters=st.sampled_from([2.0, 4.0, 6.0]),
)
def test_hierarchical_tables_every_primary_protected(
    a_fanout: tuple[int, ...], b_fanout: tuple[int, ...], seed: int, mean_reporters: float
) -> None:
    syn = hierarchical_table(a_fanout, b_fanout, seed, Disclosure(), mean_reporters)
    t = syn.table
    primary = set(syn.primary)
    assert all(t.values[c] > 0 for c in primary)
    unprotectable: list[int] = []
    hidden = secondary(t, primary, Q, unprotectable)
    _check_pattern(t, primary, hidden, unprotectable)
    assert secondary(t, primary, Q) == hidden
