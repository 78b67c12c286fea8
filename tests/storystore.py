"""A small technology trade store with a story of its own (tests import it; not a test module).

2022: chemicals lead (volume 100, a surplus of 40), machinery 60 (a deficit of 20); 2023:
machinery overtakes (150, a surplus of 50) and chemicals turn to a deficit (90, -30).
Amounts in millions of US dollars; four reporters; partners US and JP; no disclosure control.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPORTERS = """reporter_id,name,industry,size_class,platform
C1,Chem One,20111,large,false
C2,Chem Two,20112,sme,false
M1,Mach One,29111,large,false
M2,Mach Two,29112,mid_sized,false
"""
FLOWS = [
    ("2022", "C1", "X", "US", 50),
    ("2022", "C2", "X", "JP", 20),
    ("2022", "C1", "M", "US", 20),
    ("2022", "C2", "M", "JP", 10),
    ("2022", "M1", "X", "US", 20),
    ("2022", "M2", "M", "JP", 40),
    ("2023", "C1", "X", "US", 20),
    ("2023", "C2", "X", "JP", 10),
    ("2023", "C1", "M", "US", 40),
    ("2023", "C2", "M", "JP", 20),
    ("2023", "M1", "X", "US", 100),
    ("2023", "M2", "M", "JP", 50),
]


def build_story(folder: Path) -> Any:
    """Write the inputs into ``folder``, compile them into an in-memory store; returns the connection."""
    from ktstat.pipeline import compile_domain
    from ktstat.store import open_store

    (folder / "reporters.csv").write_text(REPORTERS, encoding="utf-8")
    (folder / "rates.csv").write_text("currency,period,per_usd\nKRW,2022,1300\nKRW,2023,1300\n", encoding="utf-8")
    lines = ["record_id,reporter_id,period,flow,partner,item,amount,currency"]
    for k, (year, rep, flow, partner, amount) in enumerate(FLOWS):
        lines.append(f"s{k},{rep},{year}-06,{flow},{partner},patents,{amount * 1_000_000},USD")
    (folder / "records.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    con = open_store(None)
    compile_domain(con, "tbp", folder / "records.csv", folder / "reporters.csv", folder / "rates.csv", protect=False)
    return con


def lookup_of(con: Any, domain: str = "tbp") -> dict[tuple[str, str, str, str], tuple[float | None, str]]:
    return {
        (p, b, i, m): (v, s)
        for p, b, i, m, v, s in con.execute(
            "SELECT period, breakdown, item, measure, value, status FROM indicators WHERE domain = ?", [domain]
        ).fetchall()
    }
