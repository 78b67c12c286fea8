"""The release calendar: when each period of a domain is due, from the domain's
``[[release.calendar]]`` rules, and what the store has released of it.

Times are in the domain's ``[release] timezone`` (e.g. ``Asia/Seoul``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ktstat.domain import Domain
from ktstat.release.vintage import Vintage


@dataclass(frozen=True)
class Due:
    domain: str
    period: str
    status: str  # provisional or final
    release_at: datetime
    vintage: str | None  # the vintage that released it, if any
    state: str  # released, overdue, upcoming


def scheduled(dom: Domain, first_year: int, last_year: int) -> list[tuple[str, str, datetime]]:
    """Every ``(period, status, release time)`` the rules give for periods of ``first_year`` to
    ``last_year`` (by the period's year), in time order."""
    tz = ZoneInfo(dom.release.timezone)
    out = []
    for year in range(first_year, last_year + 1):
        for r in dom.release.calendar:
            period = str(year) if r.period == "A" else f"{year}{r.period}"
            hh, mm = (int(x) for x in r.time.split(":"))
            out.append((period, r.status, datetime(year + r.years_after, r.month, r.day, hh, mm, tzinfo=tz)))
    return sorted(out, key=lambda x: (x[2], x[0]))


def calendar(
    dom: Domain, vintages: list[Vintage], now: datetime, back_days: int = 400, ahead_days: int = 400
) -> list[Due]:
    """Releases due from ``back_days`` before ``now`` to ``ahead_days`` after it, each marked
    released (with its vintage), overdue (the date passed without a vintage of that status),
    or upcoming."""
    lo, hi = now - timedelta(days=back_days), now + timedelta(days=ahead_days)
    out = []
    for period, status, at in scheduled(dom, lo.year - 3, hi.year):
        if not lo <= at <= hi:
            continue
        done = [v for v in vintages if v.period == period and v.status == status]
        if done:
            out.append(Due(dom.id, period, status, at, done[0].vintage_id, "released"))
        else:
            out.append(Due(dom.id, period, status, at, None, "overdue" if at <= now else "upcoming"))
    return out


def release_time(dom: Domain, period: str, status: str) -> datetime | None:
    """The calendar's release time of a period and status (None if no rule covers it)."""
    try:
        year = int(period[:4])
    except ValueError:
        return None
    for p, s, at in scheduled(dom, year, year):
        if p == period and s == status:
            return at
    return None
