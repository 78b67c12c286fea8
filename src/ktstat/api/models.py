"""The JSON documents of the API as pydantic models: for the OpenAPI description (``/openapi.json``,
``/docs``) and for the tests, which check every answer against them. The endpoints build their
JSON directly (:mod:`ktstat.api.explorer`); nothing here runs on a request."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Label(_Doc):
    """A text in English and in Korean."""

    en: str
    ko: str


class VintageDoc(_Doc):
    """A released vintage."""

    id: str
    domain: str
    dataflow: str
    period: str
    status: str
    release_at: str
    revises: str | None
    reason: str | None
    content_hash: str
    documents: str | None = None
    title: Label
    short: Label
    date: Label


class PeriodDoc(_Doc):
    id: str
    sdmx: str
    label: Label


class FrequencyDoc(_Doc):
    id: str
    sdmx: str
    label: Label
    bases: dict[str, Label]
    periods: list[PeriodDoc]


class ItemDoc(_Doc):
    id: str
    sdmx: str
    label: Label
    parent: str | None


class BreakdownDoc(_Doc):
    id: str
    sdmx: str
    label: Label
    items: list[ItemDoc]


class MeasureDoc(_Doc):
    id: str
    label: Label
    short: Label
    unit: str
    frequencies: list[str]
    base: str
    kind: str
    basis: str | None


class DataflowDoc(_Doc):
    id: str
    domain: str
    label: Label
    vintage: VintageDoc
    vintages: list[VintageDoc]
    frequencies: list[FrequencyDoc]
    breakdowns: list[BreakdownDoc]
    measures: list[MeasureDoc]


class MetaDoc(_Doc):
    """``/api/meta``."""

    agency: str
    dataflows: list[DataflowDoc]
    statuses: dict[str, Label]
    units: dict[str, Label]


class ColumnDoc(_Doc):
    id: str
    period: str
    measure: str
    label: str
    period_label: str
    measure_label: str
    unit: str


class RowDoc(_Doc):
    item: str
    label: str
    parent: str | None
    values: dict[str, float | None]
    statuses: dict[str, str | None]


class TableBreakdownDoc(_Doc):
    id: str
    sdmx: str
    label: str


class TableDoc(_Doc):
    """``/api/table``."""

    dataflow: str
    vintage: VintageDoc
    lang: str
    breakdown: TableBreakdownDoc
    columns: list[ColumnDoc]
    rows: list[RowDoc]


class ReleaseGroupDoc(_Doc):
    domain: str
    dataflow: str
    latest: str
    vintages: list[VintageDoc]


class ReleasesDoc(_Doc):
    """``/releases``."""

    releases: list[ReleaseGroupDoc]


class FileDoc(_Doc):
    name: str
    url: str
    sha256: str


class ReleaseDoc(VintageDoc):
    """``/releases/{vintage}``."""

    files: list[FileDoc]


class CalendarEntryDoc(_Doc):
    domain: str
    dataflow: str
    period: str
    status: str
    release_at: str
    state: str
    vintage: str | None
    title: Label
    date: Label


class ChangeDoc(_Doc):
    basis: str
    kind: str
    measure: str
    value: float | None
    status: str
    unit: str
    text: Label


class BasisLineDoc(_Doc):
    basis: str
    text: Label


class FigureTableDoc(_Doc):
    breakdown: str
    period: list[str]
    measure: list[str]


class FigureDoc(_Doc):
    measure: str
    label: Label
    unit: str
    value: float | None
    status: str | None
    text: Label
    changes: list[ChangeDoc]
    lines: list[BasisLineDoc]
    table: FigureTableDoc


class BasisDoc(_Doc):
    name: str
    period: str
    suffix: str
    label: Label


class TrendPeriodDoc(_Doc):
    id: str
    label: Label
    status: str | None


class TrendDoc(_Doc):
    periods: list[TrendPeriodDoc]
    series: dict[str, list[float | None]]


class ProgrammeDoc(_Doc):
    id: str
    domain: str
    label: Label
    vintage: VintageDoc
    period: str
    freq: str
    period_label: Label
    bases: list[BasisDoc]
    figures: list[FigureDoc]
    trend: TrendDoc
    files: dict[str, dict[str, str]]
    next_release: list[CalendarEntryDoc]


class HomeDoc(_Doc):
    """``/api/home``."""

    programmes: list[ProgrammeDoc]
    calendar: list[CalendarEntryDoc]


class SearchResultDoc(_Doc):
    dataflow: str
    domain: str
    programme: Label
    breakdown: str
    breakdown_label: Label
    item: str
    label: Label
    matched: str


class SearchDoc(_Doc):
    """``/api/search``."""

    q: str
    results: list[SearchResultDoc]


class ErrorItem(_Doc):
    code: int
    title: str
    detail: str


class ErrorMessage(_Doc):
    """SDMX-JSON error message (an SDMX-ML 2.1 ``Error`` message when XML was asked)."""

    meta: dict[str, object]
    errors: list[ErrorItem]
