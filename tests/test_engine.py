"""The base aggregation's currency conversion: the 64-bit fast path equals the HUGEINT formula."""

from __future__ import annotations

import duckdb

from ktstat.engine import TO_MICRO_USD


def test_conversion_fast_path_is_exact() -> None:
    plain = (
        "CASE WHEN minor >= 0 THEN (minor * 100000000 + per_usd // 2) // per_usd "
        "ELSE -((-minor * 100000000 + per_usd // 2) // per_usd) END"
    )
    con = duckdb.connect()
    edges = [
        0,
        1,
        -1,
        49_999_999,
        50_000_000,
        -50_000_000,
        10**17 + 7,
        -(10**17 + 7),
        9 * 10**18,
        -9 * 10**18,
        9 * 10**18 + 1,
        -(9 * 10**18 + 1),
        2**63 - 1,
        -(2**63),
        2**63,
        10**30 + 3,
        -(10**30 + 3),
    ]
    rates = [1, 2, 3, 999_999, 1_000_000, 1_300_000_000, 89_999_999_999, 90_000_000_000, 90_000_000_001, 10**15]
    con.execute("CREATE TABLE t (minor HUGEINT, per_usd HUGEINT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(str(m), str(p)) for m in edges for p in rates])
    con.execute(
        "INSERT INTO t SELECT CAST((random() - 0.5) * 1.8e19 AS HUGEINT), CAST(1 + floor(random() * 9e10) "
        "AS HUGEINT) FROM range(100000)"
    )
    n, bad = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE ({TO_MICRO_USD}) IS DISTINCT FROM ({plain})) FROM t"
    ).fetchone()  # type: ignore[misc]
    assert n == len(edges) * len(rates) + 100000 and bad == 0
