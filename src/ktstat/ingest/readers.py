"""Readers: turn a submitted file into rows of text, with their data-row numbers.

Every reader yields Arrow record batches with the columns ``row_no`` (1 = the line after the
header; blank lines are skipped but keep their number) and the file's columns renamed
through the mapping, all as strings; lines that cannot be parsed are reported through
``on_bad(row_no, text, reason)`` instead of being dropped. Formats: CSV (UTF-8, UTF-8 with
BOM, CP949/EUC-KR; detected, or stated; delimiter ``,`` ``;`` or tab detected from the
header), Parquet, Excel ``.xlsx`` (first sheet or a named
one; the header is the first of the first 10 rows that holds every required column).
Files are streamed in batches: memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ktstat.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 100_000
OnBad = Callable[[int, str, str], None]
Progress = Callable[[int], None]  # bytes read so far


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` with a BOM, else ``utf-8`` if the start decodes, else ``cp949``."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "cp949"):
        try:
            codecs.getincrementaldecoder(enc)().decode(head, final=False)
            return enc
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: cannot decode the file as UTF-8 or CP949/EUC-KR; state its encoding with --encoding")


def _canonical(names: list[str], mapping: dict[str, str]) -> list[str]:
    out = []
    for n in names:
        key = (n or "").strip().lstrip("\ufeff")
        out.append(mapping.get(key, key))
    return out


def _arrow_batch(columns: list[str], rows: list[list[str]], row_nos: list[int]) -> pa.RecordBatch:
    import pyarrow as pa

    arrays = [pa.array(row_nos, pa.int64())]
    for k in range(len(columns)):
        arrays.append(pa.array([r[k] if k < len(r) else None for r in rows], pa.string()))
    return pa.RecordBatch.from_arrays(arrays, names=["row_no", *columns])


CHUNK_BYTES = 16 << 20


def read_csv(
    path: Path,
    mapping: dict[str, str],
    required: tuple[str, ...],
    encoding: str | None,
    on_bad: OnBad,
    progress: Progress | None = None,
) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """The file's canonical column names and a stream of batches (see module docstring).

    Lines are split by the reader itself, so that one stray quote spoils one line, not the rest
    of the file: a line with an odd number of quotes, or with another number of fields than
    the header, is reported as bad. The lines of each 16 MB chunk are then parsed by Arrow's
    CSV parser (fast, in C++).
    """
    enc = encoding or detect_encoding(path)
    try:
        codec = codecs.lookup(enc)
    except LookupError:
        raise InputError(f"{path}: unknown encoding {enc!r}") from None
    if codec.name.startswith("utf-16"):
        raise InputError(f"{path}: UTF-16 files are not supported; save the file as UTF-8 (or CP949) CSV")
    raw = path.open("rb")
    head = raw.readline()
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    try:
        header_line = head.decode(enc.replace("-sig", ""))
    except UnicodeDecodeError as e:
        raise InputError(
            f"{path}: cannot decode the header as {enc} ({e.reason}); state the encoding with --encoding"
        ) from None
    if not header_line.strip():
        raise InputError(f"{path}: the file is empty (no header row); send the file with its header and rows")
    delim = max([",", ";", "\t"], key=header_line.count)
    header = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delim))
    columns = _canonical(header, mapping)
    _require(columns, required, path, header)
    utf8 = codec.name == "utf-8"
    decoder = codecs.getincrementaldecoder(enc.replace("-sig", ""))()

    def batches() -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [f"c{k}" for k in range(len(columns))]
        read_opts = pacsv.ReadOptions(column_names=names, use_threads=False, block_size=CHUNK_BYTES + (1 << 20))
        convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        )
        row_base = 0
        rest = b""
        while True:
            chunk = raw.read(CHUNK_BYTES)
            last = not chunk
            data = rest + chunk
            if not last:
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                data, rest = data[: cut + 1], data[cut + 1 :]
            else:
                rest = b""
            if not data:
                break
            lines = data.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            if not utf8:
                try:
                    text = decoder.decode(b"\n".join(lines) + b"\n", final=last)
                except UnicodeDecodeError as e:
                    raise InputError(
                        f"{path}: cannot decode the file as {enc} ({e.reason}); state the encoding with --encoding"
                    ) from None
                lines = [ln.encode("utf-8") for ln in text.split("\n")[: len(lines)]]
            quoted = b'"' in data
            good: list[bytes] = []
            nos: list[int] = []
            for k, line in enumerate(lines):
                if not line.strip():
                    continue
                if quoted and line.count(b'"') % 2:
                    on_bad(row_base + k + 1, line.decode("utf-8", "replace").rstrip("\r"), "unbalanced quotes")
                    continue
                good.append(line)
                nos.append(row_base + k + 1)
            row_base += len(lines)
            if progress is not None:
                progress(raw.tell())
            if not good:
                if last:
                    break
                continue
            invalid: list[int] = []

            def handler(row: object, invalid: list[int] = invalid) -> str:
                n = getattr(row, "number", None)
                invalid.append(int(n) if n is not None else -1)
                return "skip"

            parse = pacsv.ParseOptions(delimiter=delim, newlines_in_values=False, invalid_row_handler=handler)
            try:
                table = pacsv.read_csv(
                    pa.py_buffer(b"\n".join(good) + b"\n"),
                    read_options=read_opts,
                    parse_options=parse,
                    convert_options=convert,
                )
            except pa.ArrowInvalid as e:
                msg = str(e)
                if "UTF8" in msg or "utf8" in msg.lower():
                    raise InputError(
                        f"{path}: cannot decode the file as {enc}; state the encoding with --encoding"
                    ) from None
                raise InputError(f"{path}: cannot parse the file as CSV ({msg.splitlines()[0]})") from None
            bad_idx = {i - 1 for i in invalid if i > 0}
            if -1 in invalid:
                raise InputError(f"{path}: cannot locate a malformed line; check the field counts")
            for i in sorted(bad_idx):
                n_fields = good[i].count(delim.encode())
                on_bad(
                    nos[i],
                    good[i].decode("utf-8", "replace").rstrip("\r"),
                    f"{n_fields + 1} fields where the header has {len(columns)}",
                )
            kept = [n for i, n in enumerate(nos) if i not in bad_idx] if bad_idx else nos
            table = table.rename_columns(columns)
            for batch in table.to_batches(max_chunksize=BATCH_ROWS):
                yield batch.add_column(0, "row_no", pa.array(kept[: batch.num_rows], pa.int64()))
                kept = kept[batch.num_rows :]
            if last:
                break
        raw.close()

    return columns, batches()


def _require(columns: list[str], required: tuple[str, ...], path: Path, found: list[str]) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        shown = ", ".join(repr(f) for f in found if f) or "none"
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)} (found: {shown}); "
            "rename them or give a mapping file (--mapping, CSV 'source,target')"
        )


def read_parquet_schema(con: object, path: Path) -> list[str]:
    import duckdb

    assert isinstance(con, duckdb.DuckDBPyConnection)
    p = str(path).replace("'", "''")
    try:
        return [d[0] for d in con.execute(f"SELECT * FROM read_parquet('{p}') LIMIT 0").description]
    except duckdb.Error as e:
        raise InputError(
            f"{path}: cannot be read as Parquet ({str(e).splitlines()[0]}); the file may be truncated: send it again"
        ) from None


def read_excel(
    path: Path, mapping: dict[str, str], required: tuple[str, ...], sheet: str | None, on_bad: OnBad
) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """An .xlsx sheet as batches; the header is the first of the first 10 rows with all
    required columns."""
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - installed with ktstat
        raise InputError("reading Excel files needs openpyxl; reinstall ktstat") from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any failure to open is the file's
        raise InputError(f"{path}: cannot be read as an Excel workbook ({e})") from None
    if sheet is not None and sheet not in wb.sheetnames:
        raise InputError(f"{path}: no sheet named {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
    ws = wb[sheet] if sheet is not None else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header_at, columns, first_seen = None, [], None
    for i, values in enumerate(it, start=1):
        names = _canonical([_cell_text(v) for v in values], mapping)
        if first_seen is None and any(names):
            first_seen = [_cell_text(v) for v in values]
        if all(c in names for c in required):
            header_at, columns = i, names
            break
        if i >= 10:
            break
    if header_at is None:
        if first_seen is None:
            raise InputError(f"{path}: the sheet is empty (no header row)")
        _require(_canonical(first_seen, mapping), required, path, first_seen)
    width = len(columns)

    def batches() -> Iterator[pa.RecordBatch]:
        rows: list[list[str]] = []
        nos: list[int] = []
        for n, values in enumerate(it, start=1):
            cells = [_cell_text(v) for v in values][:width]
            if not any(c.strip() for c in cells):
                continue
            cells += [""] * (width - len(cells))
            rows.append(cells)
            nos.append(n)
            if len(rows) >= BATCH_ROWS:
                yield _arrow_batch(columns, rows, nos)
                rows, nos = [], []
        if rows:
            yield _arrow_batch(columns, rows, nos)
        wb.close()

    return columns, batches()


def _cell_text(v: object) -> str:
    import datetime as dt
    from decimal import Decimal

    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        d = Decimal(repr(v))
        return format(d.normalize(), "f") if d == d.to_integral_value() else repr(v)
    return str(v).strip()


def load_mapping(path: Path | None) -> dict[str, str]:
    """A mapping file (CSV ``source,target``) as a dict; empty without a file."""
    if path is None:
        return {}
    if not path.exists():
        raise InputError(f"{path}: mapping file not found")
    enc = detect_encoding(path)
    with path.open(encoding=enc, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"source", "target"} <= set(rows[0]):
        raise InputError(f"{path}: a mapping file needs the columns source,target")
    return {r["source"].strip(): r["target"].strip() for r in rows if r["source"]}
