"""Classify: membership tables that map record and reporter attributes to breakdown codes.

For each breakdown of a domain, ``build_memberships`` creates a temporary DuckDB table
``m_<breakdown>`` with the columns ``key1[, key2, key3], code, grp``:

- ``item`` / ``partner`` breakdowns: ``key1`` is a leaf code of the records' code list,
  ``code`` its ancestor at the breakdown's depth;
- ``reporter`` breakdowns: ``(key1, key2, key3)`` = (industry, size_class, platform) of a
  reporter profile; ``code`` from the first matching rule (``match = "first"``) or from
  every matching rule plus the matched codes' ancestors (``match = "all"``).

``grp`` is the code's depth in its code list, used to rank items only against their peers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ktstat.domain import Breakdown, CodeList, Domain
from ktstat.errors import DomainError
from ktstat.store import insert_rows

if TYPE_CHECKING:
    import duckdb

KEYS = {"item": ("item",), "partner": ("partner",), "reporter": ("industry", "size_class", "platform")}


def _pattern(value: str | None) -> str:
    v = (value or "*").strip()
    return v.replace("*", "%")


def _code_rows(codelist: CodeList, leaves: list[str], level: int) -> list[tuple[str, str, int]]:
    by = codelist.by_code
    rows = []
    for leaf in leaves:
        if leaf not in by:
            continue
        code = codelist.ancestor(leaf, level) if level else leaf
        if code is not None:
            rows.append((leaf, code, codelist.depth(code)))
    return rows


def build_memberships(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Create ``m_<breakdown>`` for every breakdown (reads table ``reporter_cells``)."""
    for b in domain.breakdowns.values():
        if b.source == "reporter":
            _reporter_membership(con, domain, b)
        else:
            base = domain.item_codelist if b.source == "item" else domain.partner_codelist
            if base.name != b.codelist.name:
                raise DomainError(f"{domain.id}: breakdown {b.name} must use the records' code list {base.name}")
            rows = _code_rows(b.codelist, base.leaves(), b.level)
            con.execute(f"CREATE OR REPLACE TEMP TABLE m_{b.name} (key1 VARCHAR, code VARCHAR, grp INTEGER)")
            insert_rows(con, f"m_{b.name}", rows)


def _reporter_membership(con: duckdb.DuckDBPyConnection, domain: Domain, b: Breakdown) -> None:
    known = b.codelist.by_code
    rules = []
    for n, r in enumerate(b.rules):
        if r["code"] not in known:
            raise DomainError(f"{domain.id}: rule {n + 1} of breakdown {b.name} gives unknown code {r['code']!r}")
        rules.append(
            (n, _pattern(r.get("industry")), _pattern(r.get("size_class")), _pattern(r.get("platform")), r["code"])
        )
    con.execute("CREATE OR REPLACE TEMP TABLE rules_tmp (n INTEGER, ind VARCHAR, sz VARCHAR, pf VARCHAR, code VARCHAR)")
    insert_rows(con, "rules_tmp", rules)
    anc = [(c.code, a, b.codelist.depth(a)) for c in b.codelist.codes for a in _ancestors(b.codelist, c.code)]
    con.execute("CREATE OR REPLACE TEMP TABLE anc_tmp (code VARCHAR, anc VARCHAR, grp INTEGER)")
    insert_rows(con, "anc_tmp", anc)
    matched = f"""
        SELECT p.industry AS key1, p.size_class AS key2, p.platform AS key3, r.n, r.code
        FROM (SELECT DISTINCT industry, size_class, platform FROM reporter_cells WHERE domain = '{domain.id}') p
        JOIN rules_tmp r ON coalesce(p.industry, '') LIKE r.ind AND coalesce(p.size_class, '') LIKE r.sz
             AND coalesce(CAST(p.platform AS VARCHAR), 'false') LIKE r.pf"""
    if b.match == "first":
        sql = f"""SELECT key1, key2, key3, arg_min(code, n) AS code FROM ({matched}) GROUP BY ALL"""
        sql = (
            f"SELECT s.key1, s.key2, s.key3, s.code, a.grp FROM ({sql}) s "
            "JOIN anc_tmp a ON a.code = s.code AND a.anc = s.code"
        )
    else:
        sql = f"""SELECT DISTINCT s.key1, s.key2, s.key3, a.anc AS code, a.grp
                  FROM ({matched}) s JOIN anc_tmp a ON a.code = s.code"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE m_{b.name} AS {sql}")


def _ancestors(codelist: CodeList, code: str) -> list[str]:
    by = codelist.by_code
    out = [code]
    while by[out[-1]].parent:
        out.append(by[out[-1]].parent)
    return out
