"""The crosses the press releases explain their totals with (technology trade: partner x industry
and region x industry; knowledge services: special classification x region and x partner,
category x partner): declared, compiled, in the disclosure-control table with their margins and
hierarchies, audited, and cited by the statements."""

from __future__ import annotations

from pathlib import Path

import pytest

from apistore import Small
from ktstat import domain as domains
from ktstat.pipeline import compile_domain
from ktstat.release.statements import _breakdown_statements, statements
from ktstat.sdc.linear import build_tables
from ktstat.store import open_store

FIX = Path(__file__).parent / "fixtures" / "kst_small"
NEEDED = {
    "tbp": [("partner", "industry"), ("region", "industry")],
    "kst": [("special", "region"), ("special", "partner"), ("category", "partner")],
}


def _declared(domain: str, parts: tuple[str, str]) -> tuple[str, ...]:
    """The declared cross of these parts (in the order the domain declares them)."""
    (cross,) = [c for c in domains.load(domain).crosses if set(c) == set(parts)]
    return cross


@pytest.mark.parametrize(("domain", "parts"), [(d, c) for d, cs in NEEDED.items() for c in cs])
def test_declared_and_in_the_disclosure_table(domain: str, parts: tuple[str, str], tmp_path: Path) -> None:
    cross = _declared(domain, parts)
    name = "+".join(cross)
    if domain == "kst":
        con = open_store(None)
        compile_domain(con, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv", protect=False)
    else:
        from storystore import build_story

        con = build_story(tmp_path)
    try:
        compiled = con.execute(
            "SELECT count(DISTINCT item) FROM cube WHERE domain = ? AND breakdown = ?", [domain, name]
        ).fetchall()[0][0]
        assert compiled > 0, name
        indicators = con.execute(
            "SELECT count(*) FROM indicators WHERE domain = ? AND breakdown = ? AND measure = 'exports_change'",
            [domain, name],
        ).fetchall()[0][0]
        assert indicators > 0, name
        table = build_tables(con, domains.load(domain))["X"]
    finally:
        con.close()
    # every cell of the cross is in the table, and each margin is an equation over its cells
    cells = [n for n, k in enumerate(table.keys) if k[2] == name]
    assert cells
    in_equation = {c for eq in table.equations for c, _ in eq}
    assert set(cells) <= in_equation
    for pos, part in enumerate(cross):
        margins = [
            eq
            for eq in table.equations
            if table.keys[eq[0][0]][2] == part and all(table.keys[c][2] == name for c, _ in eq[1:])
        ]
        assert margins, (name, part)
        for eq in margins:
            code = table.keys[eq[0][0]][3]
            assert all(table.keys[c][3].split("+")[pos] == code for c, _ in eq[1:])


def test_protected_and_audited_on_a_protected_store(rich: Small) -> None:
    """Over the generated store compiled with disclosure control: the crosses lose cells to the
    primary rules (they are where the small cells are), and the audit of the store passes with
    their confidential cells' intervals computed."""
    from ktstat.sdc.audit import audit_store

    con = open_store(rich.store, read_only=True)
    try:
        rules = dict(
            con.execute(
                "SELECT breakdown, count(*) FILTER (WHERE rule NOT IN ('', 'secondary')) FROM disclosure "
                "WHERE domain = 'kst' GROUP BY 1"
            ).fetchall()
        )
        audited = dict(
            con.execute("SELECT breakdown, count(*) FROM disclosure_audit WHERE domain = 'kst' GROUP BY 1").fetchall()
        )
        res = audit_store(con, domains.load("kst"))
    finally:
        con.close()
    for parts in NEEDED["kst"]:
        name = "+".join(_declared("kst", parts))
        assert rules.get(name, 0) > 0 and audited.get(name, 0) == rules[name], name
    assert res.passed and res.checked >= sum(rules.values())


@pytest.fixture(scope="module")
def rich(api_rich: Small) -> Small:
    return api_rich


def _put(lookup: dict, period: str, breakdown: str, item: str, **measures: float) -> None:
    for m, v in measures.items():
        lookup[(period, breakdown, item, m)] = (v, "A")


def test_statements_cite_a_special_class_by_region_and_partner() -> None:
    """'Game exports are particularly active in China and Southeast Asia': a special class's
    change explained by the regions and the partners it went to."""
    dom = domains.load("kst")
    lookup: dict = {}
    p = "2025H1"
    _put(lookup, p, "total", "all", exports=19.7e9, imports=24.2e9, volume=43.9e9)
    _put(lookup, p, "special", "content_industry", exports=2e9, exports_change=300e6)
    _put(lookup, p, "special", "ict_industry", exports=5e9, exports_change=-50e6)
    for region, change in (("asia", 240e6), ("europe", 40e6), ("north_america", 20e6)):
        _put(lookup, p, "special+region", f"content_industry+{region}", exports_change=change)
    for partner, change in (("CN", 180e6), ("VN", 60e6), ("DE", 40e6), ("US", 20e6)):
        _put(lookup, p, "special+partner", f"content_industry+{partner}", exports_change=change)
    # the section states one explanation of a kind (the region's, the larger part of the change)
    chosen = {r.breakdown: s.text_en for s in statements(dom, lookup, p) for r, _ in s.cells if s.section == "special"}
    assert chosen["special+region"].startswith("For Content industry, knowledge services exports rose by"), chosen
    assert "most of it in Asia" in chosen["special+region"], chosen
    # the partners' is a candidate beside it
    candidates = {r.breakdown: s.text_en for s in _breakdown_statements(dom, lookup, p, "special") for r, _ in s.cells}
    assert "For Content industry, knowledge services exports rose by" in candidates["special+partner"], candidates
    assert "most of it in China" in candidates["special+partner"], candidates


def test_statements_cite_a_partner_by_industry_and_a_category_by_partner() -> None:
    """'Largely attributed to a decrease in technology imports in China's electric and electronics
    industry' (partner x industry); a knowledge services category's change by partner."""
    tbp = domains.load("tbp")
    lookup: dict = {}
    p = "2024"
    _put(lookup, p, "total", "all", exports=18e9, imports=20e9, volume=38e9)
    _put(lookup, p, "partner", "CN", imports=2e9, imports_change=-500e6, exports=1e9, exports_change=10e6)
    _put(lookup, p, "partner+industry", "CN+electric_electronics", imports_change=-400e6)
    _put(lookup, p, "partner+industry", "CN+machinery", imports_change=-100e6)
    cited = [st.text_en for st in statements(tbp, lookup, p) for r, _ in st.cells if r.breakdown == "partner+industry"]
    assert cited == [
        "For China, technology imports fell by $500.0 million, most of it in Electrical and electronics "
        "($400.0 million)."
    ], cited

    kst = domains.load("kst")
    lookup = {}
    p = "2025H1"
    _put(lookup, p, "total", "all", exports=19.7e9, imports=24.2e9, volume=43.9e9)
    _put(lookup, p, "category", "culture_leisure", exports=1e9, exports_change=200e6)
    _put(lookup, p, "category+partner", "culture_leisure+CN", exports_change=150e6)
    _put(lookup, p, "category+partner", "culture_leisure+JP", exports_change=50e6)
    cited = [st.text_en for st in statements(kst, lookup, p) for r, _ in st.cells if r.breakdown == "category+partner"]
    assert cited and "most of it in China ($150.0 million)" in cited[0], cited
