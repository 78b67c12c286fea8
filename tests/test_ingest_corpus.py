"""Ingest corpus: small bad (and good) input files, each with the outcome ingest must give.

The cases are in tests/ingest_corpus/cases.toml (its header states the conventions the
expected outcomes follow). Each case loads the same register and rates, ingests one file
and checks the outcome exactly: the file error, or the counts, every quarantined row with
all the rules it breaks, the rows flagged for review, and that counts and amounts reconcile.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ktstat import domain as domains
from ktstat.errors import InputError
from ktstat.store import open_store

CORPUS = Path(__file__).resolve().parent / "ingest_corpus"
CASES: list[dict[str, Any]] = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))["case"]

RULES = {
    "required",
    "unique",
    "period_format",
    "period_range",
    "flow_code",
    "partner_code",
    "item_code",
    "currency_code",
    "amount_numeric",
    "amount_nonzero",
    "amount_negative",
    "exchange_rate",
    "reporter_registered",
    "reporter_valid",
    "csv_syntax",
}
RECORD_FIELDS = ("record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency")
# the field a quarantine row names for each rule (`required`: the empty field; `csv_syntax`: none)
RULE_FIELD = {
    "unique": "record_id",
    "period_format": "period",
    "period_range": "period",
    "flow_code": "flow",
    "partner_code": "partner",
    "item_code": "item",
    "currency_code": "currency",
    "amount_numeric": "amount",
    "amount_nonzero": "amount",
    "amount_negative": "amount",
    "exchange_rate": "currency",
    "reporter_registered": "reporter_id",
    "reporter_valid": "reporter_id",
}
FILE_ERRORS = {"empty", "missing column", "decode", "parquet", "unsupported format", "not found"}


def _load(domain: str):
    from ktstat.ingest import load_reference

    con = open_store(None)
    dom = domains.load(domain)
    load_reference(con, dom, CORPUS / "reporters.csv", CORPUS / "rates.csv")
    return con, dom


def _ingest(con, dom, path: Path, case: dict[str, Any]):
    from ktstat.ingest import ingest_files  # imported here: the module must collect before it exists

    return ingest_files(
        con,
        dom,
        [path],
        mapping=CORPUS / case["mapping"] if "mapping" in case else None,
        encoding=case.get("encoding"),
        sheet=case.get("sheet"),
        submitter="test",
    )


# ---------------------------------------------------------------- the corpus itself


def test_corpus_is_well_formed() -> None:
    """Every case names its file and outcome consistently (runs without ingest_files)."""
    files = [c["file"] for c in CASES]
    assert len(files) == len(set(files)), "one case per file"
    for c in CASES:
        name = c["file"]
        assert c["domain"] in ("kst", "tbp"), name
        assert c.get("why"), name
        if "mapping" in c:
            assert (CORPUS / c["mapping"]).is_file(), name
        if "error" in c:
            assert not {"rows_in", "accepted", "quarantined"} & c.keys(), name
            assert (CORPUS / name).exists() == (c["error"] != "not found"), name
            continue
        assert (CORPUS / name).is_file(), name
        q = c["quarantined"]
        assert c["rows_in"] == c["accepted"] + len(q), name
        for row, rules in q.items():
            first = c.get("first_row", 1)  # Excel: the sheet row of the first record
            assert first <= int(row) < first + c["rows_in"], (name, row)
            assert rules and rules == sorted(rules) and set(rules) <= RULES, (name, row, rules)
        for row, fld in c.get("required_fields", {}).items():
            assert "required" in q[row] and fld in RECORD_FIELDS, (name, row)
        for row, rules in q.items():
            assert ("required" in rules) == (row in c.get("required_fields", {})), (name, row)
        for row, flags in c.get("review", {}).items():
            assert row not in q and flags == ["plausibility"], (name, row)
        for cur, a in c.get("amounts", {}).items():
            assert Decimal(a["in"]) == Decimal(a["accepted"]) + Decimal(a["quarantined"]), (name, cur)
    # every input file in the folder has its case
    support = {"cases.toml", "reporters.csv", "rates.csv"} | {c["mapping"] for c in CASES if "mapping" in c}
    assert {p.name for p in CORPUS.iterdir() if p.is_file()} - support == set(files) - {
        c["file"] for c in CASES if c.get("error") == "not found"
    }
    # the corpus covers every quarantine rule for kst, plausibility, and every file error
    kst_rules = {r for c in CASES if c["domain"] == "kst" for rs in c.get("quarantined", {}).values() for r in rs}
    assert kst_rules == RULES
    assert any(c.get("review") for c in CASES)
    assert {c["error"] for c in CASES if "error" in c} >= FILE_ERRORS
    assert any(c["domain"] == "tbp" and c.get("quarantined") for c in CASES)


def test_register_and_rates_load() -> None:
    for d in ("kst", "tbp"):
        con, dom = _load(d)
        assert con.execute("SELECT count(DISTINCT reporter_id) FROM reporters").fetchone()[0] == 9
        assert con.execute("SELECT count(*) FROM rates").fetchone()[0] > 0


# ---------------------------------------------------------------- each case


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    con, dom = _load(case["domain"])
    path = CORPUS / case["file"]

    if "error" in case:
        if case["error"] == "not found":
            assert not path.exists()
        with pytest.raises(InputError) as info:
            _ingest(con, dom, path, case)
        message = str(info.value)
        assert path.name in message, message
        assert case["error"].lower() in message.lower(), message
        return

    report = _ingest(con, dom, path, case)
    assert len(report.files) == 1
    f = report.files[0]
    expected = {int(k): sorted(v) for k, v in case["quarantined"].items()}

    # counts
    assert f.rows_in == case["rows_in"]
    assert f.accepted == case["accepted"]
    assert f.quarantined == len(expected)
    assert f.rows_in == f.accepted + f.quarantined

    # every quarantined row with every rule it breaks, and the field each rule names
    got: dict[int, list[str]] = {}
    required_fields: dict[int, list[str]] = {}
    for row_no, rule, fld, _value in con.execute("SELECT row_no, rule, field, value FROM quarantine").fetchall():
        got.setdefault(int(row_no), []).append(rule)
        if rule == "required":
            assert fld in RECORD_FIELDS, (row_no, fld)
            required_fields.setdefault(int(row_no), []).append(fld)
        elif rule in RULE_FIELD:
            assert fld == RULE_FIELD[rule], (row_no, rule, fld)
    assert {k: sorted(v) for k, v in got.items()} == expected

    for row, fld in case.get("required_fields", {}).items():
        assert required_fields.get(int(row)) == [fld], (row, required_fields.get(int(row)))

    by_rule: dict[str, int] = {}
    for rules in expected.values():
        for r in rules:
            by_rule[r] = by_rule.get(r, 0) + 1
    assert {k: v for k, v in f.by_rule.items() if v} == by_rule

    # the accepted rows are exactly the others
    accepted_rows = sorted(int(r) for (r,) in con.execute("SELECT row_no FROM records").fetchall())
    first = case.get("first_row", 1)
    assert accepted_rows == [n for n in range(first, first + case["rows_in"]) if n not in expected]

    # review flags (the flagged rows stay accepted)
    review: dict[int, list[str]] = {}
    for row_no, rule in con.execute("SELECT row_no, rule FROM review").fetchall():
        review.setdefault(int(row_no), []).append(rule)
    assert {k: sorted(v) for k, v in review.items()} == {int(k): sorted(v) for k, v in case.get("review", {}).items()}

    # amounts reconcile per currency; stated sums match exactly
    for cur, a in f.amounts.items():
        assert Decimal(a["in"]) == Decimal(a["accepted"]) + Decimal(a["quarantined"]), (cur, a)
    for cur, a in case.get("amounts", {}).items():
        assert cur in f.amounts, (cur, sorted(f.amounts))
        assert {k: Decimal(v) for k, v in f.amounts[cur].items() if k in a} == {k: Decimal(v) for k, v in a.items()}, (
            cur
        )


# ---------------------------------------------------------------- a big file


@pytest.mark.slow
def test_million_rows_and_one_bad_row(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """1,000,000 valid kst rows then one bad row: all good rows accepted, the last quarantined."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow: run with -m slow")
    n = 1_000_000
    path = tmp_path / "million.csv"
    reporters = ("R001", "R002", "R003", "R007")
    partners = ("US", "JP", "CN", "DE", "SG")
    items = ("SH1", "SH3", "SI21", "SJ1", "SK1", "SJ31")
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("record_id,reporter_id,period,flow,partner,item,amount,currency,note\n")
        chunk: list[str] = []
        for i in range(n):
            chunk.append(
                f"g{i},{reporters[i % 4]},2023-{i % 12 + 1:02d},{'XM'[i % 2]},{partners[i % 5]},"
                f"{items[i % 6]},{100 + i % 900}.{i % 100:02d},{'EUR' if i % 7 == 0 else 'USD'},\n"
            )
            if len(chunk) == 100_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
        out.write(f"g{n},R001,2023-06,Z,US,SH1,150.00,USD,bad flow\n")

    con, dom = _load("kst")
    report = _ingest(con, dom, path, {})
    f = report.files[0]
    assert f.rows_in == n + 1
    assert f.accepted == n
    assert f.quarantined == 1
    assert f.by_rule == {"flow_code": 1}
    assert con.execute("SELECT row_no, rule, field, value FROM quarantine").fetchall() == [
        (n + 1, "flow_code", "flow", "Z")
    ]
    for cur, a in f.amounts.items():
        assert Decimal(a["in"]) == Decimal(a["accepted"]) + Decimal(a["quarantined"]), cur
    assert f.amounts["USD"]["quarantined"] == Decimal("150.00")
