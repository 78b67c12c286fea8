"""Domains are data: definitions, code lists, rules; a third programme needs no code."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from ktstat import domain as domains
from ktstat.demo.facts import default_facts_path, load_facts
from ktstat.errors import DomainError


def test_builtin_domains() -> None:
    assert {"tbp", "kst"} <= set(domains.available())
    tbp, kst = domains.load("tbp"), domains.load("kst")
    assert [str(p) for p in tbp.periods("A")][0::11] == ["2013", "2024"]
    assert str(kst.periods("H")[-1]) == "2025H1"
    assert str(kst.periods("A")[-1]) == "2024"  # 2025 is incomplete
    # the latest half, its quarters, and the year containing it (when complete) are provisional
    assert kst.provisional_periods() == {"2025H1", "2025Q1", "2025Q2", "2025"}
    assert "industry+institution" in tbp.breakdown_names()
    assert "category+region" in kst.breakdown_names()


def test_unknown_domain_names_the_known_ones() -> None:
    with pytest.raises(DomainError, match="unknown domain 'xyz'; known domains: .*kst"):
        domains.load("xyz")


def test_every_published_item_is_in_the_code_lists() -> None:
    for f in load_facts(default_facts_path()):
        dom = domains.load(f.domain)
        if f.breakdown == "total":
            assert f.item == "all"
            continue
        for b, code in zip(f.breakdown.split("+"), f.item.split("+"), strict=True):
            assert code in dom.breakdowns[b].codelist.by_code, (f.fact_id, b, code)


def test_packaged_facts_match_reference() -> None:
    ref = Path(__file__).resolve().parents[2] / "shared" / "reference" / "published_figures.csv"
    if not ref.exists():
        pytest.skip("shared/reference is not beside the checkout")
    assert default_facts_path().read_bytes() == ref.read_bytes()


def test_kst_categories_follow_ebops() -> None:
    items = domains.load("kst").item_codelist
    assert items.ancestor("SH3", 1) == "ip_royalties"
    assert items.ancestor("SH3", 2) == "computer_mobile_software_copyright"
    assert items.ancestor("SI32", 2) == "info_provision_platform"
    assert items.ancestor("SK1", 1) == "culture_leisure"
    assert {items.ancestor(leaf, 1) for leaf in items.leaves()} == {
        "ip_royalties",
        "ict_services",
        "professional_business",
        "culture_leisure",
    }


def test_partners_cover_iso_3166_with_regions() -> None:
    partners = domains.load("kst").partner_codelist
    leaves = partners.leaves()
    assert len(leaves) >= 249
    for code, region in (
        ("US", "north_america"),
        ("CN", "asia"),
        ("VN", "asia"),
        ("DE", "europe"),
        ("SA", "middle_east"),
        ("BR", "latin_america"),
        ("AU", "oceania"),
        ("ZA", "africa"),
    ):
        assert partners.ancestor(code, 1) == region
    assert partners.label("KR", "ko") == "대한민국"


def test_rules_give_known_codes_and_special_classes_overlap(tmp_path: Path) -> None:
    from ktstat.classify import build_memberships
    from ktstat.store import open_store

    con = open_store(None)
    dom = domains.load("kst")
    con.execute(
        "INSERT INTO reporter_cells (domain, industry, size_class, platform) VALUES "
        "('kst', '58211', 'large', false), ('kst', '63120', 'sme', true), ('kst', '26110', 'sme', false)"
    )
    build_memberships(con, dom)
    special = {(k, c) for k, c in con.execute("SELECT key1, code FROM m_special").fetchall()}
    assert {
        ("58211", "ict_game_software"),
        ("58211", "content_game"),
        ("58211", "ict_industry"),
        ("58211", "content_industry"),
    } <= special
    industry = dict(((k, p), c) for k, p, c in con.execute("SELECT key1, key3, code FROM m_industry").fetchall())
    assert industry[("63120", True)] == "digital_platforms"
    assert industry[("26110", False)] == "manufacturing"
    inst = dict(((k, s), c) for k, s, c in con.execute("SELECT key1, key2, code FROM m_institution").fetchall())
    assert inst[("63120", "sme")] == "digital_platforms"
    assert inst[("58211", "large")] == "large"


def test_a_third_programme_is_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copy a built-in programme under a new id: it compiles with no code change."""
    src = domains.BUILTIN_DOMAINS / "tbp"
    dst = tmp_path / "domains" / "ttx"
    shutil.copytree(src, dst)
    spec = (dst / "domain.toml").read_text(encoding="utf-8").replace('id = "tbp"', 'id = "ttx"')
    spec = spec.replace('first_period = "2013"', 'first_period = "2020"')
    (dst / "domain.toml").write_text(spec, encoding="utf-8")
    monkeypatch.setenv("KTSTAT_DOMAINS", str(tmp_path / "domains"))
    domains.load.cache_clear()
    try:
        assert "ttx" in domains.available()
        rec = tmp_path / "r.csv"
        with rec.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency"])
            w.writerow(["1", "A", "2021-05", "X", "US", "patents", "100", "USD"])
            w.writerow(["2", "A", "2022-05", "X", "US", "patents", "150", "USD"])
        reg = tmp_path / "reg.csv"
        reg.write_text("reporter_id,name,industry,size_class,platform\nA,a,26110,large,false\n", encoding="utf-8")
        rates = tmp_path / "rates.csv"
        rates.write_text("currency,period,per_usd\n", encoding="utf-8")
        import ktstat

        table = ktstat.compile("ttx", rec, reg, rates, protect=False).to_pylist()
        got = {(r["period"], r["breakdown"], r["item"], r["measure"]): r["value"] for r in table}
        assert got[("2022", "industry", "electric_electronics", "exports")] == 150.0
        assert got[("2022", "total", "all", "exports_growth")] == pytest.approx(50.0)
    finally:
        domains.load.cache_clear()


def test_domain_ids_and_breakdown_names_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids end up in SQL: only a-z, 0-9 and _; the id must equal its folder's name."""
    dst = tmp_path / "domains" / "kst2"
    shutil.copytree(domains.BUILTIN_DOMAINS / "kst", dst)  # id inside is still "kst"
    monkeypatch.setenv("KTSTAT_DOMAINS", str(tmp_path / "domains"))
    domains.load.cache_clear()
    try:
        with pytest.raises(DomainError, match="id must equal the folder name"):
            domains.load("kst2")
    finally:
        domains.load.cache_clear()


def test_crosses_are_compiled_at_the_frequencies_declared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kst = domains.load("kst")
    assert "category+region" in kst.breakdowns_at("H") and "category+region" in kst.breakdowns_at("A")
    assert kst.breakdowns_at("Q") == ["total", *kst.breakdowns]
    assert domains.load("tbp").breakdowns_at("A") == domains.load("tbp").breakdown_names()
    # a frequency the domain does not publish is refused, naming the file
    dst = tmp_path / "domains" / "kst3"
    shutil.copytree(domains.BUILTIN_DOMAINS / "kst", dst)
    toml = dst / "domain.toml"
    text = (
        toml.read_text()
        .replace('id = "kst"', 'id = "kst3"')
        .replace('frequencies = ["A", "H"]\n', 'frequencies = ["M"]\n')
    )
    toml.write_text(text)
    monkeypatch.setenv("KTSTAT_DOMAINS", str(tmp_path / "domains"))
    domains.load.cache_clear()
    try:
        with pytest.raises(DomainError, match=r"kst3/domain.toml: \[crosses\] frequencies names 'M'"):
            domains.load("kst3")
    finally:
        domains.load.cache_clear()
