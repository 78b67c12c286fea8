"""The fact-check core, free of I/O: claims in a text, the cell each is about, a verdict.

:func:`check` takes an article's text (plain text; HTML and Markdown are reduced to text by
the caller), a :class:`~ktstat.factcheck.figures.Figures` and a language, and returns one
:class:`Result` per numeric claim, in text order. Units of ``Claim.value``: US dollars for
``unit == "USD"``, won for ``"KRW"``, percent for ``"percent"``, percentage points for
``"pp"``, a plain number for ``"ratio"``, the rank for ``"rank"`` ("second-largest": 2), 1 for
``"record"`` and for ``"order"`` ("X overtook Y", "X가 Y를 제치고": X now ahead of Y, and not
already ahead the period before). ``Claim.tol`` is
half a unit of the last digit as written (doubled after "about", "nearly", "약").

Verdicts: ``consistent`` (released value within the claim's rounding), ``inconsistent``,
``unit`` (fits only with another scale or unit), ``other_rate`` (a won amount that is the released
dollar figure converted at a rate the won traded at since the period, not the period's average:
flagged, not an error of the figure), ``not_in_release`` and ``ambiguous``. Each verdict's
reason is in the article's language, from the ``[factcheck]`` templates of
``terms/<lang>.toml``. Rule-based and deterministic.

A claim in a sentence that one of the sentence shapes of :mod:`ktstat.factcheck.shapes` fits (the
press release's own sentence families: comparisons, contributions, crosses, shares, lists) is read
as the shape says; every other claim by the general rules below.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from ktstat.factcheck.figures import Figures
from ktstat.factcheck.shapes import Role, mask, read_shapes
from ktstat.terms import terms

_PKG = Path(__file__).resolve().parent.parent
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

SCALE = {"trillion": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6, "m": 1e6}


@dataclass(frozen=True)
class Cell:
    domain: str
    period: str
    breakdown: str
    item: str
    measure: str

    def as_dict(self) -> dict[str, str]:
        return {
            "domain": self.domain,
            "period": self.period,
            "breakdown": self.breakdown,
            "item": self.item,
            "measure": self.measure,
        }

    def __str__(self) -> str:
        return f"{self.domain} {self.period} {self.breakdown}={self.item} {self.measure}"


@dataclass
class Claim:
    """A number as written: ``start``/``end`` are offsets in the text; see the module docstring."""

    text: str
    start: int
    end: int
    value: float
    unit: str
    tol: float
    kind: str = "level"  # level, growth, change, share, rank, record, ratio
    sign_word: int = 0  # +1/-1 from direction words for growth/change; 0 when none


@dataclass
class Result:
    claim: Claim
    cell: Cell | None
    released: float | None
    verdict: str
    reason: str
    candidates: list[Cell] = field(default_factory=list)
    rate: tuple[float, float, float, float] | None = None
    """A won amount off the period's rate: the rate it implies, the period's, and the lowest and
    highest the won traded at since (see :func:`_won_verdict`)."""


# ---------------------------------------------------------------- extraction

_AMOUNT_EN = re.compile(
    rf"(?P<neg>[-−–]\s?)?(?:(?P<cur>\$|USD\s?|US\$\s?|KRW\s?|₩\s?)(?P<n1>{NUM})\s?(?P<s1>trillion|billion|million|bn|mn|[BbMm]\b)?"
    rf"|(?P<n2>{NUM})\s?(?P<s2>trillion|billion|million|bn|mn)\s?(?P<u2>dollars|US dollars|won|USD|KRW)?)",
    re.I,
)
_AMOUNT_KO = re.compile(
    r"(?:(?<![\d.,])(?P<neg>[-−])\s?)?(?:(?P<jo>\d[\d,]*(?:\.\d+)?)\s?조(?:\s?(?P<eok2>\d[\d,]*)\s?(?P<k>천)?\s?억)?\s?(?P<u>원|달러)"
    r"|(?P<eok>\d[\d,]*(?:\.\d+)?)\s?억(?:\s?(?P<man>\d+)\s?천만|\s?(?P<man2>\d[\d,]*)\s?만)?\s?(?P<u2>달러|원)"
    r"|(?<![\d.,])(?P<man3>\d[\d,]*(?:\.\d+)?)\s?(?P<k3>천)?만\s?(?P<u3>달러|원))"
)
_PCT = re.compile(rf"(?P<n>{NUM})\s?(?P<u>percentage points?|%\s?p\b|%포인트|%p|%|percent|per cent|퍼센트)")
_RATIO = re.compile(r"(?<![\d.$,])(?P<n>\d{1,2}\.\d{1,3})(?![\d%]|\s?(?:trillion|billion|million|bn|억|조|percent))")
_RECORD = re.compile(
    r"all-time high|record high|highest ever|highest figures ever|on record|역대 최대|사상 최대|역대 최고"
    r"|(?:통계 작성|집계) 이래 최대",
    re.I,
)
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}
_RANK = re.compile(
    r"\b(?:the\s+)?(?:(?P<ord>second|third|fourth|fifth|2nd|3rd|4th|5th)[- ])?(?<!\d\s)(?:largest|biggest|highest)\b"
    r"|\branked (?P<ord2>first|second|third|fourth|fifth)\b|\bfirst place\b"
    r"|가장 큰|최대\s*(?:기술무역\s*|기술\s*)?(?:흑자|적자|수출|도입|수입|교역)|(?P<k>[1-9])위",
    re.I,
)

_OVERTAKE = re.compile(
    r"\b(?:overt(?:ook|akes?|aking|aken)|surpass(?:ed|es|ing)?|outstrip(?:ped|ping|s)?)\b|제치고|제쳤|앞질렀|앞지르|추월",
    re.I,
)

_APPROX = re.compile(r"(?:about|approximately|around|nearly|almost|some|roughly|약)\s*\S{0,3}$", re.I)


def _num(s: str) -> float:
    return float(s.replace(",", ""))


def _half_unit(s: str) -> float:
    s = s.replace(",", "")
    if "." in s:
        return 0.5 * 10 ** -len(s.split(".")[1])
    zeros = len(s) - len(s.rstrip("0")) if s.strip("0") else 0
    return 0.5 * 10 ** min(zeros, 2)


def extract(text: str) -> list[Claim]:
    """Every numeric claim in ``text`` (amounts, percentages, ratios, ranks, records), in text
    order, without overlaps."""
    out: list[Claim] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    def add(c: Claim) -> None:
        if free(c.start, c.end):
            before = text[max(0, c.start - 14) : c.start]
            if _APPROX.search(before):
                c.tol *= 2
            out.append(c)
            taken.append((c.start, c.end))

    for m in _AMOUNT_KO.finditer(text):
        unit = "KRW" if (m.group("u") or m.group("u2") or m.group("u3")) == "원" else "USD"
        if m.group("man3"):  # "8,623만 달러", "3천만 달러"
            size = 1e7 if m.group("k3") else 1e4
            v, tol = _num(m.group("man3")) * size, _half_unit(m.group("man3")) * size
        elif m.group("jo"):
            eok = 1e11 if m.group("k") else 1e8  # "3천억": three thousand 억
            v = _num(m.group("jo")) * 1e12 + (_num(m.group("eok2")) * eok if m.group("eok2") else 0)
            tol = _half_unit(m.group("eok2")) * eok if m.group("eok2") else _half_unit(m.group("jo")) * 1e12
        else:
            v = _num(m.group("eok")) * 1e8
            tol = _half_unit(m.group("eok")) * 1e8
            if m.group("man"):
                v += int(m.group("man")) * 1e7
                tol = 0.5e7
            elif m.group("man2"):
                v += _num(m.group("man2")) * 1e4
                tol = _half_unit(m.group("man2")) * 1e4
        add(Claim(m.group(0), m.start(), m.end(), -v if m.group("neg") else v, unit, tol))
    for m in _AMOUNT_EN.finditer(text):
        n = m.group("n1") or m.group("n2")
        s = (m.group("s1") or m.group("s2") or "").lower()
        if m.group("n2") and not m.group("u2") and not re.search(r"(dollars|won)", text[m.end() : m.end() + 12]):
            # "4.53 billion" without a currency: take the article's dollars unless "won" follows
            pass
        krw = (m.group("u2") or "").lower() in ("won", "krw") or (m.group("cur") or "").strip() in ("KRW", "₩")
        unit = "KRW" if krw else "USD"
        if not m.group("cur") and not m.group("u2"):
            after = text[m.end() : m.end() + 8].lower()
            unit = "KRW" if "won" in after or "원" in after else "USD"
        scale = SCALE.get(s, 1.0)
        if not s and m.group("cur") is None:
            continue
        v = _num(n) * scale
        start = m.start()
        sign = -1.0 if m.group("neg") else 1.0
        add(Claim(m.group(0), start, m.end(), sign * v, unit, _half_unit(n) * scale))
    for m in _PCT.finditer(text):
        u = m.group("u").lower()
        unit = (
            "pp"
            if ("point" in u or "p" in u.replace("percent", "").replace("per cent", "") or "포인트" in u)
            else "percent"
        )
        neg = text[max(0, m.start() - 1) : m.start()] in ("-", "−")
        v = _num(m.group("n")) * (-1 if neg else 1)
        add(Claim(m.group(0), m.start() - (1 if neg else 0), m.end(), v, unit, _half_unit(m.group("n"))))
    for m in _RATIO.finditer(text):
        sent = _sentence_at(text, m.start())
        if re.search(r"ratio|배율|수지비|수출입비율", sent, re.I):
            add(Claim(m.group("n"), m.start(), m.end(), _num(m.group("n")), "ratio", _half_unit(m.group("n"))))
    for m in _RECORD.finditer(text):
        add(Claim(m.group(0), m.start(), m.end(), 1.0, "record", 0.0, kind="record"))
    for m in _OVERTAKE.finditer(text):
        add(Claim(m.group(0), m.start(), m.end(), 1.0, "order", 0.0, kind="overtake"))
    for m in _RANK.finditer(text):
        word = (m.group("ord") or m.group("ord2") or "first").lower()
        rank = int(m.group("k")) if m.group("k") else _ORDINALS.get(word, 1)
        add(Claim(m.group(0), m.start(), m.end(), float(rank), "rank", 0.0, kind="rank"))
    return sorted(out, key=lambda c: c.start)


def _sentence_at(text: str, pos: int) -> str:
    a = max(text.rfind(". ", 0, pos), text.rfind("\n", 0, pos)) + 1
    b_dot, b_nl = text.find(". ", pos), text.find("\n", pos)
    ends = [x for x in (b_dot, b_nl) if x >= 0]
    return text[a : min(ends) if ends else len(text)]


# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Phrase:
    """Words naming an item; ``exact``: only as written (an abbreviation, or a capitalised word that
    is a common noun in lower case, like "Content" for the content industry)."""

    phrase: str
    breakdown: str
    code: str
    exact: bool = False


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@cache
def vocabulary(domain: str) -> tuple[Phrase, ...]:
    """The phrases naming a domain's breakdown items: the English and Korean labels of each
    breakdown's code list in ``domain.toml`` (its codes at the breakdown's ``level`` when it has
    one; parenthesised suffixes dropped), the shared partner list (regions and countries) and the
    domain's ``synonyms.csv`` (``phrase, breakdown, code[, case]``; ``case`` ``exact``: matched only
    as written); longest phrase first."""
    from ktstat import domain as domains

    out: list[Phrase] = []
    ddir = _PKG / "domains" / domain
    for bd, brk in domains.load(domain).breakdowns.items():
        if brk.source == "partner":
            continue  # the shared partner list, below
        for c in brk.codelist.codes:
            if brk.level and brk.codelist.depth(c.code) != brk.level:
                continue  # a code of another level of the list (category or subcategory)
            for lab in (c.label_en, c.label_ko):
                lab = re.sub(r"\s*\([^)]*\)$", "", lab).strip()
                if lab:
                    out.append(Phrase(lab, bd, c.code))
    for r in _read(_PKG / "codelists" / "partners.csv"):
        if r["code"] == "KR":  # the reporting country itself, not a partner
            continue
        b = "partner" if r["parent"] else "region"
        for lab in (r["label_en"], r["label_ko"]):
            out.append(Phrase(lab, b, r["code"]))
    for r in _read(ddir / "synonyms.csv"):
        out.append(Phrase(r["phrase"], r["breakdown"], r["code"], (r.get("case") or "").strip() == "exact"))
    # a label shared by two items of one breakdown is useless: keep the first
    seen: set[tuple[str, str]] = set()
    uniq = []
    for p in out:
        k = (p.phrase.lower(), p.breakdown)
        if k not in seen:
            seen.add(k)
            uniq.append(p)
    return tuple(sorted(uniq, key=lambda p: -len(p.phrase)))


@cache
def _patterns(domain: str) -> tuple[tuple[Phrase, re.Pattern[str]], ...]:
    """The phrases of :func:`vocabulary` (two letters or more), each with its compiled pattern."""
    return tuple((p, re.compile(re.escape(p.phrase.lower()))) for p in vocabulary(domain) if len(p.phrase) >= 2)


def find_items(text: str, domain: str) -> list[tuple[int, int, list[Phrase]]]:
    """Item mentions in ``text``: ``(start, end, phrases)``, longest match first, no overlaps;
    ``phrases`` holds every reading of the same words (two breakdowns may share a label)."""
    found: list[tuple[int, int, list[Phrase]]] = []
    low = re.sub(r"ministry of science and ict|과학기술정보통신부", lambda m: "#" * len(m.group(0)), text.lower())
    for p, rx in _patterns(domain):
        pl = p.phrase.lower()
        ascii_ = pl.isascii()
        for m in rx.finditer(low):
            a, b = m.start(), m.end()
            if ascii_ and ((a > 0 and low[a - 1].isalnum()) or (b < len(low) and low[b].isalnum())):
                continue
            if ascii_ and (p.exact or p.phrase.isupper()) and text[a:b] != p.phrase:
                continue
            hit = next((f for f in found if f[0] == a and f[1] == b), None)
            if hit is not None:
                if all(q.breakdown != p.breakdown for q in hit[2]):
                    hit[2].append(p)
                continue
            if any(not (b <= x or a >= y) for x, y, _ in found):
                continue
            found.append((a, b, [p]))
    return sorted(found, key=lambda f: f[0])


# ---------------------------------------------------------------- context

_FLOW = [
    (
        re.compile(
            r"\btrade volume\b|\bvolume\b|\(exports \+ imports\)|무역규모|교역규모|(?<![가-힣])규모(?![가-힣])"
            r"|\((?:기술)?수출\s*\+\s*(?:기술)?(?:도입|수입)\)",
            re.I,
        ),
        "volume",
        1,
    ),
    (re.compile(r"\bbalance ratio\b|\bratio\b|배율|수지비|수출입비율", re.I), "ratio", 1),
    (re.compile(r"\bdeficits?\b|\bshortfalls?\b|\btrade gap\b|적자", re.I), "balance", -1),
    (re.compile(r"\bsurplus(?:es)?\b|흑자", re.I), "balance", 1),
    (re.compile(r"\bbalance\b|수지", re.I), "balance", 1),
    (re.compile(r"\bexports?\b|\bearned\b|\breceipts\b|수출", re.I), "exports", 1),
    (re.compile(r"\bimports?\b|\bpayments\b|수입|도입", re.I), "imports", 1),
]
_UP = re.compile(
    r"\b(?:up|grew|grow|growth|rose|rise|increase[ds]?|increasing|jumped|surged?|soared|gained|climbed|expanded"
    r"|widen(?:ed|ing)?|rebounded|advanced|edged up|higher)\b|증가|늘|확대|상승|급증|증대",
    re.I,
)
_DOWN = re.compile(
    r"\b(?:down|fell|fall|declined?|decrease[ds]?|dropped|slump(?:ed)?|narrow(?:ed)?|shr[aiu]nk|slid|plunged"
    r"|tumbled|contracted|edged down|lower|reduc(?:e|ed|es|ing|tions?))\b|감소|줄|축소|하락|급감",
    re.I,
)
_CHANGE_BEFORE = re.compile(
    r"(?:increase of|decrease of|increased by|decreased by|widened by|narrowed by|grew by|rose by|fell by"
    r"|up by|down by|increase by)\s*$",
    re.I,
)


@cache
def _change_words(where: str) -> re.Pattern[str]:
    """The ``[factcheck_words]`` ``change_after`` (``where``: ``after``) or ``change_before`` words
    of both languages: an amount or a ratio they follow or precede is a change against another
    period ("−$0.99 billion on previous year", ``전년 대비 −9.9억 달러``)."""
    alts = [terms(lg).get("factcheck_words", f"change_{where}") for lg in ("en", "ko")]
    rx = "|".join(f"(?:{a})" for a in alts if a) or "(?!)"
    return re.compile(rf"^\s*(?:{rx})" if where == "after" else rf"(?:{rx})\s*$", re.I)


_EARLIER = re.compile(
    r"\b(?:a|one) (?:year|half) (?:earlier|before|ago)\b|\bthe (?:year|half) before\b"
    r"|1년 전|한 해 전|직전 반기에는|전년에는",
    re.I,
)
_FROM_AMOUNT_IN = re.compile(
    r"\bfrom\s+(?:\$|USD\s?)?\d[\d.,]*\s*(?:%|percent|trillion|billion|million|bn)?(?:\s+(?:won|dollars))?\s+in\s+(20\d\d)\b"
)
"""A comparison with a figure of a named year ("to 0.84 from 0.78 in 2022")."""
_KO_BASE = re.compile(r"(20\d\d)년의\s*[^.,。]{0,40}?보다")
"""A comparison with a year's figure in Korean ("2010년의 127억 7천만 달러 적자보다")."""
_PREV_SUBJECT = re.compile(r"전년(?:도)?의?(?!\s*(?:대비|보다|동기|같은|에|과|와))")
"""전년 naming what the sentence is about ("전년 기술무역수지비는 0.78"), not its comparison (전년 대비)."""
_SHARE = re.compile(r"accounted for|accounting for|share of|비중", re.I)
_PREV = re.compile(r"previous (?:year|half)|the year before|전년|직전 반기|전반기", re.I)
_BASE_YEAR = re.compile(
    r"\bfrom\s+(?:\$|USD\s?)?\d[\d.,]*\s*(?:%|percent|trillion|billion|million|bn)?(?:\s+(?:won|dollars))?\s+in\s+20\d\d\b"
    r"|(?:from|since|on|over|compared (?:to|with)|than(?: in)?)\s+(?:the\s+)?"
    r"(?:(?:first|second) half of (?:last year|this year|20\d\d)|20\d\d\b)"
    r"|(?:(?:20\d\d년|지난해|작년|올해)\s*)?(?:상반기|하반기|전년|직전 반기)\s*(?:대비|보다)"
    r"|20\d\d년(?:의(?=(?:(?!전년|직전|지난해)[^.,。]){0,40}?보다)|(?=\s*(?:\([^()]*\)\s*)?(?:보다|대비|에 비해)))",
    re.I,
)


@dataclass
class ArticleContext:
    domain: str
    year: int  # the article's "this year"
    main: str  # the period the article is mostly about
    lang: str = "en"  # the language of the reasons
    day: date | None = None  # the day the article appeared, when known
    latest: str | None = None  # the period of the domain's release the figures hold, when known

    def half(self, h: int) -> str:
        """A half-year named without its year ("상반기", "the second half"): the latest such half
        that had ended by the article's day; without a day, this year's."""
        if self.day is None:
            return f"{self.year}H{h}"
        return f"{self.day.year if h == 1 and self.day.month >= 7 else self.day.year - 1}H{h}"

    def say(self, key: str, **values: object) -> str:
        """A reason from the ``[factcheck]`` templates of the article's language."""
        return terms(self.lang).fill("factcheck", key, **values)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MON = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
_DATE = re.compile(
    r"(?<!\d)(?P<y>20\d\d)(?:\s*[-./]\s*(?P<m>\d{1,2})\s*[-./]\s*(?P<d>\d{1,2})(?!\d)"
    r"|년\s*(?P<m2>\d{1,2})\s*월(?:\s*(?P<d2>\d{1,2})\s*일)?)"
    rf"|(?P<mon>{_MON})\s+(?P<d3>\d{{1,2}}),?\s+(?P<y3>20\d\d)(?!\d)"
    rf"|(?<!\d)(?P<d4>\d{{1,2}})\s+(?P<mon4>{_MON}),?\s+(?P<y4>20\d\d)(?!\d)"
)
"""A date: ``2025-09-17``, ``2025.9.17``, ``2025년 9월 17일``, ``Sept. 17, 2025``, ``17 September
2025``, or a month of a year in Korean (``2025년 9월``): never a period of the statistics."""
_DATELINE = re.compile(r"published|posted|updated|입력|수정|등록|발행|송고|작성|게재|\(yonhap\)|--|—", re.I)
"""Words of a byline or a dateline, just before the date or right after it."""


def _date_of(m: re.Match[str]) -> date | None:
    """The day a :data:`_DATE` match names, ``None`` for a month or an impossible date."""
    try:
        if m.group("y") and m.group("m"):
            return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        if m.group("y") and m.group("d2"):
            return date(int(m.group("y")), int(m.group("m2")), int(m.group("d2")))
        if m.group("d3"):
            return date(int(m.group("y3")), _MONTHS.index(m.group("mon")[:3].lower()) + 1, int(m.group("d3")))
        if m.group("d4"):
            return date(int(m.group("y4")), _MONTHS.index(m.group("mon4")[:3].lower()) + 1, int(m.group("d4")))
    except ValueError:
        return None
    return None


def _mask_dates(text: str) -> str:
    """``text`` with its dates (:data:`_DATE`) blanked, offsets kept."""
    return _DATE.sub(lambda m: " " * len(m.group(0)), text)


def article_date(text: str) -> date | None:
    """The day an article appeared, from its dateline: a full date in one of its first or last
    three lines that is short (a byline, "입력 2025.09.17"), names the date as the article's
    ("Published", "Updated", 입력, 수정, "(Yonhap) --") or opens its line ("Sept. 17, 2025 --
    ..."). Dates in the body ("released on March 19", a release date) are not the article's."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for ln in lines[:3] + lines[-3:][::-1]:
        for m in _DATE.finditer(ln):
            day = _date_of(m)
            if day is None:
                continue
            rest = (ln[: m.start()] + ln[m.end() :]).split()
            said = _DATELINE.search(ln[max(0, m.start() - 30) : m.start()] + " " + ln[m.end() : m.end() + 12])
            if len(rest) <= 8 or said or m.start() <= 40:
                return day
    return None


@cache
def _quarters() -> tuple[re.Pattern[str], ...]:
    """A quarter as the ``[period]`` terms of either language write it (``Q1 2025``, ``2025년
    1분기``) or as a label (``2025Q1``): patterns with groups ``year`` and ``q``."""
    out = [re.compile(r"(?<!\d)(?P<year>20\d\d)\s?Q(?P<q>[1-4])\b")]
    for lg in ("en", "ko"):
        rx = re.escape(terms(lg).get("period", "Q")).replace(r"\ ", " ").replace(" ", r"\s*")
        rx = rx.replace(r"\{year\}", r"(?P<year>20\d\d)").replace(r"\{q\}", r"(?P<q>[1-4])")
        out.append(re.compile(rf"(?<![\w.]){rx}(?!\d)", re.I))
    return tuple(out)


def _periods_in(text: str, ctx: ArticleContext) -> list[tuple[int, str]]:
    """Explicit periods in ``text`` with their positions: years, halves, "last year", 상반기."""
    out: list[tuple[int, str]] = []
    masked = _BASE_YEAR.sub(lambda m: " " * len(m.group(0)), text)
    masked = _mask_dates(masked)  # dates are not periods: "2025년 9월 17일", "September 17, 2025"
    for rx in _quarters():  # "2025년 1분기", "Q1 2025", "2025Q1"
        out += [(m.start(), f"{m.group('year')}Q{m.group('q')}") for m in rx.finditer(masked)]
        masked = rx.sub(lambda m: " " * len(m.group(0)), masked)
    last = ctx.year - 1
    for m in re.finditer(
        r"(?:first half|first six months|1H|H1|January-June|January to June|상반기)"
        r"(?:\s+(?:of\s+)?(?:this year|(20\d\d)))?"
        r"|(?:second half|last six months|2H|H2|July-December|July to December|하반기)(?:\s+of\s+(last year|(20\d\d)))?"
        r"|(20\d\d|지난해|작년|올해|금년)년?\s*(상반기|하반기)"
        r"|(?<!\d)(20\d\d)(?!\d)|last year|지난해|작년|this year|올해",
        masked,
        re.I,
    ):
        g = m.group(0).lower()
        if m.group(4):
            y = {"지난해": str(last), "작년": str(last), "올해": str(ctx.year), "금년": str(ctx.year)}.get(
                m.group(4), m.group(4)
            )
            out.append((m.start(), f"{y}{'H1' if m.group(5) == '상반기' else 'H2'}"))
        elif m.group(6):
            out.append((m.start(), m.group(6)))
        elif any(w in g for w in ("first half", "first six", "1h", "h1", "january", "상반기")):
            named = m.group(1) or (ctx.year if "this year" in g else None)
            out.append((m.start(), f"{named}H1" if named else ctx.half(1)))
        elif any(w in g for w in ("second half", "last six", "2h", "h2", "july", "하반기")):
            named = m.group(3) or (last if m.group(2) else None)
            out.append((m.start(), f"{named}H2" if named else ctx.half(2)))
        elif g in ("last year", "지난해", "작년"):
            out.append((m.start(), str(last)))
        else:
            out.append((m.start(), str(ctx.year)))
    return sorted(out)


def _base_periods(text: str, ctx: ArticleContext) -> list[str]:
    """The periods ``text`` compares with ("compared to the second half of last year")."""
    out = []
    for m in _BASE_YEAR.finditer(text):
        core = re.sub(
            r"^(?:from|since|on|over|compared (?:to|with)|than(?: in)?)\s+(?:the\s+)?(?:\S+\s+in\s+(?=20))?",
            "",
            m.group(0),
            flags=re.I,
        )
        core = re.sub(r"\s*(?:대비|보다)$", "", core)
        out += [p for _, p in _periods_in(core, ctx)]
    return out


def article_context(
    text: str,
    domain: str | None = None,
    year: int | None = None,
    lang: str = "en",
    day: date | None = None,
    released: dict[str, str] | None = None,
) -> ArticleContext:
    """The programme an article is about (counting its words), its day (``day``, when the caller
    knows it, e.g. ``--as-of``; else its dateline's, :func:`article_date`), its year (``year``;
    else the day's; else the latest year it names when it says "this year", else the year after
    it; an article naming no year and undated: the year of the programme's latest period in
    ``released``, domain -> period, else today's) and its main period. The day also places a half
    named without a year (:meth:`ArticleContext.half`)."""
    low = text.lower()
    kst = len(re.findall(r"knowledge services|지식서비스", low))
    tbp = len(re.findall(r"technolog\w* (?:trade|export|import)|기술무역|기술수출|기술도입", low))
    dom = domain or ("kst" if kst > tbp else "tbp")
    day = day or article_date(text)
    years = [int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", _mask_dates(text))]
    latest = (released or {}).get(dom)
    top = max(years) if years else (day.year if day else int(latest[:4]) if latest else date.today().year)
    this_year = (
        year
        or (day.year if day else None)
        or (top if re.search(r"this year|올해|금년", low) or not re.search(r"last year|지난해|작년", low) else top + 1)
    )
    ctx = ArticleContext(dom, this_year, str(top), lang, day)
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for pos, p in _periods_in(text, ctx):
        counts[p] = counts.get(p, 0) + 1
        first.setdefault(p, pos)
    if counts:  # the period named most; of those, the latest to end (a year before its halves)
        ctx.main = max(counts, key=lambda p: (counts[p], _end(p), len(p) == 4, -first[p]))
    titled = _title_period(text, ctx)
    if titled:
        ctx.main = titled
    return ctx


TITLE_LINES = 3
"""How far down a title may be (after a kicker such as "Press release")."""


def _title_period(text: str, ctx: ArticleContext) -> str | None:
    """The one period the article's title names ("Technology trade statistics, 2024",
    "2025년 상반기 지식서비스무역통계"): the first of its first :data:`TITLE_LINES` lines that
    names a period, when that line is a title (no sentence) and names just one."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:TITLE_LINES]
    for ln in lines:
        got = {p for _, p in _periods_in(ln, ctx)}
        if not got:
            continue
        if len(got) == 1 and not re.search(r"[.!?。](?:\s|$)|다\.?$", ln.strip()):
            return got.pop()
        return None
    return None


def _end(period: str) -> tuple[int, int]:
    """When a period ends: its year and last month."""
    from ktstat.periods import parse

    p = parse(period)
    months = {"A": 12, "H": 6 * p.sub, "Q": 3 * p.sub}.get(p.freq, 12)
    return (p.year, months)


def _shift(period: str, n: int) -> str:
    from ktstat.periods import parse

    return str(parse(period).shift(n))


# ---------------------------------------------------------------- resolution


@dataclass
class Reading:
    """What a claim is about: domain, candidate periods, candidate (breakdown, item) pairs, the
    flow measure and its sign word."""

    periods: list[str]
    items: list[tuple[str, str]]
    flow: str | None
    flow_sign: int
    kind: str
    direction: int


def _clauses(sentence: str, base: int) -> list[tuple[int, int]]:
    cuts = [0]
    for m in re.finditer(r", (?!\d)| · |; | while | but | whereas | resulting in |, while|—|, 반면|며 |고, ", sentence):
        cuts.append(m.end())
    cuts.append(len(sentence))
    return [(base + a, base + b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


_ABBREV = re.compile(
    r"(?:^|[^A-Za-z])(?:[A-Z]|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|No|vs|etc|Co|Corp|Inc|Ltd)$"
)


def _line_sentences(line: str) -> list[tuple[int, int]]:
    """Sentences of a line: each ends at ``!``, ``?``, ``。`` or a full stop that is not a decimal
    point (``4.5``), nor an abbreviation's (``U.S.``, ``Dec.``), nor part of an ellipsis, nor
    followed by a lower-case word or a number."""
    out, start = [], 0
    for m in re.finditer(r"[.!?。]", line):
        i = m.start()
        if line[i] == ".":
            rest = line[i + 1 :]
            dots = rest[:1] == "." or line[i - 1 : i] == "."  # an ellipsis joins ("ICT and Content... Surpluses")
            if dots or rest[:1].isdigit() or _ABBREV.search(line[start:i]) or re.match(r"\s*[a-z0-9,;]", rest):
                continue
        out.append((start, i + 1))
        start = i + 1
    if line[start:].strip():
        out.append((start, len(line)))
    return out


_BULLET = re.compile(r"[ \t]*[•·▪◦‣∙]\s")
"""A list item's bullet (:func:`ktstat.factcheck.report.to_text` writes ``• ``)."""


def _sentences(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, paragraph)`` of each sentence."""
    out = []
    para = 0
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            for a, b in _line_sentences(line):
                if line[a:b].strip():
                    out.append((pos + a, pos + b, para))
            para += 1
        pos += len(line) + 1
    return out


def _nearest_flow(text: str, a: int, b: int, lo: int, hi: int) -> tuple[str | None, int]:
    """The flow word nearest the claim at ``a..b`` inside ``lo..hi`` (before it preferred)."""
    best: tuple[int, str, int] | None = None
    seg = text[lo:hi]
    for rx, name, sign in _FLOW:
        for m in rx.finditer(seg):
            s, e = lo + m.start(), lo + m.end()
            if e <= a:
                d = a - e
            elif s >= b:
                d = (s - b) * 3 + 5
            else:
                continue
            if best is None or d < best[0]:
                best = (d, name, sign)
    return (best[1], best[2]) if best else (None, 0)


def check(
    text: str,
    figures: Figures,
    lang: str = "en",
    domain: str | None = None,
    year: int | None = None,
    day: date | None = None,
) -> list[Result]:
    """Fact-check ``text`` against ``figures``: one :class:`Result` per claim (module docstring),
    its reason in ``lang``. ``day``: the day the article appeared, when the caller knows it
    (``--as-of``; else the article's dateline's); ``year``: its "this year", if not the day's."""
    text = _blank_table_rows(text)
    released = released_periods(figures)
    if domain is None and len(released) == 1 and not _names_programme(text):
        domain = next(iter(released))  # a text naming no programme: the one the figures are of
    ctx = article_context(text, domain, year, lang, day, released)
    ctx.latest = released.get(ctx.domain)
    if ctx.latest and not _periods_in(text, ctx):
        ctx.main = ctx.latest  # a text naming no period is about the latest release
    claims = extract(text)
    index = {id(c): k for k, c in enumerate(claims)}
    results = []
    sents = _sentences(text)
    state: dict[str, object] = {}
    cur_para = -1
    para_period: str | None = None
    last: Result | None = None
    para_items: list[tuple[str, str]] = []
    # a sentence naming no period takes its paragraph's last one; a paragraph naming none, the one
    # period the paragraph just before named (if it named just one); the headline, its lede's first
    carry: str | None = None
    named: set[str] = set()
    seen_any = False
    for s0, s1, para in sents:
        if para != cur_para:
            # a list item stands alone: it takes no period from the item before
            carry = next(iter(named)) if len(named) == 1 and not _BULLET.match(text, s0) else None
            named = set()
            state = {}
            para_items = []
            para_period = None
            cur_para = para
        else:
            para_items = [x for x in para_items] + list(state.get("items") or [])  # type: ignore[call-overload]
        sclaims = [c for c in claims if s0 <= c.start < s1]
        sentence = text[s0:s1]
        if sclaims and not re.sub(r"[\W\d]", "", sentence.replace(sclaims[0].text, "")).strip():
            # a sentence that is only a number ("$18.3 billion."): the next sentence says what it is
            nxt = next(((a, b) for a, b, _ in sents if a >= s1), None)
            scope = (s0, nxt[1]) if nxt else (s0, s1)
        else:
            scope = (s0, s1)
        sent_periods = _periods_in(text[scope[0] : scope[1]], ctx)
        roles = read_shapes(
            mask(sentence, [(c.start - s0, c.end - s0, index[id(c)]) for c in sclaims]), ctx.domain, lang
        )
        only_base = _FROM_AMOUNT_IN.search(text[s0:s1]) if not sent_periods else None
        own_period = para_period or carry
        if own_period is None and not seen_any and not sent_periods:
            lede = _periods_in(text[s1:], ctx)
            own_period = lede[0][1] if lede else None
        # from another paragraph or the lede, the period is a guess: the main period is the other
        soft = None if sent_periods or para_period else own_period
        if sent_periods:
            para_period = sent_periods[-1][1]
            named.update(p for _, p in sent_periods)
            seen_any = True
        base_periods = _base_periods(sentence, ctx)
        clause_state = dict(state)
        sent_flow: tuple[str, int] | None = None
        prev_items: list[tuple[int, int, list[Phrase]]] = []
        for c0, c1 in _clauses(text[s0:s1], s0):
            cl = [c for c in sclaims if c0 <= c.start < c1]
            ctext = text[c0:c1]
            items = [(a + c0, b + c0, ph) for a, b, ph in find_items(ctext, ctx.domain)]
            kept_items = clause_state.get("items")
            relative = not items and prev_items and re.match(r"\s*(?:which|who)\b", ctext, re.I)
            if relative:  # "China surpassed Vietnam, which had the largest surplus": this clause only
                clause_state["items"] = [(p.breakdown, p.code) for p in prev_items[-1][2]]
            prev_items = items
            cps = [p for pos, p in _periods_in(ctext, ctx)]
            if cps:
                clause_state["period"] = cps[-1]
            if items and not _ASIDE.match(ctext):  # ", led by X, ...": X is not what the sentence is about
                clause_state["items"] = [(p.breakdown, p.code) for p in items[0][2]]
                clause_state["explicit"] = True
            for c in cl:
                lo, hi = (c0, c1) if sentence.strip() != c.text.strip(" .") else scope
                flow, fsign = _nearest_flow(text, c.start, c.end, lo, hi)
                if flow is None and sent_flow is not None:
                    flow, fsign = sent_flow
                if flow is None:
                    flow, fsign = _nearest_flow(text, c.start, c.end, s0, s1)
                if flow is None:
                    flow, fsign = _nearest_flow(text, c.start, c.end, scope[0], scope[1])
                if flow is None and not clause_state.get("flow"):
                    nxt2 = next(((a, b) for a, b, _ in sents if a >= s1), None)
                    if nxt2:
                        flow, fsign = _nearest_flow(text, nxt2[0], nxt2[0], nxt2[0], nxt2[1])
                if flow is None:
                    flow = clause_state.get("flow")  # type: ignore[assignment]
                    fsign = int(clause_state.get("fsign", 1))  # type: ignore[call-overload]
                if c.unit in ("pp", "ratio") and re.search(r"\bratio\b|배율|수지비|수출입비율", sentence, re.I):
                    flow, fsign = "ratio", 1
                if flow is not None:
                    clause_state["flow"], clause_state["fsign"] = flow, fsign
                    sent_flow = (flow, fsign)
                # items: "A and B ... X and Y, respectively"; an item right after the claim
                # ("deficit with Europe"); the nearest one before it; else inherited (+ total)
                near: list[Phrase] | None = None
                if re.search(r"respectively|각각", sentence, re.I) and len(items) == len(cl) and len(cl) > 1:
                    near = items[cl.index(c)][2]
                if near is None:
                    for a, _b, ph in items:
                        gap = text[c.end : a]
                        if (
                            a >= c.end
                            and a - c.end <= 40
                            and not re.search(r"\d|,|\band\b", gap)
                            and re.search(r"\b(?:with|to|from|in|for)\b", gap)
                        ):
                            near = ph
                            break
                if (
                    near is None
                    and _OF_THE_WHOLE.search(text[max(c0, c.start - 30) : c.start])
                    and c.unit in ("USD", "KRW")
                ):
                    near = [Phrase("total", "total", "all")]  # "accounted for half of the $1.65 billion increase"
                if near is None and c.kind == "rank" and not relative:
                    near = _overtaker(c, text, s0, ctx)
                if near is None:
                    prev = [
                        (b, ph)
                        for a, b, ph in items
                        if b <= c.start and not any(b <= o.start < c.start for o in cl if o is not c)
                    ]
                    if prev:
                        near = prev[-1][1]
                if near is None:
                    following = [ph for a, _b, ph in items if a >= c.end]
                    if following:
                        near = following[0]
                if near:
                    cand = [(p.breakdown, p.code) for p in near]
                    inh = state.get("items")
                    if inh and not any(b == "total" for b, _ in cand):
                        for ib, ic in inh:  # type: ignore[attr-defined]
                            for b, i in list(cand):
                                if ib != b and ib not in ("total", "partner", "region"):
                                    cand.append((f"{ib}+{b}", f"{ic}+{i}"))
                elif state.get("items") or clause_state.get("items"):
                    cand = list(clause_state.get("items") or state.get("items"))  # type: ignore[call-overload]
                    if c.kind != "rank":  # the total ranks first among one item: no reading
                        cand.append(("total", "all"))
                else:
                    cand = [("total", "all")]
                # period
                period = str(
                    clause_state.get("period") or (sent_periods[-1][1] if sent_periods else own_period or ctx.main)
                )
                if only_base is not None:  # "improved to 0.84 from 0.78 in 2022": the year after
                    period = _shift(only_base.group(1), 1)
                own_year = re.match(
                    r"\s*(?:\([^)]*\)\s*)?in (20\d\d)\b(?!\s*(?:and|to)\s+20\d\d)", text[c.end : c.end + 30]
                ) or re.search(r"(?<!\d)(20\d\d)년\s*\(\s*$", text[c0 : c.start])  # "2023년(176.9억 달러)"
                named_here = _periods_in(ctext, ctx)
                in_base = [m for m in _KO_BASE.finditer(text, c0, c1) if m.start() < c.start and c.end <= m.end()]
                if own_year:  # "from 0.78 in 2022": the year written right after the number is its own
                    period = own_year.group(1)
                elif in_base:  # "2010년의 127억 7천만 달러 적자보다": the comparison's own year
                    period = in_base[-1].group(1)
                elif len({p for _, p in named_here}) > 1:  # "지난해 72억 달러 ... 2010년의 127억 달러"
                    preceding = [p for pos, p in named_here if c0 + pos < c.start]
                    if preceding:
                        period = preceding[-1]
                prev_subject = None
                for m in _PREV_SUBJECT.finditer(text[c0 : c.start]):
                    prev_subject = m
                if prev_subject is not None and not _periods_in(text[c0 + prev_subject.end() : c.start], ctx):
                    period = _shift(period, -1)  # "전년 기술무역수지비는 0.78": the year before
                before = text[max(lo, c.start - 24) : c.start]
                after = text[c.end : min(hi, c.end + 24)]
                if re.match(r"\s*when\b|\s*당시", ctext) and base_periods:
                    period = base_periods[-1]
                if c.kind == "rank":
                    pass
                elif c.unit in ("USD", "KRW", "ratio") and (
                    _EARLIER.search(text[c0 : c.start]) or _EARLIER.match(text[s0 : c.start].lstrip())
                ):
                    period = _shift(period, -1)  # "a year earlier they had been $17.6 billion"
                elif (_PREV.search(before) and before.rstrip().endswith(("(", "year", "half"))) or (
                    re.match(r"^\s*(?:dollars\s+)?in the previous (?:year|half)|^\)?\s*(?:in )?the previous", after)
                ):
                    period = _shift(period, -1)
                pn = re.search(r"past (\d+|ten|five) years", sentence, re.I)
                if pn and re.search(r"from\s*$", before):
                    n = {"ten": 10, "five": 5}.get(pn.group(1).lower()) or int(pn.group(1))
                    period = _shift(period, -n)
                if (
                    last is not None
                    and last.cell is not None
                    and before.rstrip().endswith("(")
                    and re.fullmatch(r"\s*(?:in\s+20\d\d\s*)?\(\s*", text[last.claim.end : c.start])
                ):
                    period, cand = last.cell.period, [(last.cell.breakdown, last.cell.item)]
                    base = last.cell.measure.split("_")[0]
                    if c.unit == "KRW" and base in ("exports", "imports", "balance", "volume"):
                        flow = base  # "$17.648 billion (25.39 trillion won)": the same figure in won
                if c.kind == "rank" and re.match(
                    r"^\s*(?:[\w-]+\s+){0,3}(?:in\s+)?the previous year", text[c.end : min(hi, c.end + 50)]
                ):
                    period = _shift(period, -1)
                # items named in earlier sentences of the paragraph combine with this one
                for pb, pi in para_items:
                    for b, i in list(cand):
                        if b not in ("total", pb) and "+" not in b and pb in ("industry",) and b == "institution":
                            cand.append((f"{pb}+{b}", f"{pi}+{i}"))
                role = roles.get(index[id(c)])
                if role is not None:
                    if not role.skip:
                        got = _shaped(c, role, ctx, cand, flow, fsign, own_period, text, s0, s1, lo, hi, figures)
                        if got is not None:
                            last = got
                            results.append(got)
                    continue
                if c.kind == "overtake":
                    oflow, osign = _nearest_flow(text, c.start, c.end, s0, s1)
                    if oflow is None and last is not None and last.cell is not None:
                        oflow, osign = last.cell.measure.split("_")[0], 1  # "... 추월했다는 주장도": as before
                    got = _overtake(c, ctx, text, s0, s1, period, oflow, osign, figures)
                    if got is not None:  # two items of one breakdown, else no claim about the figures
                        results.append(got)
                    continue
                alts: tuple[str, ...] = (
                    (ctx.main,) if soft and period == soft and not clause_state.get("period") else ()
                )
                if only_base is not None and ctx.latest and not own_year:
                    alts += (ctx.latest,)  # "from X in 2014 to Y": Y may be the release's
                last = _verdict(c, ctx, period, cand, flow, fsign, text, lo, hi, figures, alts)
                results.append(last)
            if relative:
                clause_state["items"] = kept_items
            state = dict(clause_state)
            state.pop("period", None)
    return _shared_rates(results, ctx)


def _blank_table_rows(text: str) -> str:
    """``text`` with its table rows (lines of tab-separated cells, as :func:`report.to_text`
    writes a table) blanked, offsets kept: a table's numbers have no words of their own to say
    what they are, so they are no claims, and its column headings name no period of the text."""
    return re.sub(r"(?m)^[^\n]*\t[^\n]*$", lambda m: " " * len(m.group(0)), text)


def released_periods(figures: Figures) -> dict[str, str]:
    """The period of each domain's release among ``figures``' vintages (``tbp-2024-v1``: tbp,
    2024; the latest when there are several), by domain; empty when the names say none."""
    out: dict[str, str] = {}
    for name in figures.vintages():
        m = re.match(r"([a-z]+)-(\d{4}(?:[HQ][1-4])?)-", name)
        if m and (m.group(1) not in out or _end(m.group(2)) > _end(out[m.group(1)])):
            out[m.group(1)] = m.group(2)
    return out


def _names_programme(text: str) -> bool:
    """Whether ``text`` names a programme (the words :func:`article_context` counts)."""
    return bool(re.search(_PROGRAMME_WORDS, text, re.I))


_PROGRAMME_WORDS = r"knowledge services|지식서비스|technolog\w* (?:trade|export|import)|기술무역|기술수출|기술도입"

_KIND = re.compile(r"\b(?:deficits?|shortfalls?)\b|적자|(?P<plus>\bsurplus(?:es)?\b|흑자)", re.I)
"""A surplus or deficit word: the sign of a balance."""
_WIDEN = re.compile(r"widen|expand|확대|늘", re.I)


def _kind_sign(text: str, a: int, b: int, where: str) -> int:
    """+1 (surplus) or -1 (deficit) from the kind word nearest before (``<``) or after (``>``)
    the span ``a..b`` of ``text``, the other side failing that; 0 when none."""
    before = [m for m in _KIND.finditer(text, 0, a)]
    after = list(_KIND.finditer(text, b))
    order = [before[-1:], after[:1]] if where != ">" else [after[:1], before[-1:]]
    for got in order:
        if got:
            return 1 if got[0].group("plus") else -1
    return 0


def _items_named(words: str | None, domain: str) -> list[tuple[str, str]]:
    """The ``(breakdown, item)`` readings of an item's name."""
    if not words:
        return []
    found = find_items(words, domain)
    if found:
        return [(p.breakdown, p.code) for p in found[0][2]]
    low = re.sub(r"^the\s+|\s?\([A-Z]{1,3}\)$", "", words.strip(), flags=re.I).lower()
    return [(p.breakdown, p.code) for p in vocabulary(domain) if p.phrase.lower() == low]


def _flow_named(words: str | None) -> str | None:
    """The flow a few words name ("technology imports": imports), ``None`` if none."""
    if not words:
        return None
    for rx, name, _sign in _FLOW:
        if rx.search(words):
            return name
    return None


def _shaped(
    c: Claim,
    role: Role,
    ctx: ArticleContext,
    subject: list[tuple[str, str]],
    flow: str | None,
    fsign: int,
    own_period: str | None,
    text: str,
    s0: int,
    s1: int,
    lo: int,
    hi: int,
    figures: Figures,
) -> Result | None:
    """The verdict on a claim a sentence shape (:mod:`ktstat.factcheck.shapes`) gives ``role``:
    its items, period and measure from the role; ``subject``, ``flow`` and ``own_period`` are
    the general reading's (for ``subj``, a shape that names no flow, and the period of a
    sentence naming only its comparison). ``None`` for "X overtook Y" that names no pair of
    items (:func:`_overtake`)."""
    # period: the comparison's, or the sentence's own (a period it names besides its comparisons)
    bases = [p for t in role.bases for _, p in _periods_in(t, ctx)]
    sentence = text[s0:s1]
    for t in role.bases:
        sentence = sentence.replace(t, " " * len(t), 1)
    named = [p for _, p in _periods_in(sentence, ctx)]
    own = named[-1] if named else (own_period or ctx.main)
    if own in bases:  # the text names no period but its comparison: the release's, or the next
        own = ctx.latest if ctx.latest and _end(ctx.latest) > _end(own) else _shift(own, 1)
    base = _periods_in(role.base, ctx) if role.base else []
    period = base[0][1] if base else own
    # items
    one, two = _items_named(role.items, ctx.domain), _items_named(role.items2, ctx.domain)
    items = {
        "item": one,
        "item2": two,
        "total": [("total", "all")],
        "subj": subject,
        "cross": [(f"{b1}+{b2}", f"{i1}+{i2}") for b1, i1 in one for b2, i2 in two if b1 != b2]
        + [(f"{b2}+{b1}", f"{i2}+{i1}") for b1, i1 in one for b2, i2 in two if b1 != b2],
    }.get(role.who) or subject
    # a name two breakdowns share: first the breakdown the sentence's other items are of
    others = [p.breakdown for _, _, ph in find_items(text[s0:s1], ctx.domain) if len(ph) == 1 for p in ph]
    items = sorted(items, key=lambda bi: -sum(1 for b in others if b == bi[0].split("+")[0]))
    # measure and the value the claim says
    f1 = _flow_named(role.flows[0]) or flow or "volume"
    f2 = _flow_named(role.flows[1]) or f1
    measure = role.measure.replace("flow2", f2).replace("flow", f1)
    base_flow, _, suffix = measure.partition("_")
    direction = _direction(text, c, lo, hi)
    if not direction:  # "...; Europe alone accounted for more than that ($605.9 million)": the sentence's
        words = [(m.start(), 1) for m in _UP.finditer(text, s0, c.start)]
        words += [(m.start(), -1) for m in _DOWN.finditer(text, s0, c.start)]
        direction = max(words)[1] if words else 1
    kind = _kind_sign(text[:s1], c.start, c.end, role.sign or "<") if base_flow == "balance" else 0
    target = c.value
    if suffix in ("growth", "change", "ratio_change") or measure == "ratio_change":
        target = abs(c.value) * direction
        if measure == "balance_change":
            widen = _WIDEN.search(text, s0, s1)
            target = abs(c.value) * ((-1 if widen else 1) if kind < 0 else direction)
    elif measure == "balance":
        target = -abs(c.value) if kind < 0 else abs(c.value)
    elif suffix == "rank" and base_flow == "balance" and kind < 0:
        got = _deficit_rank(c, ctx, period, items, figures)
        if got is not None:
            return got
    elif suffix == "order":
        return _overtake(c, ctx, text, s0, s1, period, base_flow, kind or 1, figures)
    elif suffix == "record" and base_flow == "balance" and kind < 0:
        measure = "balance_record_low"
    yoy = {"H": 2, "Q": 4}.get(period[4:5])
    if not role.base and yoy and suffix in ("growth", "change") and _shift(period, -yoy) in bases:
        measure += "_yoy"  # "Against the first half of 2024": the same half a year before
    return _settle(c, ctx, period, items, measure, target, figures)


RATE_SLACK_SHARED = 0.05
"""How far (relative) a rate that several won amounts of one article share may lie outside the
quarterly averages of the time: one rate for the whole article is a conversion made on some day
of the time (daily rates swing several per cent around a quarter's average)."""


def _shared_rates(results: list[Result], ctx: ArticleContext) -> list[Result]:
    """Won amounts reported ``inconsistent`` for their rate alone that imply the very rate (within
    0.3 %) another won amount of the article implies, a rate within :data:`RATE_SLACK_SHARED` of
    those of the time: the article's own rate, so ``other_rate``."""
    off = [r for r in results if r.rate is not None]
    for r in off:
        if r.verdict != "inconsistent" or r.rate is None or r.released is None:
            continue
        implied, rate, low, high = r.rate
        same = any(o is not r and o.rate is not None and abs(o.rate[0] / implied - 1) <= 0.003 for o in off)
        if same and low * (1 - RATE_SLACK_SHARED) <= implied <= high * (1 + RATE_SLACK_SHARED):
            r.verdict = "other_rate"
            r.reason = ctx.say(
                "other_rate_shared",
                released=_usd(r.released, ctx.lang),
                implied=_rate(implied),
                rate=_rate(rate),
                at_period=_won(r.released * rate, ctx.lang),
            )
    return results


_KO_VERB = re.compile(r"^\s*(?:\([^)]*\)\s*)?(?:포인트\s*)?(?:(증가|늘|확대|상승|급증|증대)|감소|줄|축소|하락|급감)")
"""A Korean direction verb right after a number ("23.7% 감소", "37억 달러(10.8%) 증가")."""


def _direction(text: str, c: Claim, lo: int, hi: int) -> int:
    """+1 or -1 from the direction words nearest the claim (a Korean verb right after it first,
    then words before it, then after it), 0 when there are none."""
    seg_b = text[max(lo, c.start - 40) : c.start]
    seg_a = text[c.end : min(hi, c.end + 25)]
    ko = _KO_VERB.match(text[c.end : c.end + 30])
    if ko:
        return 1 if ko.group(1) else -1
    ups = [m.end() for m in _UP.finditer(seg_b)]
    downs = [m.end() for m in _DOWN.finditer(seg_b)]
    if ups or downs:
        return 1 if max(ups or [-1]) > max(downs or [-1]) else -1
    ua, da = _UP.search(seg_a), _DOWN.search(seg_a)
    if ua or da:
        return 1 if (ua and (not da or ua.start() < da.start())) else -1
    sign = re.search(r"([-−+])\s?\$?$", text[max(lo, c.start - 3) : c.start]) or re.match(r"[-−+]", c.text)
    if sign:  # no words, a sign written: "+3.7% on previous year", "−$0.99 billion", "대비 −9.9억 달러"
        return 1 if sign.group(0)[0] == "+" else -1
    return 0


# a clause that names what drove the subject, not a new subject ("X, led by Y, posted ...")
_OF_THE_WHOLE = re.compile(r"\bof the (?:total |overall )?$|전체\s*\S*\s*(?:증가|감소)(?:분|액)\s*\(\s*$", re.I)
"""Just before an amount that is the whole's change a part accounted for ("... of the $1.65 billion
increase", "전체 기술도입 증가분(16.5억 달러)")."""

_ASIDE = re.compile(
    r"[\s,]*(?:(?:mainly |largely )?(?:led|driven|helped|followed) by|(?:mainly |largely )?(?:thanks|owing|due) to"
    r"|including|such as)\b",
    re.I,
)

# a comparison with the same period a year earlier, said in the sentence
_YOY = re.compile(
    r"(?:from|than|over|on|compared with|against) (?:(?:the )?same (?:period|half|quarter) )?"
    r"(?:a|one) year (?:earlier|before|ago)"
    r"|year[- ]on[- ]year|\byoy\b|(?:from|than|over|compared with) the same (?:period|half|quarter)"
    r"|전년\s*동기|전년\s*같은\s*기간|1년\s*전",
    re.I,
)


def _verdict(
    c: Claim,
    ctx: ArticleContext,
    period: str,
    items: list[tuple[str, str]],
    flow: str | None,
    fsign: int,
    text: str,
    lo: int,
    hi: int,
    figures: Figures,
    alt_periods: tuple[str, ...] = (),
) -> Result:
    """The verdict on ``c`` read as ``flow`` of ``items`` in ``period`` (or, failing that, in one of
    ``alt_periods``: another reading of a period the sentence does not name)."""
    lang = ctx.lang
    before = text[max(lo, c.start - 45) : c.start]
    after = text[c.end : min(hi, c.end + 30)]
    own = [(name, sign) for rx, name, sign in _FLOW if rx.search(c.text)]
    if c.kind == "rank" and own:  # "최대 기술수출국": the rank names its flow
        flow, fsign = own[0]
    if c.unit == "USD" and re.match(r"^\s*(?:threshold|mark|milestone|barrier)", after, re.I):
        c.kind = "atleast"
        flow = "volume"  # a milestone of the trade ("the $40 billion mark")
    direction = _direction(text, c, lo, hi)
    if flow == "balance":  # the word right after the amount says which: "43억 달러 적자", "a $4.3bn surplus"
        if re.match(r"\s*(?:의\s*)?(?:적자|deficit)", after, re.I):
            fsign = -1
        elif re.match(r"\s*(?:의\s*)?(?:흑자|surplus)", after, re.I):
            fsign = 1
    if flow is None:
        return _any_flow(c, ctx, period, items, text, lo, hi, figures, alt_periods)
    target = c.value
    if c.unit in ("USD", "KRW"):
        if (
            re.match(r"^\s*(?:\([^)]*\)\s*)?(?:증가|확대|감소|축소|늘어|줄어)", after)
            or _CHANGE_BEFORE.search(before)
            or re.search(r"(?:increase|decrease|rise|fall|growth) in [\w\s]*\($", before, re.I)
            or re.match(r"^\s*(?:dollars\s+)?(?:compared|from the previous)", after)
            or _change_words("before").search(before)
            or _change_words("after").match(after)
            or re.match(r"^\s*(?:increase|decrease|rise|fall|drop|gain|jump|decline)\b", after, re.I)
        ):
            if flow == "balance":
                widen = re.search(r"widen|expand|확대|늘", text[lo:hi], re.I)
                sign = (-1 if widen else 1) if fsign < 0 else (1 if direction >= 0 else -1)
            else:
                sign = direction or 1
            measure, target = f"{flow}_change", abs(c.value) * sign
        else:
            measure = flow
            if flow == "balance" and fsign < 0 and c.value > 0:
                target = -c.value
    elif c.unit == "pp" and flow != "ratio":
        return Result(c, None, None, "not_in_release", ctx.say("points_not_published", flow=_flow_word(flow, lang)))
    elif c.unit in ("percent", "pp"):
        near_b = text[max(lo, c.start - 30) : c.start]
        after_amount = re.search(r"(?:billion|million|bn|달러|원)\s*\(\s*$", near_b, re.I)
        if (
            re.match(
                r"^\)?\s*of the (?:(?:total|overall)\s+)?(?:(?:\$|US\$)?[\d.,]+\s*(?:billion|million|bn|mn)?\s+)?"
                r"(?:increase|decrease|growth|rise|fall|drop|gain)",
                after,
                re.I,
            )
            or re.search(r"기여", after)
            or re.search(r"증가(?:분|액)(?:의|\s*중)\s*$", near_b)
        ):
            measure = f"{flow}_contribution" if flow in ("exports", "imports", "volume") else ""
        elif after_amount and (
            re.search(r"(?:increase|decrease|rise|fall) of\s*\S+\s*(?:billion|million|bn)\s*\(\s*$", near_b, re.I)
            or re.match(r"^\s*\)\s*(?:증가|감소|늘|줄|상승|하락|확대|축소)", after)
        ):
            measure = f"{flow}_growth" if flow in ("exports", "imports", "volume") else ""
            target = abs(c.value) * (direction or 1)
        elif _SHARE.search(near_b) or after_amount or re.match(r"^\s*(?:\([^)]*\)\s*)?[을를]\s*차지", after):
            measure = f"{flow}_share" if flow in ("exports", "imports", "volume") else ""
        elif flow == "ratio":
            measure, target = "ratio_change", c.value * (direction or 1)
        else:
            measure = f"{flow}_growth" if flow in ("exports", "imports", "volume") else ""
            target = abs(c.value) * (direction or (1 if c.value >= 0 else -1))
            since = _SINCE.search(text, lo, hi)
            base = next((g for g in since.groups() if g), None) if since else None
            if base and flow in ("exports", "imports", "volume", "balance") and base != _shift(period, -1)[:4]:
                got = _derived_growth(c, ctx, period, base, items, flow, direction, figures)
                if got is not None:
                    return got
        if not measure:
            return Result(c, None, None, "not_in_release", ctx.say("no_such_percentage", flow=_flow_word(flow, lang)))
    elif c.unit == "ratio":
        measure = "ratio"
        if (
            _CHANGE_BEFORE.search(before)
            or _change_words("before").search(before)
            or _change_words("after").match(after)
            or re.match(r"^\s*(?:포인트\s*)?(?:증가|감소|상승|하락|늘|줄|개선|악화)", after)
        ):
            measure, target = "ratio_change", abs(c.value) * (direction or 1)  # "fell by 0.03", "0.03 하락"
    elif c.unit == "record":
        m = flow if flow in ("exports", "imports", "balance", "volume") else "volume"
        measure = f"{m}_record"
    else:
        measure = f"{flow}_rank" if flow in ("exports", "imports", "balance", "volume", "ratio") else "volume_rank"
        if flow == "balance" and fsign < 0:  # "the largest deficit": ranked from the bottom
            got = _deficit_rank(c, ctx, period, items, figures)
            if got is not None:
                return got
    if _YOY.search(text[lo:hi]) and re.search(r"[HQ]", period) and measure.endswith(("_growth", "_change")):
        measure += "_yoy"  # a half-year or quarter "up 9% from a year earlier": the same period a year before
    return _settle(c, ctx, period, items, measure, target, figures, alt_periods)


_SINCE = re.compile(
    r"\b(?:since|from|compared (?:to|with)|against)\b(?:(?:(?!\.\s)[^;,%]){0,40}?\bin)?\s+(20\d\d)\b(?!\s*(?:to|and)\b)"
    r"|(20\d\d)년\s*(?:대비|보다|이후|에 비해)"
)
"""A comparison with a named year, however far back ("from the $12.77 billion deficit in 2010",
"since 2014", "2010년 대비")."""


def _derived_growth(
    c: Claim,
    ctx: ArticleContext,
    period: str,
    base: str,
    items: list[tuple[str, str]],
    flow: str,
    direction: int,
    figures: Figures,
) -> Result | None:
    """A percentage change against a year further back than the release compares with ("a
    reduction of about 43% from the deficit in 2010"): worked out from the two released levels
    (for two deficits, the change in the deficit's size), the claim's direction word giving its
    sign. ``None`` when the release lacks either level."""
    if period == base or _end(period) < _end(base):
        period = ctx.main if ctx.main != base else period
    if period == base:
        return None
    for b, i in items:
        now, then = (figures.value(ctx.domain, p, b, i, flow) for p in (period, base))
        if now is None or then is None or not then:
            continue
        if flow == "balance" and now < 0 and then < 0:
            now, then = -now, -then  # a deficit's size
        pct = (now / then - 1) * 100
        target = abs(c.value) * (direction or (1 if c.value >= 0 else -1))
        ok = abs(pct - target) <= c.tol * 1.000001 + 1e-9
        reason = ctx.say(
            "derived_growth",
            now=_usd(now, ctx.lang),
            then=_usd(then, ctx.lang),
            period=terms(ctx.lang).period(period),
            base=terms(ctx.lang).period(base),
            pct=f"{pct:+.1f}%",
        )
        return Result(c, Cell(ctx.domain, period, b, i, flow), pct, "consistent" if ok else "inconsistent", reason)
    return None


def _settle(
    c: Claim,
    ctx: ArticleContext,
    period: str,
    items: list[tuple[str, str]],
    measure: str,
    target: float,
    figures: Figures,
    alt_periods: tuple[str, ...] = (),
) -> Result:
    """The verdict on ``c`` read as ``measure`` of one of ``items`` in ``period`` (or one of
    ``alt_periods``), ``target`` being the released value it says (signed, in its own units)."""
    lang = ctx.lang
    periods = [period] + [p for p in alt_periods if p != period]
    cells = [Cell(ctx.domain, p, b, i, measure) for p in periods for b, i in items]
    found = [(cell, figures.value(*_key(cell))) for cell in cells]
    have = [(cell, v) for cell, v in found if v is not None]
    if not have:
        return Result(c, cells[0], None, "not_in_release", ctx.say("no_cell", cell=cells[0]))
    rates = {p: figures.krw_per_usd(p) for p in periods} if c.unit == "KRW" else {}
    if c.unit == "KRW":
        with_rate = [(cell, v) for cell, v in have if rates[cell.period] is not None]
        if not with_rate:
            return Result(
                c, have[0][0], have[0][1], "not_in_release", ctx.say("no_rate", period=terms(lang).period(period))
            )
        have = with_rate
    rate = rates.get(have[0][0].period)

    def fits(v: float, t: float, tol: float) -> bool:
        return abs(v - t) <= tol * 1.000001 + abs(t) * 1e-9 + 1e-9

    def released_in_claim_units(v: float) -> float:
        return v * rate if rate is not None else v

    # a change may be worked out from two rounded levels: twice the rounding
    tol = c.tol * 2 if measure.endswith("_change") else c.tol
    if c.kind == "atleast":
        cell, v = have[0]
        above = v >= target
        reason = ctx.say("mark_above" if above else "mark_below", released=_fmt(v, c, rate, lang))
        return Result(c, cell, v, "consistent" if above else "inconsistent", reason)
    if c.unit == "pp" and measure == "ratio_change" and fits(have[0][1], target, tol):
        v = have[0][1]
        return Result(c, have[0][0], v, "unit", ctx.say("ratio_in_points", change=f"{v:.2f}"))
    ok = [(cell, v) for cell, v in have if fits(v * (rates.get(cell.period) or 1.0), target, tol)]
    if len(ok) >= 1:
        cell, v = ok[0]
        rate = rates.get(cell.period)
        how = ctx.say("at_rate", rate=_rate(rate)) if rate else ""
        return Result(
            c,
            cell,
            v,
            "consistent",
            ctx.say("consistent", released=_fmt(v, c, rate, lang), at_rate=how, tol=_fmt_tol(c, lang)),
        )
    have = [h for h in have if h[0].period == period] or have  # the other periods only if they fit
    rate = rates.get(have[0][0].period)
    if (
        len(have) > 1
        and any(cell.breakdown != "total" for cell, _ in have)
        and not any(cell.breakdown == "total" for cell, _ in have)
    ):
        listed = ctx.say("list_sep").join(f"{cell} = {_fmt(v, c, rate, lang)}" for cell, v in have)
        return Result(c, None, None, "ambiguous", ctx.say("fits_several", cells=listed), [cell for cell, _ in have])
    cell, v = have[0]
    rv = released_in_claim_units(v)
    # another scale or unit?
    if c.unit in ("USD", "KRW"):
        written = _scale_of(c.text)
        for f in (1e3, 1e-3):
            if fits(rv, target * f, c.tol * f):
                other = SCALE_KEYS.get(written * f) if written else None
                if other and written:
                    names = terms(lang).section("factcheck_scale")
                    reason = ctx.say(
                        "other_scale",
                        right=names[other],
                        written=names[SCALE_KEYS[written]],
                        released=_fmt(v, c, rate, lang),
                    )
                else:
                    reason = ctx.say("other_scale_factor", factor=f"{f:g}", released=_fmt(v, c, rate, lang))
                return Result(c, cell, v, "unit", reason)
        if c.unit == "KRW" and v and rate:
            got = _won_verdict(c, ctx, cell, v, target, rate, figures)
            if got is not None:
                return got
    if c.unit == "pp" and measure == "ratio_change" and fits(v, target, tol):
        return Result(c, cell, v, "unit", ctx.say("ratio_in_points", change=f"{v:.2f}"))
    if c.unit == "percent" and measure.endswith("_growth") and fits(v, -target, c.tol):
        return Result(c, cell, v, "inconsistent", ctx.say("wrong_direction", released=f"{v:+.1f}%"))
    if measure.endswith("_change") and target and fits(released_in_claim_units(v), -target, tol):
        return Result(c, cell, v, "inconsistent", ctx.say("wrong_direction", released=_fmt(v, c, rate, lang)))
    return Result(
        c, cell, v, "inconsistent", ctx.say("outside", released=_fmt(v, c, rate, lang), tol=_fmt_tol(c, lang))
    )


RATE_SLACK = 0.015
"""How far (relative) a won amount's rate may lie outside the quarterly average rates the won
traded at between the claim's period and the article's day and still be "a rate of the time"
(daily rates move a few per cent around a quarter's average)."""


def _rate_span(figures: Figures, period: str, ctx: ArticleContext) -> tuple[float, float, int, int] | None:
    """The lowest and highest won-dollar rate (years and quarters) from ``period``'s year to the
    article's day (without a day: five years after the article's year), and those two years."""
    y0 = int(period[:4])
    y1 = ctx.day.year if ctx.day else max(ctx.year, y0) + 5
    got: list[tuple[float, int]] = []
    for y in range(y0, y1 + 1):
        quarters = [
            f"{y}Q{q}" for q in range(1, 5) if ctx.day is None or (y, 3 * q - 2) <= (ctx.day.year, ctx.day.month)
        ]
        for p in ([str(y)] if ctx.day is None or y < ctx.day.year else []) + quarters:
            r = figures.krw_per_usd(p)
            if r:
                got.append((r, y))
    if not got:
        return None
    return min(r for r, _ in got), max(r for r, _ in got), y0, max(y for _, y in got)


def _scale_key(scale: float, text: str) -> str | None:
    """The ``[factcheck_scale]`` term of a scale as the amount ``text`` writes it (억, 조 in Korean)."""
    korean = bool(re.search(r"[억조]", text))
    if korean:
        return {1e8: "hundred_million", 1e12: "jo"}.get(scale)
    return SCALE_KEYS.get(scale)


def _won_verdict(
    c: Claim, ctx: ArticleContext, cell: Cell, v: float, target: float, rate: float, figures: Figures
) -> Result | None:
    """A won amount that does not fit the released dollars ``v`` at the period's ``rate``:
    ``unit`` when only another scale gives a rate at all (billion for trillion, 억 for 조);
    ``other_rate`` when the rate it implies is one the won traded at between the period and the
    article's day (:func:`_rate_span`, :data:`RATE_SLACK`): the dollar figure holds, converted at a
    rate of the time, not the period's average; ``inconsistent`` when the rate it implies is
    believable but not of the time; ``None`` when it implies no rate at all."""
    lang = ctx.lang
    implied = target / v
    lo_r, hi_r = (target - c.tol) / v, (target + c.tol) / v
    written = _scale_of(c.text)

    def believable(r: float) -> bool:
        return 800 <= r <= 2500

    if lo_r <= 1.0 <= hi_r:  # "197억 1천만 원" for 197억 1천만 달러: dollars written as won
        return Result(c, cell, v, "unit", ctx.say("won_is_dollars", released=_usd(v, lang)))
    if not believable(implied):
        for f in (1e3, 1e-3, 1e4, 1e-4):
            if not believable(implied * f):
                continue
            right, wrong = (_scale_key(written * f, c.text), _scale_key(written, c.text)) if written else (None, None)
            if right and wrong:
                names = terms(lang).section("factcheck_scale")
                reason = ctx.say(
                    "won_scale", implied=f"{implied:,.4g}", right=names[right], written=names[wrong], rate=_rate(rate)
                )
            else:
                reason = ctx.say("other_scale_factor", factor=f"{f:g}", released=_fmt(v, c, rate, lang))
            return Result(c, cell, v, "unit", reason)
    span = _rate_span(figures, cell.period, ctx)
    low, high, first, last = span if span else (rate, rate, int(cell.period[:4]), int(cell.period[:4]))
    at_period = _won(v * rate, lang)
    if hi_r >= low * (1 - RATE_SLACK) and lo_r <= high * (1 + RATE_SLACK):
        reason = ctx.say(
            "other_rate", released=_usd(v, lang), implied=_rate(implied), rate=_rate(rate), at_period=at_period
        )
        return Result(c, cell, v, "other_rate", reason, rate=(implied, rate, low, high))
    if believable(implied):
        reason = ctx.say(
            "won_off",
            implied=_rate(implied),
            first=first,
            last=last,
            low=_rate(low),
            high=_rate(high),
            released=_usd(v, lang),
            at_period=at_period,
            rate=_rate(rate),
        )
        return Result(c, cell, v, "inconsistent", reason, rate=(implied, rate, low, high))
    return None


def _flow_word(flow: str, lang: str) -> str:
    return terms(lang).section("factcheck_flow").get(flow, flow)


def _noun(breakdown: str, lang: str) -> str:
    return terms(lang).section("noun").get(breakdown, breakdown)


def _overtaker(c: Claim, text: str, s0: int, ctx: ArticleContext) -> list[Phrase] | None:
    """The subject of a rank that follows "X surpassed Y" in its sentence ("China surpassed
    Vietnam to post the largest surplus", "중국이 베트남을 제치고 최대 흑자국"): X, not Y."""
    verbs = list(_OVERTAKE.finditer(text, s0, c.start))
    if not verbs:
        return None
    v = verbs[-1]
    before = [f for f in find_items(text[s0 : v.start()], ctx.domain)]
    korean = bool(re.match(r"[가-힣]", v.group(0)))
    if korean:
        return before[-2][2] if len(before) >= 2 else None
    return before[-1][2] if before else None


def _overtake(
    c: Claim,
    ctx: ArticleContext,
    text: str,
    s0: int,
    s1: int,
    period: str,
    flow: str | None,
    fsign: int,
    figures: Figures,
) -> Result | None:
    """ "X overtook Y" (surpassed, 제치고, 앞질렀): X is the item named last before the verb and Y
    the first after it (in Korean, "X가 Y를 제치고", the two named last before it), items of one
    breakdown; by ``flow`` (the sentence's; a deficit compares the deficits) X must be ahead of Y
    in ``period`` and, when the release has the period before, not already ahead then. ``None``
    when the sentence names no such pair or no flow (nothing to check)."""
    lang = ctx.lang
    if flow not in ("exports", "imports", "balance", "volume", "ratio"):
        return None
    found = [(s0 + a, s0 + b, ph) for a, b, ph in find_items(text[s0:s1], ctx.domain)]
    before = [f for f in found if f[1] <= c.start]
    after = [f for f in found if f[0] >= c.end]
    if re.match(r"[가-힣]", c.text):
        pair = (before[-2], before[-1]) if len(before) >= 2 else None
    else:
        pair = (before[-1], after[0]) if before and after else None
    if pair is None:
        return None
    both = [(p, q) for p in pair[0][2] for q in pair[1][2] if p.breakdown == q.breakdown and p.code != q.code]
    if not both:
        return None
    px, py = both[0]
    b = px.breakdown

    def val(p: str, code: str) -> float | None:
        return figures.value(ctx.domain, p, b, code, flow)

    vx, vy = val(period, px.code), val(period, py.code)
    cell = Cell(ctx.domain, period, b, px.code, flow)
    if vx is None or vy is None:
        return Result(
            c,
            cell,
            vx,
            "not_in_release",
            ctx.say("no_cell", cell=cell if vx is None else Cell(ctx.domain, period, b, py.code, flow)),
        )

    def ahead(x: float, y: float) -> bool:
        return x < y if flow == "balance" and fsign < 0 else x > y

    def shown(x: float) -> str:
        return _usd(x, lang) if flow != "ratio" else f"{x:.2f}"

    names = {"first": text[pair[0][0] : pair[0][1]], "second": text[pair[1][0] : pair[1][1]]}
    common = {
        **names,
        "first_value": shown(vx),
        "second_value": shown(vy),
        "measure": _flow_word(flow, lang),
        "period": terms(lang).period(period),
    }
    if not ahead(vx, vy):
        return Result(c, cell, vx, "inconsistent", ctx.say("behind", **common))
    prev = _shift(period, -1)
    bx, by = val(prev, px.code), val(prev, py.code)
    if bx is not None and by is not None and ahead(bx, by):
        reason = ctx.say(
            "ahead_before", **common, before=terms(lang).period(prev), first_before=shown(bx), second_before=shown(by)
        )
        return Result(c, cell, vx, "inconsistent", reason)
    return Result(c, cell, vx, "consistent", ctx.say("ahead", **common))


def _deficit_rank(
    c: Claim, ctx: ArticleContext, period: str, items: list[tuple[str, str]], figures: Figures
) -> Result | None:
    """ "The largest deficit" (or the second-largest): the item's place from the bottom among the
    balances of every item of its breakdown (the code lists') in ``period``; ``None`` when the
    claim is about no single item of a breakdown or the release has no balance for it."""
    real = [(b, i) for b, i in items if b != "total" and "+" not in b]
    if not real:
        return None
    b, i = real[0]
    codes = sorted({p.code for p in vocabulary(ctx.domain) if p.breakdown == b})
    values = {code: figures.value(ctx.domain, period, b, code, "balance") for code in codes}
    mine = values.get(i)
    if mine is None:
        return None
    others = [v for v in values.values() if v is not None]
    place = 1 + sum(1 for v in others if v < mine)
    verdict = "consistent" if place == int(c.value) else "inconsistent"
    cell = Cell(ctx.domain, period, b, i, "balance")
    reason = ctx.say(
        "deficit_rank", released=_usd(mine, ctx.lang), place=place, n=len(others), breakdown=_noun(b, ctx.lang)
    )
    return Result(c, cell, mine, verdict, reason)


def _any_flow(
    c: Claim,
    ctx: ArticleContext,
    period: str,
    items: list[tuple[str, str]],
    text: str,
    lo: int,
    hi: int,
    figures: Figures,
    alt_periods: tuple[str, ...] = (),
) -> Result:
    """A claim that names no flow ("29% growth"): read with each flow in turn. One fits: that
    one; several: ``ambiguous``; none, though the release has the cells: ``inconsistent``."""
    if c.unit not in ("USD", "KRW", "percent"):
        return Result(c, None, None, "not_in_release", ctx.say("no_measure"))
    tries = [
        _verdict(c, ctx, period, items, f, 1, text, lo, hi, figures, alt_periods)
        for f in ("exports", "imports", "volume")
    ]
    fit = [r for r in tries if r.verdict == "consistent"]
    known = [r for r in tries if r.released is not None and r.cell is not None]
    sep = ctx.say("list_sep")
    if len(fit) == 1:
        r = fit[0]
        return Result(c, r.cell, r.released, "consistent", ctx.say("no_flow_one", reason=r.reason))
    if len(fit) > 1:
        cells = [r.cell for r in fit if r.cell is not None]
        listed = sep.join(f"{r.cell} = {r.released:,.6g}" for r in fit)
        return Result(c, None, None, "ambiguous", ctx.say("no_flow_several", cells=listed), cells)
    if known:
        listed = sep.join(f"{r.cell} = {r.released:,.6g}" for r in known)
        return Result(c, None, None, "inconsistent", ctx.say("no_flow_none", cells=listed))
    return Result(c, None, None, "not_in_release", ctx.say("no_measure"))


SCALE_KEYS = {1e3: "thousand", 1e6: "million", 1e9: "billion", 1e12: "trillion", 1e15: "quadrillion"}
"""The scales of :func:`_scale_of` by their ``[factcheck_scale]`` term (``억``, ``조``: 1e8 and 1e12
of a Korean amount, :data:`WON_SCALE_KEYS`)."""


def _scale_of(text: str) -> float | None:
    """The scale an amount is written in (``billion``: 1e9, ``조``: 1e12, ...), ``None`` if none."""
    m = re.search(r"trillion|billion|million|(?<![a-z])bn\b|(?<![a-z])mn\b|\d\s?[BbMm]\b|조|억", text, re.I)
    if m is None:
        return None
    w = m.group(0).lower()[-1:] if m.group(0)[0].isdigit() else m.group(0).lower()
    return {"trillion": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6, "m": 1e6, "조": 1e12}.get(
        w, 1e8
    )


def _key(cell: Cell) -> tuple[str, str, str, str, str]:
    return (cell.domain, cell.period, cell.breakdown, cell.item, cell.measure)


def _unit_term(lang: str, key: str) -> str:
    return terms(lang).get("factcheck_unit", key)


def _usd(v: float, lang: str = "en", decimals: int | None = None) -> str:
    """Dollars as a reader of ``lang`` writes them: "40.907 bn USD", "409.07억 달러"; below the
    big scale, "870.000 million USD", "8,700만 달러" (scales and decimals: ``[factcheck_unit]``)."""
    size = "big" if abs(v) >= float(_unit_term(lang, "usd_big_scale")) else "small"
    scale = float(_unit_term(lang, f"usd_{size}_scale"))
    d = int(_unit_term(lang, f"usd_{size}_decimals")) if decimals is None else decimals
    return terms(lang).fill("factcheck_unit", f"usd_{size}", n=f"{v / scale:,.{d}f}")


def _won(v: float, lang: str = "en", general: bool = False) -> str:
    """Won in trillions: "50.3884 trillion won", "50.3884조 원"."""
    scale = float(_unit_term(lang, "won_scale"))
    n = f"{v / scale:g}" if general else f"{v / scale:,.{int(_unit_term(lang, 'won_decimals'))}f}"
    return terms(lang).fill("factcheck_unit", "won", n=n)


def _rate(r: float) -> str:
    return f"{r:,.1f}"


def _fmt(v: float, c: Claim, rate: float | None, lang: str = "en") -> str:
    if c.unit == "USD":
        return _usd(v, lang)
    if c.unit == "KRW":
        return _won(v * (rate or 0), lang)
    if c.unit in ("percent", "pp"):
        return f"{v:+.2f}%"
    return f"{v:g}"


def _fmt_tol(c: Claim, lang: str = "en") -> str:
    if c.unit == "USD":
        size = "big" if c.tol >= float(_unit_term(lang, "usd_big_scale")) / 100 else "small"
        scale = float(_unit_term(lang, f"usd_{size}_scale"))
        return terms(lang).fill("factcheck_unit", f"usd_{size}", n=f"{c.tol / scale:g}")
    if c.unit == "KRW":
        return _won(c.tol, lang, general=True)
    return f"{c.tol:g}"
