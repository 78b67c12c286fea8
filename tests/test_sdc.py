"""Disclosure control (work in progress): secondary suppression and the audit on small tables
worked out by hand."""

from __future__ import annotations

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
    eqs = [("r1", ["r1c1", "r1c2", "r1c3"]), ("r2", ["r2c1", "r2c2", "r2c3"]), ("c1", ["r1c1", "r2c1"]),
           ("c2", ["r1c2", "r2c2"]), ("c3", ["r1c3", "r2c3"]), ("total", ["r1", "r2"]), ("total", ["c1", "c2", "c3"])]
    t = _table(v, eqs)
    p = t.index[("A", "2023", "b", "r1c1")]
    hidden = secondary(t, {p}, 0.10)
    names = {t.keys[c][3] for c in hidden}
    assert len(names) == 4
    rows = {n[:2] for n in names if n.startswith("r") and "c" in n}
    cols = {n[2:] for n in names if n.startswith("r") and "c" in n}
    assert len(rows) == 2 and len(cols) == 2  # a rectangle of interior cells
    assert all(iv.protected for iv in intervals(t, hidden, {p}, 0.10))
