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
    return _build(tmp / "small.duckdb", FIX / "records.csv", FIX / "reporters.csv", tmp)


def build_rich(tmp: Path, seed: int = 7) -> Small:
    """Like :func:`build_small`, over generated records with realistic amounts: 16 reporters
    (the fixture's industries, every size class), six items and six partners of the fixture,
    US dollars, every month from 2023-01 to 2025-06, amounts log-normal around US$ 1 million.
    Big enough that most cells are published and a few are confidential."""
    import csv
    import random

    rng = random.Random(seed)
    industries = ["58211", "26110", "70113"]
    sizes = ["sme", "mid_sized", "large"]
    reporters = tmp / "reporters.csv"
    with reporters.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["reporter_id", "name", "industry", "size_class", "platform", "valid_from", "valid_to"])
        for k in range(16):
            w.writerow([f"R{k:02d}", f"Firm {k}", industries[k % 3], sizes[k % 3], "false", "", ""])
    items = ["SH1", "SH3", "SI21", "SJ1", "SJ21", "SK1"]
    partners = ["US", "JP", "VN", "GB", "DE", "CN"]
    records = tmp / "records.csv"
    with records.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency", "note"])
        n = 0
        for year in (2023, 2024, 2025):
            for month in range(1, 13 if year < 2025 else 7):
                for k in range(16):
                    for _ in range(rng.randint(1, 4)):
                        n += 1
                        amount = round(rng.lognormvariate(13.8, 1.3), 2)
                        w.writerow(
                            [
                                f"g{n:06d}",
                                f"R{k:02d}",
                                f"{year}-{month:02d}",
                                rng.choice("XM"),
                                rng.choice(partners),
                                rng.choice(items),
                                f"{amount:.2f}",
                                "USD",
                                "",
                            ]
                        )
    return _build(tmp / "rich.duckdb", records, reporters, tmp)


def _build(store: Path, records: Path, reporters: Path, tmp: Path) -> Small:
    from ktstat import domain as domains
    from ktstat.pipeline import compile_domain
    from ktstat.release.vintage import create_vintage, vintage_rows
    from ktstat.store import open_store

    con = open_store(store)
    compile_domain(con, "kst", records, reporters, FIX / "rates.csv")  # protected: C cells
    dom = domains.load("kst")
    made = datetime(2025, 3, 1, tzinfo=KST)
    rows = {}
    for period, at in (("2024H2", V1_AT), ("2025H1", V2_AT)):
        v = create_vintage(con, dom, period, "provisional", at, made)
        rows[v.vintage_id] = cells_of(vintage_rows(con, v))
    con.close()
    releases = tmp / "releases"
    docs = {
        V1: _release_folder(releases / "kst-2024H2", V1, "second half of 2024"),
        V2: _release_folder(releases / "kst-2025H1", V2, "first half of 2025"),
    }
    return Small(store, releases, rows, docs)
