"""The demo's revision scenario: knowledge services 2025H1, provisional, then corrected and final.

After the provisional release of kst 2025H1, a corrected resubmission arrives: the same records
file with a few reporters' 2025H1 amounts changed, ingested as a batch that supersedes the first
(``--supersedes``). Some of the changes fall in small cells (a partner cell of at most
:data:`SMALL_REPORTERS` reporters whose smallest reporter's amounts grow :data:`SMALL_FACTOR`
times), some in large ones (a few mid-sized reporters' amounts cut by
:data:`LARGE_CUT` percent). The whole change stays below :data:`MAX_CHANGE_USD` so the published
figures still hold to their rounding. The domain is compiled again (its disclosure control
protects the new pattern against the provisional vintage) and released as final; both vintages
are published, and ``disclosure/report.md`` shows what changed in the pattern and why.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

SMALL_CELLS = 3  # partner cells whose smallest reporter's amounts change
SMALL_REPORTERS = 7  # a small cell: at most this many reporters
SMALL_FACTOR = 6
LARGE_REPORTERS = 3  # mid-sized reporters whose amounts are cut
LARGE_CUT = 3  # percent
MAX_CHANGE_USD = 3_000_000
PERIOD = "2025H1"


def _choose(con: Any, quarters: list[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(reporter, flow, partner) of the small-cell changes and the mid-sized reporters cut,
    deterministically from the compiled store."""
    qs = ", ".join(f"'{q}'" for q in quarters)
    small = con.execute(
        f"""WITH cells AS (
            SELECT d.flow, d.item AS partner, d.amount_usd_micro FROM disclosure d
            WHERE d.domain = 'kst' AND d.period = '{PERIOD}' AND d.breakdown = 'partner'
              AND d.reporters <= {SMALL_REPORTERS}),
        parts AS (
            SELECT r.reporter_id, r.flow, r.partner, sum(r.amount_usd_micro) AS amt FROM reporter_cells r
            JOIN cells c ON c.flow = r.flow AND c.partner = r.partner
            WHERE r.domain = 'kst' AND r.period IN ({qs}) GROUP BY ALL)
        SELECT reporter_id, flow, partner, amt FROM parts
        QUALIFY row_number() OVER (PARTITION BY flow, partner ORDER BY amt, reporter_id) = 1
        ORDER BY amt, reporter_id"""
    ).fetchall()
    picked: list[tuple[str, str, str]] = []
    budget = MAX_CHANGE_USD * 10**6 / 2
    for rid, flow, partner, amt in small:
        extra = int(amt) * (SMALL_FACTOR - 1)
        if extra <= budget and len(picked) < SMALL_CELLS and rid not in {p[0] for p in picked}:
            picked.append((rid, flow, partner))
            budget -= extra
    cut_budget = MAX_CHANGE_USD * 10**6 / 2 * 100 / LARGE_CUT / LARGE_REPORTERS
    large = [
        rid
        for (rid,) in con.execute(
            f"""SELECT reporter_id FROM reporter_cells WHERE domain = 'kst' AND period IN ({qs})
            GROUP BY 1 HAVING sum(amount_usd_micro) <= {int(cut_budget)}
            ORDER BY sum(amount_usd_micro) DESC, reporter_id LIMIT {LARGE_REPORTERS + SMALL_CELLS}"""
        ).fetchall()
        if rid not in {p[0] for p in picked}
    ][:LARGE_REPORTERS]
    return picked, large


def corrected_file(con: Any, records: Path, out: Path) -> tuple[Path, str]:
    """Write the corrected resubmission of ``records`` to ``out``; returns it and a one-line
    description of the corrections."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ktstat import domain as domains
    from ktstat.periods import parse

    dom = domains.load("kst")
    quarters = [str(q) for q in parse(PERIOD).subperiods(dom.base_frequency)]
    small, large = _choose(con, quarters)
    months = {str(m) for q in quarters for m in _months(q)}
    table = pq.read_table(records)
    cols = {name: table.column(name).to_pylist() for name in ("reporter_id", "period", "flow", "partner")}
    amounts = table.column("amount").to_pylist()
    small_set = set(small)
    large_set = set(large)
    changed = 0
    for n, amount in enumerate(amounts):
        if cols["period"][n][:7] not in months:
            continue
        rid = cols["reporter_id"][n]
        if (rid, cols["flow"][n], cols["partner"][n]) in small_set:
            amounts[n] = amount * SMALL_FACTOR
            changed += 1
        elif rid in large_set:
            amounts[n] = (amount * (100 - LARGE_CUT) / 100).quantize(Decimal("1"))  # whole units: any currency
            changed += 1
    fixed = table.set_column(
        table.schema.get_field_index("amount"), "amount", pa.array(amounts, table.schema.field("amount").type)
    )
    pq.write_table(fixed, out)
    what = (
        f"{changed} records of {len(small) + len(large)} reporters corrected: {len(small)} in small partner cells "
        f"(x{SMALL_FACTOR}), {len(large)} mid-sized reporters (-{LARGE_CUT} %)"
    )
    return out, what


def _months(quarter: str) -> list[str]:
    year, q = int(quarter[:4]), int(quarter[-1])
    return [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]


def revise_kst(con: Any, out: Path, now: Any, say: Any) -> list[tuple[str, Path]]:
    """The scenario (module doc): returns the final vintage's id and release folder."""
    from ktstat import domain as domains
    from ktstat.ingest import ingest_files
    from ktstat.pipeline import compile_store
    from ktstat.publish.release import write_release
    from ktstat.release.calendar import release_time
    from ktstat.release.vintage import create_vintage

    dom = domains.load("kst")
    (batch,) = con.execute("SELECT max(batch_id) FROM batches WHERE domain = 'kst' AND status = 'active'").fetchall()[0]
    path, what = corrected_file(
        con, out / "inputs" / "kst" / "records.parquet", out / "inputs" / "kst" / "records-corrected.parquet"
    )
    say(f"kst: a corrected resubmission superseding batch {batch}: {what}")
    ingest_files(con, dom, [path], submitter="demo: corrected resubmission", supersedes=int(batch), progress=say)
    compile_store(con, "kst", say)
    at = release_time(dom, PERIOD, "final") or now
    v = create_vintage(con, dom, PERIOD, "final", at, now, reason=f"final figures; {what}")
    folder = out / "releases" / f"kst-{PERIOD}-final"
    say(f"publishing {v.vintage_id} (final) to {folder}")
    write_release(con, v.vintage_id, folder, now, say)
    return [(v.vintage_id, folder)]
