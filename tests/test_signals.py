"""Interrupts: Ctrl-C (SIGINT) and SIGTERM sent to a real ``ktstat`` process in the middle of its
work stop it with one line saying what was kept, exit status 130 or 143, the store as it was."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ktstat import signals
from ktstat.store import open_store

ITEMS = ["SH1", "SH2", "SH3", "SI21", "SJ1"]
PARTNERS = ["US", "JP", "CN", "DE", "VN"]


def _records(path: Path, rows: int, reporters: int, prefix: str) -> None:
    con = duckdb.connect()
    items = ", ".join(f"'{i}'" for i in ITEMS)
    partners = ", ".join(f"'{p}'" for p in PARTNERS)
    con.execute(
        f"""COPY (SELECT '{prefix}' || i AS record_id, 'R' || (i % {reporters}) AS reporter_id,
                   '2023-' || lpad(CAST(i % 12 + 1 AS VARCHAR), 2, '0') AS period,
                   CASE WHEN i % 3 = 0 THEN 'M' ELSE 'X' END AS flow,
                   [{partners}][i % 5 + 1] AS partner, [{items}][(i // 7) % 5 + 1] AS item,
                   (i % 1000 + 1) || '.25' AS amount, 'USD' AS currency
            FROM range({rows}) t(i)) TO '{path}' (HEADER)"""
    )
    con.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("interrupts")
    reporters = 3000
    with (d / "reg.csv").open("w", encoding="utf-8") as f:
        f.write("reporter_id,name,industry,size_class,platform\n")
        for k in range(reporters):
            f.write(
                f"R{k},Firm {k},{('58211', '26110', '62010')[k % 3]},{('large', 'sme', 'mid_sized')[k % 3]},false\n"
            )
    (d / "rates.csv").write_text("currency,period,per_usd\nKRW,2023,1300\n", encoding="utf-8")
    _records(d / "small.csv", 20, 5, "s-")
    _records(d / "big.csv", 1_500_000, reporters, "b-")
    _records(d / "mid.csv", 150_000, reporters, "m-")
    return d


def _store(tmp_path: Path, inputs: Path) -> Path:
    path = tmp_path / "s.duckdb"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "ktstat",
            "ingest",
            str(inputs / "small.csv"),
            "--domain",
            "kst",
            "--store",
            str(path),
            "--reporters",
            str(inputs / "reg.csv"),
            "--rates",
            str(inputs / "rates.csv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    return path


def _snapshot(path: Path) -> tuple[object, ...]:
    con = open_store(path, read_only=True)
    try:
        return tuple(
            con.execute(sql).fetchall()[0]
            for sql in (
                "SELECT count(*), coalesce(sum(amount_minor), 0) FROM records",
                "SELECT count(*), max(batch_id) FROM batches",
                "SELECT count(*) FROM quarantine",
                "SELECT count(*), coalesce(sum(value), 0) FROM indicators",
                "SELECT count(*) FROM cube",
                "SELECT count(*), coalesce(sum(amount_usd_micro), 0) FROM reporter_cells",
            )
        )
    finally:
        con.close()


def _interrupt(args: list[str], sig: int, after: str, delay: float = 0.3) -> tuple[int, str, float]:
    """Run ktstat, send ``sig`` ``delay`` seconds after its progress shows ``after``; (exit status,
    stderr, seconds to exit)."""
    p = subprocess.Popen(
        [sys.executable, "-m", "ktstat", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert p.stderr is not None
    seen = []
    for line in p.stderr:
        seen.append(line)
        if after in line:
            break
    else:
        p.wait()
        raise AssertionError(f"{after!r} never shown; stderr: {''.join(seen)}")
    time.sleep(delay)
    p.send_signal(sig)
    t = time.monotonic()
    out, err = p.communicate(timeout=120)
    return p.returncode, "".join(seen) + err, time.monotonic() - t


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupted_ingest_changes_nothing(tmp_path: Path, inputs: Path, sig: int, status: int) -> None:
    store = _store(tmp_path, inputs)
    before = _snapshot(store)
    rc, err, took = _interrupt(
        ["ingest", str(inputs / "big.csv"), "--domain", "kst", "--store", str(store)], sig, "reading big.csv"
    )
    assert rc == status, err
    assert err.strip().splitlines()[-1] == "ktstat: interrupted: nothing was changed"
    assert "internal error" not in err and "Traceback" not in err and "leaked" not in err
    assert took < 30  # stopped, not finished
    assert _snapshot(store) == before


def test_interrupted_compile_from_the_store_keeps_the_earlier_figures(tmp_path: Path, inputs: Path) -> None:
    store = _store(tmp_path, inputs)
    res = subprocess.run(
        [sys.executable, "-m", "ktstat", "compile", "--domain", "kst", "--store", str(store)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    res = subprocess.run(
        [sys.executable, "-m", "ktstat", "ingest", str(inputs / "mid.csv"), "--domain", "kst", "--store", str(store)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    before = _snapshot(store)
    rc, err, _ = _interrupt(
        # at once: the rest of this compile (cube, indicators, protection) takes about a second
        ["compile", "--domain", "kst", "--store", str(store)],
        signal.SIGTERM,
        "base aggregation of",
        delay=0.0,
    )
    assert rc == 143, err
    assert err.strip().splitlines()[-1] == "ktstat: interrupted: nothing was changed"
    assert "internal error" not in err
    assert _snapshot(store) == before  # cube and indicators of before the new batch, not half-made ones


def test_interrupted_compile_from_files_says_what_was_kept(tmp_path: Path, inputs: Path) -> None:
    store = tmp_path / "s.duckdb"
    rc, err, _ = _interrupt(
        [
            "compile",
            "--domain",
            "kst",
            "--records",
            str(inputs / "mid.csv"),
            "--reporters",
            str(inputs / "reg.csv"),
            "--rates",
            str(inputs / "rates.csv"),
            "--store",
            str(store),
        ],
        signal.SIGINT,
        "base aggregation of",
    )
    assert rc == 130, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("ktstat: interrupted: kept the ingest of 1 file(s) for kst"), last
    assert "nothing after it was changed" in last
    con = open_store(store, read_only=True)
    assert con.execute("SELECT count(*) FROM records").fetchall()[0][0] == 150_000
    assert con.execute("SELECT count(*) FROM indicators").fetchall()[0][0] == 0
    con.close()


def test_message_names_committed_steps() -> None:
    signals._steps.clear()
    assert signals.message() == "interrupted: nothing was changed"
    signals.committed("the ingest of a.csv")
    assert signals.message() == "interrupted: kept the ingest of a.csv; nothing after it was changed"
    signals._steps.clear()
    signals.note("rel/ may hold part of the release: publish it again")
    assert signals.message() == (
        "interrupted: nothing was changed in the store; rel/ may hold part of the release: publish it again"
    )
    signals._notes.clear()
