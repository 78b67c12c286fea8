"""The demo's revision scenario: knowledge services 2025H1, provisional, then corrected and final.

After the provisional release of kst 2025H1, a corrected resubmission arrives: the same records
file with a few reporters' 2025H1 records corrected to another partner country of the same
region (a misreported country), ingested as a batch that supersedes the first
(``--supersedes``). Some corrections fall in small cells (the smallest reporter of
:data:`SMALL_CELLS` partner cells of at most :data:`SMALL_REPORTERS` reporters), some in large
ones (:data:`LARGE_REPORTERS` mid-sized reporters). Partner cells change; regions, categories
and every total keep their values, so the published figures still hold. The domain is compiled
again (its disclosure control protects the new pattern against the provisional vintage) and
released as final; both vintages are published, and ``disclosure/report.md`` shows what changed
in the pattern and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SMALL_CELLS = 3  # partner cells whose smallest reporter's amounts change
SMALL_REPORTERS = 7  # a small cell: at most this many reporters
LARGE_REPORTERS = 3  # mid-sized reporters corrected
MID_SIZED_USD = 5_000_000  # a mid-sized reporter: at most this much in the half-year
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
    for rid, flow, partner, _amt in small:
        if len(picked) < SMALL_CELLS and rid not in {p[0] for p in picked}:
            picked.append((rid, flow, partner))
    cut_budget = MID_SIZED_USD * 10**6
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
    small_set = set(small)
    large_set = set(large)
    region = dom.breakdowns["region"]
    counts: dict[str, int] = {}
    for partner in cols["partner"]:
        counts[partner] = counts.get(partner, 0) + 1

    def sibling(partner: str) -> str:
        """The partner of the same region with the most records (a misreported country)."""
        home = region.codelist.ancestor(partner, region.level)
        same = [q for q in counts if q != partner and region.codelist.ancestor(q, region.level) == home]
        return max(same, key=lambda q: (counts[q], q)) if same else partner

    partners = list(cols["partner"])
    changed = 0
    for n in range(len(partners)):
        if cols["period"][n][:7] not in months:
            continue
        rid = cols["reporter_id"][n]
        if (rid, cols["flow"][n], cols["partner"][n]) in small_set or rid in large_set:
            # the corrected partner country: region, category and every published total are unchanged
            partners[n] = sibling(cols["partner"][n])
            changed += 1
    fixed = table.set_column(table.schema.get_field_index("partner"), "partner", pa.array(partners, pa.string()))
    pq.write_table(fixed, out)
    what = (
        f"{changed} records of {len(small) + len(large)} reporters corrected to another partner country of the same "
        f"region: {len(small)} in small partner cells, {len(large)} mid-sized reporters"
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
