"""The API's bridge to :mod:`ktstat.publish.sdmx`: the same id scheme, code lists and writers.

The release files (``ktstat publish``) and the API must say the same thing in the same words,
so the API does not re-implement any of SDMX output: it calls the functions of
:mod:`ktstat.publish.sdmx` through the small public functions below.

- :func:`domain_lists` -- the domain's code lists (breakdowns, items, measures) as the
  structure message declares them.
- :func:`observations` -- indicator rows checked against the domain and put in the order of
  the release files (series, then time), as SDMX observations.
- :func:`observation` -- one observation made from the API's in-memory index.
- :func:`structure_message` -- the SDMX-ML 2.1 Structure message (dataflow, DSD, code lists,
  concept scheme) of ``structure.xml``.
- :func:`csv_text` and :func:`xml_text` -- SDMX-CSV 1.0 and SDMX-ML 2.1 StructureSpecificData
  text of a list of observations, written by the same writers as ``data.csv`` and ``data.xml``
  (the writers write files; here they write into memory through :class:`_MemoryPath`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from ktstat.domain import Domain
from ktstat.publish import sdmx as _sdmx

DomainLists = _sdmx._Lists
"""The code lists of a domain: ``breakdowns`` (ktstat name -> code), ``items`` (SDMX id -> code),
``allowed`` (breakdown name -> ktstat items) and ``measures`` (ktstat frequency -> measures)."""

Observation = _sdmx._Obs
"""One SDMX observation: ``freq, breakdown, item, measure, time`` (SDMX ids), ``value`` (the
text written, empty for ``C`` and ``N``) and ``status``."""


def domain_lists(domain: Domain) -> DomainLists:
    """The code lists of ``domain`` exactly as ``structure.xml`` declares them.

    Raises ``DomainError`` when a breakdown or code cannot become an SDMX id."""
    return _sdmx._domain_lists(domain)


def observations(domain: Domain, lists: DomainLists, rows: Iterable[_sdmx.Row]) -> list[Observation]:
    """Indicator rows ``(period, breakdown, item, measure, value, status)`` of ``domain`` as SDMX
    observations, ordered like the release files (breakdown, item, measure, frequency, period).

    Every row is checked as :func:`ktstat.publish.sdmx.write_sdmx` checks it (``InputError``
    otherwise): a ``C`` or ``N`` row must come without a value, an ``A`` or ``P`` row with a
    finite number."""
    return _sdmx._observations(domain, lists, rows)


def observation(freq: str, breakdown: str, item: str, measure: str, time: str, value: float | None,
                status: str) -> Observation:
    """One observation from SDMX ids and the stored value; the value text is ``repr`` of the
    float, empty for ``C`` and ``N`` (whatever ``value`` holds: a confidential value is never
    written)."""
    text = "" if status in ("C", "N") or value is None else repr(float(value))
    return _sdmx._Obs(freq, breakdown, item, measure, time, text, status)


def structure_message(domain: Domain, lists: DomainLists, agency: str, version: str, prepared: datetime) -> bytes:
    """The SDMX-ML 2.1 Structure message of ``domain`` (the bytes of ``structure.xml``)."""
    return _sdmx._structure_message(domain, lists, agency, version, prepared)


def flow_ref(domain: Domain, agency: str = "KTSTAT", version: str = "1.0") -> str:
    """The ``DATAFLOW`` column of SDMX-CSV 1.0: ``KTSTAT:KST(1.0)``."""
    return f"{agency}:{domain.id.upper()}({version})"


def csv_text(flow: str, obs: list[Observation]) -> str:
    """SDMX-CSV 1.0 of ``obs`` (header line included), as ``data.csv`` is written."""
    out = _MemoryPath()
    _sdmx._write_csv(cast(Path, out), flow, obs)
    return out.text


def xml_text(domain: Domain, agency: str, version: str, prepared: datetime, obs: list[Observation]) -> str:
    """SDMX-ML 2.1 StructureSpecificData message of ``obs``, as ``data.xml`` is written."""
    out = _MemoryPath()
    _sdmx._write_xml(cast(Path, out), domain.id.upper(), agency, version, prepared, obs)
    return out.text


class _Capture(io.StringIO):
    """A text file in memory that hands its text to its owner when closed by ``with``."""

    def __init__(self, owner: _MemoryPath) -> None:
        super().__init__()
        self._owner = owner

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._owner.text = self.getvalue()
        super().__exit__(kind, exc, tb)


class _MemoryPath:
    """Stands for a ``Path`` that the writers of :mod:`ktstat.publish.sdmx` ``open("w", ...)``:
    what they write ends up in ``text``."""

    def __init__(self) -> None:
        self.text = ""

    def open(self, *args: Any, **kwargs: Any) -> _Capture:
        return _Capture(self)
