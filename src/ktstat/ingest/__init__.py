"""Ingest: read submitted files into the store as batches, validate, quarantine, reconcile.

Inputs (contracts of DESIGN.md):

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
from ktstat.errors import InputError
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
from ktstat.store import count, one

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
        raise InputError(str(e).replace(str(reporters), str(shown_reporters)).replace(str(rates), str(shown_rates))
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
    con.execute(f"CREATE OR REPLACE TEMP TABLE rates_in AS SELECT upper(trim(CAST(currency AS VARCHAR))) AS currency, "
                f"upper(trim(CAST(period AS VARCHAR))) AS period, trim(CAST(per_usd AS VARCHAR)) AS per_usd FROM {src}")
    bad = one(con, "SELECT currency, period, per_usd FROM rates_in WHERE TRY_CAST(per_usd AS DECIMAL(18, 6)) IS NULL "
                   "OR TRY_CAST(per_usd AS DECIMAL(18, 6)) <= 0 LIMIT 1")
    if bad:
        raise InputError(f"{rates}: the rate of {bad[0]} for {bad[1]} is {bad[2]!r}; give a positive number of units "
                         "per US dollar")
    dup = one(con, "SELECT currency, period, count(*) FROM rates_in GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 1")
    if dup:
        raise InputError(f"{rates}: {dup[2]} rates for {dup[0]} {dup[1]}; give one rate per currency and period")
    con.execute("DELETE FROM rates")
    con.execute("INSERT INTO rates SELECT currency, period, CAST(CAST(per_usd AS DECIMAL(18, 6)) * 1000000 AS HUGEINT) "
                "FROM rates_in")


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
        + ("WHEN regexp_full_match(period, '[0-9]{4}') THEN make_date(TRY_CAST(period AS INTEGER), 1, 1) "
           if annual else "")
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


def _stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    batch_id: int,
    mapping: dict[str, str],
    encoding: str | None,
    sheet: str | None,
    domain: Domain,
    say: Progress,
) -> None:
    """Fill temp table ``stg`` with the file's rows; unparseable lines go to the quarantine."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unsupported format {path.suffix!r}; send CSV, Parquet or Excel (.xlsx)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); send the file with its header and rows")
    con.execute(STG)
    fields = [*RECORD_COLUMNS, *OPTIONAL_COLUMNS]
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
        sel = ", ".join(f'trim(CAST("{renamed[c]}" AS VARCHAR))' if c in renamed else "NULL" for c in fields)
        p = str(path).replace("'", "''")
        try:
            con.execute(
                f"INSERT INTO stg SELECT file_row_number + 1, {sel} FROM read_parquet('{p}', file_row_number=true)"
            )
        except Exception as e:  # noqa: BLE001 - a corrupt file is the user's to fix
            raise InputError(f"{path}: cannot be read as Parquet ({str(e).splitlines()[0]}); send it again") from None
        return
    bad: list[tuple[Any, ...]] = []

    def on_bad(row_no: int, text: str, reason: str) -> None:
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
    sel = ", ".join(f'trim("{c}")' if c in columns else "NULL" for c in fields)
    for b in batches:
        con.register("incoming", b)
        con.execute(f"INSERT INTO stg SELECT row_no, {sel} FROM incoming")
        con.unregister("incoming")
    if bad:
        con.executemany("INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", bad)


def _check(con: duckdb.DuckDBPyConnection, domain: Domain, batch_id: int, path: Path) -> None:
    """Apply the domain's rules to ``stg``: quarantine, review flags, accepted records."""
    _, rules = load_rules(domain)
    now = dt.date.today()
    n = PER_YEAR[domain.base_frequency]
    today_index = now.year * n + (now.month - 1) * n // 12
    con.execute(
        "CREATE OR REPLACE TEMP TABLE valid_items AS SELECT unnest(?::VARCHAR[]) AS code",
        [domain.item_codelist.leaves()],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE valid_partners AS SELECT unnest(?::VARCHAR[]) AS code",
        [domain.partner_codelist.leaves()],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE valid_currencies (code VARCHAR, minor_units INTEGER)")
    con.executemany("INSERT INTO valid_currencies VALUES (?, ?)", _currencies())
    per = PER_YEAR[domain.base_frequency]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE chk AS
        WITH s0 AS (SELECT *, {_ref_date_sql(domain)} AS ref_date FROM stg),
        s AS (
            SELECT *, year(ref_date) * {per} + (month(ref_date) - 1) * {per} // 12 AS base_index,
                   CASE WHEN regexp_full_match(amount, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)')
                        THEN TRY_CAST(amount AS DECIMAL(24, 4)) END AS amt,
                   length(rtrim(regexp_extract(amount, '[.]([0-9]*)$', 1), '0')) AS decimals,
                   row_number() OVER (PARTITION BY record_id ORDER BY row_no) AS dup_k
            FROM s0),
        keys AS (SELECT DISTINCT reporter_id, ref_date FROM s WHERE ref_date IS NOT NULL),
        versions AS (
            SELECT k.reporter_id, k.ref_date, count(r.reporter_id) AS reporter_n
            FROM keys k LEFT JOIN reporters r ON r.domain = ? AND r.reporter_id = k.reporter_id
                 AND (r.valid_from IS NULL OR r.valid_from <= k.ref_date)
                 AND (r.valid_to IS NULL OR r.valid_to >= k.ref_date)
            GROUP BY 1, 2),
        known AS (SELECT reporter_id, count(*) AS n FROM reporters WHERE domain = ? GROUP BY 1),
        prior AS (SELECT DISTINCT r.record_id FROM records r JOIN batches b USING (batch_id)
                  WHERE r.domain = ? AND b.status = 'active'),
        u AS (
            SELECT s.*,
                CASE WHEN s.base_index IS NULL THEN NULL WHEN {per} = 1 THEN CAST(s.base_index AS VARCHAR)
                     ELSE CAST(s.base_index // {per} AS VARCHAR) || '{domain.base_frequency}'
                          || CAST(s.base_index % {per} + 1 AS VARCHAR) END AS base_period,
                {domain.first_period.index} AS first_index, {domain.last_period.index} AS last_index,
                {today_index} AS today_index,
                vi.code IS NOT NULL AS item_ok, vp.code IS NOT NULL AS partner_ok, vc.code IS NOT NULL AS currency_ok,
                coalesce(vc.minor_units, 4) AS minor_units,
                pr.record_id IS NOT NULL AS seen_before,
                coalesce(k.n, 0) AS reporter_known, coalesce(v.reporter_n, 0) AS reporter_n
            FROM s
            LEFT JOIN valid_items vi ON vi.code = s.item
            LEFT JOIN valid_partners vp ON vp.code = upper(s.partner)
            LEFT JOIN valid_currencies vc ON vc.code = upper(s.currency)
            LEFT JOIN prior pr ON pr.record_id = s.record_id
            LEFT JOIN known k ON k.reporter_id = s.reporter_id
            LEFT JOIN versions v ON v.reporter_id = s.reporter_id AND v.ref_date = s.ref_date),
        w AS (
            SELECT u.*, coalesce(q.per_usd, y.per_usd, CASE WHEN upper(u.currency) = 'USD' THEN 1000000 END) AS per_usd
            FROM u
            LEFT JOIN rates q ON q.currency = upper(u.currency) AND q.period = u.base_period
            LEFT JOIN rates y ON y.currency = upper(u.currency) AND y.period = substr(u.base_period, 1, 4))
        SELECT *, abs(amt) * 1e6 / per_usd AS usd_abs FROM w""",
        [domain.id, domain.id, domain.id],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE chk_median AS
        SELECT reporter_id, median(usd_abs) AS reporter_median FROM chk WHERE usd_abs IS NOT NULL GROUP BY 1"""
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
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE fails AS
            SELECT row_no, record_id, unnest(list_filter([{", ".join(checks)}], lambda x: x IS NOT NULL)) AS f
            FROM chk LEFT JOIN chk_median USING (reporter_id)""",
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
        SELECT ?, ?, ?, row_no, record_id, reporter_id, period, flow, partner, item, amount, currency, note, NULL
        FROM stg WHERE row_no IN (SELECT row_no FROM quarantine WHERE batch_id = ?)""",
        [domain.id, batch_id, str(path), batch_id],
    )
    con.execute(
        """INSERT INTO quarantined_rows (domain, batch_id, file, row_no, line)
        SELECT domain, batch_id, file, row_no, value FROM quarantine WHERE batch_id = ? AND rule = 'csv_syntax'""",
        [batch_id],
    )
    con.execute(
        """INSERT INTO records
        SELECT ?, ?, ?, c.row_no, c.record_id, c.reporter_id, c.base_period, c.base_index, c.ref_date,
               upper(c.flow), upper(c.partner), c.item, upper(c.currency), CAST(c.amt * 10000 AS HUGEINT), c.per_usd,
               c.note
        FROM chk c ANTI JOIN (SELECT row_no FROM quarantine WHERE batch_id = ?) q ON c.row_no = q.row_no""",
        [domain.id, batch_id, str(path), batch_id],
    )


def _file_report(con: duckdb.DuckDBPyConnection, rep: FileReport, batch_id: int) -> None:
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
    rows = con.execute(
        """SELECT upper(c.currency) AS cur, sum(c.amt) AS amount_in,
                  coalesce(sum(c.amt) FILTER (WHERE q.row_no IS NULL), 0) AS amount_accepted,
                  coalesce(sum(c.amt) FILTER (WHERE q.row_no IS NOT NULL), 0) AS amount_quarantined
        FROM chk c LEFT JOIN (SELECT DISTINCT row_no FROM quarantine WHERE batch_id = ?) q ON q.row_no = c.row_no
        WHERE c.amt IS NOT NULL GROUP BY 1 ORDER BY 1""",
        [batch_id],
    ).fetchall()
    rep.amounts = {cur: {"in": Decimal(a), "accepted": Decimal(b), "quarantined": Decimal(c)} for cur, a, b, c in rows}
    stored = count(con, "SELECT count(*) FROM records WHERE batch_id = ?", [batch_id])
    accepted_money = one(con, "SELECT coalesce(sum(amount_minor), 0) FROM records WHERE batch_id = ?", [batch_id])
    want = sum((a["accepted"] for a in rep.amounts.values()), Decimal(0)) * 10000
    if stored != rep.accepted or accepted_money is None or Decimal(accepted_money[0]) != want:
        raise InputError(f"{rep.file}: stored records do not match the accepted rows; nothing was ingested")


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
            _stage(con, path, batch_id, maps, encoding, sheet, domain, say)
            say(f"{domain.id}: validating {path.name}")
            _check(con, domain, batch_id, path)
            _file_report(con, rep, batch_id)
            if not rep.reconciles:
                raise InputError(f"{path}: rows or amounts do not reconcile; nothing was ingested")
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


def reset_domain(con: duckdb.DuckDBPyConnection, domain: Domain) -> None:
    """Forget a domain's batches, records, quarantine and review flags."""
    for table in ("records", "quarantine", "quarantined_rows", "review", "batches"):
        con.execute(f"DELETE FROM {table} WHERE domain = ?", [domain.id])
