"""Everything a release publishes, for one vintage, into one folder:

- ``press-release.en.html``, ``press-release.en.pdf``, ``press-release.ko.html``,
  ``press-release.ko.pdf``: the press release (:mod:`ktstat.publish.press`);
- ``statements.json``: each statement in both languages with the indicator cells it cites;
- ``indicators.csv``, ``indicators.parquet``: the vintage's indicators (same columns as the
  indicators table, with ``domain``);
- ``tables.xlsx`` (English) and ``tables.ko.xlsx`` (Korean): the standard tables for people;
- ``sdmx/``: the data structure with its code lists, and the data as SDMX-CSV and SDMX-ML;
- ``manifest.json``: the vintage (id, status, release time, code lists, batches, content
  hash), the embargo and every file with its SHA-256.

Before the vintage's release time every output is marked embargoed with the time it lifts
(the HTML and PDF carry a banner, the workbooks a notice, ``statements.json`` and
``manifest.json`` an ``embargoed_until`` field, and the folder an ``EMBARGOED.txt``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ktstat import domain as domains
from ktstat.ingest import file_sha256
from ktstat.release.statements import statements
from ktstat.release.tables import standard_tables
from ktstat.release.vintage import get_vintage, vintage_rows

if TYPE_CHECKING:
    import duckdb

Say = Callable[[str], None]


def write_release(con: duckdb.DuckDBPyConnection, vintage_id: str, out: Path, now: datetime,
                  say: Say | None = None) -> dict[str, Path]:
    """Write the release of a vintage into ``out`` (see module doc); returns the files by name."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from ktstat.publish.fonts import font_face_css
    from ktstat.publish.pdf import html_to_pdf
    from ktstat.publish.press import render_press_release
    from ktstat.publish.sdmx import write_sdmx
    from ktstat.publish.xlsx import write_workbook

    say = say or (lambda _m: None)
    v = get_vintage(con, vintage_id)
    rows = vintage_rows(con, v)  # checks the content hash
    dom = domains.load(v.domain)
    lookup = {(p, b, i, m): (val, st) for p, b, i, m, val, st in rows}
    provisional = v.status == "provisional"
    embargoed = v.embargoed(now)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    say(f"{vintage_id}: statements and tables")
    stmts = statements(dom, lookup, v.period)
    tables = standard_tables(dom, lookup, v.period, provisional)
    doc = {"vintage": v.vintage_id, "domain": v.domain, "period": v.period, "status": v.status,
           "release_at": v.release_at.isoformat(), "embargoed_until": v.release_at.isoformat() if embargoed else None,
           "statements": [s.as_dict() for s in stmts]}
    files["statements.json"] = out / "statements.json"
    files["statements.json"].write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")

    say(f"{vintage_id}: indicators")
    table = pa.table({
        "domain": [v.domain] * len(rows), "period": [r[0] for r in rows], "breakdown": [r[1] for r in rows],
        "item": [r[2] for r in rows], "measure": [r[3] for r in rows],
        "value": pa.array([r[4] for r in rows], type=pa.float64()), "status": [r[5] for r in rows]})
    files["indicators.csv"] = out / "indicators.csv"
    pcsv.write_csv(table, files["indicators.csv"])
    files["indicators.parquet"] = out / "indicators.parquet"
    pq.write_table(table, files["indicators.parquet"])

    say(f"{vintage_id}: workbooks")
    embargo_text = v.release_at.isoformat() if embargoed else None
    for lang, name in (("en", "tables.xlsx"), ("ko", "tables.ko.xlsx")):
        title = (f"{dom.label_en}, {v.period} ({v.status})" if lang == "en"
                 else f"{dom.label_ko} {v.period}({'잠정' if provisional else '확정'})")
        files[name] = write_workbook(tables, out / name, lang=lang, title=title, embargo=embargo_text,
                                     source_note=f"vintage {v.vintage_id}, sha256 {v.content_hash}")

    say(f"{vintage_id}: SDMX")
    for path in write_sdmx(dom, rows, out / "sdmx").values():
        files[f"sdmx/{path.name}"] = path

    css = font_face_css()
    for lang in ("en", "ko"):
        say(f"{vintage_id}: press release ({lang})")
        html = render_press_release(dom, v, lookup, stmts, tables, lang, now, css)
        files[f"press-release.{lang}.html"] = out / f"press-release.{lang}.html"
        files[f"press-release.{lang}.html"].write_text(html, encoding="utf-8")
        files[f"press-release.{lang}.pdf"] = html_to_pdf(html, out / f"press-release.{lang}.pdf", base_url=out)

    embargo_file = out / "EMBARGOED.txt"
    if embargoed:
        embargo_file.write_text(f"Embargoed: not for publication before {v.release_at.isoformat()}\n"
                                f"엠바고: {v.release_at.isoformat()} 이전 보도 금지\n", encoding="utf-8")
        files["EMBARGOED.txt"] = embargo_file
    elif embargo_file.exists():
        embargo_file.unlink()
    manifest = {
        "vintage": v.vintage_id, "domain": v.domain, "period": v.period, "status": v.status,
        "release_at": v.release_at.isoformat(), "embargoed_until": v.release_at.isoformat() if embargoed else None,
        "produced_at": now.isoformat(), "codelists": v.codelists, "batches": v.batches,
        "content_hash": v.content_hash, "revises": v.revises, "reason": v.reason,
        "files": {name: file_sha256(path) for name, path in sorted(files.items())},
    }
    files["manifest.json"] = out / "manifest.json"
    files["manifest.json"].write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return files
