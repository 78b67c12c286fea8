"""Readers: turn a submitted file into rows of text, with their data-row numbers.

Every reader yields Arrow record batches with the columns ``row_no`` and the file's columns renamed
through the mapping, all as strings; lines that cannot be parsed are reported through
``on_bad(row_no, text, reason)`` instead of being dropped. Row numbers: for CSV the record's
number (1 = the first record after the header, blank lines not counted); for Excel the row
number Excel shows (the sheet's own row, title and blank rows above counted). Formats: CSV (UTF-8, UTF-8 with
BOM, CP949/EUC-KR; detected, or stated; delimiter ``,`` ``;`` or tab detected from the
header), Parquet, Excel ``.xlsx`` (first sheet or a named
one; the header is the first of the first 10 rows that holds every required column).
Files are streamed in batches: memory stays bounded whatever the file's size.
"""

from __future__ import annotations

import codecs
import csv
import io
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


CONTRACT = ("record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency", "note")


def canonical_names(names: list[str], mapping: dict[str, str]) -> list[str]:
    """Column names after the mapping file; contract names are matched regardless of case,
    surrounding spaces and spaces for underscores (``Record ID`` -> ``record_id``)."""
    out = []
    for n in names:
        key = (n or "").strip().lstrip("\ufeff").strip()
        if key in mapping:
            out.append(mapping[key])
            continue
        norm = key.lower().replace(" ", "_").replace("-", "_")
        out.append(norm if norm in CONTRACT else key)
    return out


def _arrow_batch(columns: list[str], rows: list[list[str]], row_nos: list[int]) -> pa.RecordBatch:
    import pyarrow as pa

    arrays = [pa.array(row_nos, pa.int64())]
    for k in range(len(columns)):
        arrays.append(pa.array([r[k] if k < len(r) else None for r in rows], pa.string()))
    return pa.RecordBatch.from_arrays(arrays, names=["row_no", *columns])


CHUNK_BYTES = 16 << 20
MAX_RECORD_LINES = 20  # a quoted field may span at most this many lines
SIGNATURES = {b"\x89PNG": "a PNG image", b"PK\x03\x04": "a ZIP archive (an .xlsx renamed?)", b"%PDF": "a PDF"}


def _check_text(path: Path, enc: str | None) -> None:
    """Refuse binary content before trying to read it as text."""
    with path.open("rb") as f:
        head = f.read(8192)
    for sig, what in SIGNATURES.items():
        if head.startswith(sig):
            raise InputError(f"{path}: unsupported format: the file is {what}, not CSV text")
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (enc or "").lower().startswith("utf-16")
    if b"\x00" in head and not utf16:
        raise InputError(f"{path}: unsupported format: binary content, not CSV text")


def to_utf8(path: Path, enc: str) -> Path:
    """A temporary UTF-8 copy of a text file in another encoding (streamed)."""
    import tempfile

    out = Path(tempfile.mkstemp(prefix="ktstat-", suffix=".csv")[1])
    try:
        with (
            path.open(encoding=enc, errors="strict", newline="") as src,
            out.open("w", encoding="utf-8", newline="") as dst,
        ):
            while True:
                block = src.read(1 << 22)
                if not block:
                    break
                dst.write(block)
    except UnicodeDecodeError as e:
        out.unlink(missing_ok=True)
        raise InputError(
            f"{path}: cannot decode the file as {enc} ({e.reason}); state the encoding with --encoding"
        ) from None
    return out


def _whole_record(line: bytes, delim: str, width: int) -> bool:
    """Whether a line on its own is a complete record of the header's width."""
    try:
        rows = list(csv.reader([line.decode("utf-8", "replace").rstrip("\r")], delimiter=delim, strict=True))
    except csv.Error:
        return False
    return len(rows) == 1 and len(rows[0]) == width


def _slow_record(lines: list[bytes], i: int, delim: str, width: int, last: bool) -> tuple[list[str] | None, int]:
    """Parse the record starting at ``lines[i]``, whose quotes do not balance on its own line:
    a literal quote inside an unquoted field, or a quoted field running over several lines.
    Returns (fields, lines used); (None, 1) when no reading gives a valid record; (None, 0)
    when more lines than this chunk holds are needed."""
    for k in range(1, MAX_RECORD_LINES + 1):
        if i + k > len(lines):
            return (None, 1) if last else (None, 0)
        text = "\n".join(ln.decode("utf-8", "replace").rstrip("\r") for ln in lines[i : i + k])
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delim, strict=True))
        except csv.Error:
            continue
        if len(rows) == 1 and len(rows[0]) == width:
            if k > 1 and any(_whole_record(ln, delim, width) for ln in lines[i + 1 : i + k]):
                # the joined lines are records of their own: a stray quote, not a line break
                return None, 1
            return rows[0], k
        if len(rows) > 1:
            break
    return None, 1


def read_csv(
    path: Path,
    mapping: dict[str, str],
    required: tuple[str, ...],
    encoding: str | None,
    on_bad: OnBad,
    progress: Progress | None = None,
) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """The file's canonical column names and a stream of batches (see module docstring).

    Data rows are numbered as a spreadsheet shows them: 1 = the first record after the header,
    blank lines not counted, a record over several lines counted once. The reader finds the
    records itself, so one stray quote spoils one record, not the rest of the file: a line
    whose quotes do not balance is parsed strictly on its own or joined with the next lines
    (a quoted line break), else reported as bad, as is a record with another number of fields
    than the header. The plain lines of each 16 MB chunk are parsed by Arrow (fast, in C++).
    Files in encodings other than UTF-8 are first converted to a temporary UTF-8 copy.
    """
    _check_text(path, encoding)
    enc = encoding or detect_encoding(path)
    try:
        codec = codecs.lookup(enc)
    except LookupError:
        raise InputError(f"{path}: unknown encoding {enc!r}") from None
    source = path if codec.name == "utf-8" else to_utf8(path, enc)
    raw = source.open("rb")
    head = raw.readline()
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    try:
        header_line = head.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{path}: cannot decode the header as {enc} ({e.reason}); state the encoding with --encoding"
        ) from None
    if not header_line.strip():
        raise InputError(f"{path}: the file is empty (no header row); send the file with its header and rows")
    delim = max([",", ";", "\t"], key=header_line.count)
    header = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delim))
    columns = canonical_names(header, mapping)
    _require(columns, required, path, header)
    _unique(columns, path)
    width = len(columns)

    def batches() -> Iterator[pa.RecordBatch]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        names = [f"c{k}" for k in range(width)]
        read_opts = pacsv.ReadOptions(column_names=names, use_threads=False, block_size=CHUNK_BYTES + (1 << 20))
        convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False, quoted_strings_can_be_null=False
        )
        row_no = 0
        rest = b""
        last = False
        while not last:
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
            lines = data.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            quoted = b'"' in data
            good: list[bytes] = []
            nos: list[int] = []
            special: list[tuple[int, list[str]]] = []
            i = 0
            while i < len(lines):
                line = lines[i]
                if not line.strip():
                    i += 1
                    continue
                if quoted and line.count(b'"') % 2:
                    fields, used = _slow_record(lines, i, delim, width, last)
                    if used == 0:  # the record continues in the next chunk
                        rest = b"\n".join(lines[i:]) + b"\n" + rest
                        break
                    row_no += 1
                    if fields is None:
                        on_bad(row_no, line.decode("utf-8", "replace").rstrip("\r"), "a quote is not closed")
                    else:
                        special.append((row_no, fields))
                    i += used
                    continue
                row_no += 1
                good.append(line)
                nos.append(row_no)
                i += 1
            if progress is not None:
                progress(raw.tell())
            if special:
                yield _arrow_batch(columns, [f for _, f in special], [n for n, _ in special])
            if not good:
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
                if "utf8" in msg.lower():
                    raise InputError(
                        f"{path}: cannot decode the file as {enc}; state the encoding with --encoding"
                    ) from None
                raise InputError(f"{path}: cannot parse the file as CSV ({msg.splitlines()[0]})") from None
            if -1 in invalid:
                raise InputError(f"{path}: cannot locate a malformed line; check the field counts")
            bad_idx = {k - 1 for k in invalid}
            for k in sorted(bad_idx):
                n_fields = len(next(csv.reader([good[k].decode("utf-8", "replace").rstrip("\r")], delimiter=delim)))
                on_bad(
                    nos[k],
                    good[k].decode("utf-8", "replace").rstrip("\r"),
                    f"{n_fields} fields where the header has {width}",
                )
            kept = [n for k, n in enumerate(nos) if k not in bad_idx] if bad_idx else nos
            table = table.rename_columns(columns)
            for batch in table.to_batches(max_chunksize=BATCH_ROWS):
                yield batch.add_column(0, "row_no", pa.array(kept[: batch.num_rows], pa.int64()))
                kept = kept[batch.num_rows :]
        raw.close()
        if source != path:
            source.unlink(missing_ok=True)

    return columns, batches()


def _unique(columns: list[str], path: Path) -> None:
    twice = sorted({c for c in columns if c in CONTRACT and columns.count(c) > 1})
    if twice:
        raise InputError(f"{path}: column(s) {', '.join(twice)} appear more than once; keep one of each")


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
    required columns; rows numbered as Excel shows them (the sheet's row numbers)."""
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
        names = canonical_names([_cell_text(v) for v in values], mapping)
        if first_seen is None and any(names):
            first_seen = [_cell_text(v) for v in values]
        if all(c in names for c in required):
            header_at, columns = i, names
            break
        if i >= 10:
            break
    if header_at is not None:
        _unique(columns, path)
    if header_at is None:
        if first_seen is None:
            raise InputError(f"{path}: the sheet is empty (no header row)")
        _require(canonical_names(first_seen, mapping), required, path, first_seen)
    width = len(columns)

    def batches() -> Iterator[pa.RecordBatch]:
        rows: list[list[str]] = []
        nos: list[int] = []
        # numbered as Excel shows them: the sheet's own row numbers (title rows, the header and
        # blank rows counted), so a compiler finds the row where the submitter's sheet has it
        for n, values in enumerate(it, start=header_at + 1 if header_at is not None else 1):
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
