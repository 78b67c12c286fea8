"""The story the statements tell: what a statistician would lead with, found by the ranking.

The demo's releases must carry the story points the real releases led with (checked by the
cells the statements cite, not by their words); a small fixture with a different story
(another industry overtaking, a surplus turning to a deficit) must get its own story; the
texts name their comparison and keep one unit of money (a tiny amount takes a smaller one);
Korean texts have Korean period labels."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from ktstat import domain as domains
from ktstat.release.statements import Statement, statements
from ktstat.release.tables import standard_tables

Lookup = dict[tuple[str, str, str, str], tuple[float | None, str]]


def cites(st: Statement, *cells: tuple[str, str, str, str]) -> bool:
    """Whether ``st`` cites every ``(period, breakdown, item, measure)`` of ``cells``."""
    have = {(r.period, r.breakdown, r.item, r.measure) for r, _ in st.cells}
    return all(c in have for c in cells)


def find(stmts: Iterable[Statement], *cells: tuple[str, str, str, str], kind: str | None = None) -> Statement:
    hits = [s for s in stmts if cites(s, *cells) and (kind is None or s.kind == kind)]
    assert hits, f"no statement ({kind or 'any kind'}) cites {cells}"
    return hits[0]


@pytest.fixture(scope="module")
def demo_lookups(demo_dir: Path) -> dict[str, Lookup]:
    import duckdb

    con = duckdb.connect(str(demo_dir / "ktstat.duckdb"), read_only=True)
    try:
        return {
            d: {
                (p, b, i, m): (v, s)
                for p, b, i, m, v, s in con.execute(
                    "SELECT period, breakdown, item, measure, value, status FROM indicators WHERE domain = ?", [d]
                ).fetchall()
            }
            for d in ("tbp", "kst")
        }
    finally:
        con.close()


def test_technology_trade_2023_story(demo_lookups: dict[str, Lookup]) -> None:
    stmts = statements(domains.load("tbp"), demo_lookups["tbp"], "2023")
    ind, par = "industry", "partner"
    # electric and electronics overtook information and communications as the largest industry
    s = find(
        stmts,
        ("2023", ind, "electric_electronics", "volume_rank"),
        ("2022", ind, "information_communications", "volume_rank"),
        kind="leader",
    )
    assert "overtook" in s.text_en and "제치고" in s.text_ko
    # information and communications had the largest surplus; construction the highest ratio
    find(
        stmts,
        ("2023", ind, "information_communications", "balance"),
        ("2023", ind, "information_communications", "balance_rank"),
        kind="surplus",
    )
    find(stmts, ("2023", ind, "construction", "ratio"), kind="ratio")
    # China overtook Vietnam as the country with the largest surplus
    s = find(stmts, ("2023", par, "CN", "balance_rank"), ("2022", par, "VN", "balance_rank"), kind="surplus")
    assert "overtook" in s.text_en
    # the United States stayed the largest partner both ways
    find(
        stmts,
        *((y, par, "US", f"{f}_rank") for y in ("2022", "2023") for f in ("exports", "imports")),
        kind="leader_both",
    )
    # electric and electronics gave about half of the export increase
    s = find(stmts, ("2023", ind, "electric_electronics", "exports_contribution"), kind="driver_exports")
    assert "about half" in s.text_en and "절반" in s.text_ko
    # trade volume nearly doubled in ten years
    find(stmts, ("2013", "total", "all", "volume"), ("2023", "total", "all", "volume"), kind="long_view")
    # not the mechanical lines of old
    assert not any("156.9%" in s.text_en for s in stmts if s.kind.startswith("driver") and "more than" not in s.text_en)


def test_technology_trade_2024_story(demo_lookups: dict[str, Lookup]) -> None:
    stmts = statements(domains.load("tbp"), demo_lookups["tbp"], "2024")
    s = find(stmts, ("2024", "total", "all", "volume"), kind="threshold")
    assert s.bounds and "$40 billion" in s.text_en and "400억 달러" in s.text_ko
    s = find(
        stmts,
        ("2024", "industry", "information_communications", "exports_growth"),
        ("2024", "industry", "electric_electronics", "exports_growth"),
        kind="contrast",
    )
    assert "rose" in s.text_en and "fell" in s.text_en
    find(stmts, ("2024", "partner", "CN", "exports_growth"))


def test_knowledge_services_2025h1_story(demo_lookups: dict[str, Lookup]) -> None:
    stmts = statements(domains.load("kst"), demo_lookups["kst"], "2025H1")
    # the widening against the previous half leads, the year-on-year view follows
    s = find(
        stmts,
        ("2025H1", "total", "all", "balance"),
        ("2024H2", "total", "all", "balance"),
        ("2025H1", "total", "all", "balance_change"),
        kind="balance",
    )
    assert "widened" in s.text_en and "second half of 2024" in s.text_en and "2024년 하반기" in s.text_ko
    s = find(stmts, ("2025H1", "total", "all", "exports_growth_yoy"), kind="comparison")
    assert "first half of 2024" in s.text_en
    headline = stmts[0]
    assert headline.kind == "headline" and cites(headline, ("2025H1", "total", "all", "exports_growth"))
    # the record half-year surplus of information and communications services
    find(
        stmts,
        ("2025H1", "category", "ict_services", "balance_record"),
        ("2025H1", "category", "ict_services", "balance"),
    )
    # surpluses and deficits by category, industry, institution and region
    for b in ("category", "industry", "institution", "region"):
        s = find([s for s in stmts if s.section == b], kind="signs")
        assert "surplus" in s.text_en and "deficit" in s.text_en and "흑자" in s.text_ko and "적자" in s.text_ko
    # the two special classifications with their largest items
    find(
        stmts,
        ("2025H1", "special", "ict_industry", "balance"),
        ("2025H1", "special", "ict_game_software", "balance"),
        kind="parent_ict_industry",
    )
    find(
        stmts,
        ("2025H1", "special", "content_industry", "balance"),
        ("2025H1", "special", "content_game", "balance"),
        kind="parent_content_industry",
    )


HANGUL_PERIOD = re.compile(r"\d{4}H[12]|\bH[12]\b")


@pytest.mark.parametrize(("dom_id", "period"), [("tbp", "2023"), ("tbp", "2024"), ("kst", "2025H1")])
def test_texts_and_tables_name_their_comparison(demo_lookups: dict[str, Lookup], dom_id: str, period: str) -> None:
    dom = domains.load(dom_id)
    lookup = demo_lookups[dom_id]
    for s in statements(dom, lookup, period):
        assert not HANGUL_PERIOD.search(s.text_ko), s.text_ko
        # one unit of money per statement, but for an amount that would show fewer than two
        # significant digits in it ("$0.00 billion", "0.0억 달러"): that one takes a smaller unit
        amounts = [(float(n.replace(",", "")), u) for n, u in re.findall(r"\$([\d,.]+) (billion|million)", s.text_en)]
        if len({u for _, u in amounts}) > 1:
            assert all(n < 100 for n, u in amounts if u == "million"), (s.id, s.text_en)
        assert all(n >= 0.1 for n, u in amounts if u == "billion"), (s.id, s.text_en)
        won = [(float(n.replace(",", "")), u) for n, u in re.findall(r"(?<![\d억])([\d,.]+)(억|만) 달러", s.text_ko)]
        if len({u for _, u in won}) > 1:
            assert all(n < 10_000 for n, u in won if u == "만"), (s.id, s.text_ko)
        assert all(n >= 1 for n, u in won if u == "억"), (s.id, s.text_ko)
    for t in standard_tables(dom, lookup, period, provisional=dom_id == "kst"):
        for c in t.columns:
            assert not HANGUL_PERIOD.search(c.label_ko), c.label_ko
            if "Growth" in c.label_en or "Change" in c.label_en:
                assert " on " in c.label_en and "대비" in c.label_ko, c  # every comparison named
        for r in t.rows:
            for cell, col in zip(r.cells, t.columns, strict=True):
                # a percent column never holds a level, a level column never a percent
                assert (cell.unit == "percent") == ("%" in col.label_en), (t.id, col.label_en, cell.ref.measure)
        notes = " ".join(t.footnotes_ko)
        assert not HANGUL_PERIOD.search(notes) and ("전년 동기" not in notes or dom_id == "kst"), notes


# -- another story ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def other_story(tmp_path_factory: pytest.TempPathFactory) -> Lookup:
    """Another story (tests/storystore.py): machinery overtakes chemicals, which turn to a deficit."""
    from storystore import build_story, lookup_of

    con = build_story(tmp_path_factory.mktemp("story"))
    try:
        return lookup_of(con)
    finally:
        con.close()


def test_another_story_gets_its_own_statements(other_story: Lookup) -> None:
    stmts = statements(domains.load("tbp"), other_story, "2023")
    ind = [s for s in stmts if s.section == "industry"]
    s = find(
        ind,
        ("2023", "industry", "machinery", "volume_rank"),
        ("2022", "industry", "chemicals", "volume_rank"),
        kind="leader",
    )
    assert s.text_en.startswith("Machinery overtook Chemicals"), s.text_en
    s = find(
        ind, ("2022", "industry", "machinery", "balance"), ("2023", "industry", "machinery", "balance"), kind="turned"
    )
    assert "turned from a deficit" in s.text_en and "적자에서" in s.text_ko and "흑자로" in s.text_ko
    s = find(
        ind,
        ("2023", "industry", "machinery", "balance_rank"),
        ("2022", "industry", "chemicals", "balance_rank"),
        kind="surplus",
    )
    assert "overtook Chemicals" in s.text_en
    # nothing of the demo's story where the data do not say it
    assert not any(r.item in ("electric_electronics", "information_communications") for s in stmts for r, _ in s.cells)


def test_statements_json_keeps_its_format(other_story: Lookup) -> None:
    """statements.json's entries: the same keys as before; ``bounds`` only where a threshold is stated."""
    for s in statements(domains.load("tbp"), other_story, "2023"):
        d = s.as_dict()
        assert set(d) - {"bounds"} == {"id", "section", "kind", "score", "text_en", "text_ko", "cells", "figures"}
        json.dumps(d)
        figures = d["figures"]
        assert isinstance(figures, list)
        for f in figures:
            assert set(f) == {"cell", "en", "ko"} and (f["en"] or f["ko"])
