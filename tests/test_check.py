"""``ktstat check``: the project's own figure check (no file outside the checkout needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ktstat.check import check

HEAD = "domain,period,breakdown,item,measure,value,status\n"


def _ktstat(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ktstat", *args], capture_output=True, text=True, check=False)


def test_the_demo_reproduces_the_published_figures(demo_dir: Path) -> None:
    res = _ktstat("check", str(demo_dir / "indicators.csv"))
    assert res.returncode == 0, res.stdout[-3000:]
    last = res.stdout.strip().splitlines()[-1]
    assert last.startswith("facts: ") and "consistency failures: 0" in last
    held, checked = last.split()[1].split("/")
    assert held == checked and int(checked) > 50
    assert "set aside as conflicting" in res.stdout  # the 2024 technology trade totals (calibration.md)


def test_a_wrong_figure_is_named(demo_dir: Path, tmp_path: Path) -> None:
    lines = (demo_dir / "indicators.csv").read_text(encoding="utf-8").splitlines()
    target = "tbp,2023,total,all,exports,"
    changed = [ln if not ln.startswith(target) else target + "17900000000,A" for ln in lines]
    assert changed != lines
    bad = tmp_path / "indicators.csv"
    bad.write_text("\n".join(changed) + "\n", encoding="utf-8")
    res = _ktstat("check", str(bad))
    assert res.returncode == 1
    assert "tbp/2023/total/all/exports: published 17.6" in res.stdout and "compiled 17.9" in res.stdout


def test_consistency_is_exact(tmp_path: Path) -> None:
    f = tmp_path / "ind.csv"
    f.write_text(
        HEAD + "kst,2025,total,all,exports,10.000001,A\nkst,2025,total,all,imports,5,A\n"
        "kst,2025,total,all,balance,5.000001,A\nkst,2025,total,all,volume,15.000002,A\n"
        "kst,2025H1,total,all,exports,4,A\nkst,2025H2,total,all,exports,6,A\n"
        "kst,2025H1,total,all,imports,2,A\nkst,2025H2,total,all,imports,3,A\n",
        encoding="utf-8",
    )
    res = check(f)
    assert res.inconsistent == [
        "kst,2025,total,all: exports 10.000001 imports 5 balance 5.000001 volume 15.000002 do not add up".replace(
            "kst,2025,total,all", "kst/2025/total/all"
        ),
        "kst total/all 2025 exports: 10.000001 is not the sum of its halves (4 + 6)",
    ]
    assert res.failures  # the published facts are missing from this file


def test_the_press_figures_the_reference_leaves_out_are_checked(tmp_path: Path) -> None:
    """press_figures.csv (the 2022 balance ratio, a contribution, an industry's surplus as the press
    repeats them) is checked by default, as the demo is calibrated to it."""
    f = tmp_path / "ind.csv"
    f.write_text(
        HEAD + "tbp,2023,industry,information_communications,balance,1140000000,A\ntbp,2022,total,all,ratio,0.7751,A\n",
        encoding="utf-8",
    )
    res = check(f)
    named = {line.split()[0] for line in res.failures}
    assert "T23-43" in named and "T23-42" in named  # wrong and missing
    assert "T22-03" not in named  # reproduced within its rounding


def test_consistency_of_quarters(tmp_path: Path) -> None:
    """A half is the exact sum of its quarters, a year of its four quarters."""
    f = tmp_path / "ind.csv"
    rows = [("2025H1", "exports", "4"), ("2025Q1", "exports", "1.5"), ("2025Q2", "exports", "2.500001")]
    rows += [("2025H1", "imports", "2"), ("2025Q1", "imports", "0.5"), ("2025Q2", "imports", "1.5")]
    rows += [("2024", "exports", "10"), *((f"2024Q{q}", "exports", "2.5") for q in (1, 2, 3, 4))]
    f.write_text(HEAD + "".join(f"kst,{p},total,all,{m},{v},A\n" for p, m, v in rows), encoding="utf-8")
    assert check(f).inconsistent == ["kst total/all 2025H1 exports: 4 is not the sum of its quarters (1.5 + 2.500001)"]


def test_unreadable_files_are_named_with_their_line(tmp_path: Path) -> None:
    import pytest

    from ktstat.errors import InputError

    cases = {
        "wide.csv": (HEAD + "kst,2025,total,all,exports,1,A\n" * 3 + "kst,2025,total,all,imports,1,A,x\n").encode(),
        "latin1.csv": (HEAD + "kst,2025,total,all,exports,1,A\n" * 5000).encode() + b"kst,2025,total,\xe9,x,1,A\n",
        "narrow.csv": b"domain,period\nkst,2025\n",
        "word.csv": (HEAD + "kst,2025,total,all,exports,abc,A\n").encode(),
    }
    said = {
        "wide.csv": "wide.csv: not a readable CSV file: line 5: 8 fields where the header has 7",
        "latin1.csv": "latin1.csv: not a readable CSV file: line 5002: not UTF-8 text",
        "narrow.csv": "narrow.csv: not an indicators table",
        "word.csv": "word.csv: kst/2025/total/all/exports: value 'abc' is not a number",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError, match=said[name]):
            check(tmp_path / name)


def test_csv_and_parquet_read_the_same(tmp_path: Path) -> None:
    """The CSV (text) and a Parquet copy with the typed value columns give the same values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ktstat.check import load_indicators
    from ktstat.publish.exact import parquet_columns

    rows = [
        ("kst", "2025", "total", "all", "exports", "17647509999.799247", "A"),
        ("kst", "2025", "total", "all", "exports_rank", "1", "A"),
        ("kst", "2025", "total", "all", "exports_growth", "3.25", "P"),
        ("kst", "2025", "total", "all", "ratio", "", "N"),
    ]
    (tmp_path / "i.csv").write_text(HEAD + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    measures = [r[4] for r in rows]
    values = [float(r[5]) if r[5] else None for r in rows]
    typed = parquet_columns(measures, values, [17647509999799247, None, None, None])
    table = pa.table({name: [r[k] for r in rows] for k, name in enumerate(HEAD.strip().split(",")) if name != "value"})
    pq.write_table(
        table.append_column("usd", typed["usd"])
        .append_column("integer", typed["integer"])
        .append_column("rate", typed["rate"]),
        tmp_path / "i.parquet",
    )
    from_csv, from_parquet = load_indicators(tmp_path / "i.csv"), load_indicators(tmp_path / "i.parquet")
    assert from_csv == from_parquet
    assert str(from_csv[0][("kst", "2025", "total", "all", "exports")]) == "17647509999.799247"
