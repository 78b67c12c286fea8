"""Disclosure control across vintages and against reporters who know their own figures: small
tables worked out by hand (ktstat.sdc.vintages), then a property test over random revisions."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktstat.sdc.audit import intervals
from ktstat.sdc.linear import Key, Table
from ktstat.sdc.vintages import Layer, insider_intervals, joint, protect_layers

Q = 0.10


def _key(name: str) -> Key:
    return ("A", "2023", "b", name)


def _table(values: dict[str, int], equations: list[tuple[str, list[str]]]) -> Table:
    t = Table("X")
    for name, v in values.items():
        t.values[t.cell(_key(name))] = v
    for total, parts in equations:
        t.add(_key(total), [_key(p) for p in parts])
    return t


def _layer(
    tag: str,
    values: dict[str, int],
    equations: list[tuple[str, list[str]]],
    primary: set[str],
    hidden: set[str] | None = None,
    holdings: dict[str, dict[str, int]] | None = None,
) -> Layer:
    return Layer(
        tag,
        _table(values, equations),
        {_key(n) for n in (hidden if hidden is not None else primary)},
        {_key(n) for n in primary},
        {_key(n): h for n, h in (holdings or {}).items()},
    )


def _names(keys: set[Key]) -> set[str]:
    return {k[3] for k in keys}


ROW = [("total", ["a", "b", "c", "d"])]


def _row_holdings(values: dict[str, int]) -> dict[str, dict[str, int]]:
    """a: reporter A alone, b: reporter B alone; c and d five equal reporters each."""
    h = {"a": {"A": values["a"]}, "b": {"B": values["b"]}}
    for n in ("c", "d"):
        share = values[n] // 5
        h[n] = {f"{n}{i}": share for i in range(5)}
    h["total"] = {r: a for n in "abcd" for r, a in h[n].items()}
    return h


def test_two_singletons_in_a_row_protect_each_other_only_against_outsiders() -> None:
    # total 142 = a 10 (A alone) + b 12 (B alone) + c 50 + d 70. Hiding a and b only: an outsider
    # knows a + b = 22 (a anywhere in [0, 22]: protected), but A knows a = 10 and so b = 12 exactly
    v = {"total": 142, "a": 10, "b": 12, "c": 50, "d": 70}
    cur = _layer("", v, ROW, {"a", "b"}, set(), _row_holdings(v))
    outsider_only = protect_layers([], cur, Q, None)
    assert _names(outsider_only.hidden) == {"a", "b"}
    j = outsider_only.joint
    hidden = {j.where[(0, k)] for k in outsider_only.hidden}
    targets = {j.where[(0, _key("a"))], j.where[(0, _key("b"))]}
    ivs = insider_intervals(j, [cur], hidden, targets, Q)
    bad = {(j.origin[iv.cell][1][3], iv.attacker) for iv in ivs if not iv.protected}
    assert bad == {("b", "A"), ("a", "B")}
    # with the insider rule a third cell is hidden: the smaller of c and d
    res = protect_layers([], cur, Q, Q)
    assert _names(res.hidden) == {"a", "b", "c"}
    assert res.insider and all(iv.protected for iv in res.insider)
    assert all(iv.protected for iv in res.outsider)


def test_cells_of_the_same_reporter_do_not_protect_it() -> None:
    # a (10) has reporters A (8) and E (2); b (12) is A's alone. Hiding a and b: A knows b = 12 and
    # its own 8 in a, so E's 2 = 22 - 12 - 8 exactly: b cannot protect a against A
    v = {"total": 142, "a": 10, "b": 12, "c": 50, "d": 70}
    h = _row_holdings(v)
    h["a"], h["b"] = {"A": 8, "E": 2}, {"A": 12}
    cur = _layer("", v, ROW, {"a"}, set(), h)
    assert _names(protect_layers([], cur, Q, None).hidden) == {"a", "b"}
    res = protect_layers([], cur, Q, Q)
    assert "c" in _names(res.hidden) or "d" in _names(res.hidden)
    assert all(iv.protected for iv in res.insider)


V1 = {"total": 100, "a": 5, "b": 30, "c": 65}
R1 = [("total", ["a", "b", "c"])]


def test_a_revision_that_publishes_an_unchanged_confidential_cell_is_refused() -> None:
    # v1 hid a (primary, 5) with b (30). The revision changes c (65 -> 70) and gives a more
    # reporters, so a passes the rules now; published alone the new table would show a = 5, which
    # is v1's confidential a (unchanged). Against v1, a and b stay hidden
    old = _layer("v1", V1, R1, {"a"}, {"a", "b"})
    v2 = {"total": 105, "a": 5, "b": 30, "c": 70}
    cur = _layer("", v2, R1, set())
    assert _names(protect_layers([], cur, Q, None).hidden) == set()
    res = protect_layers([old], cur, Q, None)
    assert _names(res.hidden) == {"a", "b"}
    assert all(iv.protected for iv in res.outsider) and res.outsider


def test_an_unchanged_neighbour_of_a_revised_cell_stays_hidden() -> None:
    # the revision changes a (5 -> 9) but not b (30): published, b would give v1's a back
    # (100 - 65 - 30), so b stays hidden, and a with it
    old = _layer("v1", V1, R1, {"a"}, {"a", "b"})
    cur = _layer("", {"total": 109, "a": 9, "b": 30, "c": 70}, R1, set())
    assert _names(protect_layers([old], cur, Q, None).hidden) == {"a", "b"}


def test_revised_values_free_the_cells() -> None:
    # the same, but the revision changes a (5 -> 9) and b (30 -> 31): the old cells are no longer
    # linked to the new ones (the revisions are unknown), so the new table is published whole
    old = _layer("v1", V1, R1, {"a"}, {"a", "b"})
    cur = _layer("", {"total": 110, "a": 9, "b": 31, "c": 70}, R1, set())
    res = protect_layers([old], cur, Q, None)
    assert _names(res.hidden) == set()


def test_a_published_cell_turned_confidential_with_a_new_value_is_suppressed() -> None:
    # v1 published everything; the revision makes c (65 -> 8) confidential: its earlier value no
    # longer identifies anyone, so c is suppressed with the neighbour it needs: a (revised too,
    # 5 -> 6), the smallest cell that can carry the movement; b is unchanged, public since v1
    old = _layer("v1", V1, R1, set(), set())
    cur = _layer("", {"total": 44, "a": 6, "b": 30, "c": 8}, R1, {"c"})
    res = protect_layers([old], cur, Q, None)
    assert [(d.key[3], d.outcome, d.vintage) for d in res.decisions] == [("c", "revised", "v1")]
    assert _names(res.hidden) == {"c", "a"}


def test_a_published_cell_turned_confidential_with_its_old_value_stays_published() -> None:
    # the revision leaves c at 65 but it breaks a rule now: it is public since v1, hiding it would
    # protect nothing, so it is published again and the decision says so
    old = _layer("v1", V1, R1, set(), set())
    cur = _layer("", {"total": 102, "a": 7, "b": 30, "c": 65}, R1, {"c"})
    res = protect_layers([old], cur, Q, None)
    assert [(d.key[3], d.outcome) for d in res.decisions] == [("c", "public")]
    assert _names(res.hidden) == set()


def test_unchanged_years_of_earlier_vintages_are_left_out() -> None:
    old = _layer("v1", V1, R1, {"a"}, {"a", "b"})
    same = _layer("", V1, R1, {"a"})
    res = protect_layers([old], same, Q, None)
    assert _names(res.hidden) == {"a", "b"}
    assert not res.joint.origin  # identical to v1: v1's pattern is kept, nothing to solve


# --- property: random revisions of a two-way table with margins ------------------------------------

ROWS, COLS = 3, 4


def _two_way(cells: list[list[list[int]]]) -> tuple[dict[str, int], list[tuple[str, list[str]]], dict[str, dict]]:
    """Values, equations and holdings of a ROWS x COLS table with margins from per-cell lists of
    (reporter-indexed) amounts: cells[r][c] = amounts of reporters 0.. (0 = none)."""
    values: dict[str, int] = {}
    hold: dict[str, dict[str, int]] = {}

    def add(name: str, parts: dict[str, int]) -> None:
        h = hold.setdefault(name, {})
        for rep, a in parts.items():
            h[rep] = h.get(rep, 0) + a

    for r in range(ROWS):
        for c in range(COLS):
            parts = {f"f{k}": a for k, a in enumerate(cells[r][c]) if a}
            for name in (f"r{r}c{c}", f"r{r}", f"c{c}", "total"):
                add(name, parts)
    for name, h in hold.items():
        values[name] = sum(h.values())
    eqs = [(f"r{r}", [f"r{r}c{c}" for c in range(COLS)]) for r in range(ROWS)]
    eqs += [(f"c{c}", [f"r{r}c{c}" for r in range(ROWS)]) for c in range(COLS)]
    eqs += [("total", [f"r{r}" for r in range(ROWS)])]
    return values, eqs, hold


def _primary(hold: dict[str, dict[str, int]]) -> set[str]:
    out = set()
    for name, h in hold.items():
        amounts = sorted(h.values(), reverse=True)
        if not amounts:
            continue
        if len(amounts) < 3 or amounts[0] + amounts[1] > 0.85 * sum(amounts):
            out.add(name)
    return out


amount = st.integers(min_value=0, max_value=60).map(lambda x: 0 if x < 20 else x * 1000)
reporters = st.lists(amount, min_size=6, max_size=6)
grid = st.lists(st.lists(reporters, min_size=COLS, max_size=COLS), min_size=ROWS, max_size=ROWS)
edit = st.tuples(st.integers(0, ROWS - 1), st.integers(0, COLS - 1), st.integers(0, 5), amount)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid, st.lists(edit, min_size=1, max_size=4))
def test_no_cell_of_any_vintage_recoverable_after_random_revisions(
    cells: list[list[list[int]]], edits: list[tuple[int, int, int, int]]
) -> None:
    v1, eqs, h1 = _two_way(cells)
    first = _layer("v1", v1, eqs, _primary(h1), set(), h1)
    r1 = protect_layers([], first, Q, Q)
    first = _layer("v1", v1, eqs, _primary(h1), _names(r1.hidden), h1)
    revised = [[list(x) for x in row] for row in cells]
    for r, c, k, a in edits:
        revised[r][c][k] = a
    v2, _, h2 = _two_way(revised)
    second = _layer("", v2, eqs, _primary(h2), set(), h2)
    r2 = protect_layers([first], second, Q, Q)
    public = {d.key for d in r2.decisions if d.outcome == "public"}
    # the joint audit of both vintages as released, from scratch, as an outsider and as insiders
    done = [first, _layer("v2", v2, eqs, _primary(h2) - {k[3] for k in public}, _names(r2.hidden), h2)]
    j = joint(done)
    hidden = {c for c, (i, k) in enumerate(j.origin) if k in done[i].hidden}
    targets = {c for c, (i, k) in enumerate(j.origin) if k in done[i].primary and j.table.values[c] != 0}
    unprotectable = set(r1.unprotectable) | set(r2.unprotectable)
    if unprotectable:
        return  # a table that cannot be protected at all (e.g. one reporter everywhere) says so
    assert all(iv.protected for iv in intervals(j.table, hidden, targets, Q))
    assert all(iv.protected for iv in insider_intervals(j, done, hidden, targets, Q))
