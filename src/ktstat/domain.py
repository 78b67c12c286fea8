"""Domain definitions: a programme declared as data.

A domain is a folder holding ``domain.toml`` and its code lists (CSV: ``code, parent,
label_en, label_ko``). Built-in domains live in ``ktstat/domains/``; more are found in the
folders listed in the ``KTSTAT_DOMAINS`` environment variable (``os.pathsep``-separated).
A code-list reference ``shared:NAME.csv`` points to ``ktstat/codelists/``. Adding a programme
means adding such a folder; no code changes.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from ktstat.errors import DomainError
from ktstat.periods import Period, complete_periods, parse

PACKAGE_DIR = Path(__file__).resolve().parent
BUILTIN_DOMAINS = PACKAGE_DIR / "domains"
SHARED_CODELISTS = PACKAGE_DIR / "codelists"
SOURCES = ("item", "partner", "reporter")


@dataclass(frozen=True)
class Code:
    code: str
    parent: str
    label_en: str
    label_ko: str


@dataclass(frozen=True)
class CodeList:
    """A versioned, possibly hierarchical code list. ``version`` is a content hash."""

    name: str
    codes: tuple[Code, ...]
    version: str

    @cached_property
    def by_code(self) -> dict[str, Code]:
        """The codes by code (made once; do not modify)."""
        return {c.code: c for c in self.codes}

    def depth(self, code: str) -> int:
        """1 for a root code, 2 for its children, and so on."""
        by = self.by_code
        d, c = 1, by[code]
        while c.parent:
            d += 1
            c = by[c.parent]
        return d

    def ancestor(self, code: str, level: int) -> str | None:
        """The ancestor of ``code`` at depth ``level`` (the code itself at its own depth)."""
        by = self.by_code
        chain = [code]
        while by[chain[-1]].parent:
            chain.append(by[chain[-1]].parent)
        chain.reverse()
        return chain[level - 1] if level <= len(chain) else None

    def leaves(self) -> list[str]:
        parents = {c.parent for c in self.codes}
        return [c.code for c in self.codes if c.code not in parents]

    def label(self, code: str, lang: str = "en") -> str:
        c = self.by_code.get(code)
        if c is None:
            return code
        return c.label_ko if lang == "ko" else c.label_en


@dataclass(frozen=True)
class Breakdown:
    """How a breakdown classifies the reporter cells.

    ``source``: ``item`` or ``partner`` (the record's code, taken at hierarchy depth
    ``level`` of ``codelist``) or ``reporter`` (the reporter's industry, size class and
    platform flag, matched against ``rules``; ``match`` ``first`` gives one code per
    reporter, ``all`` every matching code, rolled up to its ancestors).
    ``partition``: whether the items add up to the total.
    """

    name: str
    source: str
    codelist: CodeList
    level: int = 0
    rules: tuple[dict[str, str], ...] = ()
    match: str = "first"
    partition: bool = True


@dataclass(frozen=True)
class Disclosure:
    """The ``[disclosure]`` settings: the primary rules, the protection interval (percent of a
    cell's value, either side), and two protections of the secondary pattern: ``across_vintages``
    (every released vintage of the domain is known to the reader) and ``insider`` (the largest
    reporter of each primary cell, who knows its own figures, is an attacker too, to be kept
    ``insider_p_percent`` of the largest other contribution away; default: ``p_percent``), both on
    by default as tau-ARGUS applies its singleton protection by default."""

    min_reporters: int = 3
    dominance_n: int = 2
    dominance_k: float = 85.0
    p_percent: float = 10.0
    protection_percent: float = 10.0
    across_vintages: bool = True
    insider: bool = True
    insider_p_percent: float | None = None

    @property
    def insider_fraction(self) -> float | None:
        """The insider protection as a fraction, or None when the insider attack is off."""
        if not self.insider:
            return None
        return (self.p_percent if self.insider_p_percent is None else self.insider_p_percent) / 100


@dataclass(frozen=True)
class CalendarRule:
    """A recurring release: periods ending in ``period_suffix`` (``A`` for years, ``H1``, ``H2``)
    are released with ``status`` on ``month``/``day`` at ``time``, ``years_after`` the period's year."""

    period: str
    status: str
    month: int
    day: int
    years_after: int
    time: str = "12:00"


@dataclass(frozen=True)
class ReleaseSpec:
    """What a release publishes: the standard tables (breakdowns, in order), how many items the
    partner-like tables keep (largest by volume), how many periods the summary table shows, the
    release calendar and its time zone."""

    tables: tuple[str, ...] = ("total",)
    top_n: int = 10
    summary_periods: int = 5
    timezone: str = "Asia/Seoul"
    calendar: tuple[CalendarRule, ...] = ()
    short_en: str = "trade"  # what the programme measures, in running text
    short_ko: str = "무역"
    nouns: dict[str, tuple[str, str]] = field(default_factory=dict)  # breakdown -> (English, Korean) noun
    # what the release compares with, in order: "previous" (the previous period of the same
    # frequency) and/or "yoy" (the same period a year earlier); the first leads the headline
    comparisons: tuple[str, ...] = ("previous",)
    # what the release says about itself, by language (``about.toml``): agency, compiler,
    # contact, coverage, methodology (list), revision_policy, definitions (list of [term, text])
    about: dict[str, dict[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Domain:
    id: str
    version: str
    label_en: str
    label_ko: str
    base_frequency: str
    frequencies: tuple[str, ...]
    first_period: Period
    last_period: Period
    provisional_latest: int
    release_frequency: str
    item_codelist: CodeList
    partner_codelist: CodeList
    breakdowns: dict[str, Breakdown]
    crosses: tuple[tuple[str, ...], ...]
    disclosure: Disclosure
    path: Path
    codelists: dict[str, CodeList] = field(default_factory=dict)
    release: ReleaseSpec = field(default_factory=ReleaseSpec)
    cross_frequencies: tuple[str, ...] = ()  # frequencies the crosses are compiled at (empty: all)

    def breakdown_names(self) -> list[str]:
        """``total``, every breakdown, then every cross (``a+b``), in declared order."""
        return ["total", *self.breakdowns, *("+".join(c) for c in self.crosses)]

    def breakdowns_at(self, freq: str) -> list[str]:
        """The breakdown names compiled and published at a frequency: all of them, except the
        crosses at a frequency ``[crosses] frequencies`` leaves out."""
        if not self.cross_frequencies or freq in self.cross_frequencies:
            return self.breakdown_names()
        return ["total", *self.breakdowns]

    def periods(self, freq: str) -> list[Period]:
        """The complete periods of ``freq`` the domain covers."""
        return complete_periods(self.first_period, self.last_period, freq)

    def provisional_periods(self) -> set[str]:
        """Labels of provisional periods: the latest ``provisional_latest`` periods of the
        release frequency, with every period they contain and every period containing them."""
        if self.provisional_latest <= 0:
            return set()
        rel = self.periods(self.release_frequency)[-self.provisional_latest :]
        out: set[str] = set()
        for p in rel:
            out.add(str(p))
            for f in ("A", "H", "Q"):
                if f == p.freq:
                    continue
                try:
                    out.add(str(p.to(f)))
                except ValueError:
                    out.update(str(s) for s in p.subperiods(f))
        return out


def _read_codelist(path: Path, name: str) -> CodeList:
    if not path.exists():
        raise DomainError(f"code list {name} not found at {path}")
    raw = path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    need = {"code", "parent", "label_en", "label_ko"}
    if not rows or not need <= set(rows[0]):
        raise DomainError(f"code list {path} needs the columns {', '.join(sorted(need))}")
    codes = tuple(Code(r["code"].strip(), (r["parent"] or "").strip(), r["label_en"], r["label_ko"]) for r in rows)
    seen = {c.code for c in codes}
    for c in codes:
        if c.parent and c.parent not in seen:
            raise DomainError(f"code list {path}: parent {c.parent!r} of {c.code!r} is not a code")
    version = hashlib.sha256(raw).hexdigest()[:12]
    return CodeList(name, codes, version)


COMPARISONS = ("previous", "yoy")
ABOUT_KEYS = ("agency", "compiler", "contact", "coverage", "methodology", "revision_policy", "definitions")


def _about(path: Path) -> dict[str, dict[str, object]]:
    file = path / "about.toml"
    if not file.exists():
        return {}
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    for lang, entries in data.items():
        missing = [k for k in ABOUT_KEYS if k not in entries]
        if missing:
            raise DomainError(f"{file}: [{lang}] lacks {', '.join(missing)}")
    return data


def _release_spec(r: dict[str, object], path: Path) -> ReleaseSpec:
    rules = r.get("calendar", [])
    assert isinstance(rules, list)
    try:
        cal = tuple(CalendarRule(**c) for c in rules)
    except TypeError as e:
        raise DomainError(f"{path}/domain.toml: [[release.calendar]]: {e}") from None
    for c in cal:
        if c.status not in ("provisional", "final"):
            raise DomainError(f"{path}/domain.toml: release calendar status must be provisional or final")
    tables = r.get("tables", ["total"])
    assert isinstance(tables, list)
    nouns_raw = r.get("nouns", {})
    assert isinstance(nouns_raw, dict)
    nouns = {str(k): (str(v[0]), str(v[1])) for k, v in nouns_raw.items()}
    cmp_raw = r.get("comparisons", ["previous"])
    assert isinstance(cmp_raw, list)
    comparisons = tuple(str(c) for c in cmp_raw)
    if not comparisons or any(c not in COMPARISONS for c in comparisons):
        raise DomainError(f"{path}/domain.toml: [release] comparisons must be among {', '.join(COMPARISONS)}")
    return ReleaseSpec(
        tables=tuple(str(t) for t in tables),
        top_n=int(str(r.get("top_n", 10))),
        summary_periods=int(str(r.get("summary_periods", 5))),
        timezone=str(r.get("timezone", "Asia/Seoul")),
        calendar=cal,
        short_en=str(r.get("short_en", "trade")),
        short_ko=str(r.get("short_ko", "무역")),
        nouns=nouns,
        comparisons=comparisons,
        about=_about(path),
    )


def _read_rules(path: Path) -> tuple[dict[str, str], ...]:
    if not path.exists():
        raise DomainError(f"rules file not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [dict(r) for r in csv.DictReader(f)]
    allowed = {"industry", "size_class", "platform", "code"}
    if not rows or "code" not in rows[0] or not set(rows[0]) <= allowed:
        raise DomainError(f"rules file {path}: columns must be among {sorted(allowed)}")
    return tuple(rows)


def domain_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("KTSTAT_DOMAINS", "").split(os.pathsep) if p]
    dirs = [d for base in [BUILTIN_DOMAINS, *extra] if base.is_dir() for d in base.iterdir()]
    return sorted(d for d in dirs if (d / "domain.toml").exists())


def available() -> list[str]:
    return [d.name for d in domain_dirs()]


@cache
def load(domain_id: str) -> Domain:
    """Load a domain by id; raises DomainError naming the known ids when it does not exist."""
    for d in domain_dirs():
        if d.name == domain_id:
            return _load_dir(d)
    raise DomainError(f"unknown domain {domain_id!r}; known domains: {', '.join(available())}")


NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _load_dir(path: Path) -> Domain:
    spec = tomllib.loads((path / "domain.toml").read_text(encoding="utf-8"))
    if spec.get("id") != path.name or not NAME.match(path.name):
        raise DomainError(f"{path}/domain.toml: id must equal the folder name and use a-z, 0-9 and _ only")
    bad = [b for b in spec.get("breakdowns", {}) if not NAME.match(b)]
    if bad:
        raise DomainError(f"{path}/domain.toml: breakdown names use a-z, 0-9 and _ only ({', '.join(bad)})")
    lists: dict[str, CodeList] = {}

    def codelist(ref: str) -> CodeList:
        if ref not in lists:
            file = SHARED_CODELISTS / ref[7:] if ref.startswith("shared:") else path / ref
            lists[ref] = _read_codelist(file, ref)
        return lists[ref]

    try:
        breakdowns = {}
        for name, b in spec["breakdowns"].items():
            if b["source"] not in SOURCES:
                raise DomainError(f"{path}/domain.toml: breakdown {name}: source must be one of {SOURCES}")
            breakdowns[name] = Breakdown(
                name=name,
                source=b["source"],
                codelist=codelist(b["codelist"]),
                level=int(b.get("level", 0)),
                rules=_read_rules(path / b["rules"]) if "rules" in b else (),
                match=b.get("match", "first"),
                partition=bool(b.get("partition", True)),
            )
        crosses = tuple(tuple(c) for c in spec.get("crosses", {}).get("list", []))
        for c in crosses:
            for part in c:
                if part not in breakdowns:
                    raise DomainError(f"{path}/domain.toml: cross {'+'.join(c)} names unknown breakdown {part}")
        cross_freqs = tuple(spec.get("crosses", {}).get("frequencies", ()))
        for f in cross_freqs:
            if f not in spec["frequencies"]:
                raise DomainError(
                    f"{path}/domain.toml: [crosses] frequencies names {f!r}, not a published frequency "
                    f"({', '.join(spec['frequencies'])})"
                )
        dom = Domain(
            id=spec["id"],
            version=str(spec["version"]),
            label_en=spec["label_en"],
            label_ko=spec["label_ko"],
            base_frequency=spec["base_frequency"],
            frequencies=tuple(spec["frequencies"]),
            first_period=parse(spec["first_period"]),
            last_period=parse(spec["last_period"]),
            provisional_latest=int(spec.get("provisional_latest", 0)),
            release_frequency=spec.get("release_frequency", spec["frequencies"][-1]),
            item_codelist=codelist(spec["records"]["item_codelist"]),
            partner_codelist=codelist(spec["records"]["partner_codelist"]),
            breakdowns=breakdowns,
            crosses=crosses,
            disclosure=Disclosure(**spec.get("disclosure", {})),
            path=path,
            codelists=lists,
            release=_release_spec(spec.get("release", {}), path),
            cross_frequencies=cross_freqs,
        )
    except KeyError as e:
        raise DomainError(f"{path}/domain.toml lacks the setting {e.args[0]!r}") from None
    if dom.first_period.freq != dom.base_frequency:
        raise DomainError(f"{path}/domain.toml: first_period must be of the base frequency")
    return dom
