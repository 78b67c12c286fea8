"""What a release compares with: the domain's ``[release] comparisons``, in order.

``previous`` is the previous period of the same frequency (measures ``<m>_change``,
``<m>_growth``, ``<m>_contribution``); ``yoy`` the same period a year earlier (the same measures
with ``_yoy``). For annual data both are the previous year, and ``yoy`` adds nothing. The first
basis leads: the headline, the text and the first comparison columns of the tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from ktstat.domain import Domain
from ktstat.periods import PER_YEAR, parse


@dataclass(frozen=True)
class Basis:
    name: str  # previous | yoy
    period: str  # the period compared with
    suffix: str  # measure suffix: "" or "_yoy"

    def measure(self, base: str) -> str:
        """``exports_growth`` -> ``exports_growth_yoy`` on the year-on-year basis."""
        return base + self.suffix


def bases(dom: Domain, period: str) -> list[Basis]:
    """The comparison bases of ``period``'s release, leading one first (see module doc)."""
    p = parse(period)
    out: list[Basis] = []
    for name in dom.release.comparisons:
        if name == "previous":
            out.append(Basis(name, str(p.shift(-1)), ""))
        elif p.freq != "A":
            out.append(Basis(name, str(p.shift(-PER_YEAR[p.freq])), "_yoy"))
    if not out:  # a domain comparing only year on year, released annually
        out.append(Basis("previous", str(p.shift(-1)), ""))
    return out
