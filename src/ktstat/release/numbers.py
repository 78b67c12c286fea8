"""Numbers and periods as each language's readers expect them in a release (babel).

English: money in billions of US dollars with two decimals (``$18.35 billion``; below a
billion, millions with one decimal, below a million whole dollars); Korean: 억 달러 with one
decimal (``183.5억 달러``; below 1억, 만 달러, below 1만, 달러, without decimals). Percent with
one decimal in both; the ratio with two decimals.
Only presentation rounds: the value behind every number is an indicator cell.
"""

from __future__ import annotations

from ktstat.terms import has_batchim, josa

__all__ = [
    "has_batchim",
    "josa",
    "money",
    "money_in",
    "readable_unit",
    "ordinal",
    "percent",
    "period_heading",
    "period_label",
    "ratio",
    "unit_for",
]


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
    """``2024`` -> 2024 / 2024년; ``2025H1`` -> the first half of 2025 / 2025년 상반기 (the terms catalogue)."""
    from ktstat.terms import terms

    return terms(lang).period(label)


def period_heading(label: str, lang: str) -> str:
    """A period in a table heading or on an axis: ``H1 2025`` / ``2025년 상반기``."""
    from ktstat.terms import terms

    return terms(lang).period_short(label)


# -- one unit per statement ---------------------------------------------------------------------

UNITS = {"en": ((1e9, "bn"), (1e6, "mn"), (1.0, "usd")), "ko": ((1e8, "eok"), (1e4, "man"), (1.0, "usd"))}


def unit_for(largest: float, lang: str) -> str:
    """The unit every amount of one statement is shown in, chosen by its largest amount:
    billions (English) or 억 (Korean) when it reaches one, else millions or 만, else dollars."""
    for size, name in UNITS[lang]:
        if abs(largest) >= size:
            return name
    return "usd"


def readable_unit(value: float, unit: str, lang: str) -> str:
    """``unit`` (a statement's shared unit, :func:`unit_for`), unless ``value`` would show fewer
    than two significant digits in it ("$0.00 billion", "0.4억 달러"): then the largest smaller
    unit in which it shows two ("$3.2 million", "4,400만 달러"), else the smallest."""
    names = [n for _, n in UNITS[lang]]
    sizes = {n: s for s, n in UNITS[lang]}
    for name in names[names.index(unit) :]:
        digits = _DIGITS[name]
        if round(abs(value) / sizes[name], digits) >= 10.0 ** (1 - digits) or name == names[-1]:
            return name
    return unit


_DIGITS = {"bn": 2, "mn": 1, "usd": 0, "eok": 1, "man": 0}
"""Decimals an amount is shown with in each unit."""


def money_in(value: float, unit: str, lang: str, floor: bool = False) -> str:
    """A US-dollar amount (its absolute value) in ``unit`` (:func:`unit_for`): ``$0.95 billion``
    beside ``$4.25 billion``. ``floor``: a round threshold the value passed, shown without
    decimals (``$40 billion`` for 40.5 billion), never more than the value."""
    import math

    v = abs(value)
    size = dict((n, s) for s, n in UNITS[lang])[unit]
    digits = _DIGITS[unit]
    if floor:
        step = 10.0 ** math.floor(math.log10(v / size)) if v >= size else 1.0
        shown = math.floor(v / size / step) * step
        text = _dec(shown, 0, lang)
    else:
        text = _dec(v / size, digits, lang)
    if lang == "ko":
        return {"eok": f"{text}억 달러", "man": f"{text}만 달러", "usd": f"{text}달러"}[unit]
    return {"bn": f"${text} billion", "mn": f"${text} million", "usd": f"${text}"}[unit]
