"""The release folder of a vintage: every file the issue names, statements against the
indicators, the manifest's hashes, the embargo marks, and no confidential value anywhere."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ktstat.periods import parse

KST = timezone(timedelta(hours=9))
FILES = [
    "press-release.en.html",
    "press-release.en.pdf",
    "press-release.ko.html",
    "press-release.ko.pdf",
    "statements.json",
    "indicators.csv",
    "indicators.parquet",
    "tables.xlsx",
    "sdmx/structure.xml",
    "sdmx/data.csv",
    "sdmx/data.xml",
    "fonts/regular.woff2",
    "fonts/bold.woff2",
    "manifest.json",
]


@pytest.fixture(scope="module", autouse=True)
def _indicators_read_once() -> Iterator[None]:
    """Each indicators file (the demo's: 1.6 million rows) is read once for the module's tests, then freed."""
    yield
    _indicators.cache_clear()


@functools.cache
def _indicators(path: Path) -> dict[tuple[str, str, str, str, str], tuple[float | None, str]]:
    """(domain, period, breakdown, item, measure) -> (value as a double, None when empty; status),
    read by Arrow (its text-to-double conversion rounds correctly, as Python's ``float``)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    keys = ("domain", "period", "breakdown", "item", "measure")
    types = {**dict.fromkeys((*keys, "status"), pa.string()), "value": pa.float64()}
    table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=False))
    d, p, b, i, m, v, st = (table.column(c).to_pylist() for c in (*keys, "value", "status"))
    return {(k1, k2, k3, k4, k5): (val, s) for k1, k2, k3, k4, k5, val, s in zip(d, p, b, i, m, v, st, strict=True)}


@pytest.mark.parametrize("folder", ["tbp-2024", "tbp-2023", "kst-2025H1", "kst-2025H1-final"])
def test_demo_release_folders(demo_dir: Path, folder: str) -> None:
    """Each release folder of the demo: its files, their hashes, its statements citing its own
    published cells (and, for a vintage no later one revises, the compiled table's), its periods
    and statuses, its headline in its PDFs. ``kst-2025H1`` is the provisional vintage the demo's
    corrected resubmission revised; ``kst-2025H1-final`` the final one."""
    rel = demo_dir / "releases" / folder
    revised = {
        json.loads((m / "manifest.json").read_text(encoding="utf-8"))["revises"]
        for m in (demo_dir / "releases").iterdir()
    }
    for name in FILES:
        assert (rel / name).is_file() and (rel / name).stat().st_size > 0, name
    assert not (rel / "EMBARGOED.txt").exists()  # the demo's releases are past their release times
    manifest = json.loads((rel / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embargoed_until"] is None and manifest["period"] == folder.split("-")[1]
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((rel / name).read_bytes()).hexdigest() == digest, name
    ind = _indicators(rel / "indicators.csv")
    main = _indicators(demo_dir / "indicators.csv")
    statements = json.loads((rel / "statements.json").read_text(encoding="utf-8"))
    assert statements["vintage"] == manifest["vintage"] and len(statements["statements"]) >= 10
    for s in statements["statements"]:
        assert s["text_en"] and s["text_ko"] and s["cells"]
        for c in s["cells"]:
            key = (c["domain"], c["period"], c["breakdown"], c["item"], c["measure"])
            assert ind[key][0] == c["value"] and ind[key][1] not in ("C", "N"), key
            if manifest["vintage"] not in revised:
                assert main[key][0] == c["value"], key  # the compiled table itself
        for f in s["figures"]:
            assert f["en"] in s["text_en"] and f["ko"] in s["text_ko"]
    # the vintage holds periods up to the release period, with its status on the release period
    periods = {k[1] for k in ind}
    release = folder.split("-")[1]

    def last_quarter(label: str) -> int:
        return parse(label).subperiods("Q")[-1].index

    assert release in periods and all(last_quarter(p) <= last_quarter(release) for p in periods)
    own = {v[1] for k, v in ind.items() if k[1] == release}
    final = manifest["status"] == "final"
    assert final == (folder in ("tbp-2023", "kst-2025H1-final"))
    assert ("P" in own) == (not final) and ("A" in own) == final
    # the headline of each language is in its PDF
    from pypdf import PdfReader

    for lang in ("en", "ko"):
        text = "".join(p.extract_text() for p in PdfReader(rel / f"press-release.{lang}.pdf").pages)
        head = statements["statements"][0][f"text_{lang}"]
        assert head[:20].replace(" ", "") in text.replace(" ", "").replace("\n", ""), lang


@pytest.mark.parametrize("folder", ["tbp-2024", "kst-2025H1"])
def test_html_press_releases_carry_their_own_typeface(demo_dir: Path, folder: str) -> None:
    """The HTML links the release's fonts/ relatively (no file:// link to the machine that wrote
    it), the fonts are in the manifest, and they have a glyph for every character of the text."""
    import html as htmllib
    import io
    import re

    from fontTools.ttLib import TTFont

    rel = demo_dir / "releases" / folder
    manifest = json.loads((rel / "manifest.json").read_text(encoding="utf-8"))
    for weight in ("regular", "bold"):
        assert f"fonts/{weight}.woff2" in manifest["files"]
    cmaps = {
        w: {chr(c) for c in TTFont(io.BytesIO((rel / "fonts" / f"{w}.woff2").read_bytes())).getBestCmap()}
        for w in ("regular", "bold")
    }
    for lang in ("en", "ko"):
        page = (rel / f"press-release.{lang}.html").read_text(encoding="utf-8")
        assert "file://" not in page
        assert re.findall(r'url\("([^"]+\.woff2)"\)', page) == ["fonts/regular.woff2", "fonts/bold.woff2"]
        text = htmllib.unescape(re.sub(r"<[^>]+>", " ", page))
        needed = {c for c in text if not c.isspace() and c.isprintable()}
        for w, cmap in cmaps.items():
            assert needed <= cmap, (lang, w, sorted(needed - cmap)[:10])


def test_confidential_values_stay_out_of_the_release(demo_dir: Path) -> None:
    import openpyxl

    rel = demo_dir / "releases" / "kst-2025H1"
    ind = _indicators(rel / "indicators.csv")
    hidden = [k for k, (v, s) in ind.items() if s == "C"]
    assert hidden and all(ind[k][0] is None for k in hidden)
    cited = {
        (c["period"], c["breakdown"], c["item"], c["measure"])
        for s in json.loads((rel / "statements.json").read_text(encoding="utf-8"))["statements"]
        for c in s["cells"]
    }
    assert not cited & {k[1:] for k in hidden}
    # no number in the workbooks is the true value of a suppressed cell
    import duckdb

    con = duckdb.connect(str(demo_dir / "ktstat.duckdb"), read_only=True)
    try:
        true = [
            float(x) / 1e6
            for (x,) in con.execute(
                "SELECT amount_usd_micro FROM disclosure WHERE domain = 'kst' AND period = '2025H1' AND rule <> ''"
            ).fetchall()
        ]
    finally:
        con.close()
    assert true
    for name, scale in (("tables.xlsx", 1e9), ("tables.ko.xlsx", 1e8)):
        wb = openpyxl.load_workbook(rel / name)
        numbers = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, float)}
        assert numbers and not numbers & {v / scale for v in true}, name


def test_embargo_marks_every_output_until_the_release_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a small store (the fixture of tests/fixtures/kst_small): the marks, not the scale, are
    tested. A release writes its PDFs and fonts in two child processes (``ktstat.worker``);
    written again in one process, every file is the same."""
    import subprocess

    import openpyxl

    from ktstat import domain as domains
    from ktstat import worker
    from ktstat.pipeline import compile_domain
    from ktstat.publish.release import write_release
    from ktstat.release.vintage import create_vintage
    from ktstat.store import open_store

    fix = Path(__file__).parent / "fixtures" / "kst_small"
    con = open_store(tmp_path / "s.duckdb")
    try:
        compile_domain(con, "kst", fix / "records.csv", fix / "reporters.csv", fix / "rates.csv")
        at = datetime(2027, 3, 19, 12, tzinfo=KST)
        before, after = at - timedelta(minutes=1), at + timedelta(minutes=1)
        v = create_vintage(con, domains.load("kst"), "2024H2", "final", at, before)
        out = tmp_path / "rel"
        real, started = subprocess.Popen, []

        def popen(args: list[str], *a: object, **k: object) -> object:
            if args[1:3] == ["-m", "ktstat.worker"]:
                started.append(args)
            return real(args, *a, **k)  # type: ignore[call-overload]

        monkeypatch.setattr(worker, "two_processors", lambda: True)
        monkeypatch.setattr(subprocess, "Popen", popen)
        write_release(con, v.vintage_id, out, before)
        assert len(started) == 2
        assert "2027-03-19T12:00:00+09:00" in (out / "EMBARGOED.txt").read_text(encoding="utf-8")
        assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["embargoed_until"] == at.isoformat()
        assert json.loads((out / "statements.json").read_text(encoding="utf-8"))["embargoed_until"] == at.isoformat()
        assert "EMBARGOED" in (out / "press-release.en.html").read_text(encoding="utf-8")
        assert "엠바고" in (out / "press-release.ko.html").read_text(encoding="utf-8")
        wb = openpyxl.load_workbook(out / "tables.xlsx")
        assert any("EMBARGO" in str(c.value) for row in wb.worksheets[0].iter_rows() for c in row if c.value)
        # once the clock passes the release time, the same vintage publishes without the marks
        write_release(con, v.vintage_id, out, after)
        assert not (out / "EMBARGOED.txt").exists()
        assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["embargoed_until"] is None
        assert "EMBARGOED" not in (out / "press-release.en.html").read_text(encoding="utf-8")
        # published again a month later, in one process: the same bytes, file for file (documents
        # carry the release time)
        again = tmp_path / "again"
        monkeypatch.setattr(worker, "two_processors", lambda: False)
        write_release(con, v.vintage_id, again, after + timedelta(days=30))
        assert len(started) == 4
        first = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        second = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
        assert second["produced_at"] != first["produced_at"] and second["files"] == first["files"]
    finally:
        con.close()
