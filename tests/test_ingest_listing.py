"""The quarantine round trip: list (open rows, bad values, the raw line), export, correct and send
again (resolved by the later accepted records), resolve by hand; the counts reconcile throughout."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from ktstat import domain as domains
from ktstat.errors import KtstatError
from ktstat.ingest import ingest_files
from ktstat.ingest.listing import export_quarantine, quarantined, resolution, resolve, summary
from ktstat.store import open_store

FIX = Path(__file__).parent / "fixtures" / "kst_small"
HEADER = "record_id,reporter_id,period,flow,partner,item,amount,currency,note\n"
Q1 = HEADER + (
    "N1,R1,2023-01,X,US,SH3,1000,USD,\n"
    "N2,R1,2023-01,X,US,SH3,1000,USD,\n"
    "N2,R1,2023-01,X,US,SH3,2000,USD,\n"  # row 3: the id again
    "N3,R1,2023-01,X,US,NOPE,1000,USD,\n"  # row 4: unknown item
    'N4,R1,2023-01,X,"US,SH3,1000,USD,\n'  # row 5: an unclosed quote
    "N5,R1,2023-01,X,US,SH3,abc,USD,\n"  # row 6: not a number
)


@pytest.fixture()
def store(tmp_path: Path):
    con = open_store(tmp_path / "s.duckdb")
    (tmp_path / "q1.csv").write_text(Q1, encoding="utf-8")
    ingest_files(con, domains.load("kst"), [tmp_path / "q1.csv"], reference=(FIX / "reporters.csv", FIX / "rates.csv"))
    yield con
    con.close()


def _open_rows(con) -> dict[str, dict[str, object]]:
    cols, rows = quarantined(con)
    return {str(r[cols.index("row")]): dict(zip(cols, r, strict=True)) for r in rows}


def test_listing_shows_bad_values_and_the_raw_line(store) -> None:
    rows = _open_rows(store)
    assert sorted(rows) == ["1:3", "1:4", "1:5", "1:6"]
    assert rows["1:4"]["bad_values"] == "item = 'NOPE'"
    assert rows["1:6"]["bad_values"] == "amount = 'abc'"
    assert rows["1:3"]["bad_values"] == "record_id = 'N2'"
    assert rows["1:5"]["unparsed_line"] == 'N4,R1,2023-01,X,"US,SH3,1000,USD,'
    assert str(rows["1:5"]["reasons"]).startswith("csv_syntax: cannot parse the line")
    # the syntax error's record and reporter ids are read from the line, so a correction can resolve it
    assert (rows["1:5"]["record_id"], rows["1:5"]["reporter_id"]) == ("N4", "R1")
    assert summary(store) == {"rows_in": 6, "accepted": 2, "quarantined": 4, "open": 4, "corrected": 0, "by_hand": 0}


def test_corrections_resolve_their_rows(store, tmp_path: Path) -> None:
    assert export_quarantine(store, tmp_path / "fix.csv", "kst") == 4
    with (tmp_path / "fix.csv").open(encoding="utf-8", newline="") as f:
        exported = {r["record_id"]: r for r in csv.DictReader(f)}
    assert set(exported) == {"N2", "N3", "N4", "N5"}
    fixed = HEADER + (
        "N3,R1,2023-01,X,US,SH3,1000,USD,\n"  # corrected item
        "N4,R1,2023-01,X,US,SH3,1000,USD,\n"  # the line repaired
        "N5,R2,2023-01,X,US,SH3,500,USD,\n"  # same id, another reporter: not a correction of row 6
    )
    (tmp_path / "fixed.csv").write_text(fixed, encoding="utf-8")
    rep = ingest_files(store, domains.load("kst"), [tmp_path / "fixed.csv"])
    assert rep.files[0].resolved == 2 and rep.files[0].accepted == 3
    rows = _open_rows(store)
    assert sorted(rows) == ["1:3", "1:6"]
    cols, every = quarantined(store, include_resolved=True)
    how = {r[cols.index("row")]: resolution(dict(zip(cols, r, strict=True))) for r in every}
    assert how["1:4"] == "corrected by batch 2 row 1" and how["1:5"] == "corrected by batch 2 row 2"
    assert how["1:6"] == ""
    assert summary(store) == {"rows_in": 9, "accepted": 5, "quarantined": 4, "open": 2, "corrected": 2, "by_hand": 0}
    # superseding the correcting batch reopens what it resolved
    (tmp_path / "other.csv").write_text(HEADER + "N9,R1,2023-02,X,US,SH3,10,USD,\n", encoding="utf-8")
    ingest_files(store, domains.load("kst"), [tmp_path / "other.csv"], supersedes=2)
    assert sorted(_open_rows(store)) == ["1:3", "1:4", "1:5", "1:6"]


def test_resolve_by_hand(store) -> None:
    with pytest.raises(KtstatError, match="--reason"):
        resolve(store, ["1:3"], " ")
    with pytest.raises(KtstatError, match="BATCH:ROW"):
        resolve(store, ["3"], "dup")
    with pytest.raises(KtstatError, match="no quarantined row 2 in an active batch 1"):
        resolve(store, ["1:3", "1:2"], "dup")  # row 2 was accepted: nothing resolved, not even 1:3
    assert "1:3" in _open_rows(store)
    assert resolve(store, ["1:3"], "a true duplicate of row 2") == 1
    with pytest.raises(KtstatError, match="already resolved"):
        resolve(store, ["1:3"], "again")
    cols, every = quarantined(store, include_resolved=True)
    d = {r[cols.index("row")]: dict(zip(cols, r, strict=True)) for r in every}
    assert resolution(d["1:3"]).endswith(": a true duplicate of row 2")
    assert summary(store)["by_hand"] == 1 and summary(store)["open"] == 3


def test_command_line_round_trip(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    (tmp_path / "q1.csv").write_text(Q1, encoding="utf-8")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ktstat", *args], capture_output=True, text=True, check=False)

    res = run(
        "ingest",
        str(tmp_path / "q1.csv"),
        "--domain",
        "kst",
        "--store",
        str(store),
        "--reporters",
        str(FIX / "reporters.csv"),
        "--rates",
        str(FIX / "rates.csv"),
    )
    assert res.returncode == 0, res.stderr
    res = run("quarantine", "--store", str(store))
    assert "4 open quarantined rows" in res.stdout and "item = 'NOPE'" in res.stdout
    assert 'line: N4,R1,2023-01,X,"US,SH3,1000,USD,' in res.stdout
    res = run("quarantine", "--store", str(store), "--resolve", "1:3", "1:6")
    assert res.returncode == 1 and "--reason" in res.stderr
    res = run("quarantine", "--store", str(store), "--resolve", "1:3", "1:6", "--reason", "withdrawn by the firm")
    assert res.returncode == 0 and "2 quarantined row(s) marked resolved" in res.stdout, res.stderr
    res = run("quarantine", "--store", str(store))
    assert "2 open quarantined rows" in res.stdout and "1:3" not in res.stdout
    res = run("quarantine", "--store", str(store), "--all")
    assert "by hand" in res.stdout and "withdrawn by the firm" in res.stdout and "open" in res.stdout
    assert (
        "6 rows in = 2 accepted + 4 quarantined; quarantined = 2 open + 0 corrected by a later record + "
        "2 resolved by hand"
    ) in res.stdout


def test_an_unclosed_quote_before_the_reporter_still_resolves(tmp_path: Path) -> None:
    """The quote swallows the rest of the line into the reporter field; the ids are read by splitting."""
    con = open_store(tmp_path / "s.duckdb")
    (tmp_path / "q.csv").write_text(HEADER + 'N7,"R1,2023-01,X,US,SH3,100,USD,\n', encoding="utf-8")
    kst = domains.load("kst")
    ingest_files(con, kst, [tmp_path / "q.csv"], reference=(FIX / "reporters.csv", FIX / "rates.csv"))
    rows = _open_rows(con)
    assert (rows["1:1"]["record_id"], rows["1:1"]["reporter_id"]) == ("N7", "R1")
    (tmp_path / "fixed.csv").write_text(HEADER + "N7,R1,2023-01,X,US,SH3,100,USD,\n", encoding="utf-8")
    assert ingest_files(con, kst, [tmp_path / "fixed.csv"]).files[0].resolved == 1
    assert _open_rows(con) == {}
    con.close()
