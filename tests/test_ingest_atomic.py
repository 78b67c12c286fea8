"""Ingest is all or nothing: a SIGKILL in the middle leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from ktstat import domain as domains
from ktstat.ingest import ingest_files, load_reference
from ktstat.store import open_store

REG = "reporter_id,name,industry,size_class,platform\nA,Alpha,58211,large,false\nB,Beta,26110,sme,false\n"
RATES = "currency,period,per_usd\nKRW,2023,1300\n"


def _snapshot(store: Path) -> tuple[object, ...]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return tuple(
            con.execute(sql).fetchall()[0]
            for sql in (
                "SELECT count(*), coalesce(sum(amount_minor), 0) FROM records",
                "SELECT count(*) FROM batches",
                "SELECT count(*) FROM quarantine",
                "SELECT count(*) FROM quarantined_rows",
            )
        )
    finally:
        con.close()


def _big_file(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT 'big-' || i AS record_id, CASE WHEN i % 2 = 0 THEN 'A' ELSE 'B' END AS reporter_id,
                   '2023-0' || (i % 9 + 1) AS period, CASE WHEN i % 3 = 0 THEN 'M' ELSE 'X' END AS flow,
                   'US' AS partner, 'SH1' AS item, (i % 1000 + 1) || '.25' AS amount, 'USD' AS currency
            FROM range({rows}) t(i)) TO '{path}' (HEADER)"""
    )
    con.close()


def test_sigkill_mid_ingest_leaves_store_unchanged(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    (tmp_path / "reg.csv").write_text(REG, encoding="utf-8")
    (tmp_path / "rates.csv").write_text(RATES, encoding="utf-8")
    first = tmp_path / "first.csv"
    first.write_text(
        "record_id,reporter_id,period,flow,partner,item,amount,currency\n"
        "f1,A,2023-01,X,US,SH1,10,USD\nf2,B,2023-02,M,CN,SH2,20,KRW\nf3,B,2023-02,Z,CN,SH2,5,USD\n",
        encoding="utf-8",
    )
    con = open_store(store)
    dom = domains.load("kst")
    load_reference(con, dom, tmp_path / "reg.csv", tmp_path / "rates.csv")
    ingest_files(con, dom, [first])
    con.close()
    before = _snapshot(store)

    big = tmp_path / "big.csv"
    _big_file(big, 1_500_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktstat", "ingest", str(big), "--domain", "kst", "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # wait until the ingest is under way (it announces validation), then kill it
    deadline = time.time() + 120
    seen = ""
    assert proc.stdout is not None
    while time.time() < deadline:
        line = proc.stdout.readline()
        seen += line
        if "validating" in line or not line:
            break
    assert "validating" in seen, seen
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert _snapshot(store) == before

    # a rerun completes and adds exactly the new batch
    res = subprocess.run(
        [sys.executable, "-m", "ktstat", "ingest", str(big), "--domain", "kst", "--store", str(store)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    after = _snapshot(store)
    assert after[0][0] == before[0][0] + 1_500_000  # type: ignore[index]
    assert after[1][0] == before[1][0] + 1  # type: ignore[index]
