"""The reference data of a domain: the business register and the exchange rates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ktstat.domain import Domain
from ktstat.errors import InputError
from ktstat.ingest.contracts import RATE_COLUMNS, REPORTER_COLUMNS, SIZE_CLASSES
from ktstat.ingest.readers import detect_encoding, to_utf8
from ktstat.store import one

if TYPE_CHECKING:
    import duckdb


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
