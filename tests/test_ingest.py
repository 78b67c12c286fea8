"""Ingest: every row accepted or quarantined with its rule; file-level errors name the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktstat import domain as domains
from ktstat.errors import InputError
from ktstat.ingest import ingest_files, load_reference
from ktstat.store import open_store

REPORTERS = """reporter_id,name,industry,size_class,platform,valid_from,valid_to
A,Alpha,58211,large,false,,
B,Beta,26110,sme,false,,2023-12-31
B,Beta,26110,mid_sized,false,2024-01-01,
L,Late,62010,sme,false,2024-06-01,
"""
RATES = """currency,period,per_usd
KRW,2023,1000
KRW,2024Q1,1250
"""
HEADER = "record_id,reporter_id,period,flow,partner,item,amount,currency,note\n"


def _write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture()
def loaded(tmp_path: Path):
    con = open_store(None)
    dom = domains.load("kst")
    load_reference(con, dom, _write(tmp_path, "r.csv", REPORTERS), _write(tmp_path, "x.csv", RATES))
    return con, dom, tmp_path


CASES = [
    ("ok1,A,2023-03,X,US,SH1,10.50,USD,", None),
    ("ok2,B,2024-02-10,M,CN,SI21,1250,KRW,", None),
    (",A,2023-03,X,US,SH1,1,USD,", "required"),
    ("d1,,2023-03,X,US,SH1,1,USD,", "required"),
    ("d2,A,2023-13,X,US,SH1,1,USD,", "period_format"),
    ("d3,A,2009-12,X,US,SH1,1,USD,", "period_range"),
    ("d4,A,2023-03,Z,US,SH1,1,USD,", "flow_code"),
    ("d5,A,2023-03,X,XX,SH1,1,USD,", "partner_code"),
    ("d6,A,2023-03,X,US,SH9,1,USD,", "item_code"),
    ("d7,A,2023-03,X,US,SH1,abc,USD,", "amount_numeric"),
    ("d8,A,2023-03,X,US,SH1,0,USD,", "amount_nonzero"),
    ("d9,A,2023-03,X,US,SH1,-5,USD,", "amount_negative"),
    ("d10,A,2023-03,X,US,SH1,-5,USD,reversal of r1", None),
    ("d11,A,2023-03,X,US,SH1,5,EUR,", "exchange_rate"),
    ("d12,Z,2023-03,X,US,SH1,5,USD,", "reporter_registered"),
    ("d13,L,2023-03,X,US,SH1,5,USD,", "reporter_valid"),
    ("ok1,A,2023-06,X,US,SH1,7,USD,", "unique"),
    ("d14,A,2023-03,X,US,SH1,5,XYZ,", "currency_code"),
    ("d15,A,2023-03,x,us,SH1,5,USD,", None),
    ("d16,A,2023-03-31,M,US,SH1,5,USD,", None),
    ("d17,A,2099-01,X,US,SH1,5,USD,", "period_range"),
    ("d18,A,2023-03,Q,US,SH99,5,USD,", "flow_code+item_code"),
]


def test_each_rule_quarantines_its_row(loaded) -> None:
    con, dom, tmp = loaded
    path = _write(tmp, "records.csv", HEADER + "\n".join(c for c, _ in CASES) + "\n")
    rep = ingest_files(con, dom, [path])
    assert rep.rows_in == len(CASES)
    assert rep.reconciles
    got: dict[int, set[str]] = {}
    for row, rule in con.execute("SELECT row_no, rule FROM quarantine").fetchall():
        got.setdefault(row, set()).add(rule)
    for n, (_, rule) in enumerate(CASES, start=1):
        want = set(rule.split("+")) if rule else None
        assert got.get(n) == want, (n, CASES[n - 1])
    assert rep.quarantined == sum(1 for _, r in CASES if r)
    assert rep.accepted == sum(1 for _, r in CASES if not r)
    # the quarantine names file, field and value
    sql = "SELECT file, field, value FROM quarantine WHERE rule = 'item_code' ORDER BY row_no"
    f, field, value = con.execute(sql).fetchone()
    assert f == str(path) and field == "item" and value == "SH9"


def test_accepted_amounts_are_exact(loaded) -> None:
    con, dom, tmp = loaded
    path = _write(tmp, "records.csv", HEADER + "a,A,2023-03,X,US,SH1,10.50,USD,\nb,B,2024-02,M,CN,SI21,1250,KRW,\n")
    ingest_files(con, dom, [path])
    rows = dict(con.execute("SELECT record_id, amount_minor FROM records").fetchall())
    assert rows == {"a": 105000, "b": 12500000}  # ten-thousandths of the currency unit
    # reporter B is an SME in 2023 and mid-sized from 2024: its 2024 record is classified with the
    # register version valid at the record's date, when the base aggregation joins the register
    from ktstat.engine import base_aggregation

    base_aggregation(con, dom)
    assert con.execute("SELECT size_class FROM reporter_cells WHERE reporter_id = 'B'").fetchall() == [("mid_sized",)]


def test_missing_column_is_a_file_error(loaded) -> None:
    con, dom, tmp = loaded
    path = _write(tmp, "bad.csv", "record_id,reporter_id,period\n1,A,2023-01\n")
    with pytest.raises(InputError, match=r"bad\.csv: missing column\(s\) flow, partner, item, amount, currency"):
        ingest_files(con, dom, [path])


def test_missing_and_unsupported_files(loaded) -> None:
    con, dom, tmp = loaded
    with pytest.raises(InputError, match="nope.csv: file not found"):
        ingest_files(con, dom, [tmp / "nope.csv"])
    with pytest.raises(InputError, match="unsupported format"):
        ingest_files(con, dom, [_write(tmp, "x.json", "{}")])


def test_truncated_parquet_is_a_file_error(loaded) -> None:
    con, dom, tmp = loaded
    p = tmp / "broken.parquet"
    p.write_bytes(b"PAR1" + b"\x00" * 20)
    with pytest.raises(InputError, match="broken.parquet: cannot be read as Parquet"):
        ingest_files(con, dom, [p])


def test_bad_size_class_in_register(tmp_path: Path) -> None:
    con = open_store(None)
    bad = _write(tmp_path, "r.csv", "reporter_id,name,industry,size_class,platform\nA,a,58211,huge,false\n")
    with pytest.raises(InputError, match="size_class 'huge'"):
        load_reference(con, domains.load("kst"), bad, _write(tmp_path, "x.csv", RATES))


def test_header_names_match_regardless_of_case_and_spaces(loaded) -> None:
    con, dom, tmp = loaded
    path = _write(
        tmp,
        "h.csv",
        " Record ID ,Reporter_ID,PERIOD,Flow,Partner,Item,Amount,Currency\na,A,2023-03,X,US,SH1,1.00,USD\n",
    )
    rep = ingest_files(con, dom, [path])
    assert rep.accepted == 1


def test_amounts_are_never_rounded(loaded) -> None:
    con, dom, tmp = loaded
    path = _write(
        tmp,
        "p.csv",
        HEADER + "a,A,2023-03,X,US,SH1,100.456,USD,\nb,A,2023-03,X,US,SH1,130000.00,KRW,\n"
        "c,A,2023-03,X,US,SH1,1e5,USD,\n",
    )
    rep = ingest_files(con, dom, [path])
    rules = dict(con.execute("SELECT record_id, rule FROM quarantine").fetchall())
    assert rules == {"a": "amount_precision", "c": "amount_numeric"}  # USD has 2 decimals; no exponents
    assert rep.accepted == 1  # KRW has 0 decimals, but trailing zeros say nothing more


def test_duplicate_or_bad_rates_are_refused(tmp_path: Path) -> None:
    con = open_store(None)
    dom = domains.load("kst")
    reg = _write(tmp_path, "r.csv", REPORTERS)
    with pytest.raises(InputError, match="2 rates for EUR 2025Q1"):
        rates = _write(tmp_path, "x.csv", "currency,period,per_usd\nEUR,2025Q1,0.9\neur,2025q1,0.91\n")
        load_reference(con, dom, reg, rates)
    with pytest.raises(InputError, match="the rate of JPY for 2024 is 'n/a'"):
        load_reference(con, dom, reg, _write(tmp_path, "y.csv", "currency,period,per_usd\nJPY,2024,n/a\n"))


def test_failed_ingest_leaves_register_and_batches(loaded) -> None:
    con, dom, tmp = loaded
    ingest_files(con, dom, [_write(tmp, "ok.csv", HEADER + "a,A,2023-03,X,US,SH1,1.00,USD,\n")])
    bad_reg = _write(tmp, "bad.csv", "reporter_id,name,industry,size_class,platform\nA,a,58211,huge,false\n")
    with pytest.raises(InputError, match="size_class 'huge'"):
        ingest_files(
            con,
            dom,
            [_write(tmp, "more.csv", HEADER + "b,A,2023-03,X,US,SH1,1.00,USD,\n")],
            reference=(bad_reg, tmp / "x.csv"),
            replace=True,
        )
    assert con.execute("SELECT count(*) FROM batches").fetchall()[0][0] == 1
    assert con.execute("SELECT count(*) FROM reporters WHERE size_class = 'huge'").fetchall()[0][0] == 0


def test_a_stray_quote_does_not_swallow_the_next_records(loaded) -> None:
    con, dom, tmp = loaded
    path = _write(
        tmp,
        "q.csv",
        HEADER + 'a,A,2023-03,X,US,SH1,1.00,USD,"oops\n'
        'b,A,2023-03,X,US,SH1,2.00,USD,\nc,A,2023-03,X,US,SH1,3.00,USD,x"\n',
    )
    rep = ingest_files(con, dom, [path])
    # row 1 opens a quote that the next records would close: it alone is unparseable; row 3's
    # quote inside an unquoted field is a literal character (as in 5" floppy)
    assert (rep.rows_in, rep.accepted) == (3, 2)
    rows = con.execute("SELECT row_no FROM quarantine WHERE rule = 'csv_syntax'").fetchall()
    assert rows == [(1,)]
    assert con.execute("SELECT note FROM records WHERE record_id = 'c'").fetchall() == [('x"',)]


def test_duplicate_columns_are_refused(loaded) -> None:
    con, dom, tmp = loaded
    path = _write(
        tmp,
        "d.csv",
        "record_id,reporter_id,period,flow,partner,item,amount,currency,amount\na,A,2023-03,X,US,SH1,1.00,USD,2.00\n",
    )
    with pytest.raises(InputError, match="amount appear more than once"):
        ingest_files(con, dom, [path])


def test_register_in_cp949_is_read(tmp_path: Path) -> None:
    con = open_store(None)
    dom = domains.load("kst")
    reg = tmp_path / "reg.csv"
    reg.write_bytes("reporter_id,name,industry,size_class,platform\nA,한빛소프트,58211,large,false\n".encode("cp949"))
    load_reference(con, dom, reg, _write(tmp_path, "x.csv", RATES))
    assert con.execute("SELECT name FROM reporters").fetchall() == [("한빛소프트",)]


TYPED = [  # (record_id, reporter_id, period, flow, partner, item, amount, currency, note)
    ("t1", "A", "2023-03", "X", "US", "SH1", "10.50", "USD", None),
    ("t2", "B", "2024-02-10", "M", "CN", "SI21", "1250", "KRW", None),
    ("t3", "A", "2023-03", "X", "US", "SH1", "12.345", "USD", None),  # more decimals than USD has
    ("t4", "A", "2023-03", "X", "US", "SH1", "12.345", "KWD", None),  # KWD has 3
    ("t5", "A", "2023-03", "X", "US", "SH1", "0", "USD", None),
    ("t6", "A", "2023-03", "X", "US", "SH1", "-7.10", "USD", "reversal"),
    ("t7", "A", "2023-03", "X", "US", "SH1", "-7.10", "USD", None),
    ("t1", "A", "2023-06", "X", "US", "SH1", "3.00", "USD", None),  # a repeated id
    ("t1", "A", "2023-09", "X", "US", "SH1", "4.20", "USD", None),  # ... twice
    (None, "A", "2023-03", "X", "US", "SH1", "5", "USD", None),
    (None, "A", "2023-03", "X", "US", "SH1", "6", "USD", None),
    ("t8", "A", "2023-03", "X", "US", "SH1", None, "USD", None),
    ("t9", "A", "2023-03", "X", "US", "SH1", "99999999999.999", "KRW", None),
]


@pytest.mark.parametrize("amount_type", ["VARCHAR", "DECIMAL(18, 3)", "DECIMAL(20, 4)", "DOUBLE", "BIGINT"])
def test_parquet_amount_types_read_like_text(loaded, amount_type: str) -> None:
    """A Parquet amount column of a decimal or integer type is read by arithmetic, not from its
    text: the records, quarantine, review flags and amounts are those of the same values as text."""
    import duckdb

    con, dom, tmp = loaded
    rows = [r for r in TYPED if amount_type != "BIGINT" or r[6] is None or "." not in r[6]]
    src = duckdb.connect()
    src.execute(
        "CREATE TABLE t (record_id VARCHAR, reporter_id VARCHAR, period VARCHAR, flow VARCHAR, "
        "partner VARCHAR, item VARCHAR, amount VARCHAR, currency VARCHAR, note VARCHAR)"
    )
    src.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    text, typed = tmp / "text.parquet", tmp / "typed.parquet"
    src.execute(f"COPY t TO '{text}' (FORMAT parquet)")
    src.execute(
        f"COPY (SELECT * REPLACE (CAST(amount AS {amount_type}) AS amount) FROM t) TO '{typed}' (FORMAT parquet)"
    )
    src.close()
    results = []
    for path in (text, typed):
        rep = ingest_files(con, dom, [path])
        assert rep.reconciles and rep.rows_in == len(rows)
        batch = rep.files[0].batch_id
        q = "SELECT * EXCLUDE (batch_id, file) FROM {} WHERE batch_id = ? ORDER BY ALL"
        got = {t: con.execute(q.format(t), [batch]).fetchall() for t in ("records", "quarantine", "review")}
        results.append((got, rep.files[0].amounts, rep.by_rule))
        con.execute("UPDATE batches SET status = 'superseded' WHERE batch_id = ?", [batch])
    (a, amounts_a, rules_a), (b, amounts_b, rules_b) = results
    # the same rows accepted, flagged and quarantined by the same rules; the quarantine shows an
    # amount as the typed column's text (10.500 for 10.50 in a DECIMAL(18, 3) column)
    assert a["records"] == b["records"]
    for t in ("quarantine", "review"):
        assert [r[:3] + r[4:] for r in a[t]] == [r[:3] + r[4:] for r in b[t]]
        assert [r[3] for r in a[t] if r[2] != "amount"] == [r[3] for r in b[t] if r[2] != "amount"]
    assert rules_a == rules_b and amounts_a == amounts_b


def test_parquet_changed_during_ingest_is_refused(loaded, monkeypatch) -> None:
    """A Parquet file is read in several passes: one that changes meanwhile is not ingested."""
    import duckdb

    from ktstat.ingest import reconciliation

    con, dom, tmp = loaded
    path = tmp / "r.parquet"
    src = duckdb.connect()
    src.execute(
        f"COPY (SELECT 'a' AS record_id, 'A' AS reporter_id, '2023-03' AS period, 'X' AS flow, "
        f"'US' AS partner, 'SH1' AS item, '10.50' AS amount, 'USD' AS currency) TO '{path}' (FORMAT parquet)"
    )
    src.close()
    real = reconciliation._file_report

    def touch_then_report(*args, **kwargs):
        real(*args, **kwargs)
        path.write_bytes(path.read_bytes() + b"\0")

    monkeypatch.setattr(reconciliation, "_file_report", touch_then_report)
    with pytest.raises(InputError, match="changed while it was being ingested"):
        ingest_files(con, dom, [path])
    assert con.execute("SELECT count(*) FROM records").fetchone() == (0,)


def test_out_of_memory_on_parquet_is_not_blamed_on_the_file(loaded, monkeypatch) -> None:
    """Running out of memory while validating a Parquet file says what to change here, not "send it again"."""
    import duckdb

    from ktstat.errors import KtstatError
    from ktstat.ingest import validation

    con, dom, tmp = loaded
    path = tmp / "m.parquet"
    src = duckdb.connect()
    src.execute(
        f"COPY (SELECT 'a' AS record_id, 'A' AS reporter_id, '2023-03' AS period, 'X' AS flow, "
        f"'US' AS partner, 'SH1' AS item, '10.50' AS amount, 'USD' AS currency) TO '{path}' (FORMAT parquet)"
    )
    src.close()

    def out_of_memory(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate")

    monkeypatch.setattr(validation, "_check", out_of_memory)
    with pytest.raises(KtstatError, match="m.parquet: out of memory while validating.*KTSTAT_MEMORY_LIMIT") as got:
        ingest_files(con, dom, [path])
    assert not isinstance(got.value, InputError)
    assert con.execute("SELECT count(*) FROM records").fetchone() == (0,)
