"""``ktstat factcheck``: claims, cells and verdicts on hand-made articles (English and Korean,
with planted errors) against a hand-made table of figures; the five shared articles against
the demo's releases when ``shared/articles`` is beside the checkout."""

from __future__ import annotations

import functools
import json
import re
from datetime import date
from pathlib import Path

import pytest

from ktstat.factcheck.core import Result, check, extract
from ktstat.factcheck.figures import TableFigures
from ktstat.factcheck.report import Article, detect_lang, to_html, to_json, to_text

BN = 1e9

FIG = TableFigures(
    cells={
        ("tbp", "2024", "total", "all", "exports"): 18.35 * BN,
        ("tbp", "2024", "total", "all", "imports"): 22.60 * BN,
        ("tbp", "2024", "total", "all", "balance"): -4.25 * BN,
        ("tbp", "2024", "total", "all", "volume"): 40.95 * BN,
        ("tbp", "2024", "total", "all", "exports_growth"): 3.98,
        ("tbp", "2024", "total", "all", "imports_growth"): 7.86,
        ("tbp", "2024", "total", "all", "ratio"): 0.812,
        ("tbp", "2024", "total", "all", "ratio_change"): -0.03,
        ("tbp", "2024", "total", "all", "exports_record"): 1,
        ("tbp", "2024", "total", "all", "imports_record"): 0,
        ("tbp", "2023", "total", "all", "exports"): 17.648 * BN,
        ("tbp", "2024", "industry", "information_communications", "exports"): 7.41 * BN,
        ("tbp", "2024", "industry", "information_communications", "exports_growth"): 8.75,
        ("tbp", "2024", "industry", "information_communications", "volume_rank"): 2,
        ("tbp", "2024", "industry", "electric_electronics", "volume_rank"): 1,
        ("tbp", "2024", "industry", "electric_electronics", "exports"): 5.006 * BN,
        ("tbp", "2024", "industry", "electric_electronics", "exports_growth"): -5.25,
        ("tbp", "2024", "partner", "CN", "exports"): 3.585 * BN,
        ("tbp", "2024", "partner", "US", "exports"): 5.475 * BN,
        ("kst", "2025H1", "total", "all", "exports"): 19.705 * BN,
        ("kst", "2025H1", "total", "all", "imports"): 24.24 * BN,
        ("kst", "2025H1", "total", "all", "balance"): -4.535 * BN,
        ("kst", "2025H1", "total", "all", "balance_change"): -0.78 * BN,
        ("kst", "2025H1", "total", "all", "exports_growth"): 6.2,
        ("kst", "2024H2", "total", "all", "balance"): -3.755 * BN,
        ("kst", "2025H1", "category", "ict_services", "balance"): 1.96 * BN,
        ("kst", "2025H1", "category", "culture_leisure", "balance"): 0.435 * BN,
        ("kst", "2025H1", "region", "asia", "balance"): 3.575 * BN,
        ("kst", "2025H1", "region", "north_america", "balance"): -3.765 * BN,
    },
    rates={"2024": 1364.0, "2025H1": 1400.0},
)


def verdicts(text: str, lang: str = "en") -> list[tuple[str, str]]:
    return [(r.claim.text, r.verdict) for r in check(text, FIG, lang)]


def by_text(results: list[Result], text: str) -> Result:
    hits = [r for r in results if r.claim.text == text]
    assert len(hits) == 1, [r.claim.text for r in results]
    return hits[0]


# ---------------------------------------------------------------- extraction


@pytest.mark.parametrize(
    ("text", "value", "unit", "tol"),
    [
        ("exports of $18.3 billion", 18.3e9, "USD", 0.05e9),
        ("exports of USD 18.3bn", 18.3e9, "USD", 0.05e9),
        ("exports of 18.3 billion dollars", 18.3e9, "USD", 0.05e9),
        ("exports of $870 million", 870e6, "USD", 5e6),
        ("수출은 183억 달러", 183e8, "USD", 0.5e8),
        ("수출은 7억 7천만 달러", 7.7e8, "USD", 0.5e7),
        ("수출은 1조 8,300억 원", 1.83e12, "KRW", 50e8),  # trailing zeros are rounding, as in "870 million"
        ("규모는 143억 7,500만 달러", 14.375e9, "USD", 50e4),
        ("수출은 18조 3천억 원", 18.3e12, "KRW", 0.05e12),
        ("volume of 27.1914 trillion won", 27.1914e12, "KRW", 0.00005e12),
        ("volume of KRW 27.2 trillion", 27.2e12, "KRW", 0.05e12),
        ("exports of 18.3 billion US dollars", 18.3e9, "USD", 0.05e9),
        ("exports up 6%", 6.0, "percent", 0.5),
        ("수출이 5.2% 감소", 5.2, "percent", 0.05),
        ("rose by 0.06 percentage points", 0.06, "pp", 0.005),
    ],
)
def test_amounts_and_rounding_as_written(text: str, value: float, unit: str, tol: float) -> None:
    claims = extract(text)
    assert len(claims) == 1
    c = claims[0]
    assert c.value == pytest.approx(value)
    assert c.unit == unit
    assert c.tol == pytest.approx(tol)


def test_more_ways_to_say_a_direction_and_a_half_year() -> None:
    res = check("Information and communications exports soared 8.8% in 2024, electronics plunged 5.2%.", FIG, "en")
    assert [r.verdict for r in res] == ["consistent", "consistent"]
    res = check("Information and communications exports plunged 8.8% in 2024, electronics soared 5.2%.", FIG, "en")
    assert [r.verdict for r in res] == ["inconsistent", "inconsistent"]
    (r,) = check("In the first six months of 2025, knowledge services exports slid 6%.", FIG, "en")
    assert r.cell is not None and r.cell.period == "2025H1"
    assert r.verdict == "inconsistent" and "direction" in r.reason
    (r,) = check("지식서비스 수출은 2025년 상반기 6.2% 급증했다.", FIG, "ko")
    assert r.verdict == "consistent"


def test_offsets_point_at_the_claim() -> None:
    text = "Technology exports were $18.3 billion in 2024."
    (c,) = extract(text)
    assert text[c.start : c.end] == "$18.3 billion"


def test_about_widens_the_rounding() -> None:
    (c,) = extract("a deficit of about $7.3 billion")
    assert c.tol == pytest.approx(0.1e9)


# ---------------------------------------------------------------- English article, planted errors

EN = """Tech trade hits new high
Technology exports rose 4% to $18.3 billion in 2024, an all-time high, while imports climbed 7.9% to $22.6 billion.
The trade deficit stood at $4.3 billion. Total technology trade volume came to $41.5 billion.
Information and communications exports jumped 8.8% to $7.4 billion, while electronics exports rose 5.2% to $5 billion.
Exports to China reached $3.59 billion, and exports to the United States totaled $5.48 billion.
Imports also set an all-time high.
Exports were $18.3 trillion won last year.
Electronics was the largest industry by technology trade volume.
Information and communications was the largest industry by technology trade volume.
"""


def test_english_planted_errors_are_caught_and_correct_claims_pass() -> None:
    res = check(EN, FIG, "en")
    got = {(r.claim.text, r.claim.start): r for r in res}
    assert got
    assert by_text(res, "4%").verdict == "consistent"
    assert by_text(res, "7.9%").verdict == "consistent"
    assert by_text(res, "$22.6 billion").verdict == "consistent"
    assert by_text(res, "$4.3 billion").verdict == "consistent"
    wrong_volume = by_text(res, "$41.5 billion")  # planted: 40.95 released
    assert wrong_volume.verdict == "inconsistent"
    assert wrong_volume.cell is not None and wrong_volume.cell.measure == "volume"
    assert wrong_volume.released == pytest.approx(40.95e9)
    assert by_text(res, "8.8%").verdict == "consistent"
    assert by_text(res, "$7.4 billion").verdict == "consistent"
    wrong_direction = by_text(res, "5.2%")  # planted: electronics fell
    assert wrong_direction.verdict == "inconsistent"
    assert "direction" in wrong_direction.reason
    assert by_text(res, "$5 billion").verdict == "consistent"
    cn = by_text(res, "$3.59 billion")
    assert cn.verdict == "consistent" and cn.cell is not None and cn.cell.item == "CN"
    us = by_text(res, "$5.48 billion")
    assert us.verdict == "consistent" and us.cell is not None and us.cell.item == "US"
    records = [r for r in res if r.claim.unit == "record"]
    assert [r.verdict for r in records] == ["consistent", "inconsistent"]  # planted: imports no record
    ranks = [r for r in res if r.claim.unit == "rank"]
    assert [r.verdict for r in ranks] == ["consistent", "inconsistent"]  # planted: ICT is second


def test_the_largest_deficit_is_ranked_from_the_bottom() -> None:
    text = "In the first half of 2025, North America posted the largest knowledge services deficit of any region."
    (r,) = check(text, FIG, "en")
    assert r.verdict == "consistent" and r.cell is not None and r.cell.item == "north_america"
    (r,) = check(text.replace("North America", "Asia"), FIG, "en")
    assert r.verdict == "inconsistent" and "number 2 of 2" in r.reason


def test_ordinal_ranks() -> None:
    text = "Information and communications was the second-largest industry by technology trade volume in 2024."
    assert [(r.claim.value, r.verdict) for r in check(text, FIG, "en")] == [(2.0, "consistent")]
    text = "Electronics was the second largest industry by technology trade volume in 2024."
    assert [(r.claim.value, r.verdict) for r in check(text, FIG, "en")] == [(2.0, "inconsistent")]
    text = "2024년 기술무역규모는 정보통신산업이 2위였다."
    assert [(r.claim.value, r.verdict) for r in check(text, FIG, "ko")] == [(2.0, "consistent")]


def test_won_amount_with_the_wrong_scale_is_a_unit_error() -> None:
    res = check("Technology exports were 25.03 billion won in 2024.", FIG, "en")
    (r,) = res
    assert r.verdict == "unit"
    assert "trillion" in r.reason


def test_dollars_in_the_wrong_scale_name_the_right_one() -> None:
    (r,) = check("Technology exports were $18.3 million in 2024.", FIG, "en")
    assert r.verdict == "unit" and "billion, not million" in r.reason
    (r,) = check("Technology exports were USD 18.3trillion in 2024.", FIG, "en")
    assert r.verdict == "unit" and "billion, not trillion" in r.reason


def test_won_amount_at_the_periods_rate_is_consistent() -> None:
    (r,) = check("Technology exports were 25.03 trillion won in 2024.", FIG, "en")
    assert r.verdict == "consistent", r.reason


def test_wrong_period_is_caught() -> None:
    # 17.648 bn is 2023's figure, not 2024's
    (r,) = check("Technology exports were $17.648 billion in 2024.", FIG, "en")
    assert r.verdict == "inconsistent"
    (r,) = check("Technology exports were $17.648 billion in 2023.", FIG, "en")
    assert r.verdict == "consistent"


def test_ratio_change_in_percentage_points_is_a_unit_error() -> None:
    res = check("The technology trade balance ratio fell by 0.03 percentage points to 0.81 in 2024.", FIG, "en")
    assert [r.verdict for r in res] == ["unit", "consistent"]


def test_a_ratio_change_as_a_plain_number() -> None:
    res = check("2024년 기술무역수지비는 0.81로 전년보다 0.03 하락했다.", FIG, "ko")
    assert [(r.cell.measure if r.cell else None, r.verdict) for r in res] == [
        ("ratio", "consistent"),
        ("ratio_change", "consistent"),
    ]
    (change, _level) = check("The 2024 technology trade balance ratio rose by 0.03 to 0.81.", FIG, "en")
    assert change.verdict == "inconsistent" and "direction" in change.reason


def test_percentage_points_of_a_growth_rate_are_not_published() -> None:
    (r,) = check("Technology export growth slowed by 2.1 percentage points in 2024.", FIG, "en")
    assert r.verdict == "not_in_release" and "percentage points" in r.reason


def test_not_in_release_names_the_cell() -> None:
    (r,) = check("Technology exports to Brazil were $1.2 billion in 2024.", FIG, "en")
    assert r.verdict == "not_in_release"
    assert r.cell is not None and r.cell.item == "BR"


# ---------------------------------------------------------------- Korean article, planted errors

KO = """올해 상반기 지식서비스 수출은 197억 1천만 달러, 수입은 242억 4천만 달러로 45억 3천만 달러 적자를 기록했다.
적자 규모는 지난해 하반기 대비 7억 8천만 달러 확대됐다. 지식서비스 수출은 6% 감소했다.
정보통신서비스는 19억 6천만 달러, 문화·여가서비스는 4억 4천만 달러 흑자를 보였다.
지난해 하반기 적자는 47억 5천만 달러였다.
아시아는 35억 7천만 달러 흑자, 북미는 37억 7천만 달러 적자였다.
수입은 33.9억 원이었다.
"""


def test_korean_planted_errors_are_caught_and_correct_claims_pass() -> None:
    res = check(KO + "2025년 9월 17일", FIG, "ko")
    got = [(r.claim.text, r.verdict) for r in res]
    assert got == [
        ("197억 1천만 달러", "consistent"),
        ("242억 4천만 달러", "consistent"),
        ("45억 3천만 달러", "consistent"),
        ("7억 8천만 달러", "consistent"),
        ("6%", "inconsistent"),  # planted: exports grew
        ("19억 6천만 달러", "consistent"),
        ("4억 4천만 달러", "consistent"),
        ("47억 5천만 달러", "inconsistent"),  # planted: H2 2024 deficit was 37.6
        ("35억 7천만 달러", "consistent"),
        ("37억 7천만 달러", "consistent"),
        ("33.9억 원", "unit"),  # planted: 33.9조 (trillion) won written as 33.9억
    ], got
    h2 = by_text(res, "47억 5천만 달러")
    assert h2.cell is not None and h2.cell.period == "2024H2"


# ---------------------------------------------------------------- reports


def test_json_has_exactly_the_documented_shape() -> None:
    text = "Technology exports rose 4% to $18.3 billion in 2024."
    doc = json.loads(to_json([Article("a.txt", "en", text, check(text, FIG, "en"))]))
    assert list(doc) == ["articles"]
    (art,) = doc["articles"]
    assert list(art) == ["path", "lang", "claims"]
    for c in art["claims"]:
        assert list(c) == ["text", "start", "end", "value", "unit", "cell", "released", "verdict", "reason"]
        assert text[c["start"] : c["end"]] == c["text"]
        assert list(c["cell"]) == ["domain", "period", "breakdown", "item", "measure"]
        assert c["verdict"] == "consistent"


def test_html_is_offline_and_marks_every_claim() -> None:
    text = "Technology exports were $19.3 billion in 2024 <b>."
    res = check(text, FIG, "en")
    page = to_html([Article("a.txt", "en", text, res)])
    assert 'class="c inconsistent"' in page and "title=" in page
    assert "<script" not in page and "http" not in page
    assert "&lt;b&gt;" in page


def test_text_from_html_and_language() -> None:
    assert to_text("<p>Exports&nbsp;rose</p><p>again</p>", "a.html").split() == ["Exports", "rose", "again"]
    assert detect_lang("지식서비스 수출은 197억 달러") == "ko"
    assert detect_lang("Technology exports rose 4% (ICT)") == "en"


# ---------------------------------------------------------------- the shared articles

SHARED = Path(__file__).resolve().parents[2] / "shared" / "articles"


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no shared articles at {SHARED}")
def test_shared_articles_against_the_demo(demo_figures: TableFigures) -> None:
    from ktstat.factcheck.report import check_article

    figures = demo_figures
    arts = {
        p.name[:3]: check_article(str(p), p.read_text(encoding="utf-8"), figures) for p in sorted(SHARED.glob("*.txt"))
    }
    assert len(arts) == 5
    total = sum(len(a.results) for a in arts.values())
    resolved = sum(1 for a in arts.values() for r in a.results if r.cell is not None)
    assert total >= 100 and resolved / total >= 0.9
    a0 = arts["000"].results
    vol = by_text(a0, "$40.5 billion")
    assert vol.verdict == "inconsistent" and vol.cell is not None and vol.cell.measure == "volume"
    imp = [r for r in a0 if r.claim.text == "6%" and r.cell is not None and r.cell.measure == "imports_growth"]
    assert [r.verdict for r in imp] == ["inconsistent"]
    a1 = arts["001"].results
    assert by_text(a1, "29.3937 billion won").verdict == "unit"
    assert by_text(a1, "0.06 percentage points").verdict == "unit"
    # the headline figures of each release are consistent
    for text in ("$18.3 billion", "$22.6 billion"):
        assert all(r.verdict == "consistent" for r in a0 if r.claim.text == text)
    a4 = arts["004"].results
    for text in ("19.71 billion dollars", "24.24 billion dollars", "770 million dollars"):
        assert by_text(a4, text).verdict == "consistent"
    # the real errors are the four the issue names; the won amounts of 001, made at one rate of the
    # time (about 1,438.7 won/USD), are flagged as such, not called wrong; everything else holds
    flagged = sorted(
        (key, r.claim.text, r.verdict) for key, a in arts.items() for r in a.results if r.verdict != "consistent"
    )
    assert flagged == [
        ("000", "$40.5 billion", "inconsistent"),
        ("000", "6%", "inconsistent"),
        ("001", "0.06 percentage points", "unit"),
        ("001", "27.1914 trillion won", "other_rate"),
        ("001", "29.3937 billion won", "unit"),
        ("001", "55.5338 trillion won", "other_rate"),
    ], flagged
    # "a reduction of about 43% from the $12.77 billion deficit in 2010": from the two released levels
    since = by_text(arts["002"].results, "43%")
    assert since.cell is not None and (since.cell.period, since.cell.measure) == ("2024", "balance")
    for text in ("27.1914 trillion won", "55.5338 trillion won"):
        assert "1,438.7" in by_text(a1, text).reason
    # figures of 001 the demo is calibrated to (press_figures.csv)
    for text in ("0.78", "48.8%", "$1.132 billion"):
        assert by_text(a1, text).verdict == "consistent"
    # "China surpassed Vietnam, which had the largest surplus the previous year": Vietnam, 2022
    ranks = [r for r in a1 if r.claim.unit == "rank" and r.cell is not None and r.cell.item == "VN"]
    assert [(r.cell.period, r.verdict) for r in ranks if r.cell is not None] == [("2022", "consistent")]
    assert [r.verdict for r in a1 if r.claim.unit == "order"] == ["consistent", "consistent"]


# ---------------------------------------------------------------- our own articles against the demo

OWN = Path(__file__).parent / "fixtures" / "factcheck"
MARK = re.compile(r"\[\[(.+?)\]\]\{(\w+)\}")


def unmark(raw: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The article without its markers, and the marked spans: ``[[text]]{verdict}`` says that the
    claim in ``text`` must get ``verdict`` (a planted error, or a trap that must pass)."""
    out: list[str] = []
    marks = []
    pos = 0
    for m in MARK.finditer(raw):
        out.append(raw[pos : m.start()])
        start = sum(map(len, out))
        out.append(m.group(1))
        marks.append((start, start + len(m.group(1)), m.group(2)))
        pos = m.end()
    out.append(raw[pos:])
    return "".join(out), marks


def test_markers_are_read() -> None:
    text, marks = unmark("Exports [[rose 5%]]{inconsistent} to $1 billion.")
    assert text == "Exports rose 5% to $1 billion." and marks == [(8, 15, "inconsistent")]


@pytest.mark.parametrize("name", sorted(p.name for p in OWN.glob("*.txt")))
def test_own_articles_with_planted_errors(demo_figures: TableFigures, name: str) -> None:
    """Articles we wrote (English and Korean) from the published figures the demo reproduces, with
    planted errors (wrong figures, directions, periods, units, ranks, signs) marked where they
    are: every planted error reported with its verdict, every other claim consistent."""
    from ktstat.factcheck.report import check_article

    text, marks = unmark((OWN / name).read_text(encoding="utf-8"))
    art = check_article(name, text, demo_figures)
    assert len(art.results) >= 10
    problems = []
    for r in art.results:
        want = [v for a, b, v in marks if a < r.claim.end and r.claim.start < b]
        if r.verdict != (want[0] if want else "consistent"):
            problems.append(f"{r.claim.text!r}: {r.verdict} ({r.cell}; {r.reason}), want {want or 'consistent'}")
    for a, b, v in marks:
        if not any(a < r.claim.end and r.claim.start < b for r in art.results):
            problems.append(f"planted {text[a:b]!r} ({v}) not found")
    assert not problems, "\n".join(problems)
    assert any(v != "consistent" for _a, _b, v in marks)


def test_own_articles_plant_every_kind_of_error_in_both_languages() -> None:
    """The fixtures together: English and Korean, at least 25 planted errors, of both verdicts."""
    planted: dict[str, list[str]] = {"en": [], "ko": []}
    for path in OWN.glob("*.txt"):
        _text, marks = unmark(path.read_text(encoding="utf-8"))
        planted[path.name[:2]] += [v for _a, _b, v in marks if v != "consistent"]
    assert all(planted.values())
    every = planted["en"] + planted["ko"]
    assert len(every) >= 25 and {"inconsistent", "unit"} <= set(every)


# ---------------------------------------------------------------- the command line


def test_cli_refuses_a_missing_store_and_a_bad_format(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ktstat.cli import app

    art = tmp_path / "a.txt"
    art.write_text("Technology exports were $18.3 billion in 2024.", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["factcheck", str(art), "--store", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 1 and "store not found" in str(res.exception)
    res = runner.invoke(app, ["factcheck", str(art), "--format", "xml"])
    assert res.exit_code == 1
    res = runner.invoke(app, ["factcheck", str(tmp_path / "missing.txt")])
    assert res.exit_code == 1


def test_as_of_chooses_the_vintages_current_that_day(api_rich: object, tmp_path: Path) -> None:
    """``--as-of``: the vintage current on the article's day (the rich API store: kst-2024H2-v1
    released 2025-03-19, kst-2025H1-v1 on 2025-09-17 at noon, Seoul) and its year as "this year"."""
    from typer.testing import CliRunner

    from apistore import V1, V2, Small
    from ktstat.cli import app
    from ktstat.factcheck.figures import store_figures

    assert isinstance(api_rich, Small)
    store = api_rich.store
    assert store_figures(store, as_of=date(2025, 6, 1)).vintages() == [V1]
    assert store_figures(store, as_of=date(2025, 9, 17)).vintages() == [V2]  # released that day
    assert store_figures(store, as_of=date(2025, 3, 18)).vintages() == []
    exports = api_rich.rows[V2][("2025H1", "total", "all", "exports")][0]
    assert exports is not None
    art = tmp_path / "a.txt"
    art.write_text(f"Knowledge services exports were ${exports / 1e6:,.1f} million in the first half of this year.")
    runner = CliRunner()
    verdicts = {}
    for day in ("2025-06-01", "2025-09-18"):
        res = runner.invoke(app, ["factcheck", str(art), "--store", str(store), "--format", "json", "--as-of", day])
        assert res.exit_code == 0, res.output
        (claim,) = json.loads(res.output)["articles"][0]["claims"]
        assert claim["cell"]["period"] == "2025H1"
        verdicts[day] = claim["verdict"]
    assert verdicts == {"2025-06-01": "not_in_release", "2025-09-18": "consistent"}
    res = runner.invoke(app, ["factcheck", str(art), "--store", str(store), "--as-of", "June"])
    assert res.exit_code == 1 and "not a date" in str(res.exception)
    res = runner.invoke(app, ["factcheck", str(art), "--store", str(store), "--as-of", "2025-06-01", "--release", V1])
    assert res.exit_code == 1


def test_a_half_years_growth_against_a_year_earlier_is_the_year_on_year_measure() -> None:
    figs = TableFigures(
        {
            ("kst", "2025H1", "total", "all", "exports"): 19.705 * BN,
            ("kst", "2025H1", "total", "all", "exports_growth"): 1.3,
            ("kst", "2025H1", "total", "all", "exports_growth_yoy"): 8.8,
        },
        rates={},
    )
    text = "In the first half of 2025, knowledge services exports rose 9% from a year earlier."
    (r,) = check(text, figs, "en")
    assert r.cell is not None and r.cell.measure == "exports_growth_yoy" and r.verdict == "consistent"
    (r,) = check("In the first half of 2025, knowledge services exports rose 9% from the previous half.", figs, "en")
    assert r.cell is not None and r.cell.measure == "exports_growth" and r.verdict == "inconsistent"
    (r,) = check("2025년 상반기 지식서비스 수출은 전년 동기 대비 8.8% 증가했다.", figs, "ko")
    assert r.cell is not None and r.cell.measure == "exports_growth_yoy" and r.verdict == "consistent"


def test_an_aside_naming_a_driver_does_not_change_the_subject() -> None:
    figs = TableFigures(
        {
            ("kst", "2025H1", "category", "ict_services", "balance_record"): 1.0,
            ("kst", "2025H1", "total", "all", "balance_record"): 0.0,
            ("kst", "2025H1", "subcategory", "info_provision_platform", "balance"): 1.4 * BN,
        },
        rates={},
    )
    text = (
        "Knowledge services trade in the first half of 2025 ran a deficit. Information and communications "
        "services, led by strong performance in information provision and platform services (1.4 billion "
        "dollars), posted the largest half-year surplus on record."
    )
    res = check(text, figs, "en")
    rec = by_text(res, "on record")
    assert rec.cell is not None and (rec.cell.breakdown, rec.cell.item) == ("category", "ict_services")
    assert rec.verdict == "consistent"
    amount = by_text(res, "1.4 billion dollars")
    assert amount.cell is not None and amount.cell.item == "info_provision_platform" and amount.verdict == "consistent"


# ---------------------------------------------------------------- reasons in the article's language

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_korean_articles_get_korean_reasons_and_english_ones_english() -> None:
    """Every kind of reason (consistent, outside the rounding, wrong direction, another scale, no
    such cell) in the article's language, from the terms catalogue."""
    ko = (
        "2024년 기술수출은 183억 달러로 4% 증가했다. 기술도입은 7.9% 감소했다. 기술무역규모는 415억 달러였다.\n"
        "기술수출은 25.03억 원이었다. 브라질로의 기술수출은 12억 달러였다."
    )
    res = check(ko, FIG, "ko")
    assert [r.verdict for r in res] == [
        "consistent",
        "consistent",
        "inconsistent",
        "inconsistent",
        "unit",
        "not_in_release",
    ]
    for r in res:
        assert HANGUL.search(r.reason), r.reason
    assert "억 달러" in res[0].reason and "183.50억 달러" in res[0].reason
    assert "증감 방향" in res[2].reason
    assert "조" in res[4].reason
    en = check("Technology exports rose 4% to $18.3 billion in 2024; imports fell 7.9%.", FIG, "en")
    assert [r.verdict for r in en] == ["consistent", "consistent", "inconsistent"]
    assert all(not HANGUL.search(r.reason) for r in en)
    assert "wrong direction" in en[2].reason


def test_every_factcheck_reason_is_in_both_catalogues() -> None:
    """The reasons the core gives are the [factcheck] templates, in both languages."""
    from ktstat.terms import terms

    source = (Path(__file__).resolve().parents[1] / "src" / "ktstat" / "factcheck" / "core.py").read_text("utf-8")
    keys = set(re.findall(r'say\(\s*"(\w+)"', source)) | set(re.findall(r'"(mark_above|mark_below)"', source))
    assert len(keys) >= 20
    for lang in ("en", "ko"):
        section = terms(lang).section("factcheck")
        assert keys <= set(section), sorted(keys - set(section))


# ---------------------------------------------------------------- won at another rate

RATES = TableFigures(
    cells={
        ("tbp", "2023", "total", "all", "exports"): 17.648 * BN,
        ("tbp", "2023", "total", "all", "imports"): 20.952 * BN,
        ("tbp", "2023", "total", "all", "volume"): 38.6 * BN,
    },
    rates={"2023": 1305.4, "2024": 1364.0, "2024Q4": 1398.0, "2025": 1415.0, "2025Q1": 1453.0},
)


def test_won_at_a_rate_of_the_time_is_flagged_not_an_error() -> None:
    # 25.64 trillion won = 17.648 bn at 1,452.8: the rate of early 2025, not 2023's 1,305.4
    text = "Technology exports were $17.648 billion in 2023 (25.64 trillion won)."
    (_usd, won) = check(text, RATES, "en")
    assert won.verdict == "other_rate", won.reason
    assert "1,452.9" in won.reason and "1,305.4" in won.reason and "23.0377 trillion won" in won.reason
    (_usd, won) = check(text, RATES, "en", day=date(2024, 6, 1))  # that rate was not yet seen
    assert won.verdict == "inconsistent" and "1,452.9" in won.reason
    (_usd, won) = check(text.replace("25.64", "23.04"), RATES, "en")
    assert won.verdict == "consistent"
    (_usd, won) = check(text.replace("25.64", "29.39"), RATES, "en")  # 1,665 won/USD: no rate of the time
    assert won.verdict == "inconsistent" and "1,665" in won.reason
    (_usd, won) = check(text.replace("25.64", "29.39"), RATES, "ko")
    assert HANGUL.search(won.reason)


def test_won_amounts_sharing_one_rate_are_the_articles_rate() -> None:
    """Two won amounts at 1,438.7 in an article of December 2024: 4 % above the highest quarter
    then (1,398), which alone would be inconsistent; one rate for both is the article's."""
    text = (
        "Published Dec. 20, 2024\n"
        "Technology exports were $17.648 billion in 2023 (25.39 trillion won) and imports $20.952 billion "
        "(30.14 trillion won)."
    )
    res = [r for r in check(text, RATES, "en") if r.claim.unit == "KRW"]
    assert [r.verdict for r in res] == ["other_rate", "other_rate"], [r.reason for r in res]
    assert "other won amounts" in res[0].reason
    one = check(text.replace("(30.14 trillion won)", ""), RATES, "en")
    assert [r.verdict for r in one if r.claim.unit == "KRW"] == ["inconsistent"]


def test_dollars_written_as_won_are_a_unit_error() -> None:
    (_usd, won) = check("2023년 기술수출은 176억 4,800만 달러(176억 4,800만 원)였다.", RATES, "ko")
    assert won.verdict == "unit" and "원으로" in won.reason


# ---------------------------------------------------------------- the article's day

KST = TableFigures(
    cells={
        ("kst", "2024", "total", "all", "balance"): -7.26 * BN,
        ("kst", "2023", "total", "all", "balance"): -8.1 * BN,
        ("kst", "2024H2", "total", "all", "balance"): -3.76 * BN,
        ("kst", "2024H1", "total", "all", "balance"): -3.5 * BN,
        ("kst", "2025H1", "total", "all", "balance"): -4.53 * BN,
        ("kst", "2025H2", "total", "all", "balance"): -9.99 * BN,
    },
    rates={},
)


@pytest.mark.parametrize(
    ("text", "day", "period"),
    [
        ("입력 2025.03.19 12:00\n하반기 지식서비스 수지는 37억 6천만 달러 적자였다.", None, "2024H2"),
        ("하반기 지식서비스 수지는 37억 6천만 달러 적자였다.", date(2025, 3, 19), "2024H2"),
        ("기사입력 2025-09-17\n상반기 지식서비스 수지는 45억 3천만 달러 적자였다.", None, "2025H1"),
        ("상반기 지식서비스 수지는 35억 달러 적자였다.", date(2025, 3, 19), "2024H1"),
        ("SEOUL, Sept. 17, 2025 (Yonhap) -- The knowledge services deficit was $7.26 billion last year.", None, "2024"),
        (
            "Published 19 March 2025\nIn the second half, the knowledge services deficit was $3.76 billion.",
            None,
            "2024H2",
        ),
        ("The knowledge services deficit was $7.26 billion last year.\n\n2025년 3월 19일", None, "2024"),
    ],
)
def test_the_articles_day_places_last_year_and_a_half_without_its_year(
    text: str, day: date | None, period: str
) -> None:
    lang = "ko" if HANGUL.search(text) else "en"
    (r,) = check(text, KST, lang, day=day) if day else check(text, KST, lang)
    assert r.cell is not None and r.cell.period == period
    assert r.verdict == "consistent", r.reason


def test_a_date_in_the_body_is_not_the_articles_day() -> None:
    from ktstat.factcheck.core import article_date

    body = (
        "The knowledge services deficit narrowed last year, the Bank of Korea said in a statement that it "
        "released to reporters in Seoul on March 19, 2025, together with figures going back to 2010.\n"
        "More text follows here.\nAnd more.\nAnd a last paragraph of the story without any date at all in it."
    )
    assert article_date(body) is None
    assert article_date("Knowledge services\n입력 2025.09.17 12:00 | 수정 2025.09.18\n본문") == date(2025, 9, 17)
    assert article_date("2025-02-30 is no day") is None


# ---------------------------------------------------------------- overtaking

ORDER = TableFigures(
    cells={
        ("tbp", "2023", "industry", "electric_electronics", "volume"): 14.375 * BN,
        ("tbp", "2023", "industry", "information_communications", "volume"): 12.491 * BN,
        ("tbp", "2022", "industry", "electric_electronics", "volume"): 11.0 * BN,
        ("tbp", "2022", "industry", "information_communications", "volume"): 12.0 * BN,
        ("tbp", "2023", "industry", "electric_electronics", "exports"): 5.283 * BN,
        ("tbp", "2023", "industry", "information_communications", "exports"): 6.81 * BN,
        ("tbp", "2022", "industry", "electric_electronics", "exports"): 4.1 * BN,
        ("tbp", "2022", "industry", "information_communications", "exports"): 6.6 * BN,
        ("kst", "2025H1", "region", "north_america", "balance"): -3.77 * BN,
        ("kst", "2025H1", "region", "europe", "balance"): -2.18 * BN,
    },
    rates={},
)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("In 2023, electronics overtook information and communications in technology trade volume.", "consistent"),
        ("In 2023, information and communications overtook electronics in technology trade volume.", "inconsistent"),
        ("Electronics surpassed information and communications by technology trade volume in 2023.", "consistent"),
        # ahead in 2023, but already ahead in 2022: no overtaking
        ("In 2023, information and communications overtook electronics in technology exports.", "inconsistent"),
        ("2023년 전기전자산업이 정보통신산업을 제치고 기술무역규모에서 앞섰다.", "consistent"),
        ("2023년 정보통신산업이 기술무역규모에서 전기전자산업을 앞질렀다.", "inconsistent"),
        (
            "In the first half of 2025, North America overtook Europe as the biggest knowledge services deficit.",
            "consistent",
        ),
        ("In the first half of 2025, Europe overtook North America in the knowledge services deficit.", "inconsistent"),
    ],
)
def test_overtaking_without_largest(text: str, verdict: str) -> None:
    res = [r for r in check(text, ORDER, "ko" if HANGUL.search(text) else "en") if r.claim.unit == "order"]
    assert [r.verdict for r in res] == [verdict], [(r.verdict, r.reason) for r in res]


def test_overtaking_names_no_pair_is_no_claim() -> None:
    assert check("Technology trade volume surpassed the $40 billion mark in 2024.", FIG, "en")[0].claim.unit == "USD"
    assert all(r.claim.unit != "order" for r in check("Exports overtook expectations in 2024.", FIG, "en"))


def test_the_rank_after_overtaking_is_the_overtakers() -> None:
    figs = TableFigures(
        cells={
            ("tbp", "2023", "partner", "CN", "balance_rank"): 1,
            ("tbp", "2023", "partner", "VN", "balance_rank"): 2,
            ("tbp", "2022", "partner", "VN", "balance_rank"): 1,
            ("tbp", "2023", "partner", "CN", "balance"): 2.3 * BN,
            ("tbp", "2023", "partner", "VN", "balance"): 2.2 * BN,
        },
        rates={},
    )
    res = check("China surpassed Vietnam to post the largest technology trade surplus in 2023.", figs, "en")
    rank = by_text(res, "the largest")
    assert rank.cell is not None and rank.cell.item == "CN" and rank.verdict == "consistent"
    res = check("China surpassed Vietnam, which had the largest surplus the previous year, in 2023.", figs, "en")
    rank = by_text(res, "the largest")
    assert rank.cell is not None and (rank.cell.item, rank.cell.period) == ("VN", "2022")
    (rank,) = [
        r
        for r in check("2023년 중국이 베트남을 제치고 최대 기술무역 흑자국이 됐다.", figs, "ko")
        if r.claim.unit == "rank"
    ]
    assert rank.cell is not None and rank.cell.item == "CN" and rank.verdict == "consistent"


def test_a_numbers_own_year_and_a_korean_comparison_year() -> None:
    figs = TableFigures(
        cells={
            ("tbp", "2023", "total", "all", "ratio"): 0.842,
            ("tbp", "2022", "total", "all", "ratio"): 0.775,
            ("kst", "2024", "total", "all", "balance"): -7.26 * BN,
            ("kst", "2010", "total", "all", "balance"): -12.77 * BN,
        },
        rates={},
    )
    res = check("The technology trade balance ratio improved to 0.84 from 0.78 in 2022.", figs, "en")
    assert [(r.cell.period if r.cell else None, r.verdict) for r in res] == [
        ("2023", "consistent"),
        ("2022", "consistent"),
    ]
    res = check("전년 기술무역수지비는 0.78이었고 2023년에는 0.84로 높아졌다.", figs, "ko")
    assert [(r.cell.period if r.cell else None, r.verdict) for r in res] == [
        ("2022", "consistent"),
        ("2023", "consistent"),
    ]
    text = "지난해 지식서비스 무역수지는 72억 6천만 달러 적자로, 2010년의 127억 7천만 달러 적자보다 줄었다."
    res = check(text, figs, "ko", day=date(2025, 3, 19))
    assert [(r.cell.period if r.cell else None, r.verdict) for r in res] == [
        ("2024", "consistent"),
        ("2010", "consistent"),
    ]


# ---------------------------------------------------------------- our own press-release sentences

# The sentence families of the press release (``[sentence]`` of the terms), read by the sentence
# shapes of ``[factcheck_shape]``: each figure must come out as the cell the statement shows it
# from, and a planted error in each must be caught. The table is named like a release's vintages,
# so a sentence that names only its comparison is about the release's period.
MN = 1e6
SHAPE_FIG = TableFigures(
    cells={
        ("tbp", "2024", "total", "all", "volume"): 40.907 * BN,
        ("tbp", "2024", "total", "all", "volume_growth"): 6.02,
        ("tbp", "2024", "total", "all", "ratio"): 0.8099,
        ("tbp", "2023", "total", "all", "ratio"): 0.8423,
        ("tbp", "2024", "total", "all", "balance"): -4.297 * BN,
        ("tbp", "2023", "total", "all", "balance"): -3.304 * BN,
        ("tbp", "2024", "total", "all", "balance_change"): -0.993 * BN,
        ("tbp", "2014", "total", "all", "volume"): 20.686 * BN,
        ("tbp", "2024", "total", "all", "imports_change"): 1.652 * BN,
        ("tbp", "2024", "total", "all", "exports_record"): 1,
        ("tbp", "2024", "total", "all", "imports_record"): 1,
        ("tbp", "2024", "industry", "electric_electronics", "imports_growth"): 8.52,
        ("tbp", "2024", "industry", "electric_electronics", "imports_contribution"): 46.83,
        ("tbp", "2024", "industry", "electric_electronics", "volume"): 14.371 * BN,
        ("tbp", "2024", "industry", "electric_electronics", "volume_share"): 37.22,
        ("tbp", "2024", "industry", "electric_electronics", "volume_rank"): 1,
        ("tbp", "2024", "technology", "technical_services", "imports_change"): 450.2 * MN,
        ("tbp", "2024", "technology+region", "technical_services+europe", "imports_change"): 605.9 * MN,
        ("tbp", "2024", "technology", "know_how", "imports_change"): 200.04 * MN,
        ("tbp", "2024", "technology+region", "know_how+north_america", "imports_change"): 145.5 * MN,
        ("tbp", "2024", "institution", "mid_sized", "balance"): 1.104 * BN,
        ("tbp", "2024", "institution", "large", "balance"): -4.968 * BN,
        ("tbp", "2024", "institution", "sme", "balance"): -0.4301 * BN,
        ("tbp", "2023", "institution", "sme", "balance"): 124.3 * MN,
        ("kst", "2025H1", "total", "all", "exports_growth"): 1.35,
        ("kst", "2025H1", "total", "all", "exports_growth_yoy"): 7.71,
        ("kst", "2025H1", "total", "all", "imports_growth_yoy"): 11.23,
        ("kst", "2025H1", "total", "all", "balance_change_yoy"): -1.032 * BN,
        ("kst", "2024H1", "total", "all", "exports_growth"): 2.06,
        ("kst", "2025H1", "total", "all", "exports_record"): 1,
        ("kst", "2025H1", "total", "all", "imports_record"): 0,
        ("tbp", "2024", "institution", "mid_sized", "balance_rank"): 1,
        ("tbp", "2024", "institution", "mid_sized", "balance_record"): 1,
        ("tbp", "2024", "partner", "VN", "ratio"): 14.262,
        ("tbp", "2024", "partner", "VN", "ratio_rank"): 1,
    },
    rates={"2024": 1364.0, "2025H1": 1400.0},
    names=["tbp-2024-v1", "kst-2025H1-v1"],
)


def readings(text: str, lang: str) -> list[tuple[str, str, str]]:
    """Each claim of ``text`` as (its words, its verdict, the cell it was read as)."""
    return [(r.claim.text, r.verdict, str(r.cell)) for r in check(text, SHAPE_FIG, lang)]


OK = "consistent"
T24 = "tbp 2024 total=all"

OWN_SENTENCES = [
    # 1. the comparison's own period: "on 2023", "from 0.84 in 2023", "2023년(33.0억 달러)", "since 2014, from ..."
    (
        "en",
        "The technology trade volume (exports plus imports) reached $40.91 billion, up 6.0% on 2023; "
        "the technology trade balance ratio fell from 0.84 in 2023 to 0.81.",
        [
            ("$40.91 billion", OK, f"{T24} volume"),
            ("6.0%", OK, f"{T24} volume_growth"),
            ("0.84", OK, "tbp 2023 total=all ratio"),
            ("0.81", OK, f"{T24} ratio"),
        ],
    ),
    (
        "ko",
        "기술무역규모(수출+수입)는 409.1억 달러로 2023년 대비 6.0% 증가하였고, "
        "기술무역수지비는 2023년 0.84에서 0.81로 하락하였다.",
        [
            ("409.1억 달러", OK, f"{T24} volume"),
            ("6.0%", OK, f"{T24} volume_growth"),
            ("0.84", OK, "tbp 2023 total=all ratio"),
            ("0.81", OK, f"{T24} ratio"),
        ],
    ),
    (
        "en",
        "The technology trade balance was a deficit of $4.30 billion; it widened by $0.99 billion from $3.30 "
        "billion in 2023.",
        [
            ("$4.30 billion", OK, f"{T24} balance"),
            ("$0.99 billion", OK, f"{T24} balance_change"),
            ("$3.30 billion", OK, "tbp 2023 total=all balance"),
        ],
    ),
    (
        "ko",
        "기술무역수지는 43.0억 달러 적자로 2023년(33.0억 달러) 대비 적자 폭이 9.9억 달러 확대되었다.",
        [
            ("43.0억 달러", OK, f"{T24} balance"),
            ("33.0억 달러", OK, "tbp 2023 total=all balance"),
            ("9.9억 달러", OK, f"{T24} balance_change"),
        ],
    ),
    (
        "en",
        "Small and medium enterprises turned from a surplus of $124.3 million in 2023 to a deficit of $430.1 million.",
        [
            ("$124.3 million", OK, "tbp 2023 institution=sme balance"),
            ("$430.1 million", OK, "tbp 2024 institution=sme balance"),
        ],
    ),
    (
        "ko",
        "중소기업은 2023년 1.2억 달러 흑자에서 4.3억 달러 적자로 전환되었다.",
        [
            ("1.2억 달러", OK, "tbp 2023 institution=sme balance"),
            ("4.3억 달러", OK, "tbp 2024 institution=sme balance"),
        ],
    ),
    (
        "en",
        "The technology trade volume nearly doubled since 2014, from $20.69 billion to $40.91 billion.",
        [("$20.69 billion", OK, "tbp 2014 total=all volume"), ("$40.91 billion", OK, f"{T24} volume")],
    ),
    (
        "ko",
        "기술무역규모는 2014년 206.9억 달러에서 409.1억 달러로 두 배 가까이 증가하였다.",
        [("206.9억 달러", OK, "tbp 2014 total=all volume"), ("409.1억 달러", OK, f"{T24} volume")],
    ),
    # 2. a contribution: the item's growth and share of the change, the total's change
    (
        "en",
        "Electrical and electronics, whose technology imports rose 8.5%, accounted for about half (46.8%) "
        "of the $1.65 billion increase in technology imports.",
        [
            ("8.5%", OK, "tbp 2024 industry=electric_electronics imports_growth"),
            ("46.8%", OK, "tbp 2024 industry=electric_electronics imports_contribution"),
            ("$1.65 billion", OK, f"{T24} imports_change"),
        ],
    ),
    (
        "ko",
        "전기전자 기술도입이 8.5% 증가하여 전체 기술도입 증가분(16.5억 달러)의 약 절반(46.8%)을 차지하였다.",
        [
            ("8.5%", OK, "tbp 2024 industry=electric_electronics imports_growth"),
            ("16.5억 달러", OK, f"{T24} imports_change"),
            ("46.8%", OK, "tbp 2024 industry=electric_electronics imports_contribution"),
        ],
    ),
    # 3. an item's change explained by a cross-classification
    (
        "en",
        "For Technical services, technology imports rose by $450.2 million; Europe alone accounted for more "
        "than that ($605.9 million).",
        [
            ("$450.2 million", OK, "tbp 2024 technology=technical_services imports_change"),
            ("$605.9 million", OK, "tbp 2024 technology+region=technical_services+europe imports_change"),
        ],
    ),
    (
        "ko",
        "기술서비스의 기술도입 증가분(4.5억 달러)은 유럽(6.1억 달러)만으로도 그 이상이었다.",
        [
            ("4.5억 달러", OK, "tbp 2024 technology=technical_services imports_change"),
            ("6.1억 달러", OK, "tbp 2024 technology+region=technical_services+europe imports_change"),
        ],
    ),
    (
        "en",
        "For Know-how, technology imports rose by $200.0 million, most of it in North America ($145.5 million).",
        [
            ("$200.0 million", OK, "tbp 2024 technology=know_how imports_change"),
            ("$145.5 million", OK, "tbp 2024 technology+region=know_how+north_america imports_change"),
        ],
    ),
    (
        "ko",
        "노하우의 기술도입 증가분(2.0억 달러) 중 대부분은 북미(1.5억 달러)에서 나왔다.",
        [
            ("2.0억 달러", OK, "tbp 2024 technology=know_how imports_change"),
            ("1.5억 달러", OK, "tbp 2024 technology+region=know_how+north_america imports_change"),
        ],
    ),
    # 4. a share of the volume, and the rank
    (
        "en",
        "Electrical and electronics was the largest industry, with 37.2% of the volume ($14.37 billion).",
        [
            ("the largest", OK, "tbp 2024 industry=electric_electronics volume_rank"),
            ("37.2%", OK, "tbp 2024 industry=electric_electronics volume_share"),
            ("$14.37 billion", OK, "tbp 2024 industry=electric_electronics volume"),
        ],
    ),
    (
        "ko",
        "전기전자가 규모 143.7억 달러(비중 37.2%)로 가장 큰 산업이었다.",
        [
            ("143.7억 달러", OK, "tbp 2024 industry=electric_electronics volume"),
            ("37.2%", OK, "tbp 2024 industry=electric_electronics volume_share"),
            ("가장 큰", OK, "tbp 2024 industry=electric_electronics volume_rank"),
        ],
    ),
    # 5. a list of balances in parentheses, the sign said after them
    (
        "en",
        "Mid-sized enterprises ($1.10 billion) recorded a surplus, while Large corporations ($4.97 billion) "
        "and Small and medium enterprises ($0.43 billion) recorded deficits.",
        [
            ("$1.10 billion", OK, "tbp 2024 institution=mid_sized balance"),
            ("$4.97 billion", OK, "tbp 2024 institution=large balance"),
            ("$0.43 billion", OK, "tbp 2024 institution=sme balance"),
        ],
    ),
    (
        "ko",
        "중견기업(11.0억 달러)은 흑자, 대기업(49.7억 달러), 중소기업(4.3억 달러)은 적자를 기록하였다.",
        [
            ("11.0억 달러", OK, "tbp 2024 institution=mid_sized balance"),
            ("49.7억 달러", OK, "tbp 2024 institution=large balance"),
            ("4.3억 달러", OK, "tbp 2024 institution=sme balance"),
        ],
    ),
    # 6. a half-year against the same half a year before; records
    (
        "en",
        "Against the first half of 2024, knowledge services exports rose 7.7% and knowledge services imports "
        "rose 11.2%; the deficit widened by $1.03 billion.",
        [
            ("7.7%", OK, "kst 2025H1 total=all exports_growth_yoy"),
            ("11.2%", OK, "kst 2025H1 total=all imports_growth_yoy"),
            ("$1.03 billion", OK, "kst 2025H1 total=all balance_change_yoy"),
        ],
    ),
    (
        "ko",
        "2024년 상반기 대비로는 지식서비스 수출이 7.7% 증가, "
        "지식서비스 수입이 11.2% 증가하였고, 적자 폭은 10.3억 달러 확대되었다.",
        [
            ("7.7%", OK, "kst 2025H1 total=all exports_growth_yoy"),
            ("11.2%", OK, "kst 2025H1 total=all imports_growth_yoy"),
            ("10.3억 달러", OK, "kst 2025H1 total=all balance_change_yoy"),
        ],
    ),
    (
        "en",
        "Mid-sized enterprises had the largest surplus of any type of firm, the largest on record ($1.10 billion).",
        [
            ("the largest", OK, "tbp 2024 institution=mid_sized balance_rank"),
            ("on record", OK, "tbp 2024 institution=mid_sized balance_record"),
            ("$1.10 billion", OK, "tbp 2024 institution=mid_sized balance"),
        ],
    ),
    (
        "ko",
        "기관유형 중에서는 중견기업이 통계 작성 이래 최대이자 가장 큰 흑자(11.0억 달러)를 기록하였다.",
        [
            ("통계 작성 이래 최대", OK, "tbp 2024 institution=mid_sized balance_record"),
            ("가장 큰", OK, "tbp 2024 institution=mid_sized balance_rank"),
            ("11.0억 달러", OK, "tbp 2024 institution=mid_sized balance"),
        ],
    ),
    (
        "en",
        "Vietnam had the highest ratio of exports to imports of any partner country, 14.26.",
        [("the highest", OK, "tbp 2024 partner=VN ratio_rank"), ("14.26", OK, "tbp 2024 partner=VN ratio")],
    ),
    ("ko", "베트남은 기술무역수지비가 14.26으로 국가 중 가장 높았다.", [("14.26", OK, "tbp 2024 partner=VN ratio")]),
    (
        "en",
        "Technology exports and technology imports were both the highest on record.",
        [("on record", OK, f"{T24} imports_record")],
    ),
    (
        "ko",
        "기술수출과 기술도입 모두 통계 작성 이래 최대 규모이다.",
        [("통계 작성 이래 최대", OK, f"{T24} imports_record")],
    ),
]


@pytest.mark.parametrize(("lang", "text", "want"), OWN_SENTENCES)
def test_own_sentences_read_as_their_cells(lang: str, text: str, want: list[tuple[str, str, str]]) -> None:
    assert readings(text, lang) == want


PLANTED = [
    # 1. comparison periods: a wrong figure for the comparison year, a wrong direction, a wrong level
    (
        "en",
        "The technology trade balance was a deficit of $4.30 billion; it widened by $0.99 billion from $3.50 "
        "billion in 2023.",
        "$3.50 billion",
        "tbp 2023 total=all balance",
    ),
    (
        "en",
        "The technology trade balance was a deficit of $4.30 billion; it narrowed by $0.99 billion from $3.30 "
        "billion in 2023.",
        "$0.99 billion",
        "tbp 2024 total=all balance_change",
    ),
    (
        "en",
        "The technology trade volume (exports plus imports) reached $40.91 billion, down 6.0% on 2023; the "
        "technology trade balance ratio fell from 0.84 in 2023 to 0.81.",
        "6.0%",
        "tbp 2024 total=all volume_growth",
    ),
    (
        "en",
        "The technology trade volume (exports plus imports) reached $40.91 billion, up 6.0% on 2023; the technology "
        "trade balance ratio fell from 0.87 in 2023 to 0.81.",
        "0.87",
        "tbp 2023 total=all ratio",
    ),
    (
        "en",
        "Small and medium enterprises turned from a surplus of $134.3 million in 2023 to a deficit of $430.1 million.",
        "$134.3 million",
        "tbp 2023 institution=sme balance",
    ),
    (
        "en",
        "The technology trade volume nearly doubled since 2014, from $22.69 billion to $40.91 billion.",
        "$22.69 billion",
        "tbp 2014 total=all volume",
    ),
    (
        "ko",
        "기술무역수지는 43.0억 달러 적자로 2023년(35.0억 달러) 대비 적자 폭이 9.9억 달러 확대되었다.",
        "35.0억 달러",
        "tbp 2023 total=all balance",
    ),
    (
        "ko",
        "기술무역수지는 43.0억 달러 적자로 2023년(33.0억 달러) 대비 적자 폭이 9.9억 달러 축소되었다.",
        "9.9억 달러",
        "tbp 2024 total=all balance_change",
    ),
    (
        "ko",
        "기술무역규모(수출+수입)는 409.1억 달러로 2023년 대비 6.0% 감소하였고, 기술무역수지비는 2023년 0.84에서 "
        "0.81로 하락하였다.",
        "6.0%",
        "tbp 2024 total=all volume_growth",
    ),
    (
        "ko",
        "기술무역규모(수출+수입)는 409.1억 달러로 2023년 대비 6.0% 증가하였고, 기술무역수지비는 2023년 0.87에서 "
        "0.81로 하락하였다.",
        "0.87",
        "tbp 2023 total=all ratio",
    ),
    (
        "ko",
        "기술무역규모는 2014년 226.9억 달러에서 409.1억 달러로 두 배 가까이 증가하였다.",
        "226.9억 달러",
        "tbp 2014 total=all volume",
    ),
    # 2. contributions
    (
        "en",
        "Electrical and electronics, whose technology imports fell 8.5%, accounted for about half (46.8%) of the "
        "$1.65 billion increase in technology imports.",
        "8.5%",
        "tbp 2024 industry=electric_electronics imports_growth",
    ),
    (
        "en",
        "Electrical and electronics, whose technology imports rose 8.5%, accounted for about half (56.8%) of the "
        "$1.65 billion increase in technology imports.",
        "56.8%",
        "tbp 2024 industry=electric_electronics imports_contribution",
    ),
    (
        "en",
        "Electrical and electronics, whose technology imports rose 8.5%, accounted for about half (46.8%) of the "
        "$1.65 billion decrease in technology imports.",
        "$1.65 billion",
        "tbp 2024 total=all imports_change",
    ),
    (
        "ko",
        "전기전자 기술도입이 8.5% 감소하여 전체 기술도입 증가분(16.5억 달러)의 약 절반(46.8%)을 차지하였다.",
        "8.5%",
        "tbp 2024 industry=electric_electronics imports_growth",
    ),
    (
        "ko",
        "전기전자 기술도입이 8.5% 증가하여 전체 기술도입 증가분(18.5억 달러)의 약 절반(46.8%)을 차지하였다.",
        "18.5억 달러",
        "tbp 2024 total=all imports_change",
    ),
    # 3. crosses
    (
        "en",
        "For Technical services, technology imports rose by $450.2 million; Europe alone accounted for more than "
        "that ($505.9 million).",
        "$505.9 million",
        "tbp 2024 technology+region=technical_services+europe imports_change",
    ),
    (
        "en",
        "For Technical services, technology imports fell by $450.2 million; Europe alone accounted for more than "
        "that ($605.9 million).",
        "$605.9 million",
        "tbp 2024 technology+region=technical_services+europe imports_change",
    ),
    (
        "ko",
        "기술서비스의 기술도입 증가분(4.5억 달러)은 유럽(5.1억 달러)만으로도 그 이상이었다.",
        "5.1억 달러",
        "tbp 2024 technology+region=technical_services+europe imports_change",
    ),
    (
        "ko",
        "기술서비스의 기술도입 감소분(4.5억 달러)은 유럽(6.1억 달러)만으로도 그 이상이었다.",
        "4.5억 달러",
        "tbp 2024 technology=technical_services imports_change",
    ),
    # 4. shares and ranks
    (
        "en",
        "Electrical and electronics was the largest industry, with 38.2% of the volume ($14.37 billion).",
        "38.2%",
        "tbp 2024 industry=electric_electronics volume_share",
    ),
    (
        "en",
        "Electrical and electronics was the second-largest industry, with 37.2% of the volume ($14.37 billion).",
        "the second-largest",
        "tbp 2024 industry=electric_electronics volume_rank",
    ),
    (
        "ko",
        "전기전자가 규모 143.7억 달러(비중 39.2%)로 가장 큰 산업이었다.",
        "39.2%",
        "tbp 2024 industry=electric_electronics volume_share",
    ),
    # 5. lists of balances: the sign after them, and a wrong amount
    (
        "en",
        "Mid-sized enterprises ($1.10 billion) recorded a deficit, while Large corporations ($4.97 billion) and "
        "Small and medium enterprises ($0.43 billion) recorded deficits.",
        "$1.10 billion",
        "tbp 2024 institution=mid_sized balance",
    ),
    (
        "en",
        "Mid-sized enterprises ($1.10 billion) recorded a surplus, while Large corporations ($4.87 billion) and "
        "Small and medium enterprises ($0.43 billion) recorded deficits.",
        "$4.87 billion",
        "tbp 2024 institution=large balance",
    ),
    (
        "ko",
        "중견기업(11.0억 달러), 대기업(49.7억 달러)은 흑자, 중소기업(4.3억 달러)은 적자를 기록하였다.",
        "49.7억 달러",
        "tbp 2024 institution=large balance",
    ),
    # 6. a half-year year on year; records
    (
        "en",
        "Against the first half of 2024, knowledge services exports fell 7.7% and knowledge services imports rose "
        "11.2%; the deficit widened by $1.03 billion.",
        "7.7%",
        "kst 2025H1 total=all exports_growth_yoy",
    ),
    (
        "ko",
        "2024년 상반기 대비로는 지식서비스 수출이 7.7% 증가, 지식서비스 수입이 11.2% 증가하였고, 적자 폭은 10.3억 "
        "달러 축소되었다.",
        "10.3억 달러",
        "kst 2025H1 total=all balance_change_yoy",
    ),
    (
        "en",
        "Mid-sized enterprises had the largest deficit of any type of firm, the largest on record ($1.10 billion).",
        "$1.10 billion",
        "tbp 2024 institution=mid_sized balance",
    ),
    (
        "en",
        "Mid-sized enterprises had the largest deficit of any type of firm, the largest on record ($1.10 billion).",
        "the largest",
        "tbp 2024 institution=mid_sized balance",
    ),
    (
        "ko",
        "기관유형 중에서는 중견기업이 통계 작성 이래 최대이자 가장 큰 적자(11.0억 달러)를 기록하였다.",
        "11.0억 달러",
        "tbp 2024 institution=mid_sized balance",
    ),
    (
        "en",
        "Vietnam had the highest ratio of exports to imports of any partner country, 14.62.",
        "14.62",
        "tbp 2024 partner=VN ratio",
    ),
    ("ko", "베트남은 기술무역수지비가 14.62로 국가 중 가장 높았다.", "14.62", "tbp 2024 partner=VN ratio"),
    (
        "en",
        "Knowledge services exports and knowledge services imports were both the highest on record.",
        "on record",
        "kst 2025H1 total=all imports_record",
    ),
    (
        "ko",
        "지식서비스 수출과 지식서비스 수입 모두 통계 작성 이래 최대 규모이다.",
        "통계 작성 이래 최대",
        "kst 2025H1 total=all imports_record",
    ),
]


@pytest.mark.parametrize(("lang", "text", "wrong", "cell"), PLANTED)
def test_planted_errors_in_own_sentences_are_caught(lang: str, text: str, wrong: str, cell: str) -> None:
    """One figure made wrong (its value, its direction, the comparison year's value): that one is
    inconsistent, read as the cell the right sentence shows it from."""
    got = {claim: (verdict, read) for claim, verdict, read in readings(text, lang)}
    assert got.get(wrong) == ("inconsistent", cell), readings(text, lang)


def test_every_statement_of_the_demo_releases_checks_out(demo_dir: Path) -> None:
    """The releases' own statements, in English and Korean, checked against their own vintage:
    every claim is consistent and about a cell the statement cites, and every figure a statement
    shows with a number is a claim read as the cell it is shown from."""
    from ktstat.factcheck.figures import store_figures

    bad: list[str] = []
    claims = 0
    for path in sorted((demo_dir / "releases").glob("*/statements.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        figures = store_figures(demo_dir / "ktstat.duckdb", [doc["vintage"]])
        for st in doc["statements"]:
            keys = [(c["domain"], c["period"], c["breakdown"], c["item"], c["measure"]) for c in st["cells"]]
            for lang in ("en", "ko"):
                text = st[f"text_{lang}"]
                results = check(text, figures, lang)
                claims += len(results)
                read = {(r.claim.text.strip(), _key_of(r)) for r in results}
                for r in results:
                    if r.verdict != "consistent" or _key_of(r) not in keys:
                        bad.append(f"{doc['vintage']} {st['id']} {lang}: {r.claim.text!r} {r.verdict} {r.cell}: {text}")
                for f in st["figures"]:
                    shown = f[lang]
                    if any(ch.isdigit() for ch in shown) and (shown, keys[f["cell"]]) not in read:
                        bad.append(
                            f"{doc['vintage']} {st['id']} {lang}: {shown!r} not read as {keys[f['cell']]}: {text}"
                        )
    assert claims >= 500
    assert not bad, "\n".join(bad)


def _key_of(r: Result) -> tuple[str, str, str, str, str] | None:
    c = r.cell
    return None if c is None else (c.domain, c.period, c.breakdown, c.item, c.measure)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (
            "The deficit was $7.26 billion in 2024, a reduction of about 43% from the $12.77 billion deficit in 2010.",
            OK,
        ),
        (
            "The deficit was $7.26 billion in 2024, an increase of about 43% from the $12.77 billion deficit in 2010.",
            "inconsistent",
        ),
        (
            "The deficit was $7.26 billion in 2024, a reduction of about 33% from the $12.77 billion deficit in 2010.",
            "inconsistent",
        ),
        ("2024년 적자는 72.6억 달러로 2010년 대비 43% 감소하였다.", OK),
        ("2024년 적자는 72.6억 달러로 2010년 대비 43% 증가하였다.", "inconsistent"),
    ],
)
def test_a_change_since_a_year_further_back_is_worked_out_from_the_two_levels(text: str, verdict: str) -> None:
    figures = TableFigures(
        cells={
            ("kst", "2024", "total", "all", "balance"): -7.26 * BN,
            ("kst", "2010", "total", "all", "balance"): -12.77 * BN,
        },
        names=["kst-2024-v1"],
    )
    lang = "ko" if "년" in text else "en"
    got = [r for r in check(text, figures, lang, domain="kst") if r.claim.unit == "percent"]
    assert [(r.verdict, str(r.cell)) for r in got] == [(verdict, "kst 2024 total=all balance")], got


PARA_FIG = TableFigures(
    cells={
        **SHAPE_FIG.cells,
        ("tbp", "2024", "total", "all", "exports"): 18.35 * BN,
        ("tbp", "2024", "total", "all", "exports_growth"): 3.71,
        ("tbp", "2023", "total", "all", "exports"): 17.69 * BN,
        ("tbp", "2023", "total", "all", "volume"): 38.6 * BN,
    },
    rates=SHAPE_FIG.rates,
    names=SHAPE_FIG.names,
)


@pytest.mark.parametrize(
    ("lang", "text", "want"),
    [
        (
            "ko",
            "기술수출은 183.5억 달러로 2023년(176.9억 달러)보다 3.7% 늘었다.",
            ["2024 exports", "2023 exports", "2024 exports_growth"],
        ),
        (
            "en",
            "The technology trade volume grew from $20.69 billion in 2014 to $40.91 billion.",
            ["2014 volume", "2024 volume"],
        ),
        (
            "en",
            "The technology trade volume grew from $38.60 billion in 2023 to $40.91 billion in 2024.",
            ["2023 volume", "2024 volume"],
        ),
        (
            "en",
            "Electrical and electronics accounted for 46.8% of the $1.65 billion increase in technology imports.",
            ["2024 industry=electric_electronics imports_contribution", "2024 imports_change"],
        ),
        (
            "ko",
            "전기전자는 기술무역규모의 37.2%(143.7억 달러)를 차지했다.",
            ["2024 industry=electric_electronics volume_share", "2024 industry=electric_electronics volume"],
        ),
    ],
)
def test_the_families_said_otherwise(lang: str, text: str, want: list[str]) -> None:
    """The same figures in words of our own sentences' families but not in their shapes: read by the
    general rules as the same cells ("tbp 2024 exports" short for the total's)."""
    got = [(r.verdict, str(r.cell)) for r in check(text, PARA_FIG, lang)]
    full = [f"tbp {w}" if "=" in w else f"tbp {w.split()[0]} total=all {w.split()[1]}" for w in want]
    assert got == [("consistent", w) for w in full]


@pytest.mark.parametrize(
    ("lang", "text", "wrong"),
    [
        ("ko", "기술수출은 183.5억 달러로 2023년(186.9억 달러)보다 3.7% 늘었다.", "186.9억 달러"),
        ("en", "The technology trade volume grew from $22.69 billion in 2014 to $40.91 billion.", "$22.69 billion"),
        (
            "en",
            "Electrical and electronics accounted for 46.8% of the $1.65 billion decrease in technology imports.",
            "$1.65 billion",
        ),
        ("ko", "전기전자는 기술무역규모의 35.2%(143.7억 달러)를 차지했다.", "35.2%"),
    ],
)
def test_planted_errors_in_the_families_said_otherwise(lang: str, text: str, wrong: str) -> None:
    assert by_text(check(text, PARA_FIG, lang), wrong).verdict == "inconsistent"


# ---------------------------------------------------------------- our own whole press releases

FLAGS = ("inconsistent", "unit", "not_in_release", "ambiguous")


def _press_release(demo_dir: Path, release: str, lang: str, html: str | None = None) -> tuple[str, list[Result]]:
    """A release's press release (``html``: a changed copy of it) read as a journalist would paste
    it, checked against the release's own vintage: its text and results."""
    from ktstat.factcheck.report import check_article

    folder = demo_dir / "releases" / release
    vintage = json.loads((folder / "statements.json").read_text(encoding="utf-8"))["vintage"]
    raw = html if html is not None else (folder / f"press-release.{lang}.html").read_text(encoding="utf-8")
    text = to_text(raw, "press-release.html")
    return text, check_article(release, text, _vintage_figures(demo_dir, vintage)).results


@functools.cache
def _vintage_figures(demo_dir: Path, vintage: str) -> TableFigures:
    """The figures of one vintage of the demo store, read (and hash-checked) once per session."""
    from ktstat.factcheck.figures import store_figures

    return store_figures(demo_dir / "ktstat.duckdb", [vintage])


def _line_of(text: str, r: Result) -> str:
    return text[text.rfind("\n", 0, r.claim.start) + 1 : text.find("\n", r.claim.end)].strip()


def test_our_own_press_releases_check_out_whole(demo_dir: Path) -> None:
    """Each release's whole press release, English and Korean (title, dateline, key figures,
    statements, tables, notes, contacts), pasted as an article: every claim consistent; dates,
    table cells, phone numbers and notes are no claims. The key figures are read as their cells."""
    bad: list[str] = []
    releases = sorted(p.name for p in (demo_dir / "releases").iterdir() if (p / "statements.json").is_file())
    assert any(r.startswith("kst-") for r in releases) and any(r.startswith("tbp-") for r in releases)
    for release in releases:
        for lang in ("en", "ko"):
            text, results = _press_release(demo_dir, release, lang)
            assert len(results) >= 60, (release, lang, len(results))
            bad += [
                f"{release} {lang}: {r.claim.text!r} {r.verdict} {r.cell}: {r.reason} | {_line_of(text, r)}"
                for r in results
                if r.verdict in FLAGS or r.verdict != "consistent"
            ]
            period = release.split("-")[1]  # kst-2025H1-final: the final vintage of 2025H1
            heads = [r for r in results if r.cell is not None and r.cell.breakdown == "total"]
            measures = {r.cell.measure for r in heads if r.cell is not None and r.cell.period == period}
            assert {"exports", "imports", "balance", "volume", "ratio", "ratio_change"} <= measures, (release, lang)
            if period[4:5] == "H":  # a half-year's key figures: against the half before and a year before
                assert {"exports_growth_yoy", "balance_change_yoy", "ratio_change_yoy"} <= measures, (release, lang)
    assert not bad, "\n".join(bad)


def _plant(raw: str, pattern: str, repl: str) -> str:
    changed, n = re.subn(pattern, repl, raw, count=1)
    assert n == 1, pattern
    return changed


def test_planted_errors_in_our_own_press_release_are_caught(demo_dir: Path) -> None:
    """A press release with a figure, a direction, a comparison year and a sign changed: each change
    is reported, nothing else."""
    folder = demo_dir / "releases" / "tbp-2024"
    raw = (folder / "press-release.en.html").read_text(encoding="utf-8")
    # a key figure: its first decimal moved by five
    raw = _plant(raw, r'(<div class="value">\$\d+\.)(\d)', lambda m: f"{m.group(1)}{(int(m.group(2)) + 5) % 10}")  # type: ignore[arg-type]
    # a direction: imports that rose said to have fallen
    raw = _plant(raw, r"(<li>[^<]*?whose technology imports )rose( \d)", r"\1fell\2")
    # a period: the ratio of another year
    raw = _plant(raw, r"(ratio fell from \d\.\d\d in )2023", r"\g<1>2021")
    # a sign: the balance's change written as an increase
    raw = _plant(raw, r'(<div class="change down">)−(\$\d)', r"\1+\2")
    text, results = _press_release(demo_dir, "tbp-2024", "en", raw)
    flagged = sorted((r.claim.text, r.verdict) for r in results if r.verdict != "consistent")
    lines = [_line_of(text, r) for r in results if r.verdict != "consistent"]
    assert len(flagged) == 4, (flagged, lines)
    assert any("whose technology imports fell" in ln for ln in lines), lines
    assert any("from 0." in ln and "in 2021" in ln for ln in lines), lines
    assert sum(1 for ln in lines if ln.startswith("Technology trade balance ·")) == 1, lines
    assert sum(1 for ln in lines if ln.startswith("Technology ") and " · " in ln) == 2, lines


def test_planted_errors_in_a_korean_half_year_press_release_are_caught(demo_dir: Path) -> None:
    """The Korean half-year release with a year-on-year growth, a level and a comparison half
    changed: each change reported, nothing else."""
    folder = demo_dir / "releases" / "kst-2025H1"
    raw = (folder / "press-release.ko.html").read_text(encoding="utf-8")
    gap = r"(?:</span>)?\s*<span[^>]*>"  # the Korean release sets each word in a span
    raw = _plant(raw, rf"(동기{gap}대비</span> \+)(\d+)\.", lambda m: f"{m.group(1)}{int(m.group(2)) + 3}.")  # type: ignore[arg-type]
    raw = _plant(raw, rf"(가장{gap}큰{gap}적자\()(\d+)\.", lambda m: f"{m.group(1)}{int(m.group(2)) + 2}.")  # type: ignore[arg-type]
    raw = _plant(raw, rf"(수출입비율은{gap})2024년({gap}하반기)", r"\g<1>2023년\2")
    text, results = _press_release(demo_dir, "kst-2025H1", "ko", raw)
    flagged = [(r.claim.text, r.verdict, _line_of(text, r)) for r in results if r.verdict != "consistent"]
    assert len(flagged) == 3, flagged
    assert any("전년 동기 대비" in ln and " · " in ln for _t, _v, ln in flagged), flagged
    assert any("가장 큰 적자" in ln for _t, _v, ln in flagged), flagged
    assert any("2023년 하반기" in ln for _t, _v, ln in flagged), flagged


def test_an_undated_article_without_a_year_is_about_the_latest_release() -> None:
    """ "올해 상반기" in an article with no dateline and no year: the half of the latest release of
    the programme (not a fixed year)."""
    fig = TableFigures(
        cells={
            ("kst", p, "total", "all", m): v * BN
            for p, vals in (("2024H1", (18.3, 22.1, -3.8)), ("2025H1", (19.71, 24.24, -4.53)))
            for m, v in zip(("exports", "imports", "balance"), vals, strict=True)
        },
        names=["kst-2024H1-v1", "kst-2025H1-v1"],
    )
    text = (
        "올해 상반기 지식서비스 수출은 197.1억 달러, 수입은 242.4억 달러였다. "
        "지식서비스 무역수지는 55.3억 달러 적자를 기록했다."
    )
    got = [(r.cell.period if r.cell else None, r.verdict) for r in check(text, fig, "ko")]
    assert got == [("2025H1", "consistent"), ("2025H1", "consistent"), ("2025H1", "inconsistent")]


def test_articles_in_cp949_are_read_and_other_bytes_are_a_clear_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ktstat.cli import app
    from ktstat.errors import InputError
    from ktstat.factcheck.report import read_article

    korean = "2025년 상반기 지식서비스 수출은 197.1억 달러였다."
    (tmp_path / "cp949.txt").write_bytes(korean.encode("cp949"))
    (tmp_path / "bom.txt").write_bytes(korean.encode("utf-8-sig"))
    assert read_article(tmp_path / "cp949.txt") == korean == read_article(tmp_path / "bom.txt")
    bad = tmp_path / "image.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe\xfd")
    with pytest.raises(InputError, match=r"image\.txt: not text in UTF-8 or CP949 \(byte 1 is 0x89\)"):
        read_article(bad)
    # the article is read before the store: the error names the article, not the missing store
    res = CliRunner().invoke(app, ["factcheck", str(bad), "--store", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 1 and "image.txt: not text in UTF-8 or CP949" in str(res.exception), res.output
