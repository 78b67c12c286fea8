"""The command line: thin, fast to start, one clear line for every error a user can cause."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def ktstat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ktstat", *args], capture_output=True, text=True, check=False)


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, ktstat.cli; heavy = [m for m in ('duckdb', 'numpy', 'scipy', 'pyarrow') if m in sys.modules];"
        "print(heavy)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"
    assert "demo" in ktstat("--help").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "--domain", "nope", "--period", "2023"], "unknown domain 'nope'"),
        (["show", "--domain", "tbp", "--period", "2023", "--breakdown", "colour"], "unknown breakdown 'colour'"),
        (["show", "--domain", "tbp", "--period", "2023", "--store", "missing.duckdb"], "store not found"),
        (
            ["compile", "--domain", "kst", "--records", "none.csv", "--reporters", "none.csv", "--rates", "none.csv"],
            "none.csv: file not found",
        ),
    ],
)
def test_user_errors_are_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "ktstat", *args], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert res.returncode != 0
    assert message in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_show_prints_a_table(demo_dir: Path) -> None:
    store = str(demo_dir / "ktstat.duckdb")
    res = ktstat("show", "--store", store, "--domain", "kst", "--period", "2025H1", "--breakdown", "category")
    assert res.returncode == 0, res.stderr
    assert "Telecommunications, computer and information services" in res.stdout
    assert "1.96" in res.stdout  # the ICT services surplus, in billions
    assert "provisional" in res.stdout
    res = ktstat(
        "show", "--store", store, "--domain", "tbp", "--period", "2023", "--breakdown", "industry", "--lang", "ko"
    )
    assert "정보통신" in res.stdout


def test_show_period_without_data(demo_dir: Path) -> None:
    res = ktstat("show", "--store", str(demo_dir / "ktstat.duckdb"), "--domain", "tbp", "--period", "2030")
    assert res.returncode == 1
    assert "no data for tbp 2030; periods in the store: 2013 to 2024" in res.stderr


def test_compile_own_files(demo_dir: Path, tmp_path: Path) -> None:
    inputs = demo_dir / "inputs"
    out = tmp_path / "ind.csv"
    res = ktstat(
        "compile",
        "--domain",
        "tbp",
        "--records",
        str(inputs / "tbp" / "records.parquet"),
        "--reporters",
        str(inputs / "tbp" / "reporters.csv"),
        "--rates",
        str(inputs / "exchange_rates.csv"),
        "--store",
        str(tmp_path / "s.duckdb"),
        "--out",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    assert "0 quarantined" in res.stdout
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "domain,period,breakdown,item,measure,value,status"
    demo_lines = [
        ln for ln in (demo_dir / "indicators.csv").read_text(encoding="utf-8").splitlines() if ln.startswith("tbp,")
    ]
    assert lines[1:] == demo_lines  # same files, same path: same indicators


def test_release_lifecycle_from_the_command_line(tmp_path: Path) -> None:
    fix = Path(__file__).parent / "fixtures" / "kst_small"
    store = str(tmp_path / "s.duckdb")
    env_now = "2026-11-24T09:00+09:00"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        import os

        return subprocess.run(
            [sys.executable, "-m", "ktstat", *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "KTSTAT_NOW": env_now},
        )

    assert (
        run(
            "compile",
            "--domain",
            "kst",
            "--records",
            str(fix / "records.csv"),
            "--reporters",
            str(fix / "reporters.csv"),
            "--rates",
            str(fix / "rates.csv"),
            "--store",
            store,
        ).returncode
        == 0
    )
    res = run("release", "--domain", "kst", "--period", "2024H2", "--status", "provisional", "--store", store)
    assert res.returncode == 0 and "kst-2024H2-v1" in res.stdout and "released" in res.stdout, res.stderr
    res = run("release", "--domain", "kst", "--period", "2024H2", "--status", "provisional", "--store", store)
    assert res.returncode == 1 and "already released" in res.stderr and "Traceback" not in res.stderr
    res = run(
        "release",
        "--domain",
        "kst",
        "--period",
        "2024H2",
        "--status",
        "final",
        "--store",
        store,
        "--at",
        "2027-01-05T12:00+09:00",
    )
    assert res.returncode == 0 and "EMBARGOED until 2027-01-05T12:00:00+09:00" in res.stdout
    res = run(
        "release",
        "--domain",
        "kst",
        "--period",
        "2024H1",
        "--status",
        "final",
        "--store",
        store,
        "--at",
        "2025-09-17T12:00",
    )
    assert res.returncode == 1 and "needs a time zone" in res.stderr
    res = run("vintages", "--store", store)
    assert "kst-2024H2-v2" in res.stdout and "embargoed" in res.stdout
    res = run("revisions", "--domain", "kst", "--store", store)
    assert res.returncode == 0 and "mean revision" in res.stdout
    res = run("calendar", "--domain", "kst", "--store", store)
    assert res.returncode == 0 and "2025H1" in res.stdout
    res = run("publish", "nope-v1", "--store", store, "--out", str(tmp_path / "rel"))
    assert res.returncode == 1 and "no vintage 'nope-v1'" in res.stderr
