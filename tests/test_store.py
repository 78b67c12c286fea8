"""The store: schema, exact helpers, and a busy store (two real processes on one file)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ktstat import store
from ktstat.store import StoreBusyError, count, has_table, insert_rows, lock_info_path, one, open_store

FIX = Path(__file__).parent / "fixtures" / "kst_small"

HOLD = """
import sys, time
from ktstat import store
store.COMMAND = "ktstat ingest"
con = store.open_store(sys.argv[1], read_only=sys.argv[2] == "ro")
print("ready", flush=True)
if sys.argv[3] == "until-told":
    sys.stdin.readline()  # held until the test writes a line (or closes stdin)
else:
    time.sleep(float(sys.argv[3]))
"""


def _holder(path: Path, mode: str = "rw", seconds: float | None = 30.0) -> subprocess.Popen[str]:
    """Another process holding the store (writing, or reading with ``mode="ro"``), for ``seconds``
    or, with ``None``, until a line is written to its stdin."""
    hold = "until-told" if seconds is None else str(seconds)
    p = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode, hold], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "ready"
    return p


def _ktstat(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ktstat", *args], capture_output=True, text=True, check=False, cwd=cwd)


def test_schema_and_helpers(tmp_path: Path) -> None:
    con = open_store(tmp_path / "s.duckdb")
    assert has_table(con, "records") and has_table(con, "indicators") and not has_table(con, "nope")
    insert_rows(con, "rates", [("KRW", "2023", 1_300_000_000), ("EUR", "2023", 920_000)])
    assert count(con, "SELECT count(*) FROM rates") == 2
    # HUGEINT stays an exact integer through the helpers
    assert one(con, "SELECT sum(per_usd) FROM rates") == (1_300_920_000,)
    assert one(con, "SELECT * FROM rates WHERE currency = 'USD'") is None
    con.close()


def test_writer_leaves_lock_info_and_removes_it_at_exit(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    p = _holder(path, seconds=0.5)
    info = lock_info_path(path)
    assert info.exists()
    assert '"command": "ktstat ingest"' in info.read_text(encoding="utf-8")
    assert f'"pid": {p.pid}' in info.read_text(encoding="utf-8")
    assert p.wait(timeout=30) == 0
    assert not info.exists()


def test_busy_store_names_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    p = _holder(path)
    try:
        with pytest.raises(StoreBusyError) as e:
            open_store(path, wait=0)
        msg = str(e.value)
        assert f"is busy: held by ktstat ingest (PID {p.pid}, since {time.strftime('%H:')}" in msg
        # a reader cannot share the file with a writer either: it waits, then says so
        heard: list[str] = []
        t = time.monotonic()
        with pytest.raises(StoreBusyError, match=r"gave up after 1 s \(--wait SECONDS"):
            open_store(path, read_only=True, wait=1, say=heard.append)
        assert time.monotonic() - t >= 1
        assert len(heard) == 1 and f"waiting for ktstat ingest (PID {p.pid}" in heard[0]
    finally:
        p.kill()
        p.wait()


def test_holder_without_lock_info_is_named_from_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    p = _holder(path)
    try:
        lock_info_path(path).unlink()
        with pytest.raises(StoreBusyError, match=rf"held by \S+ \(PID {p.pid}"):
            open_store(path)
    finally:
        p.kill()
        p.wait()


def test_stale_lock_info_is_not_believed(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    lock_info_path(path).write_text('{"command": "ktstat compile", "pid": 999999999, "started": "x"}', encoding="utf-8")
    assert "ktstat compile" not in store.holder(path, "Conflicting lock is held in /usr/bin/python3 (PID 1)")
    open_store(path).close()  # nobody holds it: the stale file is no obstacle


def test_the_command_line_waits_for_a_busy_store_then_proceeds(tmp_path: Path) -> None:
    """The store is released only once the waiting command has said whom it waits for (no race
    with the command's start-up, however slow the machine)."""
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    p = _holder(path, seconds=None)
    cmd = subprocess.Popen(
        [sys.executable, "-m", "ktstat", "batches", "--store", str(path), "--wait", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert cmd.stderr is not None and p.stdin is not None
    heard = []
    try:
        for line in cmd.stderr:  # the progress line comes before the store is released
            heard.append(line)
            if "waiting for" in line:
                break
    finally:
        p.stdin.write("release\n")
        p.stdin.close()
    assert p.wait(timeout=60) == 0
    out, rest = cmd.communicate(timeout=300)
    assert cmd.returncode == 0, "".join(heard) + rest
    assert any(f"busy: waiting for ktstat ingest (PID {p.pid}, since" in line for line in heard), heard
    assert "batches in" in out


def test_the_command_line_gives_up_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    p = _holder(path)
    try:
        res = _ktstat(
            "release",
            "--domain",
            "kst",
            "--period",
            "2024H2",
            "--status",
            "provisional",
            "--store",
            str(path),
            "--wait",
            "1",
        )
    finally:
        p.kill()
        p.wait()
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert lines[-1] == (
        f"ktstat: error: {path} is busy: held by ktstat ingest (PID {p.pid}, since "
        f"{lines[-1].split('since ')[1].split(')')[0]}); gave up after 1 s "
        "(--wait SECONDS to wait longer)"
    )
    assert "internal error" not in res.stderr and "Traceback" not in res.stderr


def test_read_only_commands_share_the_store_with_a_reader(tmp_path: Path) -> None:
    """A reader (``ktstat serve``, ``show``) holds no write lock: other read-only commands run at
    once beside it."""
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    p = _holder(path, mode="ro")
    try:
        for args in (["batches"], ["vintages"], ["quarantine"], ["audit"]):
            res = _ktstat(*args, "--store", str(path), "--wait", "0")
            assert "busy" not in res.stderr, (args, res.stderr)
            assert "internal error" not in res.stderr
    finally:
        p.kill()
        p.wait()


def test_two_ingests_at_once_both_land(tmp_path: Path) -> None:
    """Two real ``ktstat ingest`` processes on one store: one waits for the other; both batches land."""
    path = tmp_path / "s.duckdb"
    files = []
    header, *rows = (FIX / "records.csv").read_text(encoding="utf-8").splitlines()
    for k in range(2):
        f = tmp_path / f"part{k}.csv"
        f.write_text("\n".join([header, *rows[k::2]]) + "\n", encoding="utf-8")
        files.append(f)
    ref = ["--reporters", str(FIX / "reporters.csv"), "--rates", str(FIX / "rates.csv")]
    env = {**os.environ, "COLUMNS": "200"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ktstat", "ingest", str(f), "--domain", "kst", "--store", str(path), *ref],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for f in files
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "internal error" not in err
    con = open_store(path, read_only=True)
    assert count(con, "SELECT count(*) FROM batches WHERE status = 'active'") == 2
    assert count(con, "SELECT count(*) FROM records") + count(
        con, "SELECT count(DISTINCT (batch_id, row_no)) FROM quarantine"
    ) == len(rows)
    con.close()


def _table_memory(con: object) -> int:
    """Bytes DuckDB holds for in-memory tables (temporary tables, transaction-local rows)."""
    rows = con.execute(  # type: ignore[attr-defined]
        "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'"
    ).fetchall()
    return int(rows[0][0])


def test_scratch_tables_are_read_by_name_and_freed_inside_a_transaction(tmp_path: Path) -> None:
    """Inside a transaction a dropped temporary table keeps its memory until the end; a scratch
    table replaced or dropped does not. ``using`` names the scratch table a statement reads."""
    con = open_store(tmp_path / "s.duckdb")
    try:
        con.execute("CREATE TABLE sums (k BIGINT, s HUGEINT)")
        big = "SELECT range AS k, range * 2 AS v FROM range(3000000)"
        con.execute("BEGIN TRANSACTION")
        base = _table_memory(con)
        for _ in range(3):
            con.execute(f"CREATE OR REPLACE TEMP TABLE t AS {big}")
            con.execute("DROP TABLE t")
        held = _table_memory(con) - base
        assert held > 3 * 3000000 * 8  # the three dropped tables' columns are all still held
        with store.Scratch(con) as scratch:
            for _ in range(3):
                scratch.put("rows", big)
                scratch.put("tens", "SELECT k % 10 AS k, sum(v) AS s FROM rows GROUP BY ALL", using="rows")
                scratch.drop("rows")
            scratch.execute("INSERT INTO sums SELECT k, s FROM tens", using="tens")
        assert _table_memory(con) - base - held < 3000000 * 8  # none of the scratch tables is held
        got = con.execute("SELECT k, s FROM sums ORDER BY k").fetchall()
        assert got == [(k, 2 * sum(range(k, 3000000, 10))) for k in range(10)]
        con.execute("COMMIT")
    finally:
        con.close()
