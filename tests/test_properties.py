"""Property tests of the kst pipeline on small random record sets (hypothesis).

Every example writes a random business register, exchange-rate file and record file (with
some deliberately invalid rows), compiles them into an in-memory store, and checks a
property of the tables ``cube``, ``indicators``, ``records`` and ``quarantine`` against an
independent computation in Python (exact integers and fractions where money is involved).
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from ktstat import domain as domains
from ktstat.periods import PER_YEAR
from ktstat.pipeline import compile_domain
from ktstat.store import open_store

DOM = domains.load("kst")
LEAVES = sorted(DOM.item_codelist.leaves())
PARTNERS = ["US", "JP", "CN", "DE", "GB", "VN", "FR", "KR"]
QUARTERS = [(y, q) for y in (2023, 2024) for q in (1, 2, 3, 4)]
KSIC = ["58211", "26110", "70113", "62010", "46100", "64110", "91221", "59111", "63120", "10101", "99999"]
SIZES = ["large", "mid_sized", "sme", "individual"]
PLATFORM_TRUE = ["true", "TRUE", "1", "yes"]
PLATFORM_FALSE = ["false", "False", "0", "no"]
KRW_RATES = ["1000", "1250", "1305.37", "1288.5", "1183.25", "1399.123456", "1111.11"]
# a size-class change: new version valid from (key), old one valid to (value)
CHANGE_DATES = {
    "2023-07-01": "2023-06-30",
    "2024-01-01": "2023-12-31",
    "2024-04-01": "2024-03-31",
    "2024-07-02": "2024-07-01",
}  # inclusive bounds: the old version still holds on 2024-07-01

# breakdowns whose items add up to the total; crosses of partitions are partitions too
PARTITIONS = [
    "category",
    "subcategory",
    "industry",
    "institution",
    "region",
    "partner",
    "category+region",
    "industry+institution",
    "category+industry",
    "category+partner",
]
# the special classifications overlap, and so do their crosses
OVERLAPPING = ["special", "special+region", "special+partner"]
BREAKDOWNS = ["total", *PARTITIONS, *OVERLAPPING]
SPECIAL_DEPTH = {c.code: (1 if not c.parent else 2) for c in DOM.breakdowns["special"].codelist.codes}
PROVISIONAL = {"2025H1"}
# the generated records cover every quarter of 2023 and 2024 (and only those): the periods
# formed are those whose quarters all have data
FREQ_PERIODS = {
    "A": ["2023", "2024"],
    "H": ["2023H1", "2023H2", "2024H1", "2024H2"],
    "Q": [f"{y}Q{q}" for y in (2023, 2024) for q in (1, 2, 3, 4)],
}
PERIOD_FREQ = {p: f for f, ps in FREQ_PERIODS.items() for p in ps}
PERIOD_POS = {p: i for ps in FREQ_PERIODS.values() for i, p in enumerate(ps)}

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_partition_list_matches_the_domain():
    """The test's list of partitions is what the domain declares (guards the other tests)."""
    declared = [b for b in DOM.breakdowns.values() if b.partition]
    crosses = ["+".join(c) for c in DOM.crosses if all(DOM.breakdowns[b].partition for b in c)]
    assert sorted(PARTITIONS) == sorted([b.name for b in declared] + crosses)
    assert sorted(OVERLAPPING) == sorted(
        [b.name for b in DOM.breakdowns.values() if not b.partition]
        + ["+".join(c) for c in DOM.crosses if "+".join(c) not in crosses]
    )
    assert sorted(BREAKDOWNS) == sorted(DOM.breakdown_names())


# ------------------------------------------------------------------------ generators


@dataclass
class Reporter:
    rid: str
    industry: str
    platform: str  # as written in the register
    versions: list[tuple[str | None, str | None, str]]  # (valid_from, valid_to, size_class)

    def size_at(self, ref_date: str) -> str:
        """Size class of the register version valid on ``ref_date`` (ISO; bounds inclusive)."""
        for vf, vt, size in self.versions:
            if (vf is None or vf <= ref_date) and (vt is None or vt >= ref_date):
                return size
        raise AssertionError("no version valid")


def ref_date(period: str) -> str:
    """A record's reference date: the date itself, else the first day of its month or quarter."""
    if len(period) == 10:
        return period
    if "Q" in period:
        y, q = period.split("Q")
        return f"{y}-{(int(q) - 1) * 3 + 1:02d}-01"
    return f"{period}-01"


@dataclass
class Row:
    record_id: str
    reporter_id: str
    period: str
    flow: str
    partner: str
    item: str
    amount: str
    currency: str
    note: str = ""
    # the model: quarter, amount in hundredths, expected quarantine rule (None = accepted)
    quarter: tuple[int, int] | None = None
    cents: int = 0
    defect: str | None = None


@dataclass
class Case:
    reporters: list[Reporter]
    rates: list[tuple[str, str, str]]
    rows: list[Row] = field(default_factory=list)

    def rate_micro(self, currency: str, y: int, q: int) -> int:
        if currency == "USD":
            return 1_000_000
        by = {(c, p): r for c, p, r in self.rates}
        r = by.get((currency, f"{y}Q{q}"), by.get((currency, str(y))))
        assert r is not None
        return int(Decimal(r) * 1_000_000)


@st.composite
def reporters_st(draw, n_min: int = 1, n_max: int = 5, platforms=None) -> list[Reporter]:
    n = draw(st.integers(n_min, n_max))
    out = []
    for k in range(n):
        industry = draw(st.sampled_from(KSIC))
        if platforms is None:
            platform = draw(st.sampled_from(PLATFORM_TRUE + PLATFORM_FALSE * 3))
        else:
            platform = draw(st.sampled_from(platforms))
        size = draw(st.sampled_from(SIZES))
        if draw(st.booleans()):
            size2 = draw(st.sampled_from([s for s in SIZES if s != size]))
            change = draw(st.sampled_from(list(CHANGE_DATES)))
            versions = [(None, CHANGE_DATES[change], size), (change, None, size2)]
        else:
            versions = [(None, None, size)]
        out.append(Reporter(f"R{k + 1}", industry, platform, versions))
    return out


@st.composite
def rates_st(draw) -> list[tuple[str, str, str]]:
    rates = [("KRW", "2023", draw(st.sampled_from(KRW_RATES))), ("KRW", "2024", draw(st.sampled_from(KRW_RATES)))]
    for y, q in QUARTERS:
        if draw(st.integers(0, 2)) == 0:  # some quarters have their own rate
            rates.append(("KRW", f"{y}Q{q}", draw(st.sampled_from(KRW_RATES))))
    return rates


def _period_label(draw, y: int, q: int) -> str:
    kind = draw(st.sampled_from(["quarter", "month", "date"]))
    month = (q - 1) * 3 + 1 + draw(st.integers(0, 2))
    if kind == "quarter":
        return f"{y}Q{q}"
    if kind == "month":
        return f"{y}-{month:02d}"
    return f"{y}-{month:02d}-{draw(st.integers(1, 28)):02d}"


def _amount_text(cents: int) -> str:
    if cents % 100 == 0 and cents % 7 == 0:
        return str(cents // 100)  # an integer amount, no decimals
    return f"{cents // 100}.{cents % 100:02d}"


DEFECTS = [
    "item_code",
    "flow_code",
    "partner_code",
    "amount_nonzero",
    "amount_numeric",
    "amount_negative",
    "period_range",
    "period_format",
    "reporter_registered",
    "exchange_rate",
    "reporter_valid",
    "unique",
    "required",
    "amount_precision",
]


@st.composite
def cases(draw, n_max: int = 40, bad_max: int = 4, platforms=None, amounts=None) -> Case:
    reps = draw(reporters_st(platforms=platforms))
    case = Case(reps, draw(rates_st()))
    n = draw(st.integers(1, n_max))
    amount_st = amounts if amounts is not None else st.integers(1, 1_000_000_000)  # 0.01 .. 10 000 000.00
    for k in range(n):
        rep = draw(st.sampled_from(reps))
        y, q = draw(st.sampled_from(QUARTERS))
        cents = draw(amount_st)
        currency = draw(st.sampled_from(["USD", "KRW", "krw"]))
        if currency.upper() == "KRW":  # the won has no minor unit: whole amounts (cents = hundredths)
            text, cents = str(cents), cents * 100
        else:
            text = _amount_text(cents)
        case.rows.append(
            Row(
                record_id=f"r{k}",
                reporter_id=rep.rid,
                period=_period_label(draw, y, q),
                flow=draw(st.sampled_from(["X", "M", "x"])),
                partner=draw(st.sampled_from(PARTNERS)),
                item=draw(st.sampled_from(LEAVES)),
                amount=text,
                currency=currency,
                quarter=(y, q),
                cents=cents,
            )
        )
    # every quarter of 2023-2024 has a record, so halves and years are formed (a period
    # exists only when all its quarters have data)
    covered = {r.quarter for r in case.rows}
    for k, (y, q) in enumerate(QUARTERS):
        if (y, q) in covered:
            continue
        rep = draw(st.sampled_from(reps))
        cents = draw(amount_st) + k  # distinct amounts: totals change from period to period
        case.rows.append(
            Row(
                record_id=f"c{k}",
                reporter_id=rep.rid,
                period=f"{y}Q{q}",
                flow=draw(st.sampled_from(["X", "M"])),
                partner=draw(st.sampled_from(PARTNERS)),
                item=draw(st.sampled_from(LEAVES)),
                amount=_amount_text(cents),
                currency="USD",
                quarter=(y, q),
                cents=cents,
            )
        )
    valid = list(case.rows)
    for k in range(draw(st.integers(0, bad_max))):
        base = draw(st.sampled_from(valid))
        defect = draw(st.sampled_from(DEFECTS))
        r = Row(
            f"b{k}",
            base.reporter_id,
            base.period,
            base.flow,
            base.partner,
            base.item,
            base.amount,
            base.currency,
            defect=defect,
        )
        if defect == "item_code":
            r.item = "ZZ9"
        elif defect == "flow_code":
            r.flow = "Q"
        elif defect == "partner_code":
            r.partner = "ZZ"
        elif defect == "amount_nonzero":
            r.amount = "0.00"
        elif defect == "amount_numeric":
            r.amount = "12,5x"
        elif defect == "amount_negative":
            r.amount = "-5.00"
        elif defect == "period_range":
            r.period = "2009-12"
        elif defect == "period_format":
            r.period = "2023-13"
        elif defect == "reporter_registered":
            r.reporter_id = "NOPE"
        elif defect == "exchange_rate":
            r.currency = "EUR"
        elif defect == "reporter_valid":
            r.reporter_id, r.period = "LATE", "2023-05"
        elif defect == "unique":
            r.record_id = base.record_id
        elif defect == "required":
            r.record_id = ""
        elif defect == "amount_precision":  # more decimals than the currency has (USD 2, KRW 0)
            r.amount = "1.005" if r.currency.upper() == "USD" else "1234.5"
        case.rows.append(r)
    return case


# --------------------------------------------------------------------------- compile


@dataclass
class Compiled:
    con: duckdb.DuckDBPyConnection
    result: object
    case: Case
    files: Path

    def cube(self) -> dict[tuple[str, str, str, str, str], int]:
        rows = self.con.execute(
            "SELECT freq, period, breakdown, item, flow, amount_usd_micro FROM cube WHERE domain = 'kst'"
        ).fetchall()
        out = {}
        for f, p, b, i, fl, a in rows:
            assert (f, p, b, i, fl) not in out, "a cube cell appears twice"
            out[(f, p, b, i, fl)] = int(a)
        return out

    def indicators(self) -> dict[tuple[str, str, str], dict[str, tuple[float | None, str]]]:
        rows = self.con.execute(
            "SELECT period, breakdown, item, measure, value, status FROM indicators WHERE domain = 'kst'"
        ).fetchall()
        out: dict = defaultdict(dict)
        for p, b, i, m, v, s in rows:
            assert m not in out[(p, b, i)], "an indicator appears twice"
            out[(p, b, i)][m] = (v, s)
        return dict(out)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@contextmanager
def compiled(case: Case) -> Iterator[Compiled]:
    with tempfile.TemporaryDirectory() as d:
        dp = Path(d)
        reg = []
        for r in case.reporters:
            for vf, vt, size in r.versions:
                reg.append([r.rid, f"Firm {r.rid}, Ltd.", r.industry, size, r.platform, vf or "", vt or ""])
        reg.append(["LATE", "Late starter", "62010", "sme", "false", "2024-07-01", ""])
        _write(
            dp / "reporters.csv",
            ["reporter_id", "name", "industry", "size_class", "platform", "valid_from", "valid_to"],
            reg,
        )
        _write(dp / "rates.csv", ["currency", "period", "per_usd"], [list(r) for r in case.rates])
        _write(
            dp / "records.csv",
            ["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency", "note"],
            [
                [r.record_id, r.reporter_id, r.period, r.flow, r.partner, r.item, r.amount, r.currency, r.note]
                for r in case.rows
            ],
        )
        con = open_store(None)
        try:
            res = compile_domain(
                con, "kst", dp / "records.csv", dp / "reporters.csv", dp / "rates.csv", protect=False
            )  # the arithmetic, before disclosure control
            yield Compiled(con, res, case, dp)
        finally:
            con.close()


def round_half_away(num: int, den: int) -> int:
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def expected_cells(case: Case) -> dict[tuple[str, str, str, str, str, str], int]:
    """Model of ingest + base aggregation: micro-dollars per (reporter, quarter, flow, item,
    partner, size class of the register version valid on the record's reference date) of the
    valid rows, each currency's hundredths summed, converted once (rounding half away from
    zero), then summed across currencies."""
    by_id = {r.rid: r for r in case.reporters}
    by_cur: dict[tuple, int] = defaultdict(int)
    for r in case.rows:
        if r.defect is not None:
            continue
        assert r.quarter is not None  # a valid row has its quarter
        y, q = r.quarter
        size = by_id[r.reporter_id].size_at(ref_date(r.period))
        key = (r.reporter_id, f"{y}Q{q}", r.flow.upper(), r.item, r.partner, size, r.currency.upper())
        by_cur[key] += r.cents
    out: dict[tuple, int] = defaultdict(int)
    for (rid, quarter, flow, item, partner, size, cur), cents in by_cur.items():
        y, q = int(quarter[:4]), int(quarter[-1])
        per = case.rate_micro(cur, y, q)
        out[(rid, quarter, flow, item, partner, size)] += round_half_away(cents * 10**10, per)
    return dict(out)


def quarters_of(period: str) -> list[str]:
    if "H" in period:
        y, h = period.split("H")
        return [f"{y}Q{q}" for q in ((1, 2) if h == "1" else (3, 4))]
    return [f"{period}Q{q}" for q in (1, 2, 3, 4)]


# ---------------------------------------------------------------------------- (a)


def partitions_add_up_to_the_total(c):
    """(a) For every partition breakdown (crosses included), frequency, period and flow, the
    items' exact micro-dollar amounts add up to the total's."""
    cube = c.cube()
    totals = {(f, p, fl): a for (f, p, b, i, fl), a in cube.items() if b == "total"}
    assert totals, "no total cells"
    assert {i for (_, _, b, i, _) in cube if b == "total"} == {"all"}
    for bd in PARTITIONS:
        sums: dict[tuple, int] = defaultdict(int)
        for (f, p, b, _i, fl), a in cube.items():
            if b == bd:
                sums[(f, p, fl)] += a
        # at every frequency the breakdown is compiled at (kst's crosses: years and halves)
        assert dict(sums) == {k: a for k, a in totals.items() if bd in DOM.breakdowns_at(k[0])}, bd
    # the special classes overlap and need not add up, but none exceeds the total
    for (f, p, b, _i, fl), a in cube.items():
        if b == "special":
            assert 0 <= a <= totals[(f, p, fl)]


# ---------------------------------------------------------------------------- (b)


def levels_balance_and_volume(c):
    """(b) exports/imports are the cube's amounts in dollars; balance = X - M and
    volume = X + M in every indicator cell (every period, breakdown and item)."""
    cube = c.cube()
    ind = c.indicators()
    assert ind
    for (p, b, i), ms in ind.items():
        f = PERIOD_FREQ[p]
        xm = cube.get((f, p, b, i, "X"), 0)
        mm = cube.get((f, p, b, i, "M"), 0)
        x, m = ms["exports"][0], ms["imports"][0]
        assert x == xm / 1e6 and m == mm / 1e6, (p, b, i)
        assert ms["balance"][0] == pytest.approx((xm - mm) / 1e6, rel=1e-12, abs=1e-6), (p, b, i)
        assert ms["volume"][0] == pytest.approx((xm + mm) / 1e6, rel=1e-12, abs=1e-6), (p, b, i)
        assert ms["balance"][0] == pytest.approx(x - m, rel=1e-12, abs=1e-9)
        assert ms["volume"][0] == pytest.approx(x + m, rel=1e-12, abs=1e-9)
        for meas in ("exports", "imports", "balance", "volume"):
            assert ms[meas][1] == ("P" if p in PROVISIONAL else "A")
    # every cube cell of a published frequency has its indicators
    for f, p, b, i, _fl in cube:
        if f in ("A", "H"):
            assert (p, b, i) in ind


# ---------------------------------------------------------------------------- (c)


def years_and_halves_add_up(c):
    """(c) In the cube a year is the sum of its halves and a half the sum of its quarters,
    exactly, for every breakdown, item and flow; reporter counts and top reporters agree."""
    cube = c.cube()
    meta = {
        (f, p, b, i, fl): (int(n), int(t1))
        for f, p, b, i, fl, n, t1 in c.con.execute(
            "SELECT freq, period, breakdown, item, flow, reporters, top1_micro FROM cube"
        ).fetchall()
    }
    assert {f for (f, *_rest) in cube} <= {"A", "H", "Q"}
    keys = {(b, i, fl) for (_f, _p, b, i, fl) in cube}
    for b, i, fl in keys:
        for y in (2023, 2024):
            h1 = cube.get(("H", f"{y}H1", b, i, fl), 0)
            h2 = cube.get(("H", f"{y}H2", b, i, fl), 0)
            assert cube.get(("A", str(y), b, i, fl), 0) == h1 + h2, (y, b, i, fl)
            for h, qs in ((1, (1, 2)), (2, (3, 4))):
                if b not in DOM.breakdowns_at("Q"):  # compiled for years and halves only
                    assert not any(("Q", f"{y}Q{q}", b, i, fl) in cube for q in qs), (y, b, i)
                    continue
                qsum = sum(cube.get(("Q", f"{y}Q{q}", b, i, fl), 0) for q in qs)
                assert cube.get(("H", f"{y}H{h}", b, i, fl), 0) == qsum, (y, h, b, i, fl)
            year = meta.get(("A", str(y), b, i, fl))
            halves = [meta.get(("H", f"{y}H{h}", b, i, fl)) for h in (1, 2)]
            halves = [hv for hv in halves if hv]
            if year:
                # reporters in the year: at least as many as in either half, at most the sum
                assert max(hv[0] for hv in halves) <= year[0] <= sum(hv[0] for hv in halves)
                # positive amounts: the top reporter of the year has at least a half's top amount
                assert year[1] >= max(hv[1] for hv in halves)
    # no period outside the data is formed with amounts
    for _f, p, *_rest in cube:
        assert p[:4] in ("2023", "2024"), p


# ---------------------------------------------------------------------------- (d)


def shares_add_up_to_100(c):
    """(d) Within every partition breakdown and period, shares add up to 100 when the total is
    positive; they are N (empty) when it is zero."""
    ind = c.indicators()
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for (p, b, _i), ms in ind.items():
        groups[(p, b)].append(ms)
    checked = 0
    for meas, parts in (("exports", ("exports",)), ("imports", ("imports",)), ("volume", ("exports", "imports"))):
        for (p, b), cells in groups.items():
            total = sum(ind[(p, "total", "all")][x][0] for x in parts)
            shares = [ms[f"{meas}_share"] for ms in cells]
            if total > 0:
                for ms in cells:
                    level = sum(ms[x][0] for x in parts)
                    assert ms[f"{meas}_share"][0] == pytest.approx(100 * level / total, rel=1e-12, abs=1e-12)
                if b in PARTITIONS or b == "total":
                    assert sum(v for v, _ in shares) == pytest.approx(100.0, rel=1e-9), (p, b, meas)
                    checked += 1
            else:
                assert all(v is None and s == "N" for v, s in shares), (p, b, meas)
    assert checked > 0


# ---------------------------------------------------------------------------- (e)


def _contribution_tol(scale: float, d_item: float, d_total: float) -> float:
    """Bound on float error of 100 * d_item / d_total computed from doubles of size ``scale``."""
    eps = 8 * 2.3e-16 * max(scale, 1.0)
    return 1e-9 + 100 * eps / abs(d_total) * (1 + abs(d_item) / abs(d_total))


def contributions_add_up_to_100(c):
    """(e) Within every partition breakdown and period, contributions (to the change against the
    previous period, and for half-years against the same half a year earlier) add up to 100
    when the total changed, and are N when it did not."""
    cube = c.cube()
    ind = c.indicators()

    def exact(p, b, i, meas):
        f = PERIOD_FREQ[p]
        x = cube.get((f, p, b, i, "X"), 0)
        m = cube.get((f, p, b, i, "M"), 0)
        return {"exports": x, "imports": m, "volume": x + m}[meas]

    checked = 0
    for suffix in ("", "_yoy"):
        for (p, b, i), ms in ind.items():
            if b not in PARTITIONS and b != "total":
                continue
            f = PERIOD_FREQ[p]
            lag = PER_YEAR[f] if suffix else 1  # the same period a year earlier
            if suffix and f == "A":
                assert f"exports_contribution{suffix}" not in ms
                continue
            pos = PERIOD_POS[p]
            for meas in ("exports", "imports", "volume"):
                v, s = ms[f"{meas}_contribution{suffix}"]
                if pos < lag:
                    assert (v, s) == (None, "N"), (p, b, i, meas)
                    continue
                prev = FREQ_PERIODS[f][pos - lag]
                d_total = exact(p, "total", "all", meas) - exact(prev, "total", "all", meas)
                if d_total == 0:
                    assert (v, s) == (None, "N"), (p, b, i, meas)
                    continue
                d_item = exact(p, b, i, meas) - exact(prev, b, i, meas)
                scale = max(exact(p, "total", "all", meas), exact(prev, "total", "all", meas)) / 1e6
                want = 100 * Fraction(d_item, d_total)
                assert v == pytest.approx(float(want), abs=_contribution_tol(scale, d_item / 1e6, d_total / 1e6))
        groups: dict[tuple, list] = defaultdict(list)
        for (p, b, _i), ms in ind.items():
            if b in PARTITIONS and not (suffix and PERIOD_FREQ[p] == "A"):
                groups[(p, b)].append(ms)
        for (p, b), cells in groups.items():
            for meas in ("exports", "imports", "volume"):
                vals = [ms[f"{meas}_contribution{suffix}"][0] for ms in cells]
                tot = ind[(p, "total", "all")][f"{meas}_contribution{suffix}"][0]
                if tot is None:
                    assert all(v is None for v in vals)
                    continue
                assert tot == pytest.approx(100.0, rel=1e-12)
                pos, f = PERIOD_POS[p], PERIOD_FREQ[p]
                prev = FREQ_PERIODS[f][pos - (PER_YEAR[f] if suffix else 1)]
                d_total = (exact(p, "total", "all", meas) - exact(prev, "total", "all", meas)) / 1e6
                scale = max(exact(p, "total", "all", meas), exact(prev, "total", "all", meas)) / 1e6
                tol = len(vals) * _contribution_tol(scale, scale, d_total)
                assert sum(vals) == pytest.approx(100.0, abs=tol), (p, b, meas, suffix)
                checked += 1
    assert checked > 0


# ---------------------------------------------------------------------------- (f)


def _rank_group(b: str, i: str) -> int:
    return SPECIAL_DEPTH[i] if b == "special" else 0


def _exact(ms: dict) -> dict[str, int | Fraction | None]:
    """Exact levels in micro-dollars recovered from the exports/imports indicators (doubles of
    micro-dollars / 1e6, exact below 2**53 micro-dollars)."""
    x, m = round(ms["exports"][0] * 1e6), round(ms["imports"][0] * 1e6)
    assert x / 1e6 == ms["exports"][0] and m / 1e6 == ms["imports"][0]
    return {"exports": x, "imports": m, "balance": x - m, "volume": x + m, "ratio": Fraction(x, m) if m > 0 else None}


def _status(p: str, v: float | None) -> str:
    return "N" if v is None else ("P" if p in PROVISIONAL else "A")


def derived_measures_recomputed(c):
    """(f) growth, change, ratio, ranks and record flags recomputed in Python from the level
    indicators (exports and imports of the same item in the comparison period) equal the
    compiled ones; statuses are N exactly where the README says (no comparison period, growth on
    a previous value that is not positive, ratio without imports), P in 2025H1, A otherwise."""
    ind = c.indicators()
    series: dict[tuple[str, str, str], dict[str, dict]] = defaultdict(dict)
    for (p, b, i), ms in ind.items():
        series[(PERIOD_FREQ[p], b, i)][p] = ms
    for (f, b, i), per in series.items():
        assert list(per) and set(per) == set(FREQ_PERIODS[f]), (f, b, i)
        for pos, p in enumerate(FREQ_PERIODS[f]):
            ms = per[p]
            x, m = ms["exports"][0], ms["imports"][0]
            lv = {"exports": x, "imports": m, "balance": x - m, "volume": x + m}
            ratio = x / m if m > 0 else None
            assert ms["ratio"] == (pytest.approx(ratio, rel=1e-12) if ratio is not None else None, _status(p, ratio))
            for suffix, lag in [("", 1)] if f == "A" else [("", 1), ("_yoy", PER_YEAR[f])]:
                if pos >= lag:
                    q = per[FREQ_PERIODS[f][pos - lag]]
                    px, pm = q["exports"][0], q["imports"][0]
                    plv = {"exports": px, "imports": pm, "balance": px - pm, "volume": px + pm}
                    pratio = px / pm if pm > 0 else None
                else:
                    plv, pratio = None, None
                for meas in ("exports", "imports", "balance", "volume"):
                    want = None if plv is None else lv[meas] - plv[meas]
                    v, s = ms[f"{meas}_change{suffix}"]
                    assert s == _status(p, want), (p, b, i, meas, suffix)
                    if want is not None:
                        assert v == pytest.approx(want, rel=1e-12, abs=1e-6), (p, b, i, meas, suffix)
                want = None if plv is None or ratio is None or pratio is None else ratio - pratio
                v, s = ms[f"ratio_change{suffix}"]
                assert s == _status(p, want) and (want is None or v == pytest.approx(want, rel=1e-9, abs=1e-12))
                for meas in ("exports", "imports", "volume"):
                    prev = None if plv is None else plv[meas]
                    want = None if prev is None or prev <= 0 else 100 * (lv[meas] / prev - 1)
                    v, s = ms[f"{meas}_growth{suffix}"]
                    assert s == _status(p, want), (p, b, i, meas, suffix, prev)
                    if want is not None:
                        tol = 1e-9 * (1 + abs(lv[meas] / prev))
                        assert v == pytest.approx(want, rel=1e-9, abs=tol), (p, b, i, meas, suffix)
            # record flags: highest (lowest for balance_record_low) of the series so far, exactly
            earlier = [_exact(per[FREQ_PERIODS[f][k]]) for k in range(pos)]
            ex = _exact(ms)
            for meas in ("exports", "imports", "balance", "volume"):
                hist = [e[meas] for e in earlier]
                want = 1.0 if not hist or ex[meas] >= max(hist) else 0.0
                assert ms[f"{meas}_record"] == (want, _status(p, want)), (p, b, i, meas)
            hist = [e["balance"] for e in earlier]
            want = 1.0 if not hist or ex["balance"] <= min(hist) else 0.0
            assert ms["balance_record_low"] == (want, _status(p, want)), (p, b, i)
    # ranks within (period, breakdown, peer group), from the exact levels (equal amounts tie)
    groups: dict[tuple, list] = defaultdict(list)
    for (p, b, i), ms in ind.items():
        groups[(p, b, _rank_group(b, i))].append((ms, _exact(ms)))
    for (p, b, _g), cells in groups.items():
        for meas in ("exports", "imports", "balance", "volume", "ratio"):
            for ms, ex in cells:
                mine = ex[meas]
                want = None if mine is None else 1 + sum(1 for _, o in cells if o[meas] is not None and o[meas] > mine)
                v, s = ms[f"{meas}_rank"]
                assert (v, s) == (want, _status(p, want)), (p, b, meas)


# ---------------------------------------------------------------------------- (a) to (f), one compile each

PROPERTIES = (
    partitions_add_up_to_the_total,
    levels_balance_and_volume,
    years_and_halves_add_up,
    shares_add_up_to_100,
    contributions_add_up_to_100,
    derived_measures_recomputed,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_properties_a_to_f_hold_on_every_compile(case):
    """Properties (a) to (f) above, all checked on each generated compile (20 cases: every
    property sees more cases than the 15 it saw with a test and a compile per case of its own,
    in less than a quarter of the compiles). A failure names the property (hypothesis prints the note)."""
    with compiled(case) as c:
        for prop in PROPERTIES:
            note(f"property: {prop.__name__}")
            prop(c)


# ---------------------------------------------------------------------------- (g)


@SETTINGS
@given(cases(bad_max=8))
def test_nothing_lost(case):
    """(g) Every input row is accepted or quarantined (never both), exactly the valid rows are
    accepted, each bad row for the rule it breaks, and the accepted amounts, converted as the
    engine documents (per currency summed, then rounded half away from zero to the
    micro-dollar), add up to the cube's totals per quarter and flow."""
    with compiled(case) as c:
        rep = c.result.ingest
        accepted = {int(r[0]) for r in c.con.execute("SELECT row_no FROM records").fetchall()}
        quarantined: dict[int, set[str]] = defaultdict(set)
        for row_no, rule in c.con.execute("SELECT row_no, rule FROM quarantine").fetchall():
            quarantined[int(row_no)].add(rule)
        cube = c.cube()
        rc_rows = c.con.execute(
            "SELECT reporter_id, period, flow, item, partner, size_class, amount_usd_micro FROM reporter_cells"
        ).fetchall()
        rc = {(rid, p, fl, it, pa, sz): int(a) for rid, p, fl, it, pa, sz, a in rc_rows}
        assert len(rc) == len(rc_rows), "a reporter cell appears twice"
        reporters_q = {
            (p, fl): int(n)
            for p, fl, n in c.con.execute(
                "SELECT period, flow, reporters FROM cube WHERE freq = 'Q' AND breakdown = 'total'"
            ).fetchall()
        }
    n = len(case.rows)
    assert rep.rows_in == n and rep.accepted + rep.quarantined == n
    assert not accepted & set(quarantined)
    assert accepted | set(quarantined) == set(range(1, n + 1))
    for k, r in enumerate(case.rows, start=1):
        if r.defect is None:
            assert k in accepted, (k, r, quarantined.get(k))
        else:
            assert r.defect in quarantined[k], (k, r.defect, quarantined[k])
    # the reporter cells are the model's, exactly, each record classified with the register
    # version valid on its reference date
    cells = expected_cells(case)
    assert rc == cells
    # cube totals per quarter and flow = sum of the model's converted amounts
    want: dict[tuple[str, str], int] = defaultdict(int)
    who: dict[tuple[str, str], set] = defaultdict(set)
    exact: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    for (rid, p, fl, _it, _pa, _sz), a in cells.items():
        want[(p, fl)] += a
        who[(p, fl)].add(rid)
    for r in case.rows:
        if r.defect is None:
            y, q = r.quarter
            key = (f"{y}Q{q}", r.flow.upper())
            exact[key] += Fraction(r.cents * 10**10, case.rate_micro(r.currency.upper(), y, q))
    got = {(p, fl): a for (f, p, b, _i, fl), a in cube.items() if f == "Q" and b == "total"}
    assert got == dict(want)
    assert reporters_q == {k: len(v) for k, v in who.items()}
    # and rounding loses less than half a micro-dollar per converted group
    for k, a in got.items():
        assert abs(a - exact[k]) <= Fraction(len(cells), 2)
    years = {p: a for (f, p, b, _i, fl), a in cube.items() if f == "A" and b == "total" and fl == "X"}
    for y in ("2023", "2024"):
        assert years.get(y, 0) == sum(a for (p, fl), a in want.items() if p.startswith(y) and fl == "X")


# ---------------------------------------------------------- regressions of bugs found


@settings(max_examples=15, deadline=None)
@given(cases(n_max=12, bad_max=0, amounts=st.integers(1, 60)))
@example(
    Case(
        reporters=[Reporter("R1", "58211", "false", [(None, None, "sme")])],
        rates=[("KRW", "2023", "1000"), ("KRW", "2024", "1000")],
        rows=[
            Row("a", "R1", "2023-01", "X", "US", "SH1", "0.30", "USD", quarter=(2023, 1), cents=30),
            Row("b", "R1", "2023-01", "M", "US", "SH1", "0.10", "USD", quarter=(2023, 1), cents=10),
            Row("c", "R1", "2023-01", "X", "JP", "SI1", "0.20", "USD", quarter=(2023, 1), cents=20),
        ],
    )
)
@example(
    Case(  # 2023H1 balance 0.20; 2023H2 balance 0.30 - 0.10 = 0.20 exactly: still a record
        reporters=[Reporter("R1", "58211", "false", [(None, None, "sme")])],
        rates=[("KRW", "2023", "1000"), ("KRW", "2024", "1000")],
        rows=[
            Row("a", "R1", "2023-01", "X", "US", "SH1", "0.20", "USD", quarter=(2023, 1), cents=20),
            Row("b", "R1", "2023-07", "X", "US", "SH1", "0.30", "USD", quarter=(2023, 3), cents=30),
            Row("c", "R1", "2023-08", "M", "US", "SH1", "0.10", "USD", quarter=(2023, 3), cents=10),
        ],
    )
)
def test_ranks_and_records_follow_exact_amounts(case):
    """Ranks and record flags by the exact micro-dollar amounts: equal balances (or ratios)
    share a rank and an equal balance is still a record, even when their float differences
    differ in the last bit. (Small amounts make such ties likely.)

    Regression: ranks were computed on DOUBLE dollars, so 0.30 - 0.10 = 0.19999999999999998
    ranked below 0.20 (explicit example)."""
    with compiled(case) as c:
        cube = c.cube()
        ind = c.indicators()
    groups: dict[tuple, list] = defaultdict(list)
    for p, b, i in ind:
        if p in ("2023", "2024", "2023H1", "2023H2", "2024H1", "2024H2"):
            f = PERIOD_FREQ[p]
            x, m = cube.get((f, p, b, i, "X"), 0), cube.get((f, p, b, i, "M"), 0)
            lv = {
                "exports": Fraction(x),
                "imports": Fraction(m),
                "balance": Fraction(x - m),
                "volume": Fraction(x + m),
                "ratio": Fraction(x, m) if m > 0 else None,
            }
            groups[(p, b, _rank_group(b, i))].append((i, lv))
    for (p, b, _g), cells in groups.items():
        for meas in ("exports", "imports", "balance", "volume", "ratio"):
            for i, lv in cells:
                if lv[meas] is None:
                    continue
                want = 1 + sum(1 for _, o in cells if o[meas] is not None and o[meas] > lv[meas])
                assert ind[(p, b, i)][f"{meas}_rank"][0] == want, (p, b, i, meas)
    for f in ("A", "H"):
        for b, i in {(b, i) for (p, b, i) in ind if PERIOD_FREQ[p] == f}:
            hist: list[tuple[int, int]] = []
            for p in FREQ_PERIODS[f]:
                x, m = cube.get((f, p, b, i, "X"), 0), cube.get((f, p, b, i, "M"), 0)
                got = ind[(p, b, i)]
                if hist:
                    assert got["balance_record"][0] == (x - m >= max(px - pm for px, pm in hist)), (p, b, i)
                    assert got["volume_record"][0] == (x + m >= max(px + pm for px, pm in hist)), (p, b, i)
                    assert got["balance_record_low"][0] == (x - m <= min(px - pm for px, pm in hist)), (p, b, i)
                hist.append((x, m))


@settings(max_examples=15, deadline=None)
@given(cases(n_max=10, bad_max=0, platforms=["", "false", "true"]))
@example(
    Case(
        reporters=[Reporter("R1", "58211", "", [(None, None, "sme")])],
        rates=[("KRW", "2023", "1000"), ("KRW", "2024", "1000")],
        rows=[Row("a", "R1", "2023-01", "X", "US", "SH1", "10.00", "USD", quarter=(2023, 1), cents=1000)],
    )
)
def test_blank_platform_is_not_lost(case):
    """A register row may leave ``platform`` empty (not a platform); the reporter's records must
    still be accepted and counted in every partition breakdown (or the register rejected).

    Regression: an empty platform became NULL and ``CAST(platform AS VARCHAR) LIKE pattern``
    never matched it, so the reporter vanished from industry, institution and special."""
    with compiled(case) as c:
        cube = c.cube()
    totals = {(f, p, fl): a for (f, p, b, _i, fl), a in cube.items() if b == "total"}
    for bd in ("industry", "institution", "industry+institution", "category+industry"):
        sums: dict[tuple, int] = defaultdict(int)
        for (f, p, b, _i, fl), a in cube.items():
            if b == bd:
                sums[(f, p, fl)] += a
        assert dict(sums) == {k: a for k, a in totals.items() if bd in DOM.breakdowns_at(k[0])}, bd
