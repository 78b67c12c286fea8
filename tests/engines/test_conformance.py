"""One conformance suite for every engine of the base aggregation (``ktstat.engine.REGISTRY``).

Each test runs once per engine: DuckDB always, Spark where a Java runtime is found (marked
``spark``). An engine's reporter cells must equal, row for row, those of :func:`reference`, the
aggregation's contract written out in plain Python over the store's records and register
(exact integers; SQL's NULL rules: a NULL amount or rate gives no figure, a NULL reference date
matches only open-ended register versions), on the edge cases of the arithmetic and the register
join (``tests/test_engine_spark.py``'s edge store: exact halves, sums per currency first,
figures past 2^63, register boundaries, superseded batches, other domains) and on the hand-made
fixture compiled with the engine.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ktstat import domain as domains
from ktstat.engine import REGISTRY, base_aggregation
from ktstat.engine.spark import java_available
from ktstat.pipeline import compile_domain
from ktstat.store import open_store
from test_engine_spark import _edge_records, _edge_store

FIX = Path(__file__).parents[1] / "fixtures" / "kst_small"
ENGINES = [
    pytest.param(
        name,
        marks=[]
        if name == "duckdb"
        else [
            pytest.mark.spark,
            pytest.mark.skipif(not java_available(), reason=f"the {name} engine needs a Java runtime"),
        ],
    )
    for name in REGISTRY
]


def _valid(vf: dt.date | None, vt: dt.date | None, ref: dt.date | None) -> bool:
    """The register version's validity at the reference date, with SQL's NULL rules."""
    return (vf is None or (ref is not None and vf <= ref)) and (vt is None or (ref is not None and vt >= ref))


def _to_micro(minor: int, per_usd: int) -> int:
    """round(minor * 10^8 / per_usd), half away from zero, exactly."""
    q = (abs(minor) * 10**8 + per_usd // 2) // per_usd
    return q if minor >= 0 else -q


def reference(con: duckdb.DuckDBPyConnection, domain: str) -> Counter[tuple[Any, ...]]:
    """The reporter cells of the domain's active records, as the contract defines them
    (:mod:`ktstat.engine.aggregation`), computed in Python."""
    register = defaultdict(list)
    for rid, ind, size, platform, vf, vt in con.execute(
        "SELECT reporter_id, industry, size_class, platform, valid_from, valid_to FROM reporters WHERE domain = ?",
        [domain],
    ).fetchall():
        register[rid].append((ind, size, platform, vf, vt))
    by_currency: dict[tuple[Any, ...], list[Any]] = {}
    for rid, period, index, flow, item, partner, ref, currency, per_usd, minor in con.execute(
        "SELECT reporter_id, period, period_index, flow, item, partner, ref_date, currency, per_usd, amount_minor "
        "FROM records WHERE domain = ? AND batch_id IN (SELECT batch_id FROM batches WHERE status = 'active')",
        [domain],
    ).fetchall():
        for ind, size, platform, vf, vt in register.get(rid, []) if rid is not None else []:
            if _valid(vf, vt, ref):
                key = (domain, rid, period, index, flow, item, partner, ind, size, platform, currency, per_usd)
                acc = by_currency.setdefault(key, [None, 0])
                acc[0] = minor if acc[0] is None else acc[0] + (minor or 0)
                acc[1] += 1
    cells: dict[tuple[Any, ...], list[Any]] = {}
    for key, (minor, n) in by_currency.items():
        per_usd = key[-1]
        micro = None if minor is None or per_usd is None else _to_micro(int(minor), int(per_usd))
        acc = cells.setdefault(key[:-2], [None, 0])
        acc[0] = micro if acc[0] is None else acc[0] + (micro or 0)
        acc[1] += n
    return Counter((*k, v[0], v[1]) for k, v in cells.items())


def cells(con: duckdb.DuckDBPyConnection, domain: str) -> Counter[tuple[Any, ...]]:
    return Counter(con.execute("SELECT * FROM reporter_cells WHERE domain = ?", [domain]).fetchall())


def assert_cells(got: Counter[tuple[Any, ...]], want: Counter[tuple[Any, ...]]) -> None:
    only_got, only_want = list((got - want).elements()), list((want - got).elements())
    assert not only_got and not only_want, f"engine only: {only_got[:3]}; reference only: {only_want[:3]}"


@pytest.mark.parametrize("engine", ENGINES)
def test_edge_cases_give_the_reference_cells(engine: str) -> None:
    con = _edge_store(_edge_records())
    n = base_aggregation(con, domains.load("kst"), engine=engine)
    want = reference(con, "kst")
    assert n == want.total() >= 20
    assert_cells(cells(con, "kst"), want)
    assert any(v is not None and v > 2**63 for *_, v, _n in want)  # the edge cases pass 64 bits
    assert cells(con, "tbp").total() == 0  # only the domain asked for


@pytest.mark.parametrize("engine", ENGINES)
def test_the_fixture_compiled_with_the_engine_gives_the_reference_cells(engine: str) -> None:
    con = open_store(None)
    compile_domain(
        con, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv", protect=False, engine=engine
    )
    want = reference(con, "kst")
    assert want.total() == 22  # the fixture's 22 accepted records fall in 22 distinct cells
    assert_cells(cells(con, "kst"), want)


@pytest.mark.parametrize("engine", ENGINES)
def test_no_active_batch_gives_no_cells(engine: str) -> None:
    con = _edge_store(_edge_records())
    con.execute("UPDATE batches SET status = 'superseded' WHERE domain = 'kst'")
    assert base_aggregation(con, domains.load("kst"), engine=engine) == 0
    assert cells(con, "kst").total() == 0 == reference(con, "kst").total()
