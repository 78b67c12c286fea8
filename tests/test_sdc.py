"""Disclosure control (work in progress): secondary suppression and the audit on small tables
worked out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ktstat import domain as domains
from ktstat.sdc.audit import intervals
from ktstat.sdc.linear import Table
from ktstat.sdc.protect import secondary


def _table(values: dict[str, int], equations: list[tuple[str, list[str]]]) -> Table:
    t = Table("X")
    for name, v in values.items():
        t.values[t.cell(("A", "2023", "b", name))] = v
    for total, parts in equations:
        assert t.add(("A", "2023", "b", total), [("A", "2023", "b", p) for p in parts])
    return t


def test_one_hidden_cell_in_a_sum_is_recomputable() -> None:
    # total 100 = a 5 + b 30 + c 65: hiding a alone gives it back as 100 - 30 - 65
    t = _table({"total": 100, "a": 5, "b": 30, "c": 65}, [("total", ["a", "b", "c"])])
    a = t.index[("A", "2023", "b", "a")]
    (iv,) = intervals(t, {a}, {a}, 0.10)
    assert (iv.lower, iv.upper, iv.protected) == (5.0, 5.0, False)


def test_secondary_hides_the_smallest_cell_that_protects() -> None:
    # a (5) needs 10 % protection: the partner must be >= 0.5; b (30) is the smallest such cell
    t = _table({"total": 100, "a": 5, "b": 30, "c": 65}, [("total", ["a", "b", "c"])])
    a, b = t.index[("A", "2023", "b", "a")], t.index[("A", "2023", "b", "b")]
    hidden = secondary(t, {a}, 0.10)
    assert hidden == {a, b}
    (iv,) = intervals(t, hidden, {a}, 0.10)
    # a + b = 35, both >= 0: a lies anywhere in [0, 35]
    assert (iv.lower, iv.upper, iv.protected) == (0.0, 35.0, True)


def test_a_2x3_table_with_margins_needs_a_rectangle() -> None:
    # rows r1, r2; columns c1..c3; hiding r1c1 forces one more cell in its row and its column,
    # and then the fourth corner of the rectangle
    v = {"r1c1": 2, "r1c2": 40, "r1c3": 50, "r2c1": 30, "r2c2": 20, "r2c3": 60}
    v |= {"r1": 92, "r2": 110, "c1": 32, "c2": 60, "c3": 110, "total": 202}
    eqs = [
        ("r1", ["r1c1", "r1c2", "r1c3"]),
        ("r2", ["r2c1", "r2c2", "r2c3"]),
        ("c1", ["r1c1", "r2c1"]),
        ("c2", ["r1c2", "r2c2"]),
        ("c3", ["r1c3", "r2c3"]),
        ("total", ["r1", "r2"]),
        ("total", ["c1", "c2", "c3"]),
    ]
    t = _table(v, eqs)
    p = t.index[("A", "2023", "b", "r1c1")]
    hidden = secondary(t, {p}, 0.10)
    names = {t.keys[c][3] for c in hidden}
    assert len(names) == 4
    rows = {n[:2] for n in names if n.startswith("r") and "c" in n}
    cols = {n[2:] for n in names if n.startswith("r") and "c" in n}
    assert len(rows) == 2 and len(cols) == 2  # a rectangle of interior cells
    assert all(iv.protected for iv in intervals(t, hidden, {p}, 0.10))


# --- hierarchies, linked tables and true zeros, worked out by hand -------------------------------
#
# How ``secondary`` chooses (protect.py, lp.py): for a primary cell p of value v it looks for the
# cheapest perturbation d of the table (every equation still holds, |d_c| <= x_c, d_p = n with
# n = q v (1 + 1e-4)), where moving a published cell c by |d_c| costs about x_c |d_c|; the cells
# that move are suppressed. So x + d and x - d are both tables a reader cannot tell from the true
# one: p lies anywhere in [v - n, v + n] for the reader. Below q = 0.10, so n is 10 % of v and a
# bit more, and "protected" means the reader's interval contains [0.9 v, 1.1 v].

Q = 0.10


def _ap(x: object) -> object:
    """LP outputs, equal up to solver round-off."""
    return pytest.approx(x, rel=1e-9, abs=1e-9)


def _approx(bounds: dict[str, tuple[float, float]]) -> dict[str, object]:
    return {name: _ap(b) for name, b in bounds.items()}


def _ids(t: Table, *names: str) -> set[int]:
    return {t.index[("A", "2023", "b", n)] for n in names}


def _names(t: Table, cells: set[int]) -> set[str]:
    return {t.keys[c][3] for c in cells}


def _bounds(t: Table, hidden: set[int]) -> dict[str, tuple[float, float]]:
    """The reader's interval of every hidden cell, by name."""
    return {t.keys[iv.cell][3]: (iv.lower, iv.upper) for iv in intervals(t, hidden, hidden, Q)}


def _alone(t: Table, hidden: set[int]) -> list[list[str]]:
    """Equations with exactly one hidden cell (that cell is recomputable from the others)."""
    return [[t.keys[c][3] for c, _ in eq] for eq in t.equations if sum(c in hidden for c, _ in eq) == 1]


HIERARCHY = [("T", ["A", "B"]), ("A", ["a1", "a2", "a3"]), ("B", ["b1", "b2"])]


def test_hierarchy_secondary_is_the_smallest_sibling_that_covers() -> None:
    # T 300 = A 100 + B 200;  A = a1 10 + a2 30 + a3 60;  B = b1 50 + b2 150;  primary a1.
    # a1 must move by n = 1.0001. Ways to balance A = a1 + a2 + a3 (cost per unit moved):
    #   a2 down: 30;  a3 down: 60;  A up, then T up: 100 + 300, or B and b1 down: 100 + 200 + 50.
    # a2 is cheapest (and 30 >= n). Nothing above A is touched: A, B, T, b1, b2 stay published.
    # Reader: A = 100 and a3 = 60 published, so a1 + a2 = 40 with both >= 0: a1, a2 in [0, 40],
    # which contains [9, 11]. (Also the pattern of least hidden value: checked offline, enumerating every pattern.)
    t = _table({"T": 300, "A": 100, "B": 200, "a1": 10, "a2": 30, "a3": 60, "b1": 50, "b2": 150}, HIERARCHY)
    hidden = secondary(t, _ids(t, "a1"), Q)
    assert _names(t, hidden) == {"a1", "a2"}
    assert _bounds(t, hidden) == _approx({"a1": (0.0, 40.0), "a2": (0.0, 40.0)})
    assert all(iv.protected for iv in intervals(t, hidden, _ids(t, "a1"), Q))


def _small_sibling() -> Table:
    # T 300 = A 100 + B 200;  A = a1 60 + a2 4 + a3 10 + a4 26;  B = b1 50 + b2 150;  primary a1.
    return _table(
        {"T": 300, "A": 100, "B": 200, "a1": 60, "a2": 4, "a3": 10, "a4": 26, "b1": 50, "b2": 150},
        [("T", ["A", "B"]), ("A", ["a1", "a2", "a3", "a4"]), ("B", ["b1", "b2"])],
    )


def test_hierarchy_a_sibling_too_small_to_protect_alone() -> None:
    # a1 = 60 needs [54, 66]. With a2 (4) its only partner, a1 + a2 = 100 - 10 - 26 = 64 < 66: a2 alone
    # does not protect a1 (checked below). a3 (10) is the smallest sibling that does on its own; going up
    # (A with T, or A, B and b1) costs far more. So the pattern stays among A's children, includes a3 and
    # not a4 (26), and hides nothing above; the reader's interval of a1 is [0, 100 - published siblings].
    t = _small_sibling()
    a1 = _ids(t, "a1")
    (alone,) = intervals(t, _ids(t, "a1", "a2"), a1, Q)
    assert (alone.lower, alone.upper) == _ap((0.0, 64.0)) and not alone.protected
    hidden = secondary(t, a1, Q)
    names = _names(t, hidden)
    assert {"a1", "a3"} <= names <= {"a1", "a2", "a3"}
    published_siblings = sum(t.values[c] for c in _ids(t, "a2", "a3", "a4") - hidden)
    (iv,) = intervals(t, hidden, a1, Q)
    assert (iv.lower, iv.upper) == _ap((0.0, 100.0 - published_siblings)) and iv.protected
    assert _alone(t, hidden) == []


@pytest.mark.xfail(
    strict=True,
    reason="the LP's cost (value x movement) also hides a2, which only partly "
    "covers the protection: {a1, a2, a3} (74) instead of {a1, a3} (70)",
)
def test_hierarchy_a_too_small_sibling_is_not_hidden() -> None:
    # The least hidden value that protects a1: {a1, a3} (a1 in [0, 70] contains [54, 66]); adding a2
    # hides 4 more for nothing. The LP minimises sum x_c |d_c|: moving a2 by its full 4 (cost 16) and
    # a3 by 2 (cost 20) is cheaper than a3 by 6 (cost 60), so it returns {a1, a2, a3}.
    t = _small_sibling()
    assert _names(t, secondary(t, _ids(t, "a1"), Q)) == {"a1", "a3"}


def test_an_only_sibling_is_forced() -> None:
    # T 150 = A 50 + B 100;  A = a1 10 + a2 40;  B = b1 30 + b2 70;  primary a1.
    # A = a1 + a2 with A published: hiding a1 forces a2 (cost 40 per unit, against A with T: 50 + 150,
    # or A, B and b1: 50 + 100 + 30). Reader: a1 + a2 = 50, so a1, a2 in [0, 50], containing [9, 11].
    t = _table(
        {"T": 150, "A": 50, "B": 100, "a1": 10, "a2": 40, "b1": 30, "b2": 70},
        [("T", ["A", "B"]), ("A", ["a1", "a2"]), ("B", ["b1", "b2"])],
    )
    hidden = secondary(t, _ids(t, "a1"), Q)
    assert _names(t, hidden) == {"a1", "a2"}
    assert _bounds(t, hidden) == _approx({"a1": (0.0, 50.0), "a2": (0.0, 50.0)})


def test_an_only_sibling_that_is_a_true_zero_sends_the_pattern_up() -> None:
    # T 330 = A 100 + B 230;  A = a1 100 + a2 0;  B = b1 30 + b2 200;  primary a1 (needs [90, 110]).
    # a2 is a true zero: it cannot be hidden, so A = a1 + 0 must be hidden with a1; then T = A + B needs a
    # second hidden cell: T (cost 330 per unit) or B, which B = b1 + b2 then forces with b1 or b2
    # (230 + 30 = 260, or 230 + 200). Pattern {a1, A, B, b1}.
    # Reader: a2 = 0, b2 = 200, T = 330 published: A = a1, B = b1 + 200, A + B = 330, so a1 + b1 = 130:
    # a1, A, b1 in [0, 130] and B in [200, 330]; [0, 130] contains [90, 110].
    t = _table(
        {"T": 330, "A": 100, "B": 230, "a1": 100, "a2": 0, "b1": 30, "b2": 200},
        [("T", ["A", "B"]), ("A", ["a1", "a2"]), ("B", ["b1", "b2"])],
    )
    hidden = secondary(t, _ids(t, "a1"), Q)
    assert _names(t, hidden) == {"a1", "A", "B", "b1"}
    assert _bounds(t, hidden) == _approx(
        {"a1": (0.0, 130.0), "A": (0.0, 130.0), "b1": (0.0, 130.0), "B": (200.0, 330.0)}
    )


def test_an_only_sibling_too_small_sends_the_pattern_up() -> None:
    # T 335 = A 105 + B 230;  A = a1 100 + a2 5;  B = b1 30 + b2 200.
    # a1 needs [90, 110]; with a2 its only partner, a1 + a2 = 105 < 110 (checked below): the pattern
    # must go up a level, hiding A and, for T = A + B, B (230 + b1 30 per unit, against T's 335), and
    # for B = b1 + b2, b1 (the smaller child; 30 >= the 5 or 10 it must move).
    # Whether a2 is hidden too depends on the cost: the LP moves it by its full 5 (cheap: 5 per unit)
    # though {a1, A, B, b1} alone already protects a1 (see test_hierarchy_a_too_small_sibling_is_not_hidden).
    # Reader, with a2 published: A = a1 + 5, B = b1 + 200, A + B = 335, so a1 + b1 = 130: a1 in [0, 130];
    # with a2 hidden: a1 + a2 + b1 = 135: a1 in [0, 135]. Both contain [90, 110]. T and b2 stay published.
    t = _table(
        {"T": 335, "A": 105, "B": 230, "a1": 100, "a2": 5, "b1": 30, "b2": 200},
        [("T", ["A", "B"]), ("A", ["a1", "a2"]), ("B", ["b1", "b2"])],
    )
    a1 = _ids(t, "a1")
    (alone,) = intervals(t, _ids(t, "a1", "a2"), a1, Q)
    assert (alone.lower, alone.upper) == _ap((0.0, 105.0)) and not alone.protected
    hidden = secondary(t, a1, Q)
    names = _names(t, hidden)
    assert {"a1", "A", "B", "b1"} <= names <= {"a1", "a2", "A", "B", "b1"}
    (iv,) = intervals(t, hidden, a1, Q)
    assert (iv.lower, iv.upper) == _ap((0.0, 135.0 if "a2" in names else 130.0)) and iv.protected
    assert _bounds(t, hidden)["B"] == _ap((200.0, 335.0 if "a2" in names else 330.0))
    assert _alone(t, hidden) == []


# Two tables sharing their row margins r1, r2 and grand total T (one Table, as build_tables makes it):
#   table 1:  x11 10   x12 100 | r1 110        table 2:  y11 55  y12 55 | r1 110
#             x21 60   x22   0 | r2  60                  y21 30  y22 30 | r2  60
#             c1  70   c2  100 | T  170                  d1  85  d2  85 | T  170
# x22 is a true zero, so no rectangle of interior cells exists around x11 in table 1.
LINKED = {"x11": 10, "x12": 100, "x21": 60, "x22": 0, "r1": 110, "r2": 60, "c1": 70, "c2": 100, "T": 170}
LINKED_EQS = [
    ("r1", ["x11", "x12"]),
    ("r2", ["x21", "x22"]),
    ("c1", ["x11", "x21"]),
    ("c2", ["x12", "x22"]),
    ("T", ["r1", "r2"]),
    ("T", ["c1", "c2"]),
]
SECOND = {"y11": 55, "y12": 55, "y21": 30, "y22": 30, "d1": 85, "d2": 85}
SECOND_EQS = [
    ("r1", ["y11", "y12"]),
    ("r2", ["y21", "y22"]),
    ("d1", ["y11", "y21"]),
    ("d2", ["y12", "y22"]),
    ("T", ["d1", "d2"]),
]


def test_two_tables_sharing_margins_protect_against_both() -> None:
    # Ways to move x11 by n (cost per unit moved) within table 1:
    #   (i)   x12 down, c1 up, c2 down (T unchanged):           100 + 70 + 100 = 270
    #   (ii)  r1 up, x21 down, r2 down (T unchanged):            110 + 60 + 60  = 230
    #   (iii) r1 up, c1 up, T up:                                110 + 70 + 170 = 350
    # Table 1 alone: (ii), {x11, r1, x21, r2}; reader: x12 = 100, x22 = 0, c1 = 70 published, so
    # r1 = x11 + 100, r2 = x21, x11 + x21 = 70: x11 in [0, 70].
    t1 = _table(LINKED, LINKED_EQS)
    hidden1 = secondary(t1, _ids(t1, "x11"), Q)
    assert _names(t1, hidden1) == {"x11", "r1", "x21", "r2"}
    assert _bounds(t1, hidden1)["x11"] == _ap((0.0, 70.0))

    # With table 2, r1 = y11 + y12 = 110 is published there: that pattern gives x11 = 110 - 100 = 10.
    t = _table(LINKED | SECOND, LINKED_EQS + SECOND_EQS)
    x11 = _ids(t, "x11")
    (broken,) = intervals(t, _ids(t, "x11", "r1", "x21", "r2"), x11, Q)
    assert (broken.lower, broken.upper) == _ap((10.0, 10.0)) and not broken.protected
    # (ii) now also needs a cell of each row of table 2 in one column: + y11 (or y12) 55 + y21 30 = 315;
    # (iii) + y11 55 + d1 85 = 490; (i) touches no shared cell: 270, the cheapest (and the least hidden
    # value, 280, checked offline by enumeration). Pattern {x11, x12, c1, c2}; reader: r1 = 110, x21 = 60, x22 = 0
    # published: x11 + x12 = 110, c1 = x11 + 60, c2 = x12: x11, x12, c2 in [0, 110], c1 in [60, 170].
    hidden = secondary(t, x11, Q)
    assert _names(t, hidden) == {"x11", "x12", "c1", "c2"}
    assert _bounds(t, hidden) == _approx(
        {"x11": (0.0, 110.0), "x12": (0.0, 110.0), "c1": (60.0, 170.0), "c2": (0.0, 110.0)}
    )
    assert all(iv.protected for iv in intervals(t, hidden, x11, Q))
    assert _alone(t, hidden) == []  # neither table gives a hidden cell back through one equation


def test_a_zero_cell_is_never_a_secondary() -> None:
    # rows r1, r2; columns c1..c3; primary r1c1 = 10 (needs [9, 11]); r2c2 = 0 is a true zero.
    #   r1c1  10   r1c2  20   r1c3 100 | r1 130
    #   r2c1  30   r2c2   0   r2c3 200 | r2 230
    #   c1    40   c2    20   c3   300 | T  360
    # The rectangle r1c1, r1c2, r2c1, r2c2 would hide the least (60), but r2c2 cannot be chosen (and
    # could not move down anyway). Costs per unit moved of the remaining ways:
    #   rectangle via c3: r1c3 + r2c1 + r2c3 = 330;   row partner r1c2 with c1, c2: 20 + 40 + 20 = 80;
    #   r1 with r2c1 and r2: 130 + 30 + 230 = 390;     r1, c1, T: 130 + 40 + 360 = 530.
    # Pattern {r1c1, r1c2, c1, c2}. Reader: r1 = 130, r1c3 = 100, r2c1 = 30, r2c2 = 0 published:
    # r1c1 + r1c2 = 30, c1 = r1c1 + 30, c2 = r1c2: r1c1, r1c2, c2 in [0, 30], c1 in [30, 60].
    v = {"r1c1": 10, "r1c2": 20, "r1c3": 100, "r2c1": 30, "r2c2": 0, "r2c3": 200}
    v |= {"r1": 130, "r2": 230, "c1": 40, "c2": 20, "c3": 300, "T": 360}
    eqs = [
        ("r1", ["r1c1", "r1c2", "r1c3"]),
        ("r2", ["r2c1", "r2c2", "r2c3"]),
        ("c1", ["r1c1", "r2c1"]),
        ("c2", ["r1c2", "r2c2"]),
        ("c3", ["r1c3", "r2c3"]),
        ("T", ["r1", "r2"]),
        ("T", ["c1", "c2", "c3"]),
    ]
    t = _table(v, eqs)
    hidden = secondary(t, _ids(t, "r1c1"), Q)
    assert "r2c2" not in _names(t, hidden)
    assert _names(t, hidden) == {"r1c1", "r1c2", "c1", "c2"}
    assert _bounds(t, hidden) == _approx(
        {"r1c1": (0.0, 30.0), "r1c2": (0.0, 30.0), "c1": (30.0, 60.0), "c2": (0.0, 30.0)}
    )
    # a second primary in the zero's row and column changes nothing for the zero
    hidden2 = secondary(t, _ids(t, "r1c1", "r2c1"), Q)
    assert "r2c2" not in _names(t, hidden2)
    assert all(iv.protected for iv in intervals(t, hidden2, _ids(t, "r1c1", "r2c1"), Q))


def test_a_zero_sibling_forces_the_total() -> None:
    # T 10 = a 10 + b 0; primary a: b is a true zero, so the only partner is T; nothing bounds T above.
    t = _table({"T": 10, "a": 10, "b": 0}, [("T", ["a", "b"])])
    assert _names(t, secondary(t, _ids(t, "a"), Q)) == {"a", "T"}


# --- defects found by review, fixed: regression tests ----------------------------------------------


def test_audit_an_unbounded_cell_is_protected() -> None:
    # T 10 = a 10 + b 0 with a and T hidden: a = T, and nothing bounds T above: a in [0, inf), protected.
    t = _table({"T": 10, "a": 10, "b": 0}, [("T", ["a", "b"])])
    (iv,) = intervals(t, _ids(t, "a", "T"), _ids(t, "a"), Q)
    assert (iv.lower, iv.upper) == _ap((0.0, math.inf)) and iv.protected


def test_no_hidden_cell_is_alone_in_an_equation_across_magnitudes() -> None:
    # T = a 10^8 + B 2;  B = b1 1 + b2 1;  primary a (moves by n = 1.0001e7). The LP moves b1, b2 by 1
    # each and B by 2 (cheap) and T by n - 2; b1 and b2 move by less than 1e-7 n and are dropped, so B
    # is hidden alone in B = b1 + b2: a reader recomputes B = 2 exactly. The witness was a true
    # perturbation only with b1, b2 in it; hidden should be {a, T} or {a, T, B, b1, b2}.
    t = _table({"T": 10**8 + 2, "a": 10**8, "B": 2, "b1": 1, "b2": 1}, [("T", ["a", "B"]), ("B", ["b1", "b2"])])
    hidden = secondary(t, _ids(t, "a"), Q)
    assert _alone(t, hidden) == []
    assert _names(t, hidden) in ({"a", "T"}, {"a", "T", "B", "b1", "b2"})


def test_a_small_primary_covered_by_a_large_ones_witness_is_protected() -> None:
    # As above with B primary too (needs [1.8, 2.2]). a is taken first; its witness moves B by 2
    # (B's whole value), so B counts as covered and gets no witness of its own; but b1 and b2, whose
    # movements were dropped, stay published: a reader recomputes B = b1 + b2 = 2 exactly. Nothing
    # is reported unprotectable. (A correct pattern hides b1 and b2 too, or B with one of them and T.)
    t = _table({"T": 10**8 + 2, "a": 10**8, "B": 2, "b1": 1, "b2": 1}, [("T", ["a", "B"]), ("B", ["b1", "b2"])])
    unprotectable: list[int] = []
    hidden = secondary(t, _ids(t, "a", "B"), Q, unprotectable)
    (iv,) = intervals(t, hidden, _ids(t, "B"), Q)
    upper = math.inf if iv.upper == -math.inf else iv.upper  # (the sign slip above)
    assert unprotectable == [] and iv.lower <= 1.8 and upper >= 2.2


def test_a_protectable_cell_is_not_reported_unprotectable() -> None:
    #   x0_0 0   x0_1 10^8  x0_2 0 | r0 10^8        primaries x0_1 (10^8) and x1_0 (1).
    #   x1_0 1   x1_1 0     x1_2 1 | r1 2           x1_0 alone: {x1_0, x1_2, c0, c2} protects it
    #   c0   1   c1   10^8  c2   1 | T  10^8 + 2    (x1_0 in [0, 2]); a fresh WitnessFinder finds it.
    # After x0_1's witness, the same (warm-started) finder ends in kUnknown for x1_0: secondary reports
    # x1_0 unprotectable and leaves it recomputable (r1 hidden alone; x1_0 in [1, 1]).
    names = ["x0_0", "x0_1", "x0_2", "x1_0", "x1_1", "x1_2"]
    v = dict(zip(names, [0, 10**8, 0, 1, 0, 1], strict=True))
    v |= {"r0": 10**8, "r1": 2, "c0": 1, "c1": 10**8, "c2": 1, "T": 10**8 + 2}
    eqs = [
        ("r0", names[:3]),
        ("r1", names[3:]),
        ("c0", ["x0_0", "x1_0"]),
        ("c1", ["x0_1", "x1_1"]),
        ("c2", ["x0_2", "x1_2"]),
        ("T", ["r0", "r1"]),
        ("T", ["c0", "c1", "c2"]),
    ]
    t = _table(v, eqs)
    alone: list[int] = []
    assert _names(t, secondary(t, _ids(t, "x1_0"), Q, alone)) == {"x1_0", "x1_2", "c0", "c2"} and alone == []
    unprotectable: list[int] = []
    hidden = secondary(t, _ids(t, "x0_1", "x1_0"), Q, unprotectable)
    assert _names(t, set(unprotectable)) == set()
    (iv,) = intervals(t, hidden, _ids(t, "x1_0"), Q)
    assert iv.protected


def test_time_equations_follow_the_period_hierarchy() -> None:
    """kst publishes years, halves and quarters: a reader can add quarters to halves and to
    years, so the table carries those equations (and disclosure control and the audit see them)."""
    from pathlib import Path

    from ktstat.pipeline import compile_domain
    from ktstat.sdc.linear import build_tables
    from ktstat.store import open_store

    fix = Path(__file__).parent / "fixtures" / "kst_small"
    con = open_store(None)
    try:
        compile_domain(con, "kst", fix / "records.csv", fix / "reporters.csv", fix / "rates.csv", protect=False)
        dom = domains.load("kst")
        assert dom.frequencies == ("A", "H", "Q")
        t = build_tables(con, dom)["X"]
    finally:
        con.close()

    def linked(total: tuple[str, str, str, str], parts: list[tuple[str, str, str, str]]) -> bool:
        want = {(t.index[total], 1), *((t.index[p], -1) for p in parts)}
        return any(set(eq) == want for eq in t.equations)

    half = ("H", "2024H1", "total", "all")
    assert linked(half, [("Q", "2024Q1", "total", "all"), ("Q", "2024Q2", "total", "all")])
    year = ("A", "2024", "total", "all")
    assert linked(year, [("Q", f"2024Q{q}", "total", "all") for q in (1, 2, 3, 4)])
    assert linked(year, [("H", "2024H1", "total", "all"), ("H", "2024H2", "total", "all")])
    # every equation holds exactly
    for eq in t.equations:
        assert sum(coef * t.values[k] for k, coef in eq) == 0


def test_hierarchies_inside_crosses_are_equations() -> None:
    """A reader adds the cells of a finer cross to those of a coarser one (category+partner to
    category+region, a special class's sub-classes by region to the class by region, tbp's
    partner+industry to industry+region) as surely as a partner to its region: the table holds
    those equations, so secondary suppression and the audit see them."""
    from pathlib import Path

    from ktstat.pipeline import compile_domain
    from ktstat.sdc.linear import build_tables
    from ktstat.store import open_store

    fix = Path(__file__).parent / "fixtures" / "kst_small"
    con = open_store(None)
    try:
        compile_domain(con, "kst", fix / "records.csv", fix / "reporters.csv", fix / "rates.csv", protect=False)
        t = build_tables(con, domains.load("kst"))["X"]
    finally:
        con.close()

    def linked(total: tuple[str, str, str, str], parts: list[tuple[str, str, str, str]]) -> bool:
        want = {(t.index[total], 1), *((t.index[p], -1) for p in parts)}
        return any(set(eq) == want for eq in t.equations)

    # 2023 exports of professional and business services to Asia: China's (r05)
    region = ("A", "2023", "category+region", "professional_business+asia")
    assert linked(region, [("A", "2023", "category+partner", "professional_business+CN")])
    # the ICT industry's exports to Asia in 2023: game software (R1, JP 5000) and ICT manufacturing (R2, CN 4000)
    ict = ("A", "2023", "special+region", "ict_industry+asia")
    assert t.values[t.index[ict]] == 9000 * 1_000_000
    assert linked(
        ict,
        [
            ("A", "2023", "special+region", "ict_game_software+asia"),
            ("A", "2023", "special+region", "ict_manufacturing+asia"),
        ],
    )
    assert linked(
        ("A", "2023", "special+region", "ict_game_software+asia"),
        [("A", "2023", "special+partner", "ict_game_software+JP")],
    )
    for eq in t.equations:
        assert sum(coef * t.values[k] for k, coef in eq) == 0


def test_a_cross_refined_in_another_order_is_an_equation() -> None:
    """tbp's industry+region is the sum of partner+industry over the region's partners (the parts
    in the other order)."""
    import tempfile
    from pathlib import Path

    from ktstat.sdc.linear import build_tables
    from storystore import build_story

    with tempfile.TemporaryDirectory() as tmp:
        con = build_story(Path(tmp))
        try:
            t = build_tables(con, domains.load("tbp"))["X"]
        finally:
            con.close()
    cells = [k for k in t.keys if k[2] == "industry+region"]
    assert cells
    for f, p, _, it in cells:
        industry, region = it.split("+")
        parts = [k for k in t.keys if k[:3] == (f, p, "partner+industry") and k[3].endswith("+" + industry)]
        parts = [
            k
            for k in parts
            if domains.load("tbp").breakdowns["partner"].codelist.by_code[k[3].split("+")[0]].parent == region
        ]
        want = {(t.index[(f, p, "industry+region", it)], 1), *((t.index[k], -1) for k in parts)}
        assert any(set(eq) == want for eq in t.equations), (p, it)


GRIDS = st.lists(st.lists(st.integers(0, 1000), min_size=2, max_size=4), min_size=2, max_size=4)
HIDES = st.lists(st.booleans(), min_size=25, max_size=25)


def _two_way(cells: list[list[int]]) -> Table:
    """A two-way table of the rows given (cut to the shortest), with row, column and grand totals."""
    cols = min(len(r) for r in cells)
    grid = [r[:cols] for r in cells]
    t = Table("X")

    def key(name: str) -> tuple[str, str, str, str]:
        return ("A", "2023", "b", name)

    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            t.values[t.cell(key(f"{i}.{j}"))] = v
        t.values[t.cell(key(f"{i}.*"))] = sum(row)
    for j in range(cols):
        t.values[t.cell(key(f"*.{j}"))] = sum(r[j] for r in grid)
    t.values[t.cell(key("*.*"))] = sum(map(sum, grid))
    for i in range(len(grid)):
        assert t.add(key(f"{i}.*"), [key(f"{i}.{j}") for j in range(cols)])
    for j in range(cols):
        assert t.add(key(f"*.{j}"), [key(f"{i}.{j}") for i in range(len(grid))])
    assert t.add(key("*.*"), [key(f"{i}.*") for i in range(len(grid))])
    return t


@given(cells=GRIDS, hide=HIDES)
@settings(max_examples=40, deadline=None)
def test_audit_bounds_equal_an_lp_solved_from_scratch(cells: list[list[int]], hide: list[bool]) -> None:
    # the audit solves one warm-started model per group of hidden cells, an independent LP
    # (scipy's linprog) each bound from scratch
    from scipy.optimize import linprog

    t = _two_way(cells)
    hidden = {c for c in range(len(t.keys)) if hide[c]}
    if not hidden:
        return
    found = {iv.cell: iv for iv in intervals(t, hidden, hidden, 0.10)}
    order = sorted(hidden)
    pos = {c: k for k, c in enumerate(order)}
    a_eq: list[list[float]] = []
    b_eq: list[float] = []
    for eq in t.equations:
        if any(c in pos for c, _ in eq):
            coefs = [0.0] * len(order)
            rhs = 0.0
            for c, coef in eq:
                if c in pos:
                    coefs[pos[c]] = coef
                else:
                    rhs -= coef * t.values[c]
            a_eq.append(coefs)
            b_eq.append(rhs)
    for c in order:
        objective = [0.0] * len(order)
        for sense in (1.0, -1.0):
            objective[pos[c]] = sense
            res = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None), method="highs")
            bound = found[c].lower if sense > 0 else found[c].upper
            if res.status == 3:  # unbounded above
                assert bound == math.inf
            else:
                assert res.status == 0
                assert bound == pytest.approx(sense * res.fun, abs=1e-6 * max(1, t.values[order[0]], *t.values))


@given(cells=GRIDS, hide=HIDES, q=st.sampled_from([0.05, 0.10, 0.5]))
@settings(max_examples=60, deadline=None)
def test_an_audit_exact_only_where_needed_decides_as_the_exact_one(
    cells: list[list[int]], hide: list[bool], q: float
) -> None:
    # intervals proven by the tables seen while solving other cells: the same verdict for every
    # cell; a side not solved lies inside the exact interval; an interval marked exact is exact
    t = _two_way(cells)
    hidden = {c for c in range(len(t.keys)) if hide[c]}
    exact = {iv.cell: iv for iv in intervals(t, hidden, hidden, q)}
    quick = {iv.cell: iv for iv in intervals(t, hidden, hidden, q, exact=False)}
    assert exact.keys() == quick.keys()
    for c, iv in quick.items():
        full = exact[c]
        assert iv.protected == full.protected, t.keys[c]
        scale = 1e-9 * max(1, *t.values)
        assert full.lower - scale <= iv.lower <= t.values[c] + scale
        assert t.values[c] - scale <= iv.upper <= full.upper + scale
        if iv.exact:
            assert iv.lower == pytest.approx(full.lower, abs=scale)
            assert iv.upper == pytest.approx(full.upper, abs=scale)


def test_an_audit_exact_only_where_needed_solves_fewer_programs() -> None:
    # a 4 x 4 table with every inner cell hidden: the tables seen prove most cells protected
    t = _two_way([[100, 200, 300, 400], [150, 250, 350, 450], [120, 220, 320, 420], [130, 230, 330, 430]])
    inner = {t.index[("A", "2023", "b", f"{i}.{j}")] for i in range(4) for j in range(4)}
    quick = intervals(t, inner, inner, 0.10, exact=False)
    assert all(iv.protected for iv in quick)
    assert sum(iv.exact for iv in quick) < len(inner) / 2


def test_a_side_is_proven_by_a_table_seen_only_beyond_the_protection_itself() -> None:
    # a cell far below the round-off tolerance of its group (1e-12 of the largest value) is still
    # solved, not taken as proven by its own value: its interval is the reader's real one
    t = _two_way([[10**16, 3], [10**16, 4]])
    small = {t.index[("A", "2023", "b", f"{i}.1")] for i in range(2)}
    inner = small | {t.index[("A", "2023", "b", f"{i}.0")] for i in range(2)}
    ivs = intervals(t, inner, small, 0.10, exact=False)
    assert all(iv.protected for iv in ivs)
    for iv in ivs:
        assert iv.lower <= 0.9 * iv.value and iv.upper >= 1.1 * iv.value


def test_flows_protected_in_processes_of_their_own_give_the_same_pattern(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Above ``PARALLEL_CELLS`` one flow is protected in a child process (``python -m
    ktstat.worker``) while this one protects the other: the store's disclosure tables are
    the same, row for row, as in one process; a child that fails leaves its flow to this
    process, with a warning, and the tables are the same again."""
    import importlib
    import subprocess
    import sys

    from ktstat.pipeline import compile_domain
    from ktstat.store import open_store

    protection = importlib.import_module("ktstat.sdc.protect")
    fix = Path(__file__).parent / "fixtures" / "kst_small"
    tables = ("disclosure", "disclosure_audit", "disclosure_insider")
    real = subprocess.Popen
    got = {}
    for case, cells, python in (("one", 10**9, sys.executable), ("two", 0, sys.executable), ("failed", 0, "false")):
        monkeypatch.setattr(protection, "PARALLEL_CELLS", cells)
        monkeypatch.setattr(sys, "executable", python)
        started: list[list[str]] = []

        def popen(args: list[str], *a: object, started: list[list[str]] = started, **k: object) -> object:
            started.append(list(args))
            return real(args, *a, **k)  # type: ignore[call-overload]

        monkeypatch.setattr(subprocess, "Popen", popen)
        caplog.clear()
        con = open_store(tmp_path / f"{case}.duckdb")
        compile_domain(con, "kst", fix / "records.csv", fix / "reporters.csv", fix / "rates.csv")
        got[case] = {t: sorted(map(str, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
        con.close()
        workers = [a for a in started if "ktstat.worker" in a]
        assert len(workers) == (0 if case == "one" else 1), started
        assert ("in a child process failed" in caplog.text) == (case == "failed"), caplog.text
    assert got["two"] == got["one"] == got["failed"]
    assert got["one"]["disclosure"] and got["one"]["disclosure_insider"]
