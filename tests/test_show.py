"""Terminal output: ``ktstat show`` with its legend and growth labels naming their comparison, and no
wrapping when the output goes to a pipe or a log file."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIX = Path(__file__).parent / "fixtures" / "kst_small"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run([sys.executable, "-m", "ktstat", *args], capture_output=True, text=True, check=False, env=env)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    store = tmp_path_factory.mktemp("show") / "s.duckdb"
    res = _run(
        "compile",
        "--domain",
        "kst",
        "--records",
        str(FIX / "records.csv"),
        "--reporters",
        str(FIX / "reporters.csv"),
        "--rates",
        str(FIX / "rates.csv"),
        "--store",
        str(store),
    )
    assert res.returncode == 0, res.stderr
    return store, res


def test_progress_lines_are_not_wrapped_in_a_log(compiled: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, res = compiled
    lines = res.stderr.splitlines()
    step = [ln for ln in lines if "cells suppressed by the primary rules" in ln]
    assert step, res.stderr
    assert all(ln.rstrip().endswith(("audit: passed", "FAIL")) for ln in step), step
    assert not [ln for ln in lines if ln.strip() in ("passed", "(+", ")")]


def test_show_has_a_legend_and_growth_names_its_comparison(
    compiled: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    store, _ = compiled
    res = _run("show", "--store", str(store), "--domain", "kst", "--period", "2024H2", "--breakdown", "category")
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    header = next(ln for ln in out if "exports growth" in ln)
    assert "exports growth vs H1 2024" in header and "imports growth vs H1 2024" in header  # one line: not wrapped
    legend = [ln for ln in out if ln.startswith("(confidential): withheld by disclosure control")]
    assert len(legend) == 1
    assert "-: not meaningful" in legend[0] and "growth: percent change against H1 2024" in legend[0]
    res = _run("show", "--store", str(store), "--domain", "kst", "--period", "2024H2", "--lang", "ko")
    # Korean period labels and the terms catalogue's words (the same as the press release's)
    assert "수출 증감률 (2024년 상반기 대비)" in res.stdout and "비밀보호" in res.stdout
    assert "수출입비율" in res.stdout and "수지비 " not in res.stdout


def test_tables_are_not_cut_when_piped(compiled: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    store, _ = compiled
    res = _run("batches", "--store", str(store))
    row = next(ln for ln in res.stdout.splitlines() if "records.csv" in ln)
    assert str(FIX / "records.csv") in row or "records.csv" in row
    assert "…" not in res.stdout  # nothing elided to fit 80 columns


def test_the_headline_names_the_final_vintage_once_one_is_made(api_small: object, tmp_path: Path) -> None:
    """The demo's closing headline: the compile's 2025H1 figures are provisional until a final
    vintage of 2025H1 is made, then the headline names that vintage instead."""
    import shutil
    from datetime import timedelta

    from rich.console import Console

    from apistore import AFTER
    from ktstat import domain as domains
    from ktstat.release.vintage import create_vintage
    from ktstat.show import headline
    from ktstat.store import open_store

    store = tmp_path / "store.duckdb"
    shutil.copy(api_small.store, store)  # type: ignore[attr-defined]
    con = open_store(store)

    def said() -> str:
        out = Console(record=True, width=300, file=io.StringIO())
        headline(con, "kst", out)
        return out.export_text()

    assert "2025H1 (provisional):" in said()
    final = create_vintage(con, domains.load("kst"), "2025H1", "final", AFTER + timedelta(days=30), AFTER)
    assert f"2025H1 (final: {final.vintage_id}):" in said()
    con.close()
