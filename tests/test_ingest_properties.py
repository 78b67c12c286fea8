"""Property tests: for generated batches with injected faults, nothing is lost, the counts and
amounts reconcile, every fault is caught by its rule, and ingesting a batch twice changes nothing."""

from __future__ import annotations

import csv
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ktstat import domain as domains
from ktstat.ingest import ingest_files, load_reference
from ktstat.store import open_store

REG = "reporter_id,name,industry,size_class,platform\nA,Alpha,58211,large,false\nB,Beta,26110,sme,false\n"
RATES = "currency,period,per_usd\nKRW,2023,1300\nKRW,2024,1350\nEUR,2023,0.92\nEUR,2024,0.93\n"
FAULTS = {
    "flow_code": ("flow", "Z"),
    "item_code": ("item", "NOPE"),
    "partner_code": ("partner", "QQ"),
    "currency_code": ("currency", "ABC"),
    "exchange_rate": ("currency", "JPY"),
    "amount_numeric": ("amount", "12,5x"),
    "amount_nonzero": ("amount", "0.00"),
    "amount_negative": ("amount", "-3.50"),
    "period_format": ("period", "2023/05"),
    "period_range": ("period", "2008-01"),
    "reporter_registered": ("reporter_id", "ZZZ"),
    "required": ("reporter_id", ""),
}

good_row = st.fixed_dictionaries(
    {
        "reporter_id": st.sampled_from(["A", "B"]),
        "period": st.sampled_from(["2023-01", "2023-06", "2024-02", "2024Q3", "2023-12-31"]),
        "flow": st.sampled_from(["X", "M", "x"]),
        "partner": st.sampled_from(["US", "CN", "jp", "DE"]),
        "item": st.sampled_from(["SH1", "SI21", "SJ1", "SK2"]),
        "amount": st.integers(1, 10**9).map(lambda c: f"{c // 100}.{c % 100:02d}"),
        "currency": st.sampled_from(["USD", "KRW", "EUR"]),
    }
)
batch = st.lists(st.tuples(good_row, st.sampled_from([None, *FAULTS])), min_size=1, max_size=40)


def _write(rows: list[tuple[dict[str, str], str | None]], path: Path) -> list[str | None]:
    faults = []
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency"])
        for n, (row, fault) in enumerate(rows, start=1):
            r = dict(row, record_id=f"r{n}")
            if r["currency"] == "KRW":  # the won has no minor unit: whole amounts
                r["amount"] = r["amount"].replace(".", "")
            if fault is not None:
                field, value = FAULTS[fault]
                r[field] = value
            faults.append(fault)
            w.writerow(
                [r[c] for c in ("record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency")]
            )
    return faults


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=batch)
def test_nothing_lost_and_faults_caught(rows: list[tuple[dict[str, str], str | None]]) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / "reg.csv").write_text(REG, encoding="utf-8")
        (tmp / "rates.csv").write_text(RATES, encoding="utf-8")
        path = tmp / "batch.csv"
        faults = _write(rows, path)
        con = open_store(None)
        dom = domains.load("kst")
        load_reference(con, dom, tmp / "reg.csv", tmp / "rates.csv")
        rep = ingest_files(con, dom, [path])
        f = rep.files[0]
        assert f.rows_in == len(rows) == f.accepted + f.quarantined
        assert f.quarantined == sum(1 for x in faults if x is not None)
        rules: dict[int, set[str]] = {}
        for row_no, rule in con.execute("SELECT row_no, rule FROM quarantine").fetchall():
            rules.setdefault(row_no, set()).add(rule)
        for n, fault in enumerate(faults, start=1):
            if fault is None:
                assert n not in rules
            else:
                assert fault in rules[n], (n, fault, rules.get(n))
        # amounts reconcile per currency, and the accepted ones are exactly what the store holds
        for cur, a in f.amounts.items():
            assert a["in"] == a["accepted"] + a["quarantined"], cur
        stored = dict(con.execute("SELECT currency, sum(amount_minor) FROM records GROUP BY 1").fetchall())
        for cur, a in f.amounts.items():
            assert Decimal(stored.get(cur, 0)) == a["accepted"] * 10000
        # the same file again changes nothing
        snapshot = con.execute("SELECT count(*), sum(amount_minor) FROM records").fetchall()
        again = ingest_files(con, dom, [path])
        assert again.files[0].duplicate_of == f.batch_id
        assert con.execute("SELECT count(*), sum(amount_minor) FROM records").fetchall() == snapshot
        assert con.execute("SELECT count(*) FROM batches").fetchall()[0][0] == 1
        con.close()


def test_supersede_replaces_a_batch(tmp_path: Path) -> None:
    (tmp_path / "reg.csv").write_text(REG, encoding="utf-8")
    (tmp_path / "rates.csv").write_text(RATES, encoding="utf-8")
    head = "record_id,reporter_id,period,flow,partner,item,amount,currency\n"
    v1 = tmp_path / "v1.csv"
    v1.write_text(head + "a,A,2023-01,X,US,SH1,100,USD\nb,A,2023-01,X,US,SH1,7,USD\n", encoding="utf-8")
    v2 = tmp_path / "v2.csv"
    v2.write_text(head + "a,A,2023-01,X,US,SH1,110,USD\nb,A,2023-01,X,US,SH1,7,USD\n", encoding="utf-8")
    con = open_store(None)
    dom = domains.load("kst")
    load_reference(con, dom, tmp_path / "reg.csv", tmp_path / "rates.csv")
    first = ingest_files(con, dom, [v1]).files[0]
    # the same record ids again without superseding are duplicates across batches
    clash = ingest_files(con, dom, [v2]).files[0]
    assert clash.by_rule == {"unique": 2} and clash.accepted == 0
    con.execute("UPDATE batches SET status = 'withdrawn' WHERE batch_id = ?", [clash.batch_id])
    rep = ingest_files(con, dom, [v2], supersedes=first.batch_id)
    assert rep.superseded == first.batch_id
    assert rep.files[0].accepted == 2
    statuses = dict(con.execute("SELECT batch_id, status FROM batches").fetchall())
    assert statuses[first.batch_id] == "superseded"
    from ktstat.pipeline import compile_store

    compile_store(con, "kst")
    total = con.execute("SELECT sum(amount_usd_micro) FROM reporter_cells WHERE flow = 'X'").fetchall()[0][0]
    assert total == 117_000_000  # the corrected batch only: 110 + 7 US dollars
