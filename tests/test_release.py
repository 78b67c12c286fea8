"""Releases: vintages (immutability, corrections, embargo), the calendar, revisions, and the
statements checked against the indicators."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ktstat import domain as domains
from ktstat.release.basis import bases
from ktstat.release.calendar import calendar, release_time
from ktstat.release.numbers import has_batchim, josa, money, percent, period_label
from ktstat.release.revisions import compare, triangle
from ktstat.release.statements import statements
from ktstat.release.vintage import VintageError, create_vintage, get_vintage, list_vintages, vintage_rows

KST = timezone(timedelta(hours=9))
FIX = Path(__file__).parent / "fixtures" / "kst_small"


@pytest.fixture()
def store():
    from ktstat.pipeline import compile_domain
    from ktstat.store import open_store

    con = open_store(None)
    compile_domain(con, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv", protect=False)
    yield con
    con.close()


NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_vintage_snapshot_is_hashed_and_immutable(store) -> None:
    dom = domains.load("kst")
    v = create_vintage(store, dom, "2024H2", "provisional", datetime(2025, 3, 19, 12, tzinfo=KST), NOW)
    assert v.vintage_id == "kst-2024H2-v1" and v.batches and "items.csv" in v.codelists
    rows = vintage_rows(store, v)
    periods = {r[0] for r in rows}
    assert "2024H2" in periods and "2024" in periods and not any(p.startswith("2025") for p in periods)
    # the release period's own figures carry the release status
    assert {r[5] for r in rows if r[0] == "2024H2"} <= {"P", "N", "C"}
    assert {r[5] for r in rows if r[0] == "2024H2"} & {"P"}
    # the same period again is refused; a correction must say what it revises and why
    with pytest.raises(VintageError, match="already released as kst-2024H2-v1"):
        create_vintage(store, dom, "2024H2", "provisional", datetime(2025, 3, 19, 12, tzinfo=KST), NOW)
    with pytest.raises(VintageError, match="needs --reason"):
        create_vintage(
            store, dom, "2024H2", "provisional", datetime(2025, 3, 20, 12, tzinfo=KST), NOW, revises="kst-2024H2-v1"
        )
    # changing a released vintage in the store is detected on every read
    store.execute(
        "UPDATE vintage_indicators SET value = value + 1 WHERE vintage_id = 'kst-2024H2-v1' "
        "AND measure = 'exports' AND breakdown = 'total' AND period = '2024H2'"
    )
    with pytest.raises(VintageError, match="does not match its content hash"):
        vintage_rows(store, get_vintage(store, "kst-2024H2-v1"))


def test_final_revises_provisional_and_corrections_chain(store) -> None:
    dom = domains.load("kst")
    p = create_vintage(store, dom, "2024H1", "provisional", datetime(2024, 9, 17, 12, tzinfo=KST), NOW)
    f = create_vintage(store, dom, "2024H1", "final", datetime(2025, 9, 17, 12, tzinfo=KST), NOW)
    assert (f.vintage_id, f.revises, f.reason) == ("kst-2024H1-v2", p.vintage_id, "final figures")
    assert {r[5] for r in vintage_rows(store, f) if r[0] == "2024H1"} & {"A"}
    c = create_vintage(
        store,
        dom,
        "2024H1",
        "final",
        datetime(2025, 10, 1, 12, tzinfo=KST),
        NOW,
        revises=f.vintage_id,
        reason="a reporter's late correction",
    )
    assert [v.vintage_id for v in list_vintages(store, "kst", "2024H1")] == [p.vintage_id, f.vintage_id, c.vintage_id]


def test_release_needs_a_zone_a_compiled_period_and_a_known_status(store) -> None:
    dom = domains.load("kst")
    with pytest.raises(Exception, match="time zone"):
        create_vintage(store, dom, "2024H1", "provisional", datetime(2024, 9, 17, 12), NOW)
    with pytest.raises(Exception, match="not compiled"):
        create_vintage(store, dom, "2019H1", "provisional", datetime(2019, 9, 17, 12, tzinfo=KST), NOW)
    with pytest.raises(Exception, match="provisional or final"):
        create_vintage(store, dom, "2024H1", "draft", datetime(2024, 9, 17, 12, tzinfo=KST), NOW)


def test_embargo_lifts_at_the_release_time(store) -> None:
    dom = domains.load("kst")
    at = datetime(2026, 12, 1, 12, tzinfo=KST)
    v = create_vintage(store, dom, "2024H2", "provisional", at, NOW)
    assert v.embargoed(NOW) and v.embargoed(at - timedelta(seconds=1)) and not v.embargoed(at)


def test_calendar_from_domain_data() -> None:
    kst, tbp = domains.load("kst"), domains.load("tbp")
    assert release_time(kst, "2025H1", "provisional") == datetime(2025, 9, 17, 12, tzinfo=KST)
    assert release_time(kst, "2024H2", "provisional") == datetime(2025, 3, 19, 12, tzinfo=KST)
    assert release_time(tbp, "2024", "provisional") == datetime(2025, 12, 18, 12, tzinfo=KST)
    assert release_time(tbp, "2024", "final") == datetime(2026, 12, 18, 12, tzinfo=KST)
    # from 2025-06-15 to 2026-04-11: September 2025 (2025H1 provisional, 2024H1 final) has passed,
    # March 2026 (2025H2 provisional, 2024H2 final) is ahead
    due = calendar(kst, [], datetime(2026, 1, 1, tzinfo=UTC), back_days=200, ahead_days=100)
    assert {(d.period, d.status, d.state) for d in due} == {
        ("2025H1", "provisional", "overdue"),
        ("2024H1", "final", "overdue"),
        ("2025H2", "provisional", "upcoming"),
        ("2024H2", "final", "upcoming"),
    }


def test_calendar_marks_released_vintages(store) -> None:
    kst = domains.load("kst")
    v = create_vintage(store, kst, "2024H2", "provisional", datetime(2025, 3, 19, 12, tzinfo=KST), NOW)
    due = calendar(kst, list_vintages(store, "kst"), datetime(2025, 4, 1, tzinfo=UTC), back_days=30, ahead_days=10)
    assert [(d.period, d.state, d.vintage) for d in due if d.status == "provisional"] == [
        ("2024H2", "released", v.vintage_id)
    ]


def test_revision_triangle_by_hand() -> None:
    # three vintages of a yearly series; 2022 estimated three times (100, 104, 103), 2023 twice
    # (200, 190), 2024 once: revisions 2022: +3, 2023: -10; mean -3.5, mean absolute 6.5
    series = [
        ("v1", {"2022": 100.0}),
        ("v2", {"2022": 104.0, "2023": 200.0}),
        ("v3", {"2022": 103.0, "2023": 190.0, "2024": 50.0}),
    ]
    tri = triangle(series)
    assert tri.periods == ["2022", "2023", "2024"]
    assert tri.values["2023"] == {"v2": 200.0, "v3": 190.0}
    assert tri.revisions == {"2022": 3.0, "2023": -10.0}
    assert tri.mean_revision == -3.5 and tri.mean_absolute_revision == 6.5
    # a confidential value is no estimate
    tri2 = triangle([("v1", {"2022": None}), ("v2", {"2022": 5.0})])
    assert tri2.revisions == {} and tri2.mean_revision is None
    a = {("2022", "total", "all", "exports"): (1.0, "A"), ("2023", "total", "all", "exports"): (2.0, "A")}
    b = {("2022", "total", "all", "exports"): (1.5, "A"), ("2023", "total", "all", "exports"): (2.0, "A")}
    assert compare(a, b) == [(("2022", "total", "all", "exports"), 1.0, 1.5, 0.5)]


def test_numbers_and_particles() -> None:
    assert money(18_349_000_000, "en") == "$18.35 billion"
    assert money(18_349_000_000, "ko") == "183.5억 달러"
    assert money(-701_500_000, "en") == "$701.5 million" and money(70_150_000, "ko") == "7,015만 달러"
    assert money(12_345.6, "en") == "$12,346" and money(1_234, "ko") == "1,234달러"
    assert percent(-7.86, "en") == "7.9%"
    assert period_label("2025H1", "ko") == "2025년 상반기" and period_label("2025H2", "en") == "the second half of 2025"
    assert has_batchim("제조업") and has_batchim("대기업") and not has_batchim("ICT 제조") and not has_batchim("특허")
    pairs = [
        ("제조업", "이/가", "제조업이"),
        ("미국", "은/는", "미국은"),
        ("특허", "이/가", "특허가"),
        ("일본", "을/를", "일본을"),
        ("베트남", "을/를", "베트남을"),
        ("중국", "이/가", "중국이"),
        ("흑자", "으로/로", "흑자로"),
        ("산업", "으로/로", "산업으로"),
        ("서울", "으로/로", "서울로"),
    ]
    assert [josa(w, p) for w, p, _ in pairs] == [want for *_, want in pairs]


NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _check_statements(dom_id: str, lookup, period: str) -> int:
    dom = domains.load(dom_id)
    stmts = statements(dom, lookup, period)
    assert stmts and stmts[0].kind == "headline"
    for s in stmts:
        for ref, value in s.cells:
            assert ref.domain == dom_id
            assert lookup[(ref.period, ref.breakdown, ref.item, ref.measure)][0] == value, (s.id, ref)
            assert lookup[(ref.period, ref.breakdown, ref.item, ref.measure)][1] not in ("C", "N")
        for k, en, _ko in s.bounds:  # a threshold the cited cell passed: never above its value
            bound = float(re.sub(r"[^\d.]", "", en)) * (1e9 if "billion" in en else 1e6 if "million" in en else 1)
            assert s.cells[k][1] >= bound, (s.id, en, s.cells[k])
        for lang, text in (("en", s.text_en), ("ko", s.text_ko)):
            shown = [en if lang == "en" else ko for _, en, ko in s.figures + s.bounds]
            assert all(f in text for f in shown), (s.id, lang, shown, text)
            # every number in the text is a figure from a cited cell or part of a period label
            rest = text
            for f in sorted(shown, key=len, reverse=True):
                rest = rest.replace(f, " ")
            for p in {r.period for r, _ in s.cells} | {period} | {b.period for b in bases(dom, period)}:
                rest = rest.replace(period_label(p, lang), " ")
            assert not NUMBER.findall(rest), (s.id, lang, text, NUMBER.findall(rest))
    return len(stmts)


def test_statements_cite_the_indicators(store) -> None:
    lookup = {
        (p, b, i, m): (v, s)
        for p, b, i, m, v, s in store.execute(
            "SELECT period, breakdown, item, measure, value, status FROM indicators"
        ).fetchall()
    }
    assert _check_statements("kst", lookup, "2024H2") >= 3


def test_statements_on_the_demo(demo_dir: Path) -> None:
    import duckdb

    con = duckdb.connect(str(demo_dir / "ktstat.duckdb"), read_only=True)
    try:
        for dom_id, period in (("tbp", "2024"), ("kst", "2025H1")):
            lookup = {
                (p, b, i, m): (v, s)
                for p, b, i, m, v, s in con.execute(
                    "SELECT period, breakdown, item, measure, value, status FROM indicators WHERE domain = ?", [dom_id]
                ).fetchall()
            }
            assert _check_statements(dom_id, lookup, period) >= 10
    finally:
        con.close()
