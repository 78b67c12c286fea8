"""Numbers and periods as each language's readers expect them in a release (babel).

English: money in billions of US dollars with two decimals (``$18.35 billion``; below a
billion, millions with one decimal, below a million whole dollars); Korean: 억 달러 with one
decimal (``183.5억 달러``; below 1억, 만 달러, below 1만, 달러, without decimals). Percent with
one decimal in both; the ratio with two decimals.
Only presentation rounds: the value behind every number is an indicator cell.
"""

from __future__ import annotations

from ktstat.periods import parse


def _dec(x: float, digits: int, lang: str) -> str:
    from babel.numbers import format_decimal

    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(round(x, digits), format=fmt, locale="ko_KR" if lang == "ko" else "en_US"))


def money(value: float, lang: str) -> str:
    """A US-dollar amount (its absolute value) in words of the language."""
    v = abs(value)
    if lang == "ko":
        if v >= 1e8:
            return f"{_dec(v / 1e8, 1, lang)}억 달러"
        return f"{_dec(v / 1e4, 0, lang)}만 달러" if v >= 1e4 else f"{_dec(v, 0, lang)}달러"
    if v >= 1e9:
        return f"${_dec(v / 1e9, 2, lang)} billion"
    return f"${_dec(v / 1e6, 1, lang)} million" if v >= 1e6 else f"${_dec(v, 0, lang)}"


def percent(value: float, lang: str) -> str:
    """A percentage (its absolute value), one decimal."""
    return f"{_dec(abs(value), 1, lang)}%"


def ratio(value: float, lang: str) -> str:
    return _dec(value, 2, lang)


def ordinal(n: int, lang: str) -> str:
    if lang == "ko":
        return f"{n}위"
    if n == 1:
        return "largest"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} largest"


def period_label(label: str, lang: str) -> str:
    """``2024`` -> 2024 / 2024년; ``2025H1`` -> the first half of 2025 / 2025년 상반기."""
    p = parse(label)
    if p.freq == "A":
        return f"{p.year}년" if lang == "ko" else str(p.year)
    if p.freq == "H":
        if lang == "ko":
            return f"{p.year}년 {'상' if p.sub == 1 else '하'}반기"
        return f"the {'first' if p.sub == 1 else 'second'} half of {p.year}"
    return f"{p.year}년 {p.sub}분기" if lang == "ko" else f"Q{p.sub} {p.year}"


def has_batchim(word: str) -> bool:
    """Whether a Korean word ends in a final consonant (for choosing particles: 은/는, 이/가, 을/를, 과/와)."""
    if not word:
        return False
    ch = word.rstrip(")）]").rstrip()[-1:] or word[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28 != 0
    if ch.isdigit():
        return ch in "013678"
    if ch.isalpha() and ch.isascii():
        return ch.lower() in "lmnr"  # read as 엘, 엠, 엔, 알
    return False


def josa(word: str, pair: str) -> str:
    """``word`` with the right particle of ``pair`` (``은/는``, ``이/가``, ``을/를``, ``과/와``, ``으로/로``)."""
    with_b, without = pair.split("/")
    if pair == "으로/로" and word and "가" <= word[-1] <= "힣" and (ord(word[-1]) - 0xAC00) % 28 == 8:
        return word + "로"  # a final ㄹ takes 로
    return word + (with_b if has_batchim(word) else without)
