"""Everything a release publishes, for one vintage, into one folder:

- ``press-release.en.html``, ``press-release.en.pdf``, ``press-release.ko.html``,
  ``press-release.ko.pdf``: the press release (:mod:`ktstat.publish.press`);
- ``statements.json``: each statement in both languages with the indicator cells it cites;
- ``indicators.csv``, ``indicators.parquet``: the vintage's indicators (same columns as the
  indicators table, with ``domain``);
- ``tables.xlsx`` (English) and ``tables.ko.xlsx`` (Korean): the standard tables for people;
- ``sdmx/``: the data structure with its code lists, and the data as SDMX-CSV and SDMX-ML;
- ``fonts/regular.woff2``, ``fonts/bold.woff2``: the typeface of the HTML press releases, cut to
  their characters and linked relatively, so the folder renders the same wherever it is copied
  or served (the PDFs embed their own cut of it);
- ``manifest.json``: the vintage (id, status, release time, code lists, batches, content
  hash), the embargo and every file with its SHA-256.

Documents are dated with the vintage's release time (workbooks' creation time, SDMX messages'
preparation time), so publishing a vintage again gives the same bytes (and the same hashes in
the manifest) as long as it is on the same side of the release time.

Before the vintage's release time every output is marked embargoed with the time it lifts
(the HTML and PDF carry a banner, the workbooks a notice, ``statements.json`` and
``manifest.json`` an ``embargoed_until`` field, and the folder an ``EMBARGOED.txt``).
"""

from __future__ import annotations

import html as htmllib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat import domain as domains
from ktstat.ingest import file_sha256
from ktstat.release.snapshot import snapshot_dir, store_path, write_rates, write_snapshot
from ktstat.release.statements import statements
from ktstat.release.tables import standard_tables
from ktstat.release.vintage import get_vintage, table_rows, vintage_table
from ktstat.terms import LANGS, terms

if TYPE_CHECKING:
    import duckdb

Say = Callable[[str], None]


def write_release(
    con: duckdb.DuckDBPyConnection, vintage_id: str, out: Path, now: datetime, say: Say | None = None
) -> dict[str, Path]:
    """Write the release of a vintage into ``out`` (see module doc); returns the files by name."""
    from ktstat.bulk import gc_paused

    with gc_paused():  # a release holds a row tuple per indicator (over a million for kst)
        return _write_release(con, vintage_id, out, now, say)


def _write_release(
    con: duckdb.DuckDBPyConnection, vintage_id: str, out: Path, now: datetime, say: Say | None
) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from ktstat.publish.fonts import WEIGHTS, font_face_css, font_face_css_urls
    from ktstat.publish.press import render_press_release
    from ktstat.publish.sdmx import write_sdmx
    from ktstat.publish.xlsx import write_workbook
    from ktstat.worker import beside

    say = say or (lambda _m: None)
    v = get_vintage(con, vintage_id)
    vtable = vintage_table(con, v)  # checks the content hash
    rows = table_rows(vtable)
    store = store_path(con)
    if store is not None:  # the snapshot the API serves, if the release did not write it
        write_snapshot(snapshot_dir(store), v, vtable)
        write_rates(con, snapshot_dir(store))
    dom = domains.load(v.domain)
    lookup = {(p, b, i, m): (val, st) for p, b, i, m, val, st in rows}
    provisional = v.status == "provisional"
    embargoed = v.embargoed(now)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    say(f"{vintage_id}: statements and tables")
    stmts = statements(dom, lookup, v.period)
    tables = standard_tables(dom, lookup, v.period, provisional)
    doc = {
        "vintage": v.vintage_id,
        "domain": v.domain,
        "period": v.period,
        "status": v.status,
        "release_at": v.release_at.isoformat(),
        "embargoed_until": v.release_at.isoformat() if embargoed else None,
        "statements": [s.as_dict() for s in stmts],
    }
    coverage = _coverage(con, v.domain, v.period, [int(b) for b in v.batches], dom.base_frequency)
    css = font_face_css()
    web_css = font_face_css_urls({w: f"{FONTS_DIR}/{w}.woff2" for w in WEIGHTS})
    printed: dict[str, str] = {}
    pages: dict[str, str] = {}
    for lang in ("en", "ko"):
        say(f"{vintage_id}: press release ({lang})")
        html = render_press_release(dom, v, lookup, stmts, tables, lang, now, css, coverage=coverage)
        if css not in html:
            raise AssertionError("the press release template no longer carries the font CSS it was given")
        printed[lang] = html
        pages[lang] = html.replace(css, web_css)
    say(f"{vintage_id}: the press releases' PDFs and fonts (in two more processes, beside the data files)")

    def data_files() -> dict[str, Path]:
        written: dict[str, Path] = {}
        written["statements.json"] = out / "statements.json"
        micro = _micro(con, vintage_id)
        written["statements.json"].write_text(_exact_json(doc, micro), encoding="utf-8")

        say(f"{vintage_id}: indicators")
        table = vtable.add_column(0, "domain", pa.array([v.domain] * len(rows), pa.string()))
        written["indicators.csv"] = out / "indicators.csv"
        # the CSV's values as exact decimals (money from its micro-dollars, ranks and flags integers)
        texts, micros = _value_texts(con, vintage_id, vtable)
        pcsv.write_csv(
            table.set_column(5, "value", texts), written["indicators.csv"], pcsv.WriteOptions(quoting_style="none")
        )
        written["indicators.parquet"] = out / "indicators.parquet"
        pq.write_table(parquet_table(table, micros), written["indicators.parquet"])

        say(f"{vintage_id}: workbooks")
        embargo_text = v.release_at.isoformat() if embargoed else None
        for lang, name in (("en", "tables.xlsx"), ("ko", "tables.ko.xlsx")):
            t = terms(lang, dom.id)
            title = (
                f"{dom.label_en}, {t.period_short(v.period)} ({t.get('word', v.status)})"
                if lang == "en"
                else f"{t.period(v.period)} {dom.label_ko}({t.get('word', v.status)})"
            )
            written[name] = write_workbook(
                tables,
                out / name,
                lang=lang,
                title=title,
                embargo=embargo_text,
                source_note=f"vintage {v.vintage_id}, sha256 {v.content_hash}",
                created=v.release_at,
                micro=micro,
            )

        say(f"{vintage_id}: SDMX")
        for path in write_sdmx(dom, rows, out / "sdmx", prepared=v.release_at).values():
            written[f"sdmx/{path.name}"] = path
        say(f"{vintage_id}: the data files are written; finishing the PDFs and fonts")
        return written

    # two children: the Korean PDF (the longer) and the English one with the fonts; the data files here
    text = set().union(*(htmllib.unescape(h) for h in pages.values()))
    press, data = beside(
        [
            (_press_files, ({"ko": printed["ko"]}, out, None), f"{vintage_id}: the Korean press release's PDF"),
            (_press_files, ({"en": printed["en"]}, out, text), f"{vintage_id}: the English PDF and the fonts"),
        ],
        data_files,
    )
    files.update(data)
    for written in press:
        files.update(written)
    for lang, html in pages.items():
        files[f"press-release.{lang}.html"] = out / f"press-release.{lang}.html"
        files[f"press-release.{lang}.html"].write_text(html, encoding="utf-8")

    embargo_file = out / "EMBARGOED.txt"
    if embargoed:
        embargo_file.write_text(
            "".join(terms(lang).fill("press", "embargo", at=v.release_at.isoformat()) + "\n" for lang in LANGS),
            encoding="utf-8",
        )
        files["EMBARGOED.txt"] = embargo_file
    elif embargo_file.exists():
        embargo_file.unlink()
    manifest = {
        "vintage": v.vintage_id,
        "domain": v.domain,
        "period": v.period,
        "status": v.status,
        "release_at": v.release_at.isoformat(),
        "embargoed_until": v.release_at.isoformat() if embargoed else None,
        "produced_at": now.isoformat(),
        "codelists": v.codelists,
        "batches": v.batches,
        "content_hash": v.content_hash,
        "revises": v.revises,
        "reason": v.reason,
        "files": {name: file_sha256(path) for name, path in sorted(files.items())},
    }
    files["manifest.json"] = out / "manifest.json"
    files["manifest.json"].write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return files


def _coverage(
    con: duckdb.DuckDBPyConnection, domain: str, period: str, batches: list[int], base: str
) -> dict[str, int] | None:
    """The reporters and records behind a release period: those of the vintage's batches whose
    period falls in it (None when the store no longer holds them)."""
    from ktstat.periods import parse

    if not batches:
        return None
    subs = [str(p) for p in parse(period).subperiods(base)]
    row = con.execute(
        f"SELECT count(DISTINCT reporter_id), count(*) FROM records WHERE domain = ? AND period IN "
        f"({', '.join('?' * len(subs))}) AND batch_id IN ({', '.join('?' * len(batches))})",
        [domain, *subs, *batches],
    ).fetchone()
    if row is None or not row[1]:
        return None
    return {"reporters": int(row[0]), "records": int(row[1])}


FONTS_DIR = "fonts"
"""Folder of a release holding the HTML press releases' typeface (WOFF2, one file per weight)."""

# Characters kept in the release's fonts beyond the documents' own: printable ASCII, Latin-1 and
# general punctuation, so a reader's copy-and-edit of the HTML still renders.
_FONT_BASE = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x100)]
    + [chr(c) for c in range(0x2010, 0x2027)]
    + ["\u2212"]
)


def parquet_table(table: Any, micros: list[int | None]) -> Any:
    """The Parquet form of an indicators table (a pyarrow table with the CSV's columns and a
    float ``value``): ``value`` replaced by the typed columns of
    :data:`ktstat.publish.exact.PARQUET_VALUE_COLUMNS` (money exact from ``micros``, one per row)."""
    from ktstat.publish.exact import parquet_columns

    cols = parquet_columns(table.column("measure").to_pylist(), table.column("value").to_pylist(), micros)
    at = table.schema.get_field_index("value")
    out = table.remove_column(at)
    for k, name in enumerate(("usd", "integer", "rate")):
        out = out.add_column(at + k, name, cols[name])
    return out


def _value_texts(con: duckdb.DuckDBPyConnection, vintage_id: str, vtable: Any) -> tuple[Any, list[int | None]]:
    """For each row of the vintage's table ``vtable`` (as :func:`vintage_table` gives it, in its
    order): its value as the indicators CSV writes it (a string array: the SQL form of
    :func:`ktstat.publish.exact.number_text`, as the compile's ``indicators.csv`` is written) and
    its money value in exact micro-dollars (None where none is kept)."""
    import pyarrow as pa

    from ktstat.publish.exact import number_text_sql
    from ktstat.store import has_table

    micro = (
        "vintage_micro"
        if has_table(con, "vintage_micro")
        else "(SELECT NULL::VARCHAR AS vintage_id, NULL::VARCHAR AS period, NULL::VARCHAR AS breakdown, "
        "NULL::VARCHAR AS item, NULL::VARCHAR AS measure, NULL::HUGEINT AS micro LIMIT 0)"
    )
    rows = vtable.append_column("ord", pa.array(range(vtable.num_rows), pa.int64()))
    vid = vintage_id.replace("'", "''")
    rel = con.from_arrow(rows).query(
        "v",
        f"""SELECT {number_text_sql("v.measure", "v.value", "m.micro")} AS text, m.micro FROM v
        LEFT JOIN {micro} m ON m.vintage_id = '{vid}' AND m.period = v.period AND m.breakdown = v.breakdown
             AND m.item = v.item AND m.measure = v.measure
        ORDER BY v.ord""",
    )
    assert rel is not None  # a SELECT always has a result
    got = rel.to_arrow_table()
    return got.column("text").combine_chunks(), [None if x is None else int(x) for x in got.column("micro").to_pylist()]


def _micro(con: duckdb.DuckDBPyConnection, vintage_id: str) -> dict[tuple[str, str, str, str], int]:
    """The vintage's money values in exact micro-dollars (none for a vintage made before they were kept)."""
    from ktstat.store import has_table

    if not has_table(con, "vintage_micro"):
        return {}
    return {
        (p, b, i, m): int(x)
        for p, b, i, m, x in con.execute(
            "SELECT period, breakdown, item, measure, micro FROM vintage_micro WHERE vintage_id = ?", [vintage_id]
        ).fetchall()
    }


def _exact_json(doc: dict[str, Any], micro: dict[tuple[str, str, str, str], int]) -> str:
    """``statements.json`` with each cited value written as :func:`ktstat.publish.exact.number_text`
    gives it (money as the exact decimal of its micro-dollars, ranks and flags integers): a JSON
    number that reads back as the same value, without a float artefact."""
    import re

    from ktstat.publish.exact import number_text

    texts: list[str] = []
    for st in doc.get("statements", []):
        for cell in st.get("cells", []):
            v = cell.get("value")
            if isinstance(v, int | float) and not isinstance(v, bool):
                key = (cell["period"], cell["breakdown"], cell["item"], cell["measure"])
                texts.append(number_text(cell["measure"], v, micro.get(key)))
                cell["value"] = f"\u0000{len(texts) - 1}\u0000"
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: texts[int(m.group(1))], text)


def _press_files(job: tuple[dict[str, str], Path, set[str] | None]) -> dict[str, Path]:
    """Press releases' PDFs, ``press-release.<lang>.pdf`` from their HTML (``job[0]``, by
    language), and, unless ``job[2]`` is None, the HTML press releases' fonts cut to the
    characters ``job[2]`` (:func:`_write_fonts`), written in the release folder ``job[1]``;
    returns the files by release-relative name. A release writes them in child processes,
    beside its data files (:func:`ktstat.worker.beside`)."""
    from ktstat.publish.pdf import html_to_pdf

    printed, out, text = job
    files = {
        f"press-release.{lang}.pdf": html_to_pdf(html, out / f"press-release.{lang}.pdf", base_url=out)
        for lang, html in printed.items()
    }
    if text is not None:
        files.update(_write_fonts(out, text))
    return files


def _write_fonts(out: Path, text: set[str]) -> dict[str, Path]:
    """Write ``out/fonts/<weight>.woff2``: the publications' typeface cut to the characters of
    ``text`` (and :data:`_FONT_BASE`), so the HTML press releases render the same wherever the
    release folder is copied or served (no ``file://`` links, no system fonts); returns the files
    by release-relative name."""
    from ktstat.publish.fonts import WEIGHTS, cut_font, korean_font_paths, visible

    chars = visible(text | _FONT_BASE)
    folder = out / FONTS_DIR
    folder.mkdir(exist_ok=True)
    written = {}
    for weight, path in korean_font_paths().items():
        if weight not in WEIGHTS:
            continue
        data, _kept, _has = cut_font(path, chars, flavor="woff2")
        target = folder / f"{weight}.woff2"
        target.write_bytes(data)
        written[f"{FONTS_DIR}/{weight}.woff2"] = target
    return written
