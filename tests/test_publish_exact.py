"""Exact numbers in published files: every file of a release folder (and ``ktstat compile --out``) is
read back and its numbers checked: money as exact decimals of the integer micro-dollars (checked
against the records' own sums, in Decimal), ranks and flags as integers, other values in the
shortest form that reads back as the value (no ``%.17g`` float artefacts)."""

from __future__ import annotations

import csv
import functools
import json
import random
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from ktstat.publish.exact import is_integer_measure, is_money, micro_text, number_text

KST = timezone(timedelta(hours=9))
FIX = Path(__file__).parent / "fixtures" / "kst_small"
MONEY_TEXT = re.compile(r"-?\d+(\.\d{1,6})?")
INTEGER_TEXT = re.compile(r"-?\d+")


def test_number_text() -> None:
    assert micro_text(17_647_509_999_799_247) == "17647509999.799247"
    assert micro_text(-1_500_000) == "-1.5" and micro_text(0) == "0" and micro_text(7) == "0.000007"
    exact = float("17647509999.799247")  # the double nearest to these micro-dollars
    assert number_text("exports", exact, 17_647_509_999_799_247) == "17647509999.799247"
    assert number_text("exports", float("857997850.385341")) == "857997850.385341"
    # a double that is not the nearest to a micro-dollar value keeps its exact shortest form
    assert number_text("exports", 857997850.3853409) == "857997850.3853409"
    assert number_text("exports", 0.3428571428571429) == "0.3428571428571429"
    assert number_text("balance_change_yoy", -3.0) == "-3"
    assert number_text("exports_rank", 1.0) == "1" and number_text("balance_record_low", 0.0) == "0"
    assert number_text("exports_growth", 16.0) == "16" and number_text("ratio", 0.1 + 0.2) == repr(0.1 + 0.2)
    assert number_text("exports", None) == ""
    # a micro value that does not belong to the double (stale) is not used
    assert number_text("exports", 2.5, 9_000_000) == "2.5"
    assert number_text("exports_rank", 2.5) == "2.5"  # not an integer: not rounded either


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Decimal]]:
    """A store over generated US-dollar records whose totals pass 2**53 micro-dollars (where a
    double can no longer hold every micro-dollar), a vintage, its release folder and the
    compile's indicators.csv; with the exact export totals per half-year, from the records."""
    from ktstat import domain as domains
    from ktstat.pipeline import compile_domain
    from ktstat.publish import write_indicators
    from ktstat.publish.release import write_release
    from ktstat.release.vintage import create_vintage
    from ktstat.store import open_store

    tmp = tmp_path_factory.mktemp("exact")
    rng = random.Random(11)
    reporters = tmp / "reporters.csv"
    with reporters.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["reporter_id", "name", "industry", "size_class", "platform"])
        for k in range(16):
            w.writerow(
                [
                    f"R{k:02d}",
                    f"Firm {k}",
                    ("58211", "26110", "70113")[k % 3],
                    ("sme", "mid_sized", "large")[k % 3],
                    "false",
                ]
            )
    exports: dict[str, Decimal] = {}
    records = tmp / "records.csv"
    with records.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency"])
        n = 0
        for year in (2023, 2024):
            for month in range(1, 13):
                for k in range(16):
                    for _ in range(rng.randint(2, 4)):
                        n += 1
                        amount = Decimal(f"{rng.lognormvariate(18.5, 1.0):.2f}")
                        flow = rng.choice("XM")  # exports in US dollars, imports in won (converted)
                        w.writerow(
                            [
                                f"e{n:06d}",
                                f"R{k:02d}",
                                f"{year}-{month:02d}",
                                flow,
                                rng.choice(["US", "JP", "VN", "CN"]),
                                rng.choice(["SH1", "SH3", "SI21", "SJ1"]),
                                str(amount if flow == "X" else int(amount) * 1300),
                                "USD" if flow == "X" else "KRW",
                            ]
                        )
                        if flow == "X":
                            half = f"{year}H{1 if month <= 6 else 2}"
                            exports[half] = exports.get(half, Decimal(0)) + amount
    rates = tmp / "rates.csv"
    rates.write_text("currency,period,per_usd\nKRW,2023,1307.37\nKRW,2024,1363.98\n", encoding="utf-8")
    con = open_store(tmp / "s.duckdb")
    compile_domain(con, "kst", records, reporters, rates)
    micro = {
        p: m
        for p, m in con.execute(
            "SELECT period, amount_usd_micro FROM cube WHERE breakdown = 'total' AND flow = 'M' AND freq = 'H'"
        ).fetchall()
    }
    out_csv = tmp / "indicators.csv"
    write_indicators(con, out_csv, "kst")
    v = create_vintage(
        con,
        domains.load("kst"),
        "2024H2",
        "provisional",
        datetime(2025, 3, 19, 12, tzinfo=KST),
        datetime(2025, 3, 1, tzinfo=KST),
    )
    folder = tmp / "release"
    write_release(con, v.vintage_id, folder, datetime(2025, 3, 20, tzinfo=KST), lambda _m: None)
    con.close()
    assert max(exports.values()) * 1_000_000 > 2**53  # the case a double cannot carry exactly
    assert any(m % 1000 for m in micro.values())  # converted: micro-dollars a double rounds
    imports = {p: Decimal(micro_text(m)) for p, m in micro.items()}
    return folder, out_csv, {**{f"X {p}": v for p, v in exports.items()}, **{f"M {p}": v for p, v in imports.items()}}


def _check_value(measure: str, text: str, where: str) -> None:
    if text == "":
        return
    if is_integer_measure(measure):
        assert INTEGER_TEXT.fullmatch(text), (where, measure, text)
    elif is_money(measure):
        assert MONEY_TEXT.fullmatch(text), (where, measure, text)
    else:
        v = float(text)
        assert text in (repr(v), repr(v).removesuffix(".0")), (where, measure, text)


def _check_indicators_csv(path: Path, exports: dict[str, Decimal]) -> int:
    seen = 0
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            _check_value(row["measure"], row["value"], f"{path.name}: {row}")
            if (row["breakdown"], row["item"]) == ("total", "all") and row["measure"] in ("exports", "imports"):
                key = f"{'X' if row['measure'] == 'exports' else 'M'} {row['period']}"
                if key in exports and row["value"]:
                    assert Decimal(row["value"]) == exports[key], row
                    seen += 1
    return seen


@functools.cache
def _duck() -> Any:
    """One in-memory DuckDB connection for the module's SQL (cheap queries, many examples)."""
    import duckdb

    return duckdb.connect()


MEASURES = [
    "exports",
    "balance_change_yoy",
    "imports_change",
    "exports_rank",
    "balance_record_low",
    "exports_growth",
    "ratio",
    "exports_share",
    "volume_yoy",
]


_VALUES = hst.one_of(
    hst.none(),
    hst.floats(min_value=-1e37, max_value=1e37, width=64),  # (a rank beyond 1e38 is not written exactly)
    hst.integers(-(10**15), 10**15).map(lambda m: float(micro_text(m))),
    hst.integers(-(10**6), 10**6).map(float),
)
_TRIPLES = hst.tuples(hst.sampled_from(MEASURES), _VALUES, hst.one_of(hst.none(), hst.integers(-(10**21), 10**21)))


@settings(max_examples=60, deadline=None)
@given(cases=hst.lists(_TRIPLES, min_size=1, max_size=50))
def test_the_sql_number_text_is_the_python_one(cases: list[tuple[str, float | None, int | None]]) -> None:
    """``number_text_sql`` (the compile's indicators.csv) writes every value as ``number_text`` does
    (a release's files): one definition, two engines. (A money value comes, as often as not,
    with its own micro-dollars.)"""
    from ktstat.publish.exact import number_text_sql

    rows = [
        (m, v, round(v * 1e6) if x is None and v is not None and is_money(m) and abs(v) < 1e15 else x)
        for m, v, x in cases
    ]
    sql = (
        f"SELECT {number_text_sql('m', 'v', 'x')} FROM (SELECT unnest(?::VARCHAR[]) AS m, "
        "unnest(?::DOUBLE[]) AS v, unnest(?::HUGEINT[]) AS x)"
    )
    got = [t or "" for (t,) in _duck().execute(sql, [list(col) for col in zip(*rows, strict=True)]).fetchall()]
    assert got == [number_text(m, v, x) for m, v, x in rows], rows


def test_indicators_files_are_exact(release: tuple[Path, Path, dict[str, Decimal]]) -> None:
    folder, out_csv, exports = release
    assert _check_indicators_csv(out_csv, exports) == len(exports)
    assert _check_indicators_csv(folder / "indicators.csv", exports) == len(exports)


def _sdmx_values(folder: Path) -> list[tuple[str, str]]:
    out = []
    with (folder / "sdmx" / "data.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["OBS_VALUE"]:
                out.append((row["MEASURE"], row["OBS_VALUE"]))
    assert out
    return out


def test_sdmx_values_have_no_float_artefacts(release: tuple[Path, Path, dict[str, Decimal]]) -> None:
    """SDMX values in their shortest exact form; money with at most 6 decimals (a micro-dollar)."""
    folder, _, _ = release
    for measure, value in _sdmx_values(folder):
        if is_integer_measure(measure):  # ranks and flags: integers (test_sdmx_ranks_and_flags_are_integers)
            continue
        assert value == repr(float(value)), (measure, value)
        if is_money(measure):
            assert re.fullmatch(r"-?\d+\.\d{1,6}", value), (measure, value)


def test_sdmx_ranks_and_flags_are_integers(release: tuple[Path, Path, dict[str, Decimal]]) -> None:
    folder, _, _ = release
    for measure, value in _sdmx_values(folder):
        if is_integer_measure(measure):
            assert INTEGER_TEXT.fullmatch(value), (measure, value)


def test_documents_have_no_float_artefacts(release: tuple[Path, Path, dict[str, Decimal]]) -> None:
    """Press releases and the manifest show rounded figures only: no number with 9 or more decimals."""
    folder, _, _ = release
    scanned = 0
    for path in sorted(folder.rglob("*")):
        if path.suffix in (".html", ".txt", ".md") or path.name == "manifest.json":
            text = path.read_text(encoding="utf-8")
            bad = re.findall(r"\d+\.\d{9,}", text)
            assert not bad, (path.name, bad[:5])
            scanned += 1
    assert scanned >= 3


def test_statements_cite_exact_money(release: tuple[Path, Path, dict[str, Decimal]]) -> None:
    folder, _, _ = release
    text = (folder / "statements.json").read_text(encoding="utf-8")
    doc = json.loads(text, parse_float=str)  # the numbers as written
    for st in doc["statements"]:
        for cell in st.get("cells", []):
            if cell.get("value") is not None:
                _check_value(cell["measure"], str(cell["value"]), "statements.json")


# every published file, read back ----------------------------------------------------------------------------------

ARTEFACT = re.compile(r"\d+\.\d{9,}")  # a figure shown to nine or more decimals: a float leaking into text


def _scan_parquet(path: Path, exports: dict[str, Decimal], csv_values: dict[tuple[str, str, str, str], str]) -> None:
    """Typed columns: money exact in ``usd`` (decimal128(38,6)), ranks and flags in ``integer``
    (int64), other values in ``rate`` (float64); one set per row with a value, and each equal to
    the CSV's exact text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.read_table(path)
    assert t.schema.field("usd").type == pa.decimal128(38, 6), t.schema
    assert t.schema.field("integer").type == pa.int64() and t.schema.field("rate").type == pa.float64()
    seen = 0
    for r in t.to_pylist():
        key = (r["period"], r["breakdown"], r["item"], r["measure"])
        set_ = [c for c in ("usd", "integer", "rate") if r[c] is not None]
        text = csv_values[key]
        if not text:
            assert set_ == [], (path.name, r)
            continue
        m = r["measure"]
        want = "integer" if is_integer_measure(m) else "usd" if is_money(m) else "rate"
        assert set_ == [want], (path.name, r)
        got = r[want]
        assert (Decimal(text) == got) if want != "rate" else (float(text) == got), (path.name, r, text)
        if (r["breakdown"], r["item"]) == ("total", "all") and m in ("exports", "imports"):
            k = f"{'X' if m == 'exports' else 'M'} {r['period']}"
            if k in exports:
                assert got == exports[k], r
                seen += 1
    assert seen


RATE_WORDS = ("%", "ratio", "비율", "rank", "순위")  # a column or row of these holds no money


def _scan_workbook(path: Path, lang: str, exports: dict[str, Decimal]) -> None:
    """Every numeric cell of every sheet, as stored in the sheet XML. A money cell (neither its
    column heading nor its row label names a rate, ratio or rank) holds an exact number of
    micro-dollars in the workbook's unit; any other the shortest text of its double. The total
    exports and imports of each half are there exactly (the imports, converted from won, have
    micro-dollars a double cannot hold)."""
    import zipfile

    import openpyxl

    from ktstat.publish.xlsx import scale

    divisor = Decimal(int(scale("usd", lang)))
    wb = openpyxl.load_workbook(path, read_only=False)
    money: list[Decimal] = []
    others = 0
    with zipfile.ZipFile(path) as z:
        for n, ws in enumerate(wb.worksheets, 1):
            xml = z.read(f"xl/worksheets/sheet{n}.xml").decode("utf-8")
            heading_row = next((c.row for c in ws["A"] if c.value in ("Item", "항목")), None)
            for m in re.finditer(r'<c r="([A-Z]+)(\d+)"([^>]*)>(?:<f>[^<]*</f>)?<v>([^<]*)</v>', xml):
                col, row, attrs, text = m.groups()
                if 't="s"' in attrs or 't="str"' in attrs:
                    continue
                assert heading_row is not None and int(row) > heading_row, (path.name, ws.title, col, row)
                heading = str(ws[f"{col}{heading_row}"].value or "") + " " + str(ws[f"A{row}"].value or "")
                if any(w in heading.lower() for w in RATE_WORDS):
                    assert text == repr(float(text)) or INTEGER_TEXT.fullmatch(text), (path.name, heading, text)
                    others += 1
                else:
                    micro = Decimal(text) * divisor * 1_000_000
                    assert micro == micro.to_integral_value(), (path.name, ws.title, col, row, heading, text)
                    money.append(Decimal(text))
    assert money and others, path.name
    for k, v in exports.items():  # the totals of every half, exports and (converted) imports
        assert v / divisor in money, (path.name, k, v / divisor)


def _scan_sdmx_xml(path: Path) -> int:
    """OBS_VALUE of every observation of an SDMX-ML data message, checked against its series'
    MEASURE; returns the number checked."""
    import xml.etree.ElementTree as ET

    n = 0
    for el in ET.parse(path).iter():
        if el.tag.endswith("Series") and el.get("MEASURE"):
            for obs in el:
                text = obs.get("OBS_VALUE")
                if text is not None:
                    _check_value(el.get("MEASURE", ""), text, f"{path.name}: {obs.attrib}")
                    n += 1
    return n


def test_every_published_file_is_read_back(release: tuple[Path, Path, dict[str, Decimal]]) -> None:
    """Every file of the release folder has a reader here (a new kind of file fails this test until
    it gets one), and no figure in any of them is a float artefact."""
    import pypdf

    folder, _, exports = release
    with (folder / "indicators.csv").open(encoding="utf-8", newline="") as f:
        csv_values: dict[tuple[str, str, str, str], str] = {
            (r["period"], r["breakdown"], r["item"], r["measure"]): r["value"] for r in csv.DictReader(f)
        }
    checked: set[str] = set()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == "indicators.csv":
            assert _check_indicators_csv(path, exports) == len(exports)
        elif name == "indicators.parquet":
            _scan_parquet(path, exports, csv_values)
        elif name == "statements.json":
            test_statements_cite_exact_money(release)
        elif name == "sdmx/data.csv":
            for measure, value in _sdmx_values(folder):
                _check_value(measure, value, name)
        elif name == "sdmx/data.xml":
            assert _scan_sdmx_xml(path) == len(_sdmx_values(folder))
        elif name.endswith(".xlsx"):
            _scan_workbook(path, "ko" if name.endswith(".ko.xlsx") else "en", exports)
        elif name.endswith(".pdf"):
            text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
            assert re.search(r"\d", text) and not ARTEFACT.findall(text), (name, ARTEFACT.findall(text)[:5])
        elif path.suffix in (".html", ".txt", ".md", ".json", ".xml"):  # manifest, structure, press releases
            assert not ARTEFACT.findall(path.read_text(encoding="utf-8")), name
        elif path.suffix == ".woff2":  # a typeface: no figures
            assert path.read_bytes()[:4] == b"wOF2", name
        else:
            raise AssertionError(f"{name}: a published file this test does not read; give it a reader")
        checked.add(name)
    assert {"indicators.csv", "indicators.parquet", "statements.json", "sdmx/data.csv", "sdmx/data.xml"} <= checked
    assert {"tables.xlsx", "tables.ko.xlsx", "press-release.en.pdf", "press-release.ko.html"} <= checked
