"""SDMX REST data queries: the dataflow reference, the key, the time range, and the selection.

Conventions (SDMX REST 2.1 / SDMX-REST 1.5):

- dataflow: ``KST``, ``KTSTAT,KST`` or ``KTSTAT,KST,1.0`` (agency ``KTSTAT``, ``all`` or ``*``;
  version ``1.0``, ``latest``, ``all`` or ``*``).
- key: ``FREQ.BREAKDOWN.ITEM.MEASURE``; an empty position (or ``*``) takes every code, ``+``
  joins several codes (``S.CATEGORY..exports+imports``); ``all`` (or no key) is everything.
  Codes are the SDMX codes of :mod:`ktstat.publish.sdmx`; a code given in another case is
  accepted when only one code matches it so (``EXPORTS`` for ``exports``).
- ``startPeriod`` / ``endPeriod``: ``2024``, ``2024-S1``, ``2024-Q3``, ``2024-A1``, also ktstat's
  ``2024H1`` / ``2024Q3``, a month ``2024-07`` or a day ``2024-07-01``. An observation is
  returned when its whole period lies within the range (SDMX: "data reported as periods that
  fall between the specified periods"): ``startPeriod=2024`` gives 2024 and its half-years;
  ``startPeriod=2024-S2`` leaves the year 2024 out.
- ``firstNObservations`` / ``lastNObservations``: at most so many observations per series,
  counted from the start / end of the range.

Errors are :class:`ApiError` with the SDMX status code: 140 syntax error (HTTP 400), 150
semantic error (HTTP 400), 100 no results (HTTP 404), 510 response too large (HTTP 413),
1406 format not acceptable (HTTP 406), 1405 method not allowed (HTTP 405).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date

from ktstat.api.index import AGENCY, KEY_DIMENSIONS, VERSION, DomainInfo, PeriodInfo, Series, View, VintageData
from ktstat.publish.sdmx import ID_PATTERN

TITLES = {
    100: "No results found",
    130: "Response too large due to client request",
    140: "Syntax error",
    150: "Semantic error",
    500: "Internal server error",
    501: "Not implemented",
    510: "Response size exceeds service limit",
    1405: "Method not allowed",
    1406: "Not acceptable",
}


class ApiError(Exception):
    """A request the API answers with an SDMX error: HTTP ``status``, SDMX ``code``, ``detail``."""

    def __init__(self, status: int, code: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = TITLES.get(code, "Error")
        self.detail = detail


def syntax(detail: str) -> ApiError:
    return ApiError(400, 140, detail)


def semantic(detail: str) -> ApiError:
    return ApiError(400, 150, detail)


def not_found(detail: str) -> ApiError:
    return ApiError(404, 100, detail)


# Dataflow and vintage ------------------------------------------------------------------------------

ANY_AGENCY = {AGENCY, "all", "ALL", "*"}
ANY_VERSION = {VERSION, "latest", "LATEST", "all", "ALL", "*", "+", "~"}
_REF = re.compile(r"^[A-Za-z0-9_@$\-.*+~]+$")


def resolve_flow(view: View, flow: str) -> str:
    """The domain id of a dataflow reference (``KST``, ``KTSTAT,KST``, ``KTSTAT,KST,1.0``)
    among the dataflows with a released vintage; ``ApiError`` otherwise."""
    parts = flow.split(",")
    if len(parts) > 3 or not all(_REF.match(p) for p in parts):
        raise syntax(f"dataflow {flow!r}: expected FLOW, AGENCY,FLOW or AGENCY,FLOW,VERSION")
    agency, fid, version = (
        ["all", *parts, "latest"] if len(parts) == 1 else [*parts, "latest"] if len(parts) == 2 else parts
    )
    known = ", ".join(view.flows) or "none yet"
    if agency not in ANY_AGENCY:
        raise not_found(f"no agency {agency!r}: the dataflows are maintained by {AGENCY}")
    if fid not in view.flows:
        raise not_found(f"no dataflow {fid!r}; dataflows: {known}")
    if version not in ANY_VERSION:
        raise not_found(f"dataflow {fid} has version {VERSION} only, not {version!r}")
    return view.flows[fid]


def resolve_vintage(view: View, domain: str, vintage: str | None) -> VintageData:
    """The asked released vintage of ``domain``, or its latest; ``ApiError`` (404) for a vintage
    id that is unknown, embargoed or of another domain."""
    if vintage is None or vintage == "":
        return view.default[domain]
    vd = view.released.get(vintage)
    if vd is None or vd.vintage.domain != domain:
        ids = ", ".join(v.id for v in view.by_domain.get(domain, []))
        raise not_found(f"no released vintage {vintage!r} of {domain.upper()}; released: {ids or 'none'}")
    return vd


# Key ---------------------------------------------------------------------------------------------------

Key = dict[str, tuple[str, ...] | None]
"""Per key dimension: the codes asked (canonical, in code-list order), ``None`` for every code."""


def parse_key(info: DomainInfo, key: str | None) -> Key:
    """Parse a key (see module doc) against the domain's code lists."""
    if key is None or key in ("", "all", "ALL", "*"):
        return dict.fromkeys(KEY_DIMENSIONS)
    parts = key.split(".")
    if len(parts) != len(KEY_DIMENSIONS):
        raise syntax(
            f"key {key!r} has {len(parts)} position{'s' * (len(parts) != 1)}; the key of {info.flow} has "
            f"{len(KEY_DIMENSIONS)}: {'.'.join(KEY_DIMENSIONS)} (an empty position takes every code)"
        )
    out: Key = {}
    for dim, part in zip(KEY_DIMENSIONS, parts, strict=True):
        if part in ("", "*"):
            out[dim] = None
            continue
        chosen: set[str] = set()
        for code in part.split("+"):
            if not ID_PATTERN.match(code):
                raise syntax(
                    f"key {key!r}: {dim} code {code!r} is not an SDMX id (A-Z, a-z, 0-9, _, @, $, -; codes joined by +)"
                )
            c = info.canonical(dim, code)
            if c is None:
                sample = ", ".join(info.codes[dim][:12]) + (", ..." if len(info.codes[dim]) > 12 else "")
                raise not_found(
                    f"{info.flow} has no {dim} code {code!r} (codes: {sample}; see "
                    f"/codelist/{AGENCY}/CL_{dim if dim == 'FREQ' else info.flow + '_' + dim})"
                )
            chosen.add(c)
        rank = info.rank[dim]
        out[dim] = tuple(sorted(chosen, key=rank.__getitem__))
    return out


# Time ----------------------------------------------------------------------------------------------------

_TIME = re.compile(
    r"^(?P<y>\d{4})(?:"
    r"(?P<a>-A1)"
    r"|-?(?P<h>[SH])(?P<hs>[12])"
    r"|-?Q(?P<q>[1-4])"
    r"|-M?(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?)?"
    r")?$"
)


def time_bounds(text: str, what: str) -> tuple[date, date]:
    """First and last day of a time given to ``startPeriod`` / ``endPeriod`` (see module doc)."""
    m = _TIME.match(text.strip())
    if not m:
        raise syntax(f"{what} {text!r} is not a time period (2024, 2024-S1, 2024H1, 2024-Q3, 2024-07, 2024-07-01)")
    y = int(m["y"])
    try:
        if m["h"]:
            first = (int(m["hs"]) - 1) * 6 + 1
            return date(y, first, 1), _month_end(y, first + 5)
        if m["q"]:
            first = (int(m["q"]) - 1) * 3 + 1
            return date(y, first, 1), _month_end(y, first + 2)
        if m["m"]:
            month = int(m["m"])
            if m["d"]:
                d = date(y, month, int(m["d"]))
                return d, d
            return date(y, month, 1), _month_end(y, month)
        return date(y, 1, 1), date(y, 12, 31)
    except ValueError:
        raise syntax(f"{what} {text!r} is not a calendar date") from None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def period_filter(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """The range of ``startPeriod`` and ``endPeriod`` (either may be absent)."""
    lo = time_bounds(start, "startPeriod")[0] if start else None
    hi = time_bounds(end, "endPeriod")[1] if end else None
    if lo and hi and lo > hi:
        raise semantic(f"startPeriod {start} is after endPeriod {end}")
    return lo, hi


def _start(p: PeriodInfo) -> date:
    return p.start


def _end(p: PeriodInfo) -> date:
    return p.end


# Selection ----------------------------------------------------------------------------------------------


@dataclass
class Selection:
    """The series a query matched with the positions of their observations chosen."""

    vintage: VintageData
    parts: list[tuple[Series, list[int]]]
    observations: int


def select(
    vd: VintageData,
    key: Key,
    start: date | None = None,
    end: date | None = None,
    first_n: int | None = None,
    last_n: int | None = None,
) -> Selection:
    """The observations of ``vd`` matching the key and the time range, series in release order."""
    info = vd.info
    freqs, bds, items, measures = (key[d] for d in KEY_DIMENSIONS)
    pairs = [(f, b) for f in (freqs or info.codes["FREQ"]) for b in (bds or info.codes["BREAKDOWN"])]
    candidates: list[Series] = []
    if items is not None and measures is not None and len(pairs) * len(items) * len(measures) <= 20_000:
        for f, b in pairs:
            for i in items:
                for m in measures:
                    s = vd.by_key.get((f, b, i, m))
                    if s is not None:
                        candidates.append(s)
    else:
        item_set = set(items) if items is not None else None
        measure_set = set(measures) if measures is not None else None
        for pair in pairs:
            candidates += [
                s
                for s in vd.by_freq_breakdown.get(pair, ())
                if (item_set is None or s.item in item_set) and (measure_set is None or s.measure in measure_set)
            ]
    if len(pairs) > 1 or items is not None:
        candidates.sort(key=lambda s: s.ordinal)
    parts: list[tuple[Series, list[int]]] = []
    total = 0
    bounds: dict[int, tuple[int, int]] = {}  # by id of the (shared) periods tuple
    for s in candidates:
        got = bounds.get(id(s.periods))
        if got is None:
            got = bounds[id(s.periods)] = (
                0 if start is None else bisect_left(s.periods, start, key=_start),
                len(s.periods) if end is None else bisect_right(s.periods, end, key=_end),
            )
        lo, hi = got
        if first_n is not None:
            hi = min(hi, lo + first_n)
        if last_n is not None:
            lo = max(lo, hi - last_n)
        if lo < hi:
            parts.append((s, list(range(lo, hi))))
            total += hi - lo
    return Selection(vd, parts, total)
