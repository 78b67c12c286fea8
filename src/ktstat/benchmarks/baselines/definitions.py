"""A programme's definition folder read with the standard library, as an analyst's script
would: its base frequency, published frequencies, range of periods and single breakdowns,
and the small lookup tables the scripts join to their data (leaf code -> breakdown code,
reporter profile -> breakdown codes). No ktstat code is used, so the baselines stay what a
user would write; the meaning follows ``domain.toml`` (see ktstat's README.md): a code-list
breakdown takes a record's code at depth ``level`` (0: the code itself); a reporter breakdown
gives a profile (industry, size class, platform flag) the code of the first rule it matches,
or with ``match = "all"`` the codes of every rule it matches and their ancestors; ``*`` in a
rule matches anything, an empty pattern too.
"""

from __future__ import annotations

import csv
import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PER_YEAR = {"A": 1, "H": 2, "Q": 4}
SHARED = Path(__file__).resolve().parents[2] / "codelists"  # ktstat's shared code lists (data files)


@dataclass(frozen=True)
class Breakdown:
    name: str
    source: str  # item, partner or reporter
    codelist: dict[str, str]  # code -> parent ('' for a root)
    level: int = 0
    rules: list[dict[str, str]] = field(default_factory=list)
    match: str = "first"


@dataclass(frozen=True)
class Definition:
    """A programme: ``first`` and ``last`` are (year, sub-period) of the base frequency."""

    base: str
    frequencies: list[str]
    first: tuple[int, int]
    last: tuple[int, int]
    breakdowns: list[Breakdown]


def _codelist(folder: Path, ref: str) -> dict[str, str]:
    path = SHARED / ref[7:] if ref.startswith("shared:") else folder / ref
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["code"].strip(): (r["parent"] or "").strip() for r in csv.DictReader(f)}


def _period(label: str) -> tuple[int, int]:
    return (int(label[:4]), int(label[5:]) if len(label) > 4 else 1)


def load(folder: Path) -> Definition:
    """Read ``folder/domain.toml`` and the files it names."""
    spec: dict[str, Any] = tomllib.loads((folder / "domain.toml").read_text(encoding="utf-8"))
    bds = []
    for name, b in spec["breakdowns"].items():
        rules: list[dict[str, str]] = []
        if "rules" in b:
            with (folder / b["rules"]).open(encoding="utf-8-sig", newline="") as f:
                rules = list(csv.DictReader(f))
        bds.append(
            Breakdown(
                name,
                b["source"],
                _codelist(folder, b["codelist"]),
                int(b.get("level", 0)),
                rules,
                b.get("match", "first"),
            )
        )
    return Definition(
        spec["base_frequency"],
        list(spec["frequencies"]),
        _period(spec["first_period"]),
        _period(spec["last_period"]),
        bds,
    )


def _chain(codelist: dict[str, str], code: str) -> list[str]:
    """``code`` and its ancestors, root first."""
    out = [code]
    while codelist.get(out[-1]):
        out.append(codelist[out[-1]])
    return out[::-1]


def leaf_codes(b: Breakdown) -> dict[str, str]:
    """Leaf code -> the breakdown's code (leaves deeper than nothing at ``level`` are left out)."""
    parents = set(b.codelist.values())
    out = {}
    for code in b.codelist:
        if code in parents:
            continue
        chain = _chain(b.codelist, code)
        if b.level == 0:
            out[code] = code
        elif b.level <= len(chain):
            out[code] = chain[b.level - 1]
    return out


def reporter_codes(b: Breakdown, profiles: list[tuple[str, str, bool]]) -> list[tuple[str, str, bool, str]]:
    """(industry, size class, platform, code) for each profile and each of its codes."""
    out = []
    for industry, size, plat in profiles:
        values = {"industry": industry or "", "size_class": size or "", "platform": "true" if plat else "false"}
        hits = [
            r["code"]
            for r in b.rules
            if all(fnmatch.fnmatchcase(values[k], (r.get(k) or "*").strip() or "*") for k in values)
        ]
        if not hits:
            continue
        codes = {hits[0]} if b.match == "first" else {a for h in hits for a in _chain(b.codelist, h)}
        out += [(industry, size, plat, c) for c in sorted(codes)]
    return out


def complete_periods(d: Definition, freq: str, present: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Base period (year, sub) -> label of its period of ``freq``, for the periods of ``freq``
    all of whose base periods have data and lie within the programme's range."""
    k = PER_YEAR[d.base] // PER_YEAR[freq]
    out = {}
    for year in range(d.first[0], d.last[0] + 1):
        for sub in range(1, PER_YEAR[freq] + 1):
            subs = [(year, (sub - 1) * k + i) for i in range(1, k + 1)]
            if all(s in present and d.first <= s <= d.last for s in subs):
                label = str(year) if freq == "A" else f"{year}{freq}{sub}"
                out.update(dict.fromkeys(subs, label))
    return out


def period_index(label: str) -> int:
    """Consecutive integers for consecutive periods of one frequency."""
    year, sub = _period(label)
    freq = label[4] if len(label) > 4 else "A"
    return year * PER_YEAR[freq] + sub - 1
