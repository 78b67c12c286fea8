"""The input contracts of ingest: the columns of records, registers and rates, the formats read."""

from __future__ import annotations

from collections.abc import Callable

RECORD_COLUMNS = ("record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency")
OPTIONAL_COLUMNS = ("note",)
REPORTER_COLUMNS = ("reporter_id", "name", "industry", "size_class", "platform")
RATE_COLUMNS = ("currency", "period", "per_usd")
SIZE_CLASSES = ("large", "mid_sized", "sme", "individual")
FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".xlsx": "excel"}
Progress = Callable[[str], None]
