"""The words of ktstat's publications, one catalogue per language (``en.toml``, ``ko.toml``).

The press release, the standard tables, the workbooks, ``ktstat show`` and the explorer read
their terms here, so a term is written once. A programme's own words (the ministry's 기술수출
and 기술도입, say) override the common ones under ``[programme.<id>.<section>]``.

:func:`terms` gives a :class:`Terms` for a language and, optionally, a programme:

- ``t.get(section, key)``: a term (``KeyError`` naming the catalogue when it is missing);
- ``t.fill(section, key, **values)``: a template filled in; ``{name:이/가}`` appends the
  Korean particle that fits the value's last syllable (see :func:`josa`);
- ``t.period(label)`` / ``t.period_short(label)``: a period in running text or in a heading
  (``2025H1`` -> "the first half of 2025" / "H1 2025"; 2025년 상반기 in Korean);
- ``t.basis(name, freq)``: what a comparison is against ("previous half-year", 전년 동기).
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ktstat.periods import parse

LANGS = ("en", "ko")
_DIR = Path(__file__).resolve().parent


def trailing_word(word: str) -> str:
    """The word a Korean particle attaches to: ``word`` without a trailing parenthetical
    (``정보통신산업(16.4억 달러)`` -> ``정보통신산업``) or closing punctuation."""
    w = word.rstrip()
    while w.endswith((")", "）")):
        depth, cut = 0, -1
        for i in range(len(w) - 1, -1, -1):
            if w[i] in ")）":
                depth += 1
            elif w[i] in "(（":
                depth -= 1
                if depth == 0:
                    cut = i
                    break
        if cut <= 0:
            break
        w = w[:cut].rstrip()
    return w.rstrip("]’'\"")


def has_batchim(word: str) -> bool:
    """Whether a Korean word ends in a final consonant (for choosing particles: 은/는, 이/가, 을/를, 과/와)."""
    w = trailing_word(word)
    if not w:
        return False
    ch = w[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28 != 0
    if ch.isdigit():
        return ch in "013678"
    if ch == "%":
        return False  # read as 퍼센트
    if ch.isalpha() and ch.isascii():
        return ch.lower() in "lmnr"  # read as 엘, 엠, 엔, 알
    return False


def josa(word: str, pair: str) -> str:
    """``word`` with the particle of ``pair`` (``은/는``, ``이/가``, ``을/를``, ``과/와``,
    ``으로/로``, ``이었다/였다``) that fits it."""
    with_b, without = pair.split("/")
    last = trailing_word(word)[-1:]
    if pair == "으로/로" and last and ("가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 == 8 or last in "178"):
        return word + "로"  # a final ㄹ (also 일, 칠, 팔) takes 로
    return word + (with_b if has_batchim(word) else without)


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if "/" in format_spec:
            return josa(str(value), format_spec)
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


@cache
def _catalogue(lang: str) -> dict[str, Any]:
    if lang not in LANGS:
        raise ValueError(f"no terms for language {lang!r}; known: {', '.join(LANGS)}")
    return tomllib.loads((_DIR / f"{lang}.toml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Terms:
    lang: str
    programme: str | None = None

    def get(self, section: str, key: str) -> str:
        cat = _catalogue(self.lang)
        if self.programme:
            own = cat.get("programme", {}).get(self.programme, {}).get(section, {})
            if key in own:
                return str(own[key])
        try:
            return str(cat[section][key])
        except KeyError:
            raise KeyError(f"terms/{self.lang}.toml has no [{section}] {key}") from None

    def section(self, section: str) -> dict[str, str]:
        """Every term of a section (programme overrides applied)."""
        cat = _catalogue(self.lang)
        out = {k: str(v) for k, v in cat.get(section, {}).items()}
        if self.programme:
            own = cat.get("programme", {}).get(self.programme, {}).get(section, {})
            out.update({k: str(v) for k, v in own.items()})
        return out

    def fill(self, section: str, key: str, **values: object) -> str:
        return _FORMATTER.format(self.get(section, key), **values)

    def _period(self, section: str, label: str) -> str:
        p = parse(label)
        key = p.freq if p.freq != "H" else f"H{p.sub}"
        return self.fill(section, key, year=p.year, q=p.sub)

    def period(self, label: str) -> str:
        return self._period("period", label)

    def period_short(self, label: str) -> str:
        return self._period("period_short", label)

    def basis(self, name: str, freq: str) -> str:
        return self.get("basis", f"{name}_{freq}")

    def join(self, parts: list[str]) -> str:
        """``a, b and c`` (English) or ``a, b, c`` (Korean)."""
        if len(parts) <= 1:
            return "".join(parts)
        return self.get("sentence", "list_sep").join(parts[:-1]) + self.get("sentence", "and") + parts[-1]


def noun(dom: object, breakdown: str, lang: str) -> str:
    """What a breakdown's items are called in running text ("industry", 산업): the catalogue's
    [noun] (with the programme's own), else the domain's ``[release] nouns``, else its name."""
    t = Terms(lang, getattr(dom, "id", None))
    try:
        return t.get("noun", breakdown)
    except KeyError:
        nouns = getattr(getattr(dom, "release", None), "nouns", {})
        pair = nouns.get(breakdown)
        return (pair[1] if lang == "ko" else pair[0]) if pair else breakdown


def terms(lang: str, programme: str | None = None) -> Terms:
    """The terms of ``lang`` (``en``, ``ko``), with the words of ``programme`` when given."""
    _catalogue(lang)
    return Terms(lang, programme)
