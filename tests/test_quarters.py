"""Knowledge services quarters, published beside the halves and years they make up.

Over the API store of generated records (tests/apistore.py, ``build_rich``: 16 reporters, every
month of 2023 to 2025H1, compiled with disclosure control; vintages kst-2024H2-v1 and
kst-2025H1-v1, both provisional):

- a half's quarters (and a year's halves and quarters) add up to it exactly, in micro-dollars, in
  the indicators; the SDMX files and the API carry each quarter as the double nearest to that
  exact amount, under FREQ ``Q``;
- the quarters of a provisional half are provisional with it, and only those;
- a reader attacking everything a vintage publishes (quarters, halves and years, every breakdown
  and cross) by linear programming narrows no confidential cell below its protection interval.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from apistore import AFTER, V1, V2, Small
from ktstat import domain as domains
from ktstat.api.app import create_app
from ktstat.periods import parse
from ktstat.publish.exact import micro_text
from ktstat.publish.sdmx import breakdown_name, item_code, period_label, write_sdmx
from ktstat.store import open_store

DOM = domains.load("kst")
LEVELS = ("exports", "imports")
Cell = tuple[str, str, str, str]  # period, breakdown, item, measure


@pytest.fixture(scope="module")
def rich(api_rich: Small) -> Small:
    return api_rich


@pytest.fixture(scope="module")
def micro(rich: Small) -> dict[str, dict[Cell, int]]:
    """Each vintage's money levels in exact micro-dollars, as its published files write them."""
    con = open_store(rich.store, read_only=True)
    try:
        rows = con.execute(
            "SELECT vintage_id, period, breakdown, item, measure, micro FROM vintage_micro "
            "WHERE measure IN ('exports', 'imports')"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict[Cell, int]] = defaultdict(dict)
    for v, p, b, i, m, x in rows:
        out[v][(p, b, i, m)] = int(x)
    return out


def _quarters(cells: dict[Cell, Any]) -> set[str]:
    return {p for p, *_ in cells if parse(p).freq == "Q"}


def _sums_checked(exact: dict[Cell, int]) -> int:
    """Assert that every half and year with all its subperiods present is their exact sum;
    returns how many sums were checked."""
    checked = 0
    for (p, b, i, m), whole in exact.items():
        per = parse(p)
        for fine in ("H", "Q"):
            if fine == per.freq or per.freq == "Q" or (per.freq, fine) == ("H", "H"):
                continue
            parts = [exact.get((str(s), b, i, m)) for s in per.subperiods(fine)]
            if any(x is None for x in parts):
                continue
            assert sum(x for x in parts if x is not None) == whole, (p, fine, b, i, m)
            checked += 1
    return checked


def test_the_vintages_publish_quarters(rich: Small) -> None:
    quarters = _quarters(rich.rows[V2])
    assert {"2024Q1", "2024Q4", "2025Q1", "2025Q2"} <= quarters
    # the quarters have the half-year's measures, against the previous quarter and a year earlier
    measures = {m for (p, b, i, m) in rich.rows[V2] if p == "2025Q2" and b == "total"}
    assert {"exports_growth", "exports_growth_yoy", "imports_change_yoy", "volume_contribution_yoy"} <= measures
    assert "2025Q1" not in _quarters(rich.rows[V1])  # a vintage holds the periods up to its own


def test_quarters_add_up_to_halves_and_years_in_the_indicators(rich: Small, micro: dict[str, dict[Cell, int]]) -> None:
    for vintage in (V1, V2):
        exact = micro[vintage]
        assert _quarters({k: 0 for k in exact})
        # the exact amounts are those the vintage shows (the doubles nearest to them) where it shows a value
        for key, x in exact.items():
            value, status = rich.rows[vintage][key]
            assert status == "C" or value == float(micro_text(x)), key
        checked = _sums_checked(exact)
        # every breakdown's every item: each half of its quarters and each year of its halves and
        # quarters; a cross (compiled for years and halves only) each year of its halves
        quarterly = set(domains.load("kst").breakdowns_at("Q"))
        items = {(b, i, m) for (p, b, i, m) in exact if p == "2024"}
        assert any(b not in quarterly for b, _, _ in items)
        assert checked >= sum(3 if b in quarterly else 1 for b, _, _ in items), vintage
        assert not any(parse(p).freq == "Q" and b not in quarterly for (p, b, _, _) in exact)


def _sdmx_csv_cells(text: str) -> dict[Cell, tuple[str, str, str]]:
    """SDMX-CSV rows keyed by ktstat codes: (FREQ, OBS_VALUE, OBS_STATUS)."""
    out: dict[Cell, tuple[str, str, str]] = {}
    for r in csv.DictReader(io.StringIO(text)):
        key = (period_label(r["TIME_PERIOD"]), breakdown_name(r["BREAKDOWN"]), item_code(r["ITEM"]), r["MEASURE"])
        out[key] = (r["FREQ"], r["OBS_VALUE"], r["OBS_STATUS"])
    return out


def _check_carried(
    got: dict[Cell, tuple[str, str, str]], rows: dict[Cell, tuple[float | None, str]], exact: dict[Cell, int]
) -> int:
    """Every quarter, half and year of ``got`` under its FREQ, with the vintage's status, and each
    money level the nearest double to its exact micro-dollars; returns the quarters seen."""
    seen = 0
    for key, (freq, text, status) in got.items():
        per = parse(key[0])
        assert freq == {"A": "A", "H": "S", "Q": "Q"}[per.freq], key
        assert status == rows[key][1], key
        if key[3] in LEVELS and status not in ("C", "N"):
            assert float(text) == float(micro_text(exact[key])), key
        seen += per.freq == "Q"
    return seen


def test_sdmx_files_carry_the_quarters(rich: Small, micro: dict[str, dict[Cell, int]], tmp_path: Path) -> None:
    rows = rich.rows[V2]
    paths = write_sdmx(DOM, [(p, b, i, m, v, s) for (p, b, i, m), (v, s) in rows.items()], tmp_path)
    got = _sdmx_csv_cells(paths["csv"].read_text(encoding="utf-8"))
    assert set(got) == set(rows)
    assert _check_carried(got, rows, micro[V2]) == sum(1 for k in rows if parse(k[0]).freq == "Q")
    assert got[("2025Q1", "total", "all", "exports")][2] == "P"
    xml = paths["xml"].read_text(encoding="utf-8")
    assert 'FREQ" value="Q"' in xml or 'FREQ="Q"' in xml


@pytest.fixture()
def client(rich: Small) -> Iterator[TestClient]:
    app = create_app(rich.store, now=lambda: AFTER, releases_dir=rich.releases, refresh_seconds=0)
    with TestClient(app) as c:
        yield c


def test_the_api_serves_the_quarters(client: TestClient, rich: Small, micro: dict[str, dict[Cell, int]]) -> None:
    r = client.get("/data/KST/Q+S+A.TOTAL+CATEGORY+PARTNER..exports+imports?format=csvfile")
    assert r.status_code == 200, r.text[:300]
    got = _sdmx_csv_cells(r.text)
    assert _check_carried(got, rich.rows[V2], micro[V2]) > 0
    # the served halves are the sums of the served quarters, to the doubles' rounding (the exact
    # amounts add up exactly: test above)
    sums = 0
    for (p, b, i, m), (freq, text, status) in got.items():
        parts = [got.get((str(q), b, i, m)) for q in parse(p).subperiods("Q")] if freq == "S" else []
        if not parts or status == "C" or any(q is None or q[2] == "C" for q in parts):
            continue
        values = [float(q[1]) for q in parts if q is not None]
        assert math.fsum(values) == pytest.approx(float(text), abs=3 * math.ulp(float(text)) + 1e-9), (p, b, i, m)
        sums += 1
    assert sums > 0
    # the explorer offers quarters, the two of the provisional half provisional
    flow = client.get("/api/meta").json()["dataflows"][0]
    freqs = {f["id"]: [p["id"] for p in f["periods"]] for f in flow["frequencies"]}
    assert freqs["Q"][-2:] == ["2025Q1", "2025Q2"] and "2024Q3" in freqs["Q"]
    assert any("Q" in m["frequencies"] for m in flow["measures"] if m["id"] == "exports_growth_yoy")
    t = client.get("/api/table?dataflow=KST&breakdown=total&period=2025Q1&period=2025Q2&measure=exports").json()
    (row,) = t["rows"]
    assert [c["period"] for c in t["columns"]] == ["2025Q1", "2025Q2"]
    for c in t["columns"]:
        key = (c["period"], "total", "all", "exports")
        assert row["values"][c["id"]] == float(micro_text(micro[V2][key])) and row["statuses"][c["id"]] == "P"


def test_the_quarters_of_a_provisional_half_are_provisional(rich: Small) -> None:
    for vintage, half in ((V1, "2024H2"), (V2, "2025H1")):
        inside = {half, *(str(q) for q in parse(half).subperiods("Q"))}
        statuses: dict[bool, set[str]] = defaultdict(set)
        for (p, *_), (_, s) in rich.rows[vintage].items():
            statuses[p in inside].add(s)
        # the half and its two quarters: P where a value is shown; every other period final
        assert "P" in statuses[True] and statuses[True] <= {"P", "N", "C"}, vintage
        assert "A" in statuses[False] and statuses[False] <= {"A", "N", "C"}, vintage
        for q in parse(half).subperiods("Q"):
            assert rich.rows[vintage][(str(q), "total", "all", "exports")][1] == "P"
    # once a later half is released, the earlier one's quarters are no longer provisional in it
    assert rich.rows[V2][("2024Q3", "total", "all", "exports")][1] == "A"


def test_an_lp_attack_on_quarters_halves_and_years_narrows_no_confidential_cell(rich: Small) -> None:
    """What a reader of kst-2025H1-v1 knows: every level it shows (exports, imports of every
    breakdown and cross, quarter, half and year) and the structure of the tables (totals,
    hierarchies, crosses, and a period the sum of its subperiods). For every primary confidential
    cell, two linear programs give the interval the reader can pin it to; none is narrower than
    the protection interval."""
    from ktstat.sdc.audit import intervals
    from ktstat.sdc.linear import build_tables

    rows = rich.rows[V2]
    con = open_store(rich.store, read_only=True)
    try:
        tables = build_tables(con, DOM)
        primary = {
            (f, p, b, i, fl)
            for f, p, b, i, fl in con.execute(
                "SELECT freq, period, breakdown, item, flow FROM disclosure "
                "WHERE domain = 'kst' AND rule NOT IN ('', 'secondary')"
            ).fetchall()
        }
    finally:
        con.close()
    q = DOM.disclosure.protection_percent / 100
    attacked = {"A": 0, "H": 0, "Q": 0}
    quarter_links = 0
    for flow, table in tables.items():
        measure = {"X": "exports", "M": "imports"}[flow]
        # what the vintage hides is what the reader does not know
        hidden = {
            n
            for n, (_f, p, b, i) in enumerate(table.keys)
            if (p, b, i, measure) in rows and rows[(p, b, i, measure)][1] == "C"
        }
        # the reader's constants are the vintage's values
        for n, (_f, p, b, i) in enumerate(table.keys):
            if n not in hidden and (p, b, i, measure) in rows:
                assert rows[(p, b, i, measure)][0] == float(micro_text(table.values[n])), (p, b, i, flow)
        targets = {table.index[k[:4]] for k in primary if k[4] == flow and k[1] in {p for p, *_ in rows}}
        assert targets <= hidden
        for iv in intervals(table, hidden, targets, q):
            assert iv.protected, (table.keys[iv.cell], flow, iv.value, iv.lower, iv.upper)
            attacked[table.keys[iv.cell][0]] += 1
        # equations a reader adds quarters with, touching a hidden cell
        for eq in table.equations:
            freqs = {table.keys[c][0] for c, _ in eq}
            if "Q" in freqs and len(freqs) == 2 and any(c in hidden for c, _ in eq):
                quarter_links += 1
    assert all(attacked.values()), attacked  # confidential quarters, halves and years were all attacked
    assert quarter_links > 0


def test_release_tables_show_the_two_quarters_beside_the_half(rich: Small, micro: dict[str, dict[Cell, int]]) -> None:
    from ktstat.release.tables import standard_tables

    tables = {t.id: t for t in standard_tables(DOM, rich.rows[V2], "2025H1", provisional=True)}
    summary = tables["total"]
    heads = [c.label_en for c in summary.columns]
    assert heads[:7] == ["H1 2023", "H2 2023", "H1 2024", "H2 2024", "H1 2025", "Q1 2025", "Q2 2025"]
    assert [c.provisional for c in summary.columns[4:7]] == [True, True, True]
    cat = tables["category"]
    heads = [c.label_en for c in cat.columns]
    assert heads[:3] == ["Exports", "Exports, Q1 2025", "Exports, Q2 2025"]
    assert [c.label_ko for c in cat.columns[1:3]] == ["수출(2025년 1분기)", "수출(2025년 2분기)"]
    imports = heads.index("Imports")
    assert heads[imports + 1 : imports + 3] == ["Imports, Q1 2025", "Imports, Q2 2025"]
    assert any("Q1 2025" in n for n in cat.footnotes_en)  # the quarters are provisional with the half
    for row in cat.rows:
        for k in (0, imports):
            half, q1, q2 = row.cells[k : k + 3]
            assert (q1.ref.period, q2.ref.period) == ("2025Q1", "2025Q2") and q1.ref.measure == half.ref.measure
            if "C" not in (half.status, q1.status, q2.status):
                exact = [micro[V2][(c.ref.period, c.ref.breakdown, c.ref.item, c.ref.measure)] for c in (q1, q2, half)]
                assert exact[0] + exact[1] == exact[2], row.code
