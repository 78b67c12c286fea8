"""Classify (ktstat.classify): membership tables of records and reporters to breakdown codes,
hand-checked against the knowledge services domain's code lists and rule files."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from ktstat import domain as domains
from ktstat.classify import build_memberships
from ktstat.errors import DomainError
from ktstat.store import insert_rows, open_store

# reporter profiles (industry, size_class, platform) as the reporter-cell table carries them
PROFILES = [
    ("58211", "sme", False),  # game software publisher
    ("26110", "large", False),  # semiconductors
    ("70113", "mid_sized", True),  # a platform, whatever its size
    ("99999", "individual", False),  # no special class
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = open_store(None)
    rows = [
        ("kst", f"R{n}", "2025Q1", 0, "X", "industrial_property", "US", ind, size, pf, 1_000_000, 1)
        for n, (ind, size, pf) in enumerate(PROFILES)
    ]
    insert_rows(c, "reporter_cells", rows)
    build_memberships(c, domains.load("kst"))
    return c


def _codes(con: duckdb.DuckDBPyConnection, breakdown: str, industry: str) -> set[str]:
    rows = con.execute(f"SELECT code FROM m_{breakdown} WHERE key1 = ?", [industry]).fetchall()
    return {r[0] for r in rows}


def test_first_matching_rule_gives_one_code(con: duckdb.DuckDBPyConnection) -> None:
    # institution_rules.csv: platform first, then size classes, then everything else
    assert _codes(con, "institution", "70113") == {"digital_platforms"}
    assert _codes(con, "institution", "26110") == {"large"}
    assert _codes(con, "institution", "58211") == {"sme"}
    assert _codes(con, "institution", "99999") == {"individual_other"}
    n = con.execute("SELECT count(*) FROM m_institution").fetchone()
    assert n is not None and n[0] == len(PROFILES)  # a partition: one code per profile


def test_overlapping_classes_match_every_rule_and_their_parents(con: duckdb.DuckDBPyConnection) -> None:
    # a game publisher is in both the ICT industry and the content industry
    game = _codes(con, "special", "58211")
    assert {"ict_game_software", "ict_industry", "content_game", "content_industry"} <= game
    assert "ict_manufacturing" not in game
    assert {"ict_manufacturing", "ict_industry"} <= _codes(con, "special", "26110")
    assert _codes(con, "special", "99999") == set()  # no rule matches: in no special class


def test_item_breakdowns_map_leaves_to_the_breakdown_level(con: duckdb.DuckDBPyConnection) -> None:
    kst = domains.load("kst")
    leaves = kst.item_codelist.leaves()
    cat = dict(con.execute("SELECT key1, code FROM m_category").fetchall())
    sub = dict(con.execute("SELECT key1, code FROM m_subcategory").fetchall())
    assert set(cat) == set(leaves)
    assert cat["SH1"] == "ip_royalties" and sub["SH1"] == "industrial_property"
    assert cat["SI21"] == "ict_services" and sub["SI21"] == "computer_services"
    for leaf in leaves:
        assert kst.item_codelist.depth(cat[leaf]) == 1
        assert kst.item_codelist.by_code[sub[leaf]].parent == cat[leaf] or sub[leaf] == cat[leaf]
    grp = con.execute("SELECT DISTINCT grp FROM m_category").fetchall()
    assert grp == [(1,)]


def test_partners_map_to_their_region(con: duckdb.DuckDBPyConnection) -> None:
    region = dict(con.execute("SELECT key1, code FROM m_region").fetchall())
    partner = dict(con.execute("SELECT key1, code FROM m_partner").fetchall())
    assert partner["US"] == "US" and partner["CN"] == "CN"
    assert region["CN"] == region["JP"] != region["US"]


def test_a_rule_naming_an_unknown_code_is_refused() -> None:
    kst = domains.load("kst")
    b = kst.breakdowns["institution"]
    bad = dataclasses.replace(b, rules=(*b.rules, {"platform": "*", "size_class": "*", "code": "nonesuch"}))
    broken = dataclasses.replace(kst, breakdowns={**kst.breakdowns, "institution": bad})
    c = open_store(None)
    insert_rows(c, "reporter_cells", [("kst", "R1", "2025Q1", 0, "X", "x", "US", "1", "sme", False, 1, 1)])
    with pytest.raises(DomainError, match=r"rule 6 of breakdown institution gives unknown code 'nonesuch'"):
        build_memberships(c, broken)
