"""Where the released figures come from: a small interface, a hand-made table, and the store.

A :class:`Figures` answers ``value(domain, period, breakdown, item, measure)`` in the
indicators' units (US dollars for money, percent for growth and share, a plain number for
ratios, integers for ranks, 0/1 for records) or ``None`` when the release has no such cell
(or it is withheld), and ``krw_per_usd(period)``: the period's won-dollar rate, or ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

Key = tuple[str, str, str, str, str]
"""``(domain, period, breakdown, item, measure)``."""


class Figures(Protocol):
    """Released figures by cell (see the module docstring for units)."""

    def value(self, domain: str, period: str, breakdown: str, item: str, measure: str) -> float | None: ...

    def krw_per_usd(self, period: str) -> float | None: ...

    def vintages(self) -> list[str]: ...


@dataclass
class TableFigures:
    """A hand-made table of figures: ``cells`` maps a :data:`Key` to its value; ``rates`` maps a
    period to won per US dollar."""

    cells: dict[Key, float] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)

    def value(self, domain: str, period: str, breakdown: str, item: str, measure: str) -> float | None:
        return self.cells.get((domain, period, breakdown, item, measure))

    def krw_per_usd(self, period: str) -> float | None:
        return self.rates.get(period) or self.rates.get(period[:4])

    def vintages(self) -> list[str]:
        return ["table"]


def store_figures(store: Path, release: list[str] | None = None, now: datetime | None = None) -> TableFigures:
    """The released indicators of a store: for each domain, the latest released vintage
    (:func:`ktstat.release.vintage.latest` over the vintages whose release time has passed at
    ``now``), or the vintages named in ``release``; withheld cells (status ``C``/``N``) are left
    out. Rates: the store's KRW rates (``per_usd`` is stored in millionths)."""
    from ktstat.errors import InputError
    from ktstat.release.vintage import get_vintage, latest, list_vintages, vintage_rows
    from ktstat.store import open_store

    if not store.exists():
        raise InputError(f"{store}: store not found; run `ktstat demo` or `ktstat compile` first")
    con = open_store(store, read_only=True)
    try:
        if release:
            chosen = [get_vintage(con, v) for v in release]
        else:
            at = now or datetime.now(UTC)
            released = [v for v in list_vintages(con) if not v.embargoed(at)]
            chosen = [v for d in sorted({v.domain for v in released}) if (v := latest(released, d)) is not None]
        out = TableFigures()
        names = []
        for v in chosen:
            names.append(v.vintage_id)
            for period, breakdown, item, measure, value, status in vintage_rows(con, v):
                if value is None or status in ("C", "N"):
                    continue
                out.cells[(v.domain, period, breakdown, item, measure)] = float(value)
        for period, per_usd in con.execute("SELECT period, per_usd FROM rates WHERE currency = 'KRW'").fetchall():
            out.rates[str(period)] = float(per_usd) / 1e6
        out.names = names  # type: ignore[attr-defined]
        return out
    finally:
        con.close()
