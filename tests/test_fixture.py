"""A small hand-checked fixture for domain ``kst``, every expected value worked out by hand.

Inputs: ``tests/fixtures/kst_small/`` (25 record rows, 3 reporters, USD and KRW).

Reporters (``reporters.csv``)
-----------------------------
- R1 GameCo, KSIC 58211 (online game software), sme
  -> industry information_communications; institution sme;
     special ict_game_software + content_game (and their parents ict_industry, content_industry)
- R2 ChipCo, KSIC 26110 (memory chips): mid_sized until 2023-12-31, large from 2024-01-01
  -> industry manufacturing; institution mid_sized in 2023, large in 2024;
     special ict_manufacturing (parent ict_industry)
- R3 LabCo, KSIC 70113 (R&D on medicine), large
  -> industry professional_scientific; institution large; no special class

Exchange rates (``rates.csv``), KRW per USD
-------------------------------------------
- 2023 (a year, used as the fallback for every 2023 quarter): 1000
- 2024Q1..2024Q4: 1250; a decoy year rate 2024 = 2000 that must NOT be used, because the
  quarter rates take precedence.

Records (``records.csv``), converted to USD
-------------------------------------------
(X = export, M = import; category from items.csv: SH* ip_royalties, SI* ict_services,
SJ* professional_business, SK* culture_leisure)

====  ====  ========  ====  =====  ====  =================  ======  ========
id    rep   quarter   flow  ptnr   item  amount              USD     category
====  ====  ========  ====  =====  ====  =================  ======  ========
r01   R1    2023Q1    X     US     SH3   1000.00 USD          1000   ip
r02   R1    2023Q1    X     JP     SI21  5 000 000 KRW/1000   5000   ict
r03   R1    2023Q2    M     US     SH3   2000.00 USD          2000   ip
r04   R2    2023Q1    M     DE     SH1   3000.00 USD          3000   ip
r05   R2    2023Q3    X     CN     SJ1   4 000 000 KRW/1000   4000   pb
r06   R2    2023Q4    X     US     SH1   2000 USD             2000   ip
r07   R3    2023Q3    M     GB     SJ21  1500.00 USD          1500   pb
r08   R3    2023Q4    X     VN     SK1   500.00 USD            500   cl
r09   R3    2023Q2    X     US     SJ21  2500.00 USD          2500   pb
r10   R1    2023Q4    M     JP     SI21  1 000 000 KRW/1000   1000   ict
r11   R1    2024Q1    X     US     SH3   1500.00 USD          1500   ip
r12   R1    2024Q1    X     JP     SI21  6 875 000 KRW/1250   5500   ict
r13   R1    2024Q2    M     US     SH3   1 250 000 KRW/1250   1000   ip
r14   R2    2024Q1    M     DE     SH1   2500.00 USD          2500   ip
r15   R2    2024Q3    X     CN     SJ1   6 250 000 KRW/1250   5000   pb
r16   R2    2024Q4    X     US     SH1   3000.00 USD          3000   ip
r17   R3    2024Q3    M     GB     SJ21  2000.00 USD          2000   pb
r18   R3    2024Q4    X     VN     SK1   1000.00 USD          1000   cl
r19   R3    2024Q2    X     US     SJ21  2 500 000 KRW/1250   2000   pb
r20   R1    2024Q4    M     JP     SI21  500.00 USD            500   ict
r21   R3    2025Q1    X     US     SK1   100.00 USD            100   cl  (provisional 2025H1)
r22   R3    2025Q2    X     US     SK1   50.00 USD              50   cl  (provisional 2025H1)
====  ====  ========  ====  =====  ====  =================  ======  ========

Quarantined (4 rows): b01 (item XX9 unknown: item_code), the second r03 (duplicate record
id: unique), b03 (KRW in 2025, no rate: exchange_rate), b04 (reporter R9 not in the
register: reporter_registered).

Totals
------
2023  X = 1000+5000+4000+2000+500+2500 = 15000   M = 2000+3000+1500+1000 = 7500
      balance 7500, volume 22500, ratio 2
2024  X = 1500+5500+5000+3000+1000+2000 = 18000  M = 1000+2500+2000+500 = 6000
      balance 12000, volume 24000, ratio 3
2023H1 (Q1+Q2)  X = 1000+5000+2500 = 8500  M = 2000+3000 = 5000
2023H2 (Q3+Q4)  X = 4000+2000+500 = 6500   M = 1500+1000 = 2500
2024H1 (Q1+Q2)  X = 1500+5500+2000 = 9000  M = 1000+2500 = 3500
2024H2 (Q3+Q4)  X = 5000+3000+1000 = 9000  M = 2000+500 = 2500
2025H1          X = 100+50 = 150           M = 0

Categories          2023 X     2023 M     2024 X     2024 M
ip_royalties        1000+2000  2000+3000  1500+3000  1000+2500   = 3000 / 5000 / 4500 / 3500
ict_services        5000       1000       5500       500
professional_bus.   4000+2500  1500       5000+2000  2000        = 6500 / 1500 / 7000 / 2000
culture_leisure     500        0          1000       0           (zero imports: ratio N)
sum                 15000      7500       18000      6000

Industries (= reporters)  2023 X / M        2024 X / M
info_comm (R1)            1000+5000 / 2000+1000 = 6000 / 3000    1500+5500 / 1000+500 = 7000 / 1500
manufacturing (R2)        4000+2000 / 3000      = 6000 / 3000    5000+3000 / 2500     = 8000 / 2500
prof_scientific (R3)      500+2500 / 1500       = 3000 / 1500    1000+2000 / 2000     = 3000 / 2000

Institutions   2023 X / M                 2024 X / M
sme (R1)       6000 / 3000                7000 / 1500
mid_sized      6000 / 3000 (R2)           0 / 0 (R2 has become large)
large          3000 / 1500 (R3)           8000+3000 / 2500+2000 = 11000 / 4500 (R2 + R3)
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ktstat
from ktstat.periods import parse
from ktstat.pipeline import compile_domain
from ktstat.store import open_store

FIX = Path(__file__).parent / "fixtures" / "kst_small"
RECORDS, REPORTERS, RATES = FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv"
M = 1_000_000  # micro-dollars per dollar


@pytest.fixture(scope="module")
def store():
    con = open_store(None)
    # the arithmetic of the figures, before disclosure control (three reporters: every cell is confidential)
    res = compile_domain(con, "kst", RECORDS, REPORTERS, RATES, protect=False)
    yield con, res
    con.close()


@pytest.fixture(scope="module")
def ind(store):
    con, _ = store
    rows = con.execute(
        "SELECT period, breakdown, item, measure, value, status FROM indicators WHERE domain = 'kst'"
    ).fetchall()
    table = {(p, b, i, m): (v, s) for p, b, i, m, v, s in rows}
    assert len(table) == len(rows), "an indicator cell appears twice"
    return table


def val(ind, period, breakdown, item, measure):
    v, s = ind[(period, breakdown, item, measure)]
    return v


def status(ind, period, breakdown, item, measure):
    return ind[(period, breakdown, item, measure)][1]


def cube(con, freq, period, breakdown, item, flow):
    row = con.execute(
        "SELECT amount_usd_micro FROM cube WHERE domain = 'kst' AND freq = ? AND period = ? "
        "AND breakdown = ? AND item = ? AND flow = ?",
        [freq, period, breakdown, item, flow],
    ).fetchall()
    assert len(row) <= 1
    return row[0][0] if row else 0


# --------------------------------------------------------------------------------- ingest


def test_ingest_counts_and_quarantine(store):
    con, res = store
    rep = res.ingest
    # 26 data rows: 22 good (r01..r22), 4 bad
    assert (rep.rows_in, rep.accepted, rep.quarantined) == (26, 22, 4)
    assert rep.by_rule == {"exchange_rate": 1, "item_code": 1, "reporter_registered": 1, "unique": 1}
    q = con.execute("SELECT row_no, rule, field, value, record_id FROM quarantine ORDER BY row_no").fetchall()
    assert q == [
        (23, "item_code", "item", "XX9", "b01"),
        (24, "unique", "record_id", "r03", "r03"),
        (25, "exchange_rate", "currency", "KRW", "b03"),
        (26, "reporter_registered", "reporter_id", "R9", "b04"),
    ]
    ids = [r[0] for r in con.execute("SELECT record_id FROM records ORDER BY record_id").fetchall()]
    assert ids == [f"r{i:02d}" for i in range(1, 23)]
    # the first r03 (row 3, an import of R1) is the one kept, not the duplicate (row 24)
    assert con.execute("SELECT row_no, reporter_id, flow FROM records WHERE record_id = 'r03'").fetchall() == [
        (3, "R1", "M")
    ]


def test_period_formats_map_to_quarters(store):
    con, _ = store
    got = dict(con.execute("SELECT record_id, period FROM records").fetchall())
    assert got["r02"] == "2023Q1"  # 2023-02-15 (a date)
    assert got["r06"] == "2023Q4"  # 2023Q4 (a quarter label)
    assert got["r09"] == "2023Q2"  # 2023-04
    assert got["r08"] == "2023Q4"  # 2023-12
    assert got["r21"] == "2025Q1"


def test_exchange_rates_quarter_beats_year_fallback(store):
    con, _ = store
    # records keep the rate they were converted with, in micro-units per USD
    rates = dict(con.execute("SELECT record_id, per_usd FROM records WHERE currency = 'KRW'").fetchall())
    assert rates["r02"] == 1000 * M  # 2023Q1: no quarter rate, the 2023 year rate
    assert rates["r12"] == 1250 * M  # 2024Q1: the quarter rate, not the decoy year rate 2000
    assert rates["r19"] == 1250 * M
    usd = con.execute("SELECT DISTINCT per_usd FROM records WHERE currency = 'USD'").fetchall()
    assert usd == [(1 * M,)]
    # amounts kept in hundredths: 6 875 000 KRW -> 687 500 000
    assert con.execute("SELECT amount_minor FROM records WHERE record_id = 'r12'").fetchone()[0] == 68_750_000_000


def test_quarters_in_cube_exact_micro_dollars(store):
    con, _ = store
    # 2023Q1 X: r01 1000 + r02 5 000 000/1000 = 6000 USD
    assert cube(con, "Q", "2023Q1", "total", "all", "X") == 6000 * M
    # 2023Q1 M: r04 3000
    assert cube(con, "Q", "2023Q1", "total", "all", "M") == 3000 * M
    # 2024Q1 X: r11 1500 + r12 6 875 000/1250 = 5500 -> 7000 (with the decoy 2000 it would be 4937.5)
    assert cube(con, "Q", "2024Q1", "total", "all", "X") == 7000 * M
    # 2024Q2 X: r19 2 500 000/1250 = 2000
    assert cube(con, "Q", "2024Q2", "total", "all", "X") == 2000 * M
    # 2024Q3 M: r17 2000; 2024Q4 M: r20 500
    assert cube(con, "Q", "2024Q3", "total", "all", "M") == 2000 * M
    assert cube(con, "Q", "2024Q4", "total", "all", "M") == 500 * M
    # reporters per cell: 2023 exports come from R1, R2 and R3
    n = con.execute(
        "SELECT reporters, top1_micro, top2_micro FROM cube WHERE freq = 'A' AND period = '2023' "
        "AND breakdown = 'total' AND flow = 'X'"
    ).fetchall()
    # per reporter 2023 exports: R1 6000, R2 6000, R3 3000 -> top1 6000, top2 6000
    assert n == [(3, 6000 * M, 6000 * M)]


def test_halves_and_years_in_cube(store):
    con, _ = store
    exp = {
        ("A", "2023"): (15000, 7500),
        ("A", "2024"): (18000, 6000),
        ("H", "2023H1"): (8500, 5000),
        ("H", "2023H2"): (6500, 2500),
        ("H", "2024H1"): (9000, 3500),
        ("H", "2024H2"): (9000, 2500),
        ("H", "2025H1"): (150, 0),
    }
    for (f, p), (x, m) in exp.items():
        assert cube(con, f, p, "total", "all", "X") == x * M, p
        assert cube(con, f, p, "total", "all", "M") == m * M, p
    # 2025 is no complete year of the domain (it ends 2025Q2): no year 2025 anywhere
    assert con.execute("SELECT count(*) FROM cube WHERE freq = 'A' AND period = '2025'").fetchone()[0] == 0


# ------------------------------------------------------------------------- total levels

TOTALS = [
    # period, exports, imports, balance, volume, ratio
    ("2023", 15000, 7500, 7500, 22500, 2.0),
    ("2024", 18000, 6000, 12000, 24000, 3.0),
    ("2023H1", 8500, 5000, 3500, 13500, 1.7),  # 8500/5000
    ("2023H2", 6500, 2500, 4000, 9000, 2.6),  # 6500/2500
    ("2024H1", 9000, 3500, 5500, 12500, 9000 / 3500),
    ("2024H2", 9000, 2500, 6500, 11500, 3.6),  # 9000/2500
]


@pytest.mark.parametrize(("period", "x", "m", "bal", "vol", "ratio"), TOTALS)
def test_total_levels(ind, period, x, m, bal, vol, ratio):
    assert val(ind, period, "total", "all", "exports") == x
    assert val(ind, period, "total", "all", "imports") == m
    assert val(ind, period, "total", "all", "balance") == bal
    assert val(ind, period, "total", "all", "volume") == vol
    assert val(ind, period, "total", "all", "ratio") == pytest.approx(ratio, rel=1e-12)
    for meas in ("exports", "imports", "balance", "volume", "ratio"):
        assert status(ind, period, "total", "all", meas) == "A"


def test_total_changes_and_growth_2024(ind):
    g = lambda meas: val(ind, "2024", "total", "all", meas)  # noqa: E731
    assert g("exports_change") == 3000  # 18000 - 15000
    assert g("imports_change") == -1500  # 6000 - 7500
    assert g("balance_change") == 4500  # 12000 - 7500
    assert g("volume_change") == 1500  # 24000 - 22500
    assert g("ratio_change") == pytest.approx(1.0, rel=1e-12)  # 3 - 2
    assert g("exports_growth") == pytest.approx(20.0, rel=1e-12)  # 100*(18000/15000-1)
    assert g("imports_growth") == pytest.approx(-20.0, rel=1e-12)  # 100*(6000/7500-1)
    assert g("volume_growth") == pytest.approx(100 * (24000 / 22500 - 1), rel=1e-12)  # 6.666...
    # the total contributes all of its own change
    for meas in ("exports", "imports", "volume"):
        assert g(f"{meas}_contribution") == pytest.approx(100.0, rel=1e-12)
        assert g(f"{meas}_share") == pytest.approx(100.0, rel=1e-12)


def test_half_year_growth_and_yoy(ind):
    # 2023H2 against 2023H1: 100*(6500/8500-1) = -23.529...
    assert val(ind, "2023H2", "total", "all", "exports_growth") == pytest.approx(100 * (6500 / 8500 - 1), rel=1e-12)
    assert val(ind, "2023H2", "total", "all", "exports_change") == -2000  # 6500 - 8500
    # 2024H1 against 2023H2: 100*(9000/6500-1) = 38.46...; against 2023H1 (yoy): 100*(9000/8500-1)
    assert val(ind, "2024H1", "total", "all", "exports_growth") == pytest.approx(100 * (9000 / 6500 - 1), rel=1e-12)
    assert val(ind, "2024H1", "total", "all", "exports_growth_yoy") == pytest.approx(100 * (9000 / 8500 - 1), rel=1e-12)
    assert val(ind, "2024H1", "total", "all", "exports_change_yoy") == 500  # 9000 - 8500
    # imports 2024H2 (2500) against 2024H1 (3500): -1000, and yoy against 2023H2 (2500): 0 -> growth 0
    assert val(ind, "2024H2", "total", "all", "imports_change") == -1000
    assert val(ind, "2024H2", "total", "all", "imports_growth_yoy") == pytest.approx(0.0, abs=1e-12)
    assert status(ind, "2024H2", "total", "all", "imports_growth_yoy") == "A"
    # balance 2024H2 6500 vs 2024H1 5500
    assert val(ind, "2024H2", "total", "all", "balance_change") == 1000


# quarters from the records table: (exports, imports)
QUARTERS = {
    "2023Q1": (1000 + 5000, 3000),  # r01 r02 / r04
    "2023Q2": (2500, 2000),  # r09 / r03
    "2023Q3": (4000, 1500),  # r05 / r07
    "2023Q4": (2000 + 500, 1000),  # r06 r08 / r10
    "2024Q1": (1500 + 5500, 2500),  # r11 r12 / r14
    "2024Q2": (2000, 1000),  # r19 / r13
    "2024Q3": (5000, 2000),  # r15 / r17
    "2024Q4": (3000 + 1000, 500),  # r16 r18 / r20
}


@pytest.mark.parametrize("quarter", sorted(QUARTERS))
def test_quarter_levels_add_up_to_their_half(ind, quarter):
    x, m = QUARTERS[quarter]
    assert val(ind, quarter, "total", "all", "exports") == x
    assert val(ind, quarter, "total", "all", "imports") == m
    assert val(ind, quarter, "total", "all", "balance") == x - m
    half = str(parse(quarter).to("H"))
    quarters = [str(q) for q in parse(half).subperiods("Q")]
    for k, meas in ((0, "exports"), (1, "imports")):
        assert val(ind, half, "total", "all", meas) == sum(QUARTERS[q][k] for q in quarters)


def test_quarter_growth_against_previous_quarter_and_a_year_earlier(ind):
    g = lambda p, meas: val(ind, p, "total", "all", meas)  # noqa: E731
    # 2024Q1 (7000) against 2023Q4 (2500) and against 2023Q1 (6000)
    assert g("2024Q1", "exports_change") == 4500
    assert g("2024Q1", "exports_growth") == pytest.approx(100 * (7000 / 2500 - 1), rel=1e-12)
    assert g("2024Q1", "exports_change_yoy") == 1000
    assert g("2024Q1", "exports_growth_yoy") == pytest.approx(100 * (7000 / 6000 - 1), rel=1e-12)
    # imports 2024Q2 (1000) against 2024Q1 (2500) and 2023Q2 (2000)
    assert g("2024Q2", "imports_change") == -1500
    assert g("2024Q2", "imports_change_yoy") == -1000
    assert g("2024Q2", "imports_growth_yoy") == pytest.approx(-50.0, rel=1e-12)
    # 2023Q1 has no reported quarter before it nor a year before it
    assert status(ind, "2023Q1", "total", "all", "exports_growth") == "N"
    assert status(ind, "2023Q1", "total", "all", "exports_growth_yoy") == "N"
    # a category's quarters add up to its half: ict_services exports 2024H1 = r12 (2024Q1) only
    assert val(ind, "2024Q1", "category", "ict_services", "exports") == 5500
    assert val(ind, "2024Q2", "category", "ict_services", "exports") == 0
    assert val(ind, "2024H1", "category", "ict_services", "exports") == 5500


# ------------------------------------------------------------------------ categories


def test_category_levels_and_zero_imports(ind):
    exp = {
        ("2023", "ip_royalties"): (3000, 5000),
        ("2023", "ict_services"): (5000, 1000),
        ("2023", "professional_business"): (6500, 1500),
        ("2023", "culture_leisure"): (500, 0),
        ("2024", "ip_royalties"): (4500, 3500),
        ("2024", "ict_services"): (5500, 500),
        ("2024", "professional_business"): (7000, 2000),
        ("2024", "culture_leisure"): (1000, 0),
    }
    for (p, c), (x, m) in exp.items():
        assert val(ind, p, "category", c, "exports") == x
        assert val(ind, p, "category", c, "imports") == m
        assert val(ind, p, "category", c, "balance") == x - m
    # culture_leisure has no imports: ratio not meaningful, value empty
    for p in ("2023", "2024", "2023H2", "2024H2"):
        assert val(ind, p, "category", "culture_leisure", "ratio") is None
        assert status(ind, p, "category", "culture_leisure", "ratio") == "N"
        assert status(ind, p, "category", "culture_leisure", "ratio_rank") == "N"
    assert val(ind, "2023", "category", "ip_royalties", "ratio") == pytest.approx(0.6, rel=1e-12)  # 3000/5000
    assert val(ind, "2024", "category", "ict_services", "ratio") == pytest.approx(11.0, rel=1e-12)  # 5500/500
    # exports zero, imports positive: a ratio of 0, meaningful (europe: DE + GB are imports only)
    assert val(ind, "2023", "region", "europe", "ratio") == 0.0
    assert status(ind, "2023", "region", "europe", "ratio") == "A"
    assert val(ind, "2023", "region", "europe", "imports") == 4500  # r04 3000 + r07 1500


def test_category_derived_2024(ind):
    ip = lambda meas: val(ind, "2024", "category", "ip_royalties", meas)  # noqa: E731
    assert ip("exports_growth") == pytest.approx(50.0, rel=1e-12)  # 100*(4500/3000-1)
    assert ip("exports_change") == 1500  # 4500 - 3000
    assert ip("balance_change") == 3000  # (4500-3500) - (3000-5000) = 1000 - (-2000)
    assert ip("imports_growth") == pytest.approx(-30.0, rel=1e-12)  # 100*(3500/5000-1)
    assert ip("ratio_change") == pytest.approx(4500 / 3500 - 0.6, rel=1e-12)
    # exports contributions: total change 3000; ip +1500, ict +500, pb +500, cl +500
    contrib = {
        "ip_royalties": 50.0,
        "ict_services": 100 * 500 / 3000,
        "professional_business": 100 * 500 / 3000,
        "culture_leisure": 100 * 500 / 3000,
    }
    for c, e in contrib.items():
        assert val(ind, "2024", "category", c, "exports_contribution") == pytest.approx(e, rel=1e-12), c
    # volume: 2023 ip 8000, ict 6000, pb 8000, cl 500 (22500); 2024 ip 8000, ict 6000, pb 9000, cl 1000
    # total change 1500 -> ip 0, ict 0, pb 1000/1500 = 66.67 %, cl 500/1500 = 33.33 %
    vc = {"ip_royalties": 0.0, "ict_services": 0.0, "professional_business": 200 / 3, "culture_leisure": 100 / 3}
    for c, e in vc.items():
        assert val(ind, "2024", "category", c, "volume_contribution") == pytest.approx(e, rel=1e-12, abs=1e-12), c
        assert status(ind, "2024", "category", c, "volume_contribution") == "A"
    # growth of an industry: manufacturing (R2) exports 6000 -> 8000: +33.33 %
    assert val(ind, "2024", "industry", "manufacturing", "exports_growth") == pytest.approx(100 / 3, rel=1e-12)
    assert val(ind, "2024", "industry", "manufacturing", "exports_change") == 2000


def test_category_shares_2024(ind):
    # exports 18000: ip 4500 (25 %), ict 5500, pb 7000, cl 1000
    exp = {
        "ip_royalties": 25.0,
        "ict_services": 100 * 5500 / 18000,
        "professional_business": 100 * 7000 / 18000,
        "culture_leisure": 100 * 1000 / 18000,
    }
    for c, e in exp.items():
        assert val(ind, "2024", "category", c, "exports_share") == pytest.approx(e, rel=1e-12)
    # imports 6000: ip 3500, ict 500, pb 2000, cl 0 (a share of 0, meaningful)
    assert val(ind, "2024", "category", "culture_leisure", "imports_share") == 0.0
    assert status(ind, "2024", "category", "culture_leisure", "imports_share") == "A"
    assert val(ind, "2024", "category", "ip_royalties", "imports_share") == pytest.approx(100 * 3500 / 6000, rel=1e-12)
    # the special classes overlap: ict_industry = R1 + R2 = 7000 + 8000 = 15000 of 18000,
    # content_industry = R1 = 7000; shares are of the total, not of their sum
    assert val(ind, "2024", "special", "ict_industry", "exports") == 15000
    assert val(ind, "2024", "special", "content_industry", "exports") == 7000
    assert val(ind, "2024", "special", "ict_industry", "exports_share") == pytest.approx(100 * 15000 / 18000, rel=1e-12)


def test_ranks(ind):
    r = lambda p, c, meas: val(ind, p, "category", c, meas)  # noqa: E731
    # exports 2024: pb 7000 > ict 5500 > ip 4500 > cl 1000
    assert [
        r("2024", c, "exports_rank")
        for c in ("professional_business", "ict_services", "ip_royalties", "culture_leisure")
    ] == [1, 2, 3, 4]
    # balance 2024: ict 5000 = pb 5000 > ip 1000 = cl 1000: ties share a rank (1, 1, 3, 3)
    assert r("2024", "ict_services", "balance_rank") == 1
    assert r("2024", "professional_business", "balance_rank") == 1
    assert r("2024", "ip_royalties", "balance_rank") == 3
    assert r("2024", "culture_leisure", "balance_rank") == 3
    # ratio 2024: ict 11 > pb 3.5 > ip 1.29; cl has no imports (N)
    assert r("2024", "ict_services", "ratio_rank") == 1
    assert r("2024", "professional_business", "ratio_rank") == 2
    assert r("2024", "ip_royalties", "ratio_rank") == 3
    assert r("2024", "culture_leisure", "ratio_rank") is None
    # balance 2023: pb 5000 > ict 4000 > cl 500 > ip -2000 (largest surplus first)
    assert [
        r("2023", c, "balance_rank")
        for c in ("professional_business", "ict_services", "culture_leisure", "ip_royalties")
    ] == [1, 2, 3, 4]
    # special ranks only against peers of the same level: ict_industry 15000 > content_industry 7000
    assert val(ind, "2024", "special", "ict_industry", "exports_rank") == 1
    assert val(ind, "2024", "special", "content_industry", "exports_rank") == 2
    # level 2: ict_manufacturing (R2) 8000 > ict_game_software (R1) 7000 = content_game (R1) 7000
    assert val(ind, "2024", "special", "ict_manufacturing", "exports_rank") == 1
    assert val(ind, "2024", "special", "ict_game_software", "exports_rank") == 2
    assert val(ind, "2024", "special", "content_game", "exports_rank") == 2


def test_record_flags(ind):
    # total exports 2024 18000 > every earlier year (2023: 15000) -> record
    assert val(ind, "2024", "total", "all", "exports_record") == 1
    # total imports 2024 6000 < 7500 in 2023 -> no record
    assert val(ind, "2024", "total", "all", "imports_record") == 0
    assert val(ind, "2024", "total", "all", "balance_record") == 1  # 12000 > 7500
    # halves: 2023H2 exports 6500 < 8500 (2023H1)
    assert val(ind, "2023H2", "total", "all", "exports_record") == 0
    assert val(ind, "2024H1", "total", "all", "exports_record") == 1  # 9000 > 8500
    # ip_royalties: 2023 is the first period with data: its balance -2000 is both the
    # highest and the lowest of the series so far
    assert val(ind, "2023", "category", "ip_royalties", "balance_record_low") == 1
    assert val(ind, "2023", "category", "ip_royalties", "balance_record") == 1
    assert val(ind, "2024", "category", "ip_royalties", "balance_record_low") == 0  # 1000 > -2000
    assert val(ind, "2024", "category", "ip_royalties", "imports_record") == 0  # 3500 < 5000
    assert val(ind, "2024", "category", "professional_business", "exports_record") == 1  # 7000 > 6500
    for meas in ("exports_record", "balance_record_low"):
        assert status(ind, "2024", "total", "all", meas) == "A"


# ------------------------------------------------------------ reporters changing class


def test_reporter_changes_institution(store, ind):
    con, _ = store
    sizes = con.execute(
        "SELECT DISTINCT substr(period, 1, 4), size_class FROM reporter_cells WHERE reporter_id = 'R2' ORDER BY 1"
    ).fetchall()
    assert sizes == [("2023", "mid_sized"), ("2024", "large")]
    # institution: R2 is mid_sized in 2023 (X 6000, M 3000), large in 2024
    assert val(ind, "2023", "institution", "mid_sized", "exports") == 6000
    assert val(ind, "2023", "institution", "mid_sized", "imports") == 3000
    assert val(ind, "2023", "institution", "large", "exports") == 3000  # R3 only
    assert val(ind, "2024", "institution", "mid_sized", "exports") == 0  # present, zero
    assert val(ind, "2024", "institution", "large", "exports") == 11000  # R2 8000 + R3 3000
    assert val(ind, "2024", "institution", "large", "imports") == 4500  # R2 2500 + R3 2000
    assert val(ind, "2024", "institution", "sme", "exports") == 7000
    # mid_sized falls to zero: growth -100 %, contribution 100*(0-6000)/3000 = -200 %
    assert val(ind, "2024", "institution", "mid_sized", "exports_growth") == pytest.approx(-100.0, rel=1e-12)
    assert val(ind, "2024", "institution", "mid_sized", "exports_contribution") == pytest.approx(-200.0, rel=1e-12)
    # large: 3000 -> 11000: +266.67 %
    assert val(ind, "2024", "institution", "large", "exports_growth") == pytest.approx(800 / 3, rel=1e-12)
    # the cross follows the reporter too; its industry does not change
    assert val(ind, "2023", "industry+institution", "manufacturing+mid_sized", "exports") == 6000
    assert val(ind, "2024", "industry+institution", "manufacturing+mid_sized", "exports") == 0
    assert val(ind, "2024", "industry+institution", "manufacturing+large", "exports") == 8000
    assert val(ind, "2023", "industry+institution", "manufacturing+large", "exports") == 0
    # previous value 0: growth not meaningful, change meaningful
    assert status(ind, "2024", "industry+institution", "manufacturing+large", "exports_growth") == "N"
    assert val(ind, "2024", "industry+institution", "manufacturing+large", "exports_change") == 8000
    # no such combination is invented: R3 (professional_scientific) was never mid_sized
    assert ("2023", "industry+institution", "professional_scientific+mid_sized", "exports") not in ind
    assert val(ind, "2024", "industry", "manufacturing", "exports") == 8000


def test_other_breakdowns(ind):
    # regions 2023: asia = JP 5000 + CN 4000 + VN 500 = 9500 X, JP 1000 M; north_america = US 5500 X, 2000 M
    assert val(ind, "2023", "region", "asia", "exports") == 9500
    assert val(ind, "2023", "region", "asia", "imports") == 1000
    assert val(ind, "2023", "region", "north_america", "exports") == 5500
    assert val(ind, "2023", "partner", "US", "exports") == 5500  # 1000 + 2000 + 2500
    assert val(ind, "2024", "partner", "US", "exports") == 6500  # 1500 + 3000 + 2000
    # subcategory: computer_services = SI21 = ict_services
    assert val(ind, "2024", "subcategory", "computer_services", "exports") == 5500
    # category x region: ip_royalties in europe (DE imports of R2): 3000 in 2023, 2500 in 2024
    assert val(ind, "2023", "category+region", "ip_royalties+europe", "imports") == 3000
    assert val(ind, "2024", "category+region", "ip_royalties+europe", "imports") == 2500
    # category x industry: ict_services of information_communications (R1) 2024: 5500 X, 500 M
    assert val(ind, "2024", "category+industry", "ict_services+information_communications", "balance") == 5000
    # R3 (KSIC 70113) is in no special class
    assert val(ind, "2023", "special", "ict_industry", "exports") == 6000 + 6000  # R1 + R2


# ------------------------------------------------------------------ statuses and periods


def test_statuses_before_and_at_the_first_data(ind):
    # the data begin in 2023: nothing precedes 2023 / 2023H1, every comparison is not meaningful
    for p in ("2023", "2023H1"):
        for meas in ("exports_change", "balance_change", "exports_growth", "exports_contribution"):
            assert status(ind, p, "total", "all", meas) == "N", (p, meas)
            assert val(ind, p, "total", "all", meas) is None
    # periods nobody reported are absent, not zeros: no 2022, no 2011
    assert ("2022", "total", "all", "exports") not in ind
    assert ("2011H1", "total", "all", "exports") not in ind
    # 2024 against 2023: 18000 / 15000
    assert val(ind, "2024", "total", "all", "exports_growth") == pytest.approx(20.0, rel=1e-12)
    assert val(ind, "2024", "total", "all", "exports_change") == 3000
    assert status(ind, "2024H1", "total", "all", "exports_growth_yoy") == "A"
    assert status(ind, "2023H2", "total", "all", "exports_growth_yoy") == "N"  # 2022H2 has no data
    assert status(ind, "2023H2", "total", "all", "exports_growth") == "A"  # against 2023H1
    # ratio_change needs both ratios: ict_services 2023H1 had no imports
    assert status(ind, "2023H2", "category", "ict_services", "ratio_change") == "N"
    # all exports of 2024 in ip ... growth meaningful
    assert status(ind, "2024", "category", "ip_royalties", "exports_growth") == "A"


def test_provisional_period(ind):
    # 2025H1 is the latest half-year: provisional; its exports 100 + 50 (r21, r22)
    assert val(ind, "2025H1", "total", "all", "exports") == 150
    assert status(ind, "2025H1", "total", "all", "exports") == "P"
    # against 2024H2 (9000): 100*(150/9000-1)
    assert val(ind, "2025H1", "total", "all", "exports_growth") == pytest.approx(100 * (150 / 9000 - 1), rel=1e-12)
    assert status(ind, "2025H1", "total", "all", "exports_growth") == "P"
    # not meaningful stays N even in a provisional period: no imports in 2025H1
    assert status(ind, "2025H1", "total", "all", "ratio") == "N"
    # the provisional half's quarters are provisional with it; everything else is final
    provisional = ("2025H1", "2025Q1", "2025Q2")
    statuses = {s for (p, *_), (v, s) in ind.items() if p in provisional}
    assert statuses == {"P", "N"}
    assert {s for (p, *_), (v, s) in ind.items() if p == "2025Q1"} == {"P", "N"}
    others = {s for (p, *_), (v, s) in ind.items() if p not in provisional}
    assert others == {"A", "N"}
    # every status agrees with the value being empty
    assert all((v is None) == (s == "N") for v, s in ind.values())


def test_periods_covered(ind):
    periods = {p for (p, *_) in ind}
    years = {"2023", "2024"}  # 2025 is incomplete (2025Q3, Q4 outside the domain)
    halves = {"2023H1", "2023H2", "2024H1", "2024H2", "2025H1"}
    quarters = {f"{y}Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)} | {"2025Q1", "2025Q2"}
    assert periods == years | halves | quarters
    # every item seen in a frequency is present in every period of that frequency
    for freq_periods in (years, halves, quarters):
        cells = {(b, i) for (p, b, i, _) in ind if p in freq_periods}
        for b, i in cells:
            for p in freq_periods:
                assert (p, b, i, "exports") in ind, (p, b, i)
    # culture_leisure+north_america only occurs in 2025H1 (r21, r22): a half-year cell, no year cell
    assert ("2023H1", "category+region", "culture_leisure+north_america", "exports") in ind
    assert ("2024", "category+region", "culture_leisure+north_america", "exports") not in ind


def test_compile_protects_by_default():
    # three reporters in all: a cell shown must have all three (min_reporters = 3) and pass the
    # dominance and p % rules; the 2023 total of exports (5,000 from each reporter) may be shown
    con = open_store(None)
    try:
        compile_domain(con, "kst", RECORDS, REPORTERS, RATES)
        shown = con.execute(
            """SELECT d.period, d.breakdown, d.item, d.flow, d.reporters, d.rule FROM disclosure d
            JOIN indicators i ON i.domain = d.domain AND i.period = d.period AND i.breakdown = d.breakdown
                 AND i.item = d.item AND i.measure = CASE d.flow WHEN 'X' THEN 'exports' ELSE 'imports' END
            WHERE i.status <> 'C'"""
        ).fetchall()
        hidden = con.execute("SELECT count(*) FROM indicators WHERE status = 'C' AND value IS NULL").fetchall()[0][0]
    finally:
        con.close()
    assert ("2023", "total", "all", "X", 3, "") in shown
    assert all(reporters >= 3 and rule == "" for *_, reporters, rule in shown)
    assert hidden > 0


def test_python_api_compile():
    t = ktstat.compile("kst", RECORDS, REPORTERS, RATES, protect=False)
    assert t.column_names == ["domain", "period", "breakdown", "item", "measure", "value", "status"]
    rows = {(r["period"], r["breakdown"], r["item"], r["measure"]): (r["value"], r["status"]) for r in t.to_pylist()}
    assert rows[("2024", "total", "all", "balance")] == (12000.0, "A")
    assert rows[("2023H2", "total", "all", "imports")] == (2500.0, "A")
    assert {r for r in t.column("domain").to_pylist()} == {"kst"}
