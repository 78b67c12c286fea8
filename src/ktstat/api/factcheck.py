"""The fact-check at the API: ``POST /factcheck`` and the page at ``GET /factcheck``.

``POST /factcheck`` takes a JSON body :class:`FactcheckRequest` (the article's ``text``, plain text,
HTML or Markdown; ``lang`` ``auto|en|ko``; ``as_of``, the day the article appeared; ``release``,
vintage ids; ``path``, a name for the article) and answers the document of ``ktstat factcheck
--format json`` (:class:`FactcheckDoc`: ``{"articles": [{"path", "lang", "claims": [...]}]}``), or,
with ``?format=html``, the article with each claim highlighted by verdict. The figures are those
of the released vintages the API serves (:class:`SnapshotFigures` over the snapshot files, never
the store): the latest released vintage of each programme, or the one current at ``as_of``
(never one released after the API's clock), or the vintages named; the won-dollar rates come
from the ``rates.csv`` beside the snapshots (:func:`ktstat.release.snapshot.write_rates`). The
vintages used are named in the ``X-Ktstat-Vintage`` header.

The page (``static/factcheck.html``) is a box to paste an article into; it posts the text here and
shows the article with its claims highlighted, in English or Korean; it needs nothing from the
network.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ktstat.api.index import Series, Snapshot, View, VintageData
from ktstat.api.query import ApiError, not_found
from ktstat.factcheck.figures import as_of_instant, krw_rate, parse_as_of

MAX_CHARS = 200_000
"""The longest article text ``POST /factcheck`` takes (characters)."""


class FactcheckRequest(BaseModel):
    """What ``POST /factcheck`` takes."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        max_length=MAX_CHARS,
        description="The article: plain text, HTML or Markdown, English or Korean",
        examples=["Technology exports grew 4% to $18.3 billion in 2024."],
    )
    lang: Literal["auto", "en", "ko"] = Field("auto", description="The article's language (auto: detected)")
    as_of: str | None = Field(
        None,
        description="The day the article appeared (2025-09-17) or a time with its zone: the claims are "
        "checked against the vintages current then, and 'this year' is that year (default: the latest)",
        examples=["2025-09-17"],
    )
    release: list[str] | None = Field(
        None, description="Released vintage ids to check against instead (one per programme)"
    )
    path: str = Field("article", max_length=200, description="A name for the article in the answer")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CellDoc(_Doc):
    domain: str
    period: str
    breakdown: str
    item: str
    measure: str


class ClaimDoc(_Doc):
    """A numeric claim: its text and offsets in the article's text, its value in ``unit`` (USD, KRW,
    percent, pp, ratio, rank, record, order), the cell it is about, the released value (indicator
    units: US dollars, percent, plain numbers) and the verdict (consistent, inconsistent, unit,
    other_rate, not_in_release, ambiguous) with its reason, in the article's language."""

    text: str
    start: int
    end: int
    value: float
    unit: str
    cell: CellDoc | None
    released: float | None
    verdict: str
    reason: str


class ArticleDoc(_Doc):
    path: str
    lang: str
    claims: list[ClaimDoc]


class FactcheckDoc(_Doc):
    """What ``POST /factcheck`` answers (the same as ``ktstat factcheck --format json``)."""

    articles: list[ArticleDoc]


@dataclass
class SnapshotFigures:
    """:class:`ktstat.factcheck.figures.Figures` over vintages the API has indexed: ``chosen`` maps a
    domain to its vintage; ``index`` a domain to its series by ktstat (breakdown, item, measure),
    one per frequency; ``rates`` a period to won per US dollar."""

    chosen: dict[str, VintageData]
    index: dict[str, dict[tuple[str, str, str], list[Series]]]
    rates: dict[str, float]

    def value(self, domain: str, period: str, breakdown: str, item: str, measure: str) -> float | None:
        for series in self.index.get(domain, {}).get((breakdown, item, measure), ()):  # one per frequency
            i = series.at(period)
            if i >= 0:
                got = series.values[i]
                return None if got is None else float(got)
        return None

    def krw_per_usd(self, period: str) -> float | None:
        return krw_rate(self.rates, period)

    def vintages(self) -> list[str]:
        return [vd.id for _d, vd in sorted(self.chosen.items())]


class FigureSource:
    """Makes :class:`SnapshotFigures` for requests: the series of a vintage indexed by ktstat
    breakdown, item and measure (once per snapshot generation and vintage), and the rates file of
    the snapshot folder (read again when it changes)."""

    def __init__(self, snapshots: Path) -> None:
        self.snapshots = snapshots
        self._lock = threading.Lock()
        self._index: dict[tuple[int, str], dict[tuple[str, str, str], list[Series]]] = {}
        self._rates: tuple[int, dict[str, float]] | None = None

    def _series(self, snap: Snapshot, vd: VintageData) -> dict[tuple[str, str, str], list[Series]]:
        key = (snap.generation, vd.id)
        with self._lock:
            got = self._index.get(key)
            if got is None:
                for old in [k for k in self._index if k[0] != snap.generation]:
                    del self._index[old]
                got = self._index[key] = {}
                for s in vd.series:
                    got.setdefault((s.kt_breakdown, s.kt_item, s.measure), []).append(s)
            return got

    def rates(self) -> dict[str, float]:
        from ktstat.release.snapshot import RATES, read_rates

        try:
            mtime = (self.snapshots / RATES).stat().st_mtime_ns
        except OSError:
            return {}
        got = self._rates
        if got is None or got[0] != mtime:
            got = self._rates = (mtime, read_rates(self.snapshots, "KRW"))
        return got[1]

    def figures(
        self, snap: Snapshot, view: View, now: datetime, as_of: str | None, release: list[str] | None
    ) -> tuple[SnapshotFigures, date | None]:
        """The figures a request asks for, and the day its article appeared (``as_of``) if given.
        ``ApiError`` 400 for a bad ``as_of`` or both ``as_of`` and ``release``, 404 for a vintage
        that is not released."""
        from ktstat.errors import KtstatError

        chosen: dict[str, VintageData] = {}
        day: date | None = None
        if release and as_of:
            raise ApiError(400, 150, "give as_of or release, not both (as_of chooses the vintages current then)")
        if release:
            for vid in release:
                vd = view.released.get(vid)
                if vd is None:
                    raise not_found(f"no released vintage {vid!r}")
                chosen[vd.vintage.domain] = vd
        elif as_of:
            try:
                when = parse_as_of(as_of)
            except KtstatError as e:
                raise ApiError(400, 150, str(e).replace("--as-of", "as_of")) from None
            day = when.date() if isinstance(when, datetime) else when
            for dom, info in snap.domains.items():
                at = min(now, as_of_instant(when, info.domain.release.timezone))
                vd = snap.view(at).default.get(dom)
                if vd is not None:
                    chosen[dom] = vd
        else:
            chosen = dict(view.default)
        index = {dom: self._series(snap, vd) for dom, vd in chosen.items()}
        return SnapshotFigures(chosen, index, self.rates()), day


__all__ = ["MAX_CHARS", "FactcheckDoc", "FactcheckRequest", "FigureSource", "SnapshotFigures"]
