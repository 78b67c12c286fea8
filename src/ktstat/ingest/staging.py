"""Staging: a submitted file's rows as table (or view) ``stg``: ``row_no`` and the fields as
trimmed text, with the SQL reading its amount; lines that cannot be parsed quarantined."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat.domain import Domain
from ktstat.errors import InputError
from ktstat.ingest.contracts import FORMATS, OPTIONAL_COLUMNS, RECORD_COLUMNS, Progress
from ktstat.ingest.readers import canonical_names, read_csv, read_excel, read_parquet_schema
from ktstat.store import insert_rows

if TYPE_CHECKING:
    import duckdb


STG = (
    "CREATE OR REPLACE TEMP TABLE stg (row_no BIGINT, record_id VARCHAR, reporter_id VARCHAR, period VARCHAR, "
    "flow VARCHAR, partner VARCHAR, item VARCHAR, amount VARCHAR, currency VARCHAR, note VARCHAR)"
)
# The amount as DECIMAL(24, 4) (NULL unless a plain decimal number) and its significant decimals,
# from the text; for a Parquet column of a decimal type with at most 4 decimals or of an integer
# type (``amount_raw``), the same values by arithmetic (its text is always a plain number).
AMT_TEXT = (
    "CASE WHEN regexp_full_match(amount, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)') "
    "THEN TRY_CAST(amount AS DECIMAL(24, 4)) END"
)
DECIMALS_TEXT = "length(rtrim(regexp_extract(amount, '[.]([0-9]*)$', 1), '0'))"
INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)


def _drop_stg(con: duckdb.DuckDBPyConnection) -> None:
    """Drop ``stg`` (and the views over it), a temp table or view of an earlier file."""
    for view in ("chk", "chk_base"):
        con.execute(f"DROP VIEW IF EXISTS {view}")
    kinds = {
        r[0]
        for r in con.execute(
            "SELECT 'table' FROM duckdb_tables() WHERE temporary AND table_name = 'stg' "
            "UNION ALL SELECT 'view' FROM duckdb_views() WHERE temporary AND view_name = 'stg'"
        ).fetchall()
    }
    for kind in kinds:
        con.execute(f"DROP {kind.upper()} stg")


def _typed_amount(type_name: str) -> tuple[str, str] | None:
    """(amt, decimals) SQL over ``amount_raw`` for a Parquet amount column of this DuckDB type
    when its text is always a plain number with at most 4 decimals, else None."""
    import re

    t = type_name.upper()
    if t in INTEGER_TYPES:
        return "TRY_CAST(amount_raw AS DECIMAL(24, 4))", "CASE WHEN amount_raw IS NOT NULL THEN 0 END"
    m = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", t)
    if m is None or int(m.group(2)) > 4:
        return None
    scale = int(m.group(2))
    if scale == 0:
        return "TRY_CAST(amount_raw AS DECIMAL(24, 4))", "CASE WHEN amount_raw IS NOT NULL THEN 0 END"
    # k significant decimals at most: the value equals itself rounded to k decimals (exact decimal rounding)
    tests = " ".join(f"WHEN amount_raw = round(amount_raw, {k}) THEN {k}" for k in range(scale))
    return "TRY_CAST(amount_raw AS DECIMAL(24, 4))", f"CASE WHEN amount_raw IS NULL THEN NULL {tests} ELSE {scale} END"


def _stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    batch_id: int,
    mapping: dict[str, str],
    encoding: str | None,
    sheet: str | None,
    domain: Domain,
    say: Progress,
) -> tuple[str, str]:
    """Make ``stg`` the file's rows (``row_no`` and the fields as trimmed text): a view over a
    Parquet file (read where needed, never copied), else a temp table filled from the CSV or
    Excel reader, whose unparseable lines go to the quarantine. Returns the SQL of ``amt`` and
    ``decimals`` over ``stg`` (see :data:`AMT_TEXT`)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unsupported format {path.suffix!r}; send CSV, Parquet or Excel (.xlsx)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); send the file with its header and rows")
    fields = [*RECORD_COLUMNS, *OPTIONAL_COLUMNS]
    con.execute("DROP TABLE IF EXISTS temp.syntax_ids")
    if fmt == "parquet":
        if any(ch in str(path) for ch in "*?[{"):
            raise InputError(f"{path}: the Parquet reader takes * ? [ {{ in a file name as a pattern; rename the file")
        cols = read_parquet_schema(con, path)
        renamed = dict(zip(canonical_names(cols, mapping), cols, strict=True))
        missing = [c for c in RECORD_COLUMNS if c not in renamed]
        if missing:
            raise InputError(
                f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(cols)}); "
                "rename them or give a mapping file (--mapping, CSV 'source,target')"
            )
        p = str(path).replace("'", "''")
        types = dict(
            con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{p}'))").fetchall()
        )
        typed = _typed_amount(str(types.get(renamed["amount"], "")))
        sel = ", ".join(
            f'trim(CAST("{renamed[c]}" AS VARCHAR)) AS {c}' if c in renamed else f"NULL::VARCHAR AS {c}" for c in fields
        )
        raw = f', "{renamed["amount"]}" AS amount_raw' if typed else ""
        _drop_stg(con)
        con.execute(
            f"CREATE TEMP VIEW stg AS SELECT file_row_number + 1 AS row_no, {sel}{raw} "
            f"FROM read_parquet('{p}', file_row_number=true)"
        )
        return typed or (AMT_TEXT, DECIMALS_TEXT)
    _drop_stg(con)
    con.execute(STG)
    bad: list[tuple[Any, ...]] = []
    ids: list[tuple[int, str | None, str | None]] = []
    header: list[str] = []

    def on_bad(row_no: int, text: str, reason: str) -> None:
        ids.append((row_no, *_ids_from_line(text, header)))
        bad.append(
            (
                domain.id,
                batch_id,
                str(path),
                row_no,
                "",
                text[:200],
                "csv_syntax",
                f"cannot parse the line: {reason}",
                None,
            )
        )

    size = path.stat().st_size
    shown = [0]

    def progress(pos: int) -> None:
        if size > 50_000_000 and pos - shown[0] > size // 20:
            shown[0] = pos
            say(f"{path.name}: {100 * pos // size} % read")

    if fmt == "csv":
        columns, batches = read_csv(path, mapping, RECORD_COLUMNS, encoding, on_bad, progress)
    else:
        columns, batches = read_excel(path, mapping, RECORD_COLUMNS, sheet, on_bad)
    header.extend(columns)
    sel = ", ".join(f'trim("{c}")' if c in columns else "NULL" for c in fields)
    for b in batches:
        con.register("incoming", b)
        con.execute(f"INSERT INTO stg SELECT row_no, {sel} FROM incoming")
        con.unregister("incoming")
    if bad:
        insert_rows(con, "quarantine", bad)
    con.execute("CREATE OR REPLACE TEMP TABLE syntax_ids (row_no BIGINT, record_id VARCHAR, reporter_id VARCHAR)")
    insert_rows(con, "syntax_ids", ids)
    return AMT_TEXT, DECIMALS_TEXT


def _ids_from_line(text: str, header: list[str]) -> tuple[str | None, str | None]:
    """The record id and reporter id of a line that cannot be parsed as a whole, read leniently
    (so that a corrected row sent later resolves it); None where the line gives none."""
    if not header:
        return None, None
    delim = max([",", ";", "\t"], key=text.count)
    try:
        fields = next(csv.reader([text], delimiter=delim))
    except (csv.Error, StopIteration):
        fields = []
    if len(fields) != len(header) or any(delim in f for f in fields):
        # an unclosed quote swallows the rest of the line into one field: split on the delimiter
        fields = [f.strip().strip('"') for f in text.split(delim)]

    def get(name: str) -> str | None:
        k = header.index(name) if name in header else -1
        v = fields[k].strip() if 0 <= k < len(fields) else ""
        return v or None

    return get("record_id"), get("reporter_id")
