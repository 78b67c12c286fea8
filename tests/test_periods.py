"""Period labels and arithmetic (ktstat.periods)."""

from __future__ import annotations

import pytest

from ktstat.periods import Period, complete_periods, parse, span


def test_parse_and_print() -> None:
    for label in ("2023", "2025H1", "2025H2", "2025Q3"):
        assert str(parse(label)) == label
    assert parse(" 2024Q4 ") == Period("Q", 2024, 4)
    for bad in ("2025H3", "2025Q5", "25H1", "2025-06", "", "2025S1"):
        with pytest.raises(ValueError, match="not a period"):
            parse(bad)


def test_consecutive_indices_and_shifts() -> None:
    assert parse("2025H1").shift(-1) == parse("2024H2")
    assert parse("2024Q4").shift(1) == parse("2025Q1")
    assert parse("2023").shift(1) == parse("2024")
    assert parse("2025Q1").index - parse("2024Q4").index == 1
    assert Period.from_index("H", parse("2025H2").index) == parse("2025H2")


def test_coarser_and_finer() -> None:
    assert parse("2025Q3").to("H") == parse("2025H2") and parse("2025Q2").to("A") == parse("2025")
    assert parse("2025H1").subperiods("Q") == [parse("2025Q1"), parse("2025Q2")]
    assert [str(p) for p in parse("2024").subperiods("H")] == ["2024H1", "2024H2"]
    with pytest.raises(ValueError, match="finer"):
        parse("2025").to("Q")


def test_span_and_complete_periods() -> None:
    assert [str(p) for p in span(parse("2024Q3"), parse("2025Q2"))] == ["2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    with pytest.raises(ValueError):
        span(parse("2024Q3"), parse("2025H1"))
    # a half-year or year exists only when all its quarters lie in the range
    q = (parse("2023Q2"), parse("2025Q2"))
    assert [str(p) for p in complete_periods(*q, "H")] == ["2023H2", "2024H1", "2024H2", "2025H1"]
    assert [str(p) for p in complete_periods(*q, "A")] == ["2024"]
