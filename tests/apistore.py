"""The small API store shared by the API and browser tests: tests/fixtures/kst_small compiled with
disclosure control, and two vintages, kst-2024H2-v1 (released 2025-03-19) and kst-2025H1-v1
(2025-09-17), each with a release folder holding a press release in its manifest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

KST = timezone(timedelta(hours=9))
FIX = Path(__file__).parent / "fixtures" / "kst_small"
V1, V2 = "kst-2024H2-v1", "kst-2025H1-v1"
V1_AT = datetime(2025, 3, 19, 12, tzinfo=KST)
V2_AT = datetime(2025, 9, 17, 12, tzinfo=KST)
BEFORE = datetime(2025, 6, 1, tzinfo=KST)  # V1 released, V2 embargoed
AFTER = datetime(2025, 9, 17, 12, tzinfo=KST)  # the very moment V2 is released

Cells = dict[tuple[str, str, str, str], tuple[float | None, str]]


class Clock:
    """An injected clock the tests move."""

    def __init__(self, t: datetime) -> None:
        self.t = t

    def __call__(self) -> datetime:
        return self.t


@dataclass
class Small:
    store: Path
    releases: Path
    rows: dict[str, Cells]  # vintage id -> cells as the vintage holds them
    docs: dict[str, bytes]  # vintage id -> the press release bytes


def cells_of(rows: list[Any]) -> Cells:
    return {(p, b, i, m): (v, s) for p, b, i, m, v, s in rows}


def _release_folder(folder: Path, vintage: str, text: str) -> bytes:
    folder.mkdir(parents=True)
    body = f"<html><body>{text}</body></html>".encode()
    (folder / "press-release.en.html").write_bytes(body)
    (folder / "notes.txt").write_text("not in the manifest")
    manifest = {"vintage": vintage, "files": {"press-release.en.html": hashlib.sha256(body).hexdigest()}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return body


def build_small(tmp: Path) -> Small:
    """Compile the fixture into ``tmp/small.duckdb`` and cut the two vintages (see module doc)."""
    from ktstat import domain as domains
    from ktstat.pipeline import compile_domain
    from ktstat.release.vintage import create_vintage, vintage_rows
    from ktstat.store import open_store

    store = tmp / "small.duckdb"
    con = open_store(store)
    compile_domain(con, "kst", FIX / "records.csv", FIX / "reporters.csv", FIX / "rates.csv")  # protected: C cells
    dom = domains.load("kst")
    made = datetime(2025, 3, 1, tzinfo=KST)
    rows = {}
    for period, at in (("2024H2", V1_AT), ("2025H1", V2_AT)):
        v = create_vintage(con, dom, period, "provisional", at, made)
        rows[v.vintage_id] = cells_of(vintage_rows(con, v))
    con.close()
    releases = tmp / "releases"
    docs = {V1: _release_folder(releases / "kst-2024H2", V1, "second half of 2024"),
            V2: _release_folder(releases / "kst-2025H1", V2, "first half of 2025")}
    return Small(store, releases, rows, docs)
