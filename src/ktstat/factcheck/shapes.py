"""Sentence shapes: the fixed ways a statistics sentence places its numbers, read as data.

A shape is a regular expression from the ``[factcheck_shape]`` section of ``terms/<lang>.toml``
that is matched against a sentence in which every claim (:func:`ktstat.factcheck.core.extract`)
has been replaced by a token ``⟦k⟧``. Besides plain regular-expression syntax a shape writes:

- ``«item»``, ``«item2»``: an item of the domain's vocabulary (an optional "the " before it, an
  optional code in parentheses after it, "(SH)");
- ``«base»`` (``«base2»``, ...): a period of comparison, written as the ``[period]`` terms write
  periods ("the first half of 2024", "2023년");
- ``«flow»``, ``«flow2»``: a few words naming a flow ("technology imports", 기술도입);
- ``«n:ROLE»``: a claim, read as ``ROLE``; ``«n:-»``: a claim that is only part of another
  ("the largest on record": the record is the claim, not the rank).

``ROLE`` is ``WHO.MEASURE`` with optional marks after it:

- ``WHO``: ``item``, ``item2`` (the items of the match), ``cross`` (the two together, a cell of a
  cross breakdown), ``total``, ``subj`` (whatever the sentence's subject is, as the general
  reading finds it);
- ``MEASURE``: a measure name, in which ``flow`` (``flow2``) stands for the flow ``«flow»``
  (``«flow2»``) names, or the sentence's flow when the shape has no such group
  (``flow_growth``, ``volume_share``, ``balance_rank``);
- ``<`` or ``>``: a balance's sign (or a rank's: largest surplus or deficit) from the nearest
  surplus or deficit word before (after) the claim in the sentence;
- ``@base``: the claim's period is the comparison period nearest after it in the match (else
  nearest before it); without it, the sentence's own period.

Shapes are tried in the order written; a claim keeps the first role it gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ktstat.terms import terms

TOKEN = re.compile(r"⟦(\d+)⟧")


@dataclass(frozen=True)
class Role:
    """How one claim of a matched shape is read: ``who`` (see the module docstring), ``measure``
    with ``flow``/``flow2`` already replaced when the shape names them, ``sign`` (``<``, ``>`` or
    empty), ``base``: the comparison period's text when the role says ``@base``; ``items``,
    ``items2``: the texts of ``«item»`` and ``«item2»``; ``skip``: not a claim of its own."""

    who: str
    measure: str
    sign: str
    base: str | None
    items: str | None
    items2: str | None
    flows: tuple[str | None, str | None]
    skip: bool = False
    bases: tuple[str, ...] = ()


def _period_pattern(lang: str) -> str:
    """A regular expression for a period as the ``[period]`` terms of ``lang`` write one."""
    alts = []
    for key in ("H1", "H2", "Q", "A"):
        t = terms(lang).get("period", key)
        rx = re.escape(t).replace(r"\{year\}", r"20\d\d").replace(r"\{q\}", "[1-4]")
        alts.append(rx)
    return "(?:" + "|".join(alts) + r")(?!\d)"


@cache
def _item_pattern(domain: str) -> str:
    from ktstat.factcheck.core import vocabulary

    names = sorted({p.phrase for p in vocabulary(domain) if len(p.phrase) >= 2}, key=lambda s: -len(s))
    return r"(?:[Tt]he\s+)?(?:" + "|".join(re.escape(n) for n in names) + r")(?:\s?\([A-Z]{1,3}\))?"


def _compile(raw: str, period: str, item: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """A shape's pattern compiled, and the role of each of its number groups by group name."""
    roles: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        word = m.group(1)
        if word.startswith("n:"):
            g = f"n{len(roles) + 1}"
            roles[g] = word[2:]
            return rf"⟦(?P<{g}>\d+)⟧"
        if word in ("item", "item2"):
            return f"(?P<{word}>{item})"
        if word.startswith("base"):
            return f"(?P<{word}>{period})"
        if word in ("flow", "flow2"):
            return rf"(?P<{word}>[^\s,;()⟦⟧]+(?:\s[^\s,;()⟦⟧]+){{0,2}}?)"
        return m.group(0)

    rx = re.sub(r"«([a-z0-9]+(?::[^«»]*)?)»", repl, raw)
    return re.compile(rx, re.I), roles


@cache
def shapes(domain: str, lang: str) -> tuple[tuple[str, re.Pattern[str], dict[str, str]], ...]:
    """The compiled shapes of ``lang`` for ``domain``: ``(name, pattern, roles)``, ``roles``
    mapping each number group's name to its role text."""
    period, item = _period_pattern(lang), _item_pattern(domain)
    return tuple((name, *_compile(raw, period, item)) for name, raw in terms(lang).section("factcheck_shape").items())


def read_shapes(masked: str, domain: str, lang: str) -> dict[int, Role]:
    """The roles the shapes of ``lang`` give the claim tokens of ``masked`` (a sentence whose
    claims are ``⟦k⟧``), by claim index ``k``."""
    got: dict[int, Role] = {}
    for _name, rx, roles in shapes(domain, lang):
        for m in rx.finditer(masked):
            groups = m.groupdict()
            bases = sorted(
                ((m.start(g), m.group(g)) for g in groups if g.startswith("base") and m.group(g)),
                key=lambda x: x[0],
            )
            for g, role in roles.items():
                k = int(m.group(g))
                if k in got:
                    continue
                if role == "-":
                    got[k] = Role("", "", "", None, None, None, (None, None), skip=True)
                    continue
                base = None
                spec = role
                if spec.endswith("@base"):
                    spec = spec[: -len("@base")]
                    pos = m.start(g)
                    after = [t for s, t in bases if s > pos]
                    before = [t for s, t in bases if s < pos]
                    base = after[0] if after else (before[-1] if before else None)
                sign = spec[-1] if spec[-1] in "<>" else ""
                spec = spec.rstrip("<>")
                who, _, measure = spec.partition(".")
                got[k] = Role(
                    who,
                    measure,
                    sign,
                    base,
                    groups.get("item"),
                    groups.get("item2"),
                    (groups.get("flow"), groups.get("flow2")),
                    bases=tuple(t for _, t in bases),
                )
    return got


def mask(sentence: str, spans: list[tuple[int, int, int]]) -> str:
    """``sentence`` with each claim span ``(start, end, k)`` (offsets in the sentence) replaced
    by ``⟦k⟧``."""
    out, pos = [], 0
    for a, b, k in sorted(spans):
        out.append(sentence[pos:a])
        out.append(f"⟦{k}⟧")
        pos = b
    out.append(sentence[pos:])
    return "".join(out)
