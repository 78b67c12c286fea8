"""Where the released figures come from: a small interface, a hand-made table, and the store.

A :class:`Figures` answers ``value(domain, period, breakdown, item, measure)`` in the
indicators' units (US dollars for money, percent for growth and share, a plain number for
ratios, integers for ranks, 0/1 for records) or ``None`` when the release has no such cell
(or it is withheld), and ``krw_per_usd(period)``: the period's won-dollar rate, or ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

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
    names: list[str] = field(default_factory=lambda: ["table"])

    def value(self, domain: str, period: str, breakdown: str, item: str, measure: str) -> float | None:
        return self.cells.get((domain, period, breakdown, item, measure))

    def krw_per_usd(self, period: str) -> float | None:
        return krw_rate(self.rates, period)

    def vintages(self) -> list[str]:
        return self.names


def krw_rate(rates: dict[str, float], period: str) -> float | None:
    """Won per US dollar for ``period`` from ``rates`` (period label -> won per dollar): the
    period's own rate; else the mean of its quarters' rates when the table has them all (the
    records were converted at those); else the rate of its year; else ``None``."""
    from ktstat.periods import parse

    own = rates.get(period)
    if own:
        return own
    try:
        quarters = [rates.get(str(q)) for q in parse(period).subperiods("Q")]
    except ValueError:
        quarters = []
    if quarters and all(quarters):
        return sum(q for q in quarters if q) / len(quarters)
    return rates.get(period[:4])


def parse_as_of(text: str) -> date | datetime:
    """``--as-of``: a day (``2025-09-17``) or a time with its zone (``2025-09-17T15:00+09:00``);
    ``InputError`` for anything else."""
    from ktstat.errors import InputError

    try:
        if len(text.strip()) == 10:
            return date.fromisoformat(text.strip())
        got = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--as-of: {text!r} is not a date (2025-09-17) or a time with a zone") from None
    if got.tzinfo is None:
        raise InputError(f"--as-of: {text!r} needs a time zone (e.g. 2025-09-17T15:00+09:00)")
    return got


def as_of_instant(as_of: date | datetime, timezone: str) -> datetime:
    """The time an article dated ``as_of`` appeared by: a time as given; a day, its last instant
    in ``timezone`` (the programme's release time zone, ``domain.toml``), so a release of that
    day counts as current."""
    if isinstance(as_of, datetime):
        return as_of
    return datetime.combine(as_of + timedelta(days=1), time(0), ZoneInfo(timezone)) - timedelta(microseconds=1)


def _rows(store: Path, con: Any, v: Any) -> Iterable[tuple[Any, ...]]:
    """A vintage's rows: from its snapshot file beside the store when there is one (hash-checked,
    much faster to read), else from the store (:func:`ktstat.release.vintage.vintage_rows`)."""
    from ktstat.release.snapshot import file_name, read_snapshot_table, snapshot_dir
    from ktstat.release.vintage import ROW_COLUMNS, vintage_rows

    path = snapshot_dir(store) / file_name(v)
    if not path.is_file():
        return vintage_rows(con, v)
    _v, table = read_snapshot_table(path)
    return zip(*(table.column(c).to_pylist() for c in ROW_COLUMNS), strict=True)


def store_figures(
    store: Path,
    release: list[str] | None = None,
    now: datetime | None = None,
    as_of: date | datetime | None = None,
) -> TableFigures:
    """The released indicators of a store: for each domain, the latest released vintage
    (:func:`ktstat.release.vintage.latest` over the vintages whose release time has passed at
    ``now``; with ``as_of``, at that time instead, see :func:`as_of_instant`, never later than
    ``now``), or the vintages named in ``release``; withheld cells (status ``C``/``N``) are left
    out. Rows are read from the vintages' snapshot files when present (hash-checked), else from
    the store. Rates: the store's KRW rates (``per_usd`` is stored in millionths)."""
    from ktstat import domain as domains
    from ktstat.errors import InputError
    from ktstat.release.vintage import get_vintage, latest, list_vintages
    from ktstat.store import open_store

    if not store.exists():
        raise InputError(f"{store}: store not found; run `ktstat demo` or `ktstat compile` first")
    con = open_store(store, read_only=True)
    try:
        if release:
            chosen = [get_vintage(con, v) for v in release]
        else:
            at = now or datetime.now(UTC)
            every = list_vintages(con)
            chosen = []
            for d in sorted({v.domain for v in every}):
                when = at if as_of is None else min(at, as_of_instant(as_of, domains.load(d).release.timezone))
                got = latest([v for v in every if v.domain == d and not v.embargoed(when)], d)
                if got is not None:
                    chosen.append(got)
        out = TableFigures(names=[])
        for v in chosen:
            out.names.append(v.vintage_id)
            for period, breakdown, item, measure, value, status in _rows(store, con, v):
                if value is None or status in ("C", "N"):
                    continue
                out.cells[(v.domain, period, breakdown, item, measure)] = float(value)
        for period, per_usd in con.execute("SELECT period, per_usd FROM rates WHERE currency = 'KRW'").fetchall():
            out.rates[str(period)] = float(per_usd) / 1e6
        return out
    finally:
        con.close()
