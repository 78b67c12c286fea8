"""The columnar observations (``publish/sdmx/columns.py``) against their row-by-row definition:
the same observations in the same order, or the same error, for valid and broken rows alike."""

from __future__ import annotations

from functools import cache
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktstat import domain as domains
from ktstat.errors import InputError
from ktstat.publish import sdmx
from ktstat.publish.sdmx.columns import observation_columns
from ktstat.release.vintage import ROW_COLUMNS

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def pools(domain_id: str) -> dict[str, list[Any]]:
    """Codes to draw from: mostly valid ones of the domain, a few that are not."""
    dom = domains.load(domain_id)
    lists = sdmx.domain_lists(dom)
    periods = [str(p) for f in dom.frequencies for p in dom.periods(f)][-6:] + ["2024Q1", "24", "2024H3"]
    pairs = [(b, i) for b in list(lists.allowed)[:4] for i in sorted(lists.allowed[b])[:3]]
    pairs += [("total", "nope"), ("nope", "all"), ("category", "all")]
    measures = ["exports", "imports", "exports_rank", "balance_record_low", "exports_growth_yoy", "nope"]
    return {"periods": periods, "pairs": pairs, "measures": measures}


def rows_of(domain_id: str) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    p = pools(domain_id)
    value = st.one_of(
        st.none(),
        st.floats(allow_nan=True, allow_infinity=True, width=64),
        st.sampled_from([0.0, 1.0, 2.0, 3.5, -4.0, 1e16]),
        st.integers(-5, 5),
    )
    row = st.tuples(
        st.sampled_from(p["periods"]),
        st.sampled_from(p["pairs"]),
        st.sampled_from(p["measures"]),
        value,
        st.sampled_from(["A", "P", "C", "N", "X"]),
    ).map(lambda t: (t[0], t[1][0], t[1][1], t[2], t[3], t[4]))
    return st.lists(row, max_size=40)


def outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except InputError as e:
        return ("error", str(e))


def accepted(dom: Any, lists: Any, row: tuple[Any, ...]) -> bool:
    """Whether the row-by-row definition accepts ``row`` alone."""
    return bool(outcome(lambda: sdmx._observations_loop(dom, lists, [row]))[0] == "ok")


@pytest.mark.parametrize("domain_id", ["kst", "tbp"])
@SETTINGS
@given(data=st.data())
def test_columns_match_the_row_by_row_definition(domain_id: str, data: st.DataObject) -> None:
    dom = domains.load(domain_id)
    lists = sdmx.domain_lists(dom)
    rows = data.draw(rows_of(domain_id))
    if data.draw(st.booleans()):  # mostly valid: keep the rows the definition accepts, one per key
        seen: set[tuple[Any, ...]] = set()
        kept = []
        for r in rows:
            if accepted(dom, lists, r) and r[:4] not in seen:
                seen.add(r[:4])
                kept.append(r)
        rows = kept
    want = outcome(lambda: sdmx._observations_loop(dom, lists, rows))
    got = outcome(lambda: observation_columns(dom, lists, rows).observations())
    assert got == want


KST = domains.load("kst")
KST_LISTS = sdmx.domain_lists(KST)


def test_a_table_gives_what_its_rows_give() -> None:
    rows = [
        ("2024H1", "total", "all", "exports", 1.5, "A"),
        ("2023", "total", "all", "exports", 2.0, "A"),
        ("2024H1", "total", "all", "exports_rank", 3.0, "P"),
        ("2024H1", "category", "ict_services", "imports", None, "C"),
    ]
    types = {c: pa.float64() if c == "value" else pa.string() for c in ROW_COLUMNS}
    table = pa.table({c: pa.array([r[i] for r in rows], types[c]) for i, c in enumerate(ROW_COLUMNS)})
    by_rows = observation_columns(KST, KST_LISTS, rows)
    by_table = observation_columns(KST, KST_LISTS, table)
    assert by_rows.observations() == by_table.observations() == sdmx._observations_loop(KST, KST_LISTS, rows)
    # hand-checked: the year first (frequency A before S), the rank as an integer, C without a value
    texts = [(o.freq, o.breakdown, o.measure, o.time, o.value, o.status) for o in by_rows.observations()]
    assert texts[:3] == [
        ("A", "TOTAL", "exports", "2023", "2.0", "A"),
        ("S", "TOTAL", "exports", "2024-S1", "1.5", "A"),
        ("S", "TOTAL", "exports_rank", "2024-S1", "3", "P"),
    ]
    assert texts[3][4:] == ("", "C")
    assert by_rows.numbers()[2] == 3 and type(by_rows.numbers()[2]) is int
    assert by_rows.series_starts().tolist() == [0, 1, 2, 3, 4]


def test_a_bad_row_is_named_as_the_definition_names_it() -> None:
    rows = [("2024H1", "total", "all", "exports", 1.0, "A")] * 2
    with pytest.raises(InputError, match=r"row 2 \(2024H1, total, all, exports\): duplicate row"):
        observation_columns(KST, KST_LISTS, rows)
    table = pa.table({c: pa.array([None if c == "item" else rows[0][i]]) for i, c in enumerate(ROW_COLUMNS)})
    with pytest.raises(InputError, match="row 1"):
        observation_columns(KST, KST_LISTS, table)
