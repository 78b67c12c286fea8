"""Ingest: read submitted files into the store as batches, validate, quarantine, reconcile.

Inputs (the contracts of README.md, "Your own data"):

- records (CSV, Parquet or Excel): ``record_id, reporter_id, period, flow, partner, item,
  amount, currency`` and optionally ``note``; ``period`` is a date, ``YYYY-MM``, ``YYYYQn``
  or, for annual programmes, ``YYYY``; ``amount`` in the currency's units (up to 2 decimals);
- reporters (CSV or Parquet): ``reporter_id, name, industry, size_class, platform`` and
  optionally ``valid_from, valid_to`` (ISO dates, empty = open);
- exchange rates (CSV or Parquet): ``currency, period, per_usd`` (units per US dollar,
  period average) for the domain's base periods, or a year as a fallback; USD needs none.

Each file is a batch (content hash, submitter, time). Every data row ends either in
``records`` (accepted) or in ``quarantine`` with each rule it broke, its file, row number,
field and value; rows in = accepted + quarantined, and amounts reconcile per currency, or the
ingest fails and the store is left as it was (one transaction per call). The same file sent
again is recognised and not counted twice; a corrected file may supersede an earlier batch.
Money is exact: ``amount_minor`` is the amount in ten-thousandths of the currency unit
(HUGEINT); an amount with more decimals than its currency has is quarantined, never rounded.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat.domain import SHARED_CODELISTS, Domain
from ktstat.errors import InputError, KtstatError
from ktstat.ingest.readers import (
    canonical_names,
    detect_encoding,
    load_mapping,
    read_csv,
    read_excel,
    read_parquet_schema,
    to_utf8,
)
from ktstat.ingest.rules import load_rules
from ktstat.periods import PER_YEAR
from ktstat.store import count, insert_rows, one

if TYPE_CHECKING:
    import duckdb

RECORD_COLUMNS = ("record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency")
OPTIONAL_COLUMNS = ("note",)
REPORTER_COLUMNS = ("reporter_id", "name", "industry", "size_class", "platform")
RATE_COLUMNS = ("currency", "period", "per_usd")
SIZE_CLASSES = ("large", "mid_sized", "sme", "individual")
FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".xlsx": "excel"}
Progress = Callable[[str], None]


@dataclass
class FileReport:
    """What happened to one file. Amounts per currency as Decimal units of the currency."""

    file: str
    batch_id: int | None = None
    duplicate_of: int | None = None
    rows_in: int = 0
    accepted: int = 0
    quarantined: int = 0
    review: int = 0
    resolved: int = 0  # quarantined rows of earlier batches this file's accepted records correct
    by_rule: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        money = all(a["in"] == a["accepted"] + a["quarantined"] for a in self.amounts.values())
        return self.rows_in == self.accepted + self.quarantined and money

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "batch_id": self.batch_id,
            "duplicate_of": self.duplicate_of,
            "rows_in": self.rows_in,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "flagged_for_review": self.review,
            "resolved_earlier_quarantined": self.resolved,
            "quarantined_by_rule": self.by_rule,
            "amounts": {c: {k: str(v) for k, v in a.items()} for c, a in self.amounts.items()},
            "reconciles": self.reconciles,
        }


@dataclass
class IngestReport:
    domain: str
    files: list[FileReport] = field(default_factory=list)
    superseded: int | None = None

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for k, v in f.by_rule.items():
                out[k] = out.get(k, 0) + v
        return dict(sorted(out.items()))

    @property
    def reconciles(self) -> bool:
        return all(f.reconciles for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "files": [f.as_dict() for f in self.files],
            "total": {
                "rows_in": self.rows_in,
                "accepted": self.accepted,
                "quarantined": self.quarantined,
                "quarantined_by_rule": self.by_rule,
                "reconciles": self.reconciles,
            },
            "superseded_batch": self.superseded,
        }


def _reader_sql(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    p = str(path).replace("'", "''")
    if path.suffix.lower() == ".parquet":
        return f"read_parquet('{p}')"
    return f"read_csv('{p}', all_varchar=true, header=true)"


def _columns(con: duckdb.DuckDBPyConnection, src: str, path: Path) -> list[str]:
    import duckdb

    try:
        return [d[0] for d in con.execute(f"SELECT * FROM {src} LIMIT 0").description]
    except duckdb.Error as e:
        raise InputError(f"{path}: cannot be read ({str(e).splitlines()[0]})") from None


def _require(cols: list[str], need: tuple[str, ...], path: Path, what: str) -> None:
    missing = [c for c in need if c not in cols]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)} required for {what} (found: {', '.join(cols) or 'none'})"
        )


def _utf8_text(path: Path) -> Path:
    """The file itself when it is Parquet or UTF-8 text, else a temporary UTF-8 copy."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() == ".parquet":
        return path
    enc = detect_encoding(path)
    return path if enc in ("utf-8", "utf-8-sig") else to_utf8(path, enc)


def load_reference(con: duckdb.DuckDBPyConnection, domain: Domain, reporters: Path, rates: Path) -> None:
    """Load (replace) the business register and the exchange rates (tables ``reporters``, ``rates``).
    CSV files may be UTF-8 or CP949/EUC-KR (detected)."""
    shown_reporters, shown_rates = reporters, rates
    reporters, rates = _utf8_text(reporters), _utf8_text(rates)
    try:
        _load_reference(con, domain, reporters, rates)
    except InputError as e:
        raise InputError(
            str(e).replace(str(reporters), str(shown_reporters)).replace(str(rates), str(shown_rates))
        ) from None
    finally:
        for tmp, orig in ((reporters, shown_reporters), (rates, shown_rates)):
            if tmp != orig:
                tmp.unlink(missing_ok=True)


def _load_reference(con: duckdb.DuckDBPyConnection, domain: Domain, reporters: Path, rates: Path) -> None:
    src = _reader_sql(reporters)
    cols = _columns(con, src, reporters)
    _require(cols, REPORTER_COLUMNS, reporters, "a business register")
    vf = "TRY_CAST(valid_from AS DATE)" if "valid_from" in cols else "NULL::DATE"
    vt = "TRY_CAST(valid_to AS DATE)" if "valid_to" in cols else "NULL::DATE"
    con.execute("DELETE FROM reporters WHERE domain = ?", [domain.id])
    con.execute(
        f"""INSERT INTO reporters
        SELECT ?, trim(CAST(reporter_id AS VARCHAR)), CAST(name AS VARCHAR), trim(CAST(industry AS VARCHAR)),
               lower(trim(CAST(size_class AS VARCHAR))),
               coalesce(lower(trim(CAST(platform AS VARCHAR))) IN ('true', '1', 'yes', 'y', 't'), false),
               {vf}, {vt}
        FROM {src}""",
        [domain.id],
    )
    bad = one(
        con,
        "SELECT reporter_id, size_class FROM reporters WHERE domain = ? AND size_class NOT IN "
        f"({', '.join(repr(s) for s in SIZE_CLASSES)}) LIMIT 1",
        [domain.id],
    )
    if bad:
        raise InputError(
            f"{reporters}: reporter {bad[0]} has size_class {bad[1]!r}; use one of {', '.join(SIZE_CLASSES)}"
        )
    src = _reader_sql(rates)
    cols = _columns(con, src, rates)
    _require(cols, RATE_COLUMNS, rates, "exchange rates")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE rates_in AS SELECT upper(trim(CAST(currency AS VARCHAR))) AS currency, "
        f"upper(trim(CAST(period AS VARCHAR))) AS period, trim(CAST(per_usd AS VARCHAR)) AS per_usd FROM {src}"
    )
    bad = one(
        con,
        "SELECT currency, period, per_usd FROM rates_in WHERE TRY_CAST(per_usd AS DECIMAL(18, 6)) IS NULL "
        "OR TRY_CAST(per_usd AS DECIMAL(18, 6)) <= 0 LIMIT 1",
    )
    if bad:
        raise InputError(
            f"{rates}: the rate of {bad[0]} for {bad[1]} is {bad[2]!r}; give a positive number of units per US dollar"
        )
    dup = one(con, "SELECT currency, period, count(*) FROM rates_in GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 1")
    if dup:
        raise InputError(f"{rates}: {dup[2]} rates for {dup[0]} {dup[1]}; give one rate per currency and period")
    con.execute("DELETE FROM rates")
    con.execute(
        "INSERT INTO rates SELECT currency, period, CAST(CAST(per_usd AS DECIMAL(18, 6)) * 1000000 AS HUGEINT) "
        "FROM rates_in"
    )


def _ref_date_sql(domain: Domain) -> str:
    """SQL for the reference date of a text ``period`` (NULL when unreadable): the date itself
    (a date or a timestamp), else the first day of the month, quarter or (annual programmes)
    year."""
    annual = domain.base_frequency == "A"
    return (
        "CASE WHEN regexp_full_match(period, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN TRY_CAST(period AS DATE) "
        "WHEN regexp_full_match(period, '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?') "
        "THEN CAST(TRY_CAST(replace(period, 'T', ' ') AS TIMESTAMP) AS DATE) "
        "WHEN regexp_full_match(period, '[0-9]{4}-[0-9]{2}') THEN TRY_CAST(period || '-01' AS DATE) "
        "WHEN regexp_full_match(period, '[0-9]{4}Q[1-4]') THEN make_date(CAST(substr(period, 1, 4) AS INTEGER), "
        "(CAST(substr(period, 6, 1) AS INTEGER) - 1) * 3 + 1, 1) "
        + (
            "WHEN regexp_full_match(period, '[0-9]{4}') THEN make_date(TRY_CAST(period AS INTEGER), 1, 1) "
            if annual
            else ""
        )
        + "END"
    )


def _currencies() -> list[tuple[str, int]]:
    """ISO 4217 codes with their minor units (decimals)."""
    with (SHARED_CODELISTS / "currencies.csv").open(encoding="utf-8", newline="") as f:
        return [(r["code"], int(r["minor_units"] or 4)) for r in csv.DictReader(f)]


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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


def _check(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    batch_id: int,
    path: Path,
    amount_sql: tuple[str, str],
    say: Progress,
) -> None:
    """Apply the domain's rules to ``stg``: quarantine, review flags, accepted records.

    Set-based, in a few passes over ``stg`` and no copy of it: small lookup tables first (each
    distinct period's reference date and base period, the register versions valid for each
    reporter and date, the rows of duplicated record ids with their occurrence, the record ids
    of active batches, each reporter's median amount), then view ``chk`` (every row with the
    columns the rules read, see ``rules/records.toml``) gives the rules' failures in one pass
    (table ``fails``, the failing rows only), and the rows without a quarantining failure go to
    ``records`` in one ``INSERT ... SELECT``."""
    _, rules = load_rules(domain)
    now = dt.date.today()
    n = PER_YEAR[domain.base_frequency]
    today_index = now.year * n + (now.month - 1) * n // 12
    amt, decimals = amount_sql
    con.execute(
        "CREATE OR REPLACE TEMP TABLE valid_items AS SELECT unnest(?::VARCHAR[]) AS code",
        [domain.item_codelist.leaves()],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE valid_partners AS SELECT unnest(?::VARCHAR[]) AS code",
        [domain.partner_codelist.leaves()],
    )
    currencies = _currencies()
    con.execute(
        "CREATE OR REPLACE TEMP TABLE valid_currencies AS SELECT unnest(?::VARCHAR[]) AS code, "
        "unnest(?::INTEGER[]) AS minor_units",
        [[c for c, _ in currencies], [m for _, m in currencies]],
    )
    per = PER_YEAR[domain.base_frequency]
    # one pass for the distinct keys the lookups need: (period, currency), (reporter, period), (item, partner)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE chk_keys AS
        SELECT reporter_id, period, currency, item, partner, GROUPING(reporter_id, period, currency, item, partner) AS g
        FROM stg GROUP BY GROUPING SETS ((period, currency), (reporter_id, period), (item, partner))"""
    )
    pc, rp, ip = 0b10011, 0b00111, 0b11100  # GROUPING() of each set: a bit per column left out, first highest
    # per (period, currency): the reference date, base period and index, the rate, the currency's minor units
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_pc AS
        WITH p0 AS (SELECT period, currency, {_ref_date_sql(domain)} AS ref_date FROM chk_keys WHERE g = {pc}),
        p1 AS (SELECT *, year(ref_date) * {per} + (month(ref_date) - 1) * {per} // 12 AS base_index FROM p0),
        p2 AS (SELECT *, CASE WHEN base_index IS NULL THEN NULL WHEN {per} = 1 THEN CAST(base_index AS VARCHAR)
                              ELSE CAST(base_index // {per} AS VARCHAR) || '{domain.base_frequency}'
                                   || CAST(base_index % {per} + 1 AS VARCHAR) END AS base_period FROM p1)
        SELECT p2.*, coalesce(q.per_usd, y.per_usd, CASE WHEN upper(p2.currency) = 'USD' THEN 1000000 END) AS per_usd,
               vc.code IS NOT NULL AS currency_ok, coalesce(vc.minor_units, 4) AS minor_units
        FROM p2
        LEFT JOIN rates q ON q.currency = upper(p2.currency) AND q.period = p2.base_period
        LEFT JOIN rates y ON y.currency = upper(p2.currency) AND y.period = substr(p2.base_period, 1, 4)
        LEFT JOIN valid_currencies vc ON vc.code = upper(p2.currency)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_ip AS
        SELECT item, partner, item IN (SELECT code FROM valid_items) AS item_ok,
               upper(partner) IN (SELECT code FROM valid_partners) AS partner_ok
        FROM chk_keys WHERE g = {ip}"""
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE chk_prior AS SELECT DISTINCT r.record_id FROM records r "
        "JOIN batches b USING (batch_id) WHERE r.domain = ? AND b.status = 'active'",
        [domain.id],
    )
    # occurrence of each row's record id within the file (dup_k), kept for repeated ids only
    con.execute(
        """CREATE OR REPLACE TEMP TABLE chk_dups AS
        SELECT s.row_no, row_number() OVER (PARTITION BY s.record_id ORDER BY s.row_no) AS dup_k
        FROM stg s SEMI JOIN (SELECT record_id FROM stg GROUP BY record_id HAVING count(*) > 1) d
             ON s.record_id IS NOT DISTINCT FROM d.record_id"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW chk_base AS
        SELECT st.*, p.ref_date, p.base_index, p.base_period, {amt.replace("amount", "st.amount")} AS amt,
               {decimals.replace("amount", "st.amount")} AS decimals, p.per_usd, p.currency_ok, p.minor_units
        FROM stg st
        LEFT JOIN chk_pc p ON p.period IS NOT DISTINCT FROM st.period AND p.currency IS NOT DISTINCT FROM st.currency"""
    )
    # per (reporter, period): register versions known and valid at the reference date, the median amount
    con.execute(
        """CREATE OR REPLACE TEMP TABLE chk_median AS
        SELECT reporter_id, median(usd_abs) AS reporter_median
        FROM (SELECT reporter_id, abs(amt) * 1e6 / per_usd AS usd_abs FROM chk_base)
        WHERE usd_abs IS NOT NULL GROUP BY 1"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk_rp AS
        WITH keys AS (SELECT k.reporter_id, k.period, p.ref_date
                      FROM (SELECT reporter_id, period FROM chk_keys WHERE g = {rp}) k
                      LEFT JOIN (SELECT DISTINCT period, ref_date FROM chk_pc) p ON p.period = k.period),
        versions AS (
            SELECT k.reporter_id, k.ref_date, count(r.reporter_id) AS reporter_n
            FROM (SELECT DISTINCT reporter_id, ref_date FROM keys WHERE ref_date IS NOT NULL) k
            LEFT JOIN reporters r ON r.domain = ? AND r.reporter_id = k.reporter_id
                 AND (r.valid_from IS NULL OR r.valid_from <= k.ref_date)
                 AND (r.valid_to IS NULL OR r.valid_to >= k.ref_date)
            GROUP BY 1, 2),
        known AS (SELECT reporter_id, count(*) AS n FROM reporters WHERE domain = ? GROUP BY 1)
        SELECT k.reporter_id, k.period, coalesce(kn.n, 0) AS reporter_known, coalesce(v.reporter_n, 0) AS reporter_n,
               md.reporter_median
        FROM keys k
        LEFT JOIN versions v ON v.reporter_id = k.reporter_id AND v.ref_date = k.ref_date
        LEFT JOIN known kn ON kn.reporter_id = k.reporter_id
        LEFT JOIN chk_median md ON md.reporter_id = k.reporter_id""",
        [domain.id, domain.id],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW chk AS
        SELECT b.*, coalesce(d.dup_k, 1) AS dup_k,
               {domain.first_period.index} AS first_index, {domain.last_period.index} AS last_index,
               {today_index} AS today_index, i.item_ok, i.partner_ok,
               pr.record_id IS NOT NULL AS seen_before, r.reporter_known, r.reporter_n,
               abs(b.amt) * 1e6 / b.per_usd AS usd_abs, r.reporter_median
        FROM chk_base b
        LEFT JOIN chk_rp r ON r.reporter_id IS NOT DISTINCT FROM b.reporter_id
             AND r.period IS NOT DISTINCT FROM b.period
        LEFT JOIN chk_ip i ON i.item IS NOT DISTINCT FROM b.item AND i.partner IS NOT DISTINCT FROM b.partner
        LEFT JOIN chk_dups d ON d.row_no = b.row_no
        LEFT JOIN chk_prior pr ON pr.record_id = b.record_id"""
    )
    checks = []
    params: list[Any] = []
    for r in rules:
        value = f"CAST({r.field} AS VARCHAR)" if r.field in (*RECORD_COLUMNS, *OPTIONAL_COLUMNS) else "NULL"
        checks.append(
            f"CASE WHEN coalesce(({r.when}), false) THEN struct_pack(field := ?::VARCHAR, value := {value}, "
            "rule := ?::VARCHAR, message := ?::VARCHAR, severity := ?::VARCHAR) END"
        )
        params += [r.field, r.name, r.message, r.severity]
    # the rows breaking some rule are found first (plain conditions); only they get their list
    broken = " OR ".join(f"coalesce(({r.when}), false)" for r in rules) or "false"
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE fails AS
            SELECT row_no, record_id, reporter_id, period, flow, partner, item, amount, currency, note, amt,
                   unnest(list_filter([{", ".join(checks)}], lambda x: x IS NOT NULL)) AS f
            FROM (SELECT * FROM chk WHERE {broken})""",
            params,
        )
    except Exception as e:  # noqa: BLE001 - a broken rule is the rules file's fault
        raise InputError(f"the validation rules cannot be applied: {str(e).splitlines()[0]}") from None
    for target, severity in (("quarantine", "quarantine"), ("review", "review")):
        con.execute(
            f"""INSERT INTO {target} SELECT ?, ?, ?, row_no, f.field, f.value, f.rule, f.message, record_id
            FROM fails WHERE f.severity = ?""",
            [domain.id, batch_id, str(path), severity],
        )
    con.execute(
        """INSERT INTO quarantined_rows
        SELECT DISTINCT ?, ?, ?, row_no, record_id, reporter_id, period, flow, partner, item, amount, currency, note,
               NULL
        FROM fails WHERE f.severity = 'quarantine'""",
        [domain.id, batch_id, str(path)],
    )
    syntax_ids = (
        "(SELECT * FROM syntax_ids)"
        if con.execute("SELECT 1 FROM duckdb_tables() WHERE temporary AND table_name = 'syntax_ids'").fetchall()
        else "(SELECT NULL::BIGINT AS row_no, NULL AS record_id, NULL AS reporter_id LIMIT 0)"
    )
    con.execute(
        f"""INSERT INTO quarantined_rows (domain, batch_id, file, row_no, record_id, reporter_id, line)
        SELECT q.domain, q.batch_id, q.file, q.row_no, s.record_id, s.reporter_id, q.value
        FROM quarantine q LEFT JOIN {syntax_ids} s ON s.row_no = q.row_no
        WHERE q.batch_id = ? AND q.rule = 'csv_syntax'""",
        [batch_id],
    )
    say(f"{domain.id}: storing the accepted records of {path.name}")
    con.execute(
        """INSERT INTO records
        SELECT ?, ?, ?, c.row_no, c.record_id, c.reporter_id, c.base_period, c.base_index, c.ref_date,
               upper(c.flow), upper(c.partner), c.item, upper(c.currency), CAST(c.amt * 10000 AS HUGEINT), c.per_usd,
               c.note
        FROM chk_base c ANTI JOIN (SELECT row_no FROM quarantine WHERE batch_id = ?) q ON c.row_no = q.row_no""",
        [domain.id, batch_id, str(path), batch_id],
    )


def _check_file(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    batch_id: int,
    path: Path,
    amount_sql: tuple[str, str],
    say: Progress,
) -> None:
    """:func:`_check`; a Parquet file is read during it, so a file whose data (not only its
    header) cannot be read is reported as such."""
    import duckdb

    if path.suffix.lower() != ".parquet":
        _check(con, domain, batch_id, path, amount_sql, say)
        return
    try:
        _check(con, domain, batch_id, path, amount_sql, say)
    except duckdb.OutOfMemoryException as e:  # not the file's fault: say what to change here
        raise KtstatError(
            f"{path}: out of memory while validating ({str(e).splitlines()[0]}); raise "
            "KTSTAT_MEMORY_LIMIT or free disk space for DuckDB to spill to"
        ) from None
    except duckdb.Error as e:
        raise InputError(f"{path}: cannot be read as Parquet ({str(e).splitlines()[0]}); send it again") from None


def _units(minor: int) -> Decimal:
    """Ten-thousandths of a currency unit as an exact Decimal with 4 decimals (as DuckDB gives a
    DECIMAL(38, 4))."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10000)
    return Decimal(f"{sign}{whole}.{frac:04d}")


def _file_report(con: duckdb.DuckDBPyConnection, rep: FileReport, batch_id: int, amt: str) -> None:
    """Count the file's rows and amounts three ways, each from its own source: all rows read
    (``stg``), the accepted rows as stored (``records``) and the quarantined rows (``fails``)."""
    bad_lines = count(
        con, "SELECT count(DISTINCT row_no) FROM quarantine WHERE batch_id = ? AND rule = 'csv_syntax'", [batch_id]
    )
    rep.rows_in = count(con, "SELECT count(*) FROM stg") + bad_lines
    rep.accepted = count(con, "SELECT count(*) FROM records WHERE batch_id = ?", [batch_id])
    rep.quarantined = count(con, "SELECT count(DISTINCT row_no) FROM quarantine WHERE batch_id = ?", [batch_id])
    rep.review = count(con, "SELECT count(DISTINCT row_no) FROM review WHERE batch_id = ?", [batch_id])
    rep.by_rule = dict(
        con.execute(
            "SELECT rule, count(DISTINCT row_no) FROM quarantine WHERE batch_id = ? GROUP BY rule ORDER BY rule",
            [batch_id],
        ).fetchall()
    )
    amounts_in = dict(
        con.execute(
            f"SELECT upper(currency), sum(a) FROM (SELECT currency, {amt} AS a FROM stg) WHERE a IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    accepted = dict(
        con.execute(
            "SELECT currency, sum(amount_minor) FROM records"
            " WHERE batch_id = ? AND amount_minor IS NOT NULL GROUP BY 1",
            [batch_id],
        ).fetchall()
    )
    quarantined = dict(
        con.execute(
            """SELECT upper(currency), sum(amt) FROM (SELECT DISTINCT row_no, currency, amt FROM fails
                                                  WHERE f.severity = 'quarantine')
        WHERE amt IS NOT NULL GROUP BY 1"""
        ).fetchall()
    )
    zero = Decimal("0.0000")
    keys = sorted({*amounts_in, *accepted, *quarantined}, key=lambda k: (k is None, k or ""))
    rep.amounts = {
        cur: {
            "in": Decimal(amounts_in.get(cur, zero)),
            "accepted": _units(int(accepted[cur])) if cur in accepted else zero,
            "quarantined": Decimal(quarantined.get(cur, zero)),
        }
        for cur in keys
    }


def ingest_files(
    con: duckdb.DuckDBPyConnection,
    domain: Domain,
    paths: Sequence[Path | str],
    mapping: Path | str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    submitter: str | None = None,
    supersedes: int | None = None,
    progress: Progress | None = None,
    reference: tuple[Path | str, Path | str] | None = None,
    replace: bool = False,
) -> IngestReport:
    """Ingest record files as batches, all or nothing (one transaction); see the module docstring.

    ``reference``: (register, rates) files to load first, in the same transaction; otherwise the
    store must already hold them. ``replace``: forget the domain's earlier batches (also in the
    transaction). Raises ``InputError`` naming the file when a file cannot be processed at all;
    the store is then left exactly as it was.
    """
    say = progress or (lambda _m: None)
    files = [Path(p) for p in paths]
    for p in files:
        if not p.exists():
            raise InputError(f"{p}: file not found")
    maps = load_mapping(Path(mapping) if mapping is not None else None)
    report = IngestReport(domain.id)
    con.execute("BEGIN TRANSACTION")
    try:
        if reference is not None:
            load_reference(con, domain, Path(reference[0]), Path(reference[1]))
        if count(con, "SELECT count(*) FROM reporters WHERE domain = ?", [domain.id]) == 0:
            raise InputError(
                f"the store has no business register for {domain.id}; load it with --reporters FILE --rates FILE"
            )
        if replace:
            reset_domain(con, domain)
        if supersedes is not None:
            row = one(con, "SELECT domain, status FROM batches WHERE batch_id = ?", [supersedes])
            if row is None or row[0] != domain.id:
                raise InputError(f"batch {supersedes} does not exist for {domain.id}; `ktstat batches` lists them")
            if row[1] != "active":
                raise InputError(f"batch {supersedes} is already {row[1]}")
            con.execute("UPDATE batches SET status = 'superseded' WHERE batch_id = ?", [supersedes])
            report.superseded = supersedes
        for path in files:
            say(f"{domain.id}: reading {path.name}")
            rep = FileReport(str(path))
            digest = file_sha256(path)
            dup = one(
                con,
                "SELECT batch_id FROM batches WHERE domain = ? AND sha256 = ? AND status = 'active'",
                [domain.id, digest],
            )
            if dup is not None:
                if supersedes is not None:
                    raise InputError(
                        f"{path}: this file was already ingested as batch {int(dup[0])}; nothing was superseded"
                    )
                rep.duplicate_of = int(dup[0])
                report.files.append(rep)
                continue
            batch_id = int(one(con, "SELECT nextval('batch_ids')")[0])  # type: ignore[index]
            rep.batch_id = batch_id
            amount_sql = _stage(con, path, batch_id, maps, encoding, sheet, domain, say)
            say(f"{domain.id}: validating {path.name}")
            _check_file(con, domain, batch_id, path, amount_sql, say)
            _file_report(con, rep, batch_id, amount_sql[0])
            rep.resolved = _resolve_corrected(con, domain, batch_id)
            if not rep.reconciles:
                raise InputError(f"{path}: rows or amounts do not reconcile; nothing was ingested")
            if path.suffix.lower() == ".parquet" and file_sha256(path) != digest:  # read in several passes
                raise InputError(f"{path}: the file changed while it was being ingested; nothing was ingested")
            con.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?, ?, 'active')",
                [
                    batch_id,
                    domain.id,
                    str(path),
                    digest,
                    submitter,
                    rep.rows_in,
                    rep.accepted,
                    rep.quarantined,
                    supersedes,
                ],
            )
            report.files.append(rep)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return report


OPEN_SQL = """NOT EXISTS (SELECT 1 FROM quarantine_resolved x LEFT JOIN batches xb ON xb.batch_id = x.by_batch
                WHERE x.batch_id = {q}.batch_id AND x.row_no = {q}.row_no
                  AND (x.by_batch IS NULL OR xb.status = 'active'))"""
"""SQL: quarantined row ``{q}`` is open (no resolution by hand, none by a record of an active batch)."""


def _resolve_corrected(con: duckdb.DuckDBPyConnection, domain: Domain, batch_id: int) -> int:
    """Mark resolved the open quarantined rows of earlier active batches whose record id, with
    the same reporter, batch ``batch_id`` accepted (a corrected row sent again); their number."""
    before = count(con, "SELECT count(*) FROM quarantine_resolved")
    con.execute(
        f"""INSERT INTO quarantine_resolved
        SELECT qr.domain, qr.batch_id, qr.row_no, now(), 'corrected', r.batch_id, min(r.row_no), NULL
        FROM quarantined_rows qr
        JOIN batches b ON b.batch_id = qr.batch_id AND b.status = 'active'
        JOIN records r ON r.batch_id = ? AND r.record_id = qr.record_id AND r.reporter_id = qr.reporter_id
        WHERE qr.domain = ? AND qr.batch_id < ? AND {OPEN_SQL.format(q="qr")}
        GROUP BY qr.domain, qr.batch_id, qr.row_no, r.batch_id""",
        [batch_id, domain.id, batch_id],
    )
    return count(con, "SELECT count(*) FROM quarantine_resolved") - before


def reset_domain(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Forget a domain's batches, records, quarantine and review flags."""
    for table in ("records", "quarantine", "quarantined_rows", "quarantine_resolved", "review", "batches"):
        con.execute(f"DELETE FROM {table} WHERE domain = ?", [domain.id])
