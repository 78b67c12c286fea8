"""``calibration.md``: each published fact against the compiled indicators, the conflicts
among the facts, and how the demo's data meet the default disclosure rules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktstat import domain as domains
from ktstat.demo.calibrate import RULE, Calibration
from ktstat.demo.facts import Fact
from ktstat.demo.plausibility import Cell, Report, check, cross_growth_summary, growth_summary, rules_from_growth
from ktstat.indicators import split_measure
from ktstat.periods import PER_YEAR, parse
from ktstat.store import one

if TYPE_CHECKING:
    import duckdb


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "missing"
    if unit == "usd_bn":
        return f"{v / 1e9:.4f}"
    if unit in ("rank", "flag"):
        return f"{v:.0f}"
    return f"{v:.3f}"


def fact_cell_disclosure(con: duckdb.DuckDBPyConnection, f: Fact) -> tuple[int, float] | None:
    """(fewest reporters over the cell's flows, largest top-2 share in percent) of a fact's cell."""
    row = one(
        con,
        """SELECT min(reporters), max(100 * (top1_micro + top2_micro) / nullif(amount_usd_micro, 0))
        FROM cube WHERE domain = ? AND period = ? AND breakdown = ? AND item = ?""",
        [f.domain, f.period, f.breakdown, f.item],
    )
    if row is None or row[0] is None:
        return None
    return int(row[0]), float(row[1] or 0.0)


def top_share(con: duckdb.DuckDBPyConnection, dom: str, share: float = 0.01) -> tuple[int, float]:
    """(reporters, percent of the value held by the top ``share`` of reporters)."""
    vals = [
        r[0]
        for r in con.execute(
            "SELECT sum(amount_usd_micro) AS v FROM reporter_cells"
            " WHERE domain = ? GROUP BY reporter_id ORDER BY v DESC",
            [dom],
        ).fetchall()
    ]
    k = max(1, round(len(vals) * share))
    return len(vals), 100.0 * float(sum(vals[:k])) / float(sum(vals))


FLOWS = {"exports": 0, "imports": 1}
DEPARTURES_LISTED = 12
GROWTH_MARGIN = 20.0  # percentage points added on each side of the published growth rates' range
# crosses with items or partners: the published range stretched by this factor in ratio
# (growth factors from (1 + lowest) / 2 to (1 + highest) x 2: -71.4 % to +158 % for -42.7 to +29)
CROSS_FACTOR = 2.0


def _leaves(
    dom: domains.Domain, cal: Calibration, breakdown: str, item: str
) -> tuple[tuple[str, frozenset[int]], ...] | None:
    """The calibration leaves a cell is made of, ``(source, leaves)`` per source of its
    dimensions (item, partner, reporter); None for the total or a code the calibration does not
    know."""
    if breakdown == "total":
        return None
    by_source: dict[str, frozenset[int]] = {}
    for b, code in zip(breakdown.split("+"), item.split("+"), strict=False):
        if b not in cal.memberships or b not in dom.breakdowns:
            return None
        src = dom.breakdowns[b].source
        s = frozenset(cal.memberships[b].get(code, set()))
        by_source[src] = by_source[src] & s if src in by_source else s
    return tuple((k, by_source[k]) for k in sorted(by_source))


def plausibility_cells(con: duckdb.DuckDBPyConnection, facts: list[Fact], cals: dict[str, Calibration]) -> list[Cell]:
    """The exports and imports cells of the compiled indicators with what the rules need: whether
    a fact publishes the cell, its prior (periods the calibration covers; cells of one source
    of leaves) and the leaves it is made of."""
    published = {(f.domain, f.period, f.breakdown, f.item) for f in facts}
    out = []
    for dom_id, cal in cals.items():
        dom = domains.load(dom_id)
        lp = cal.periods[0].freq
        index = {str(p): t for t, p in enumerate(cal.periods)}
        n_items = len(cal.items)
        leaves_of: dict[tuple[str, str], tuple[tuple[str, frozenset[int]], ...] | None] = {}
        rows = con.execute(
            "SELECT period, breakdown, item, measure, value FROM indicators WHERE domain = ? "
            "AND measure IN ('exports', 'imports') AND value IS NOT NULL",
            [dom_id],
        ).fetchall()
        for period, breakdown, item, measure, value in rows:
            key = (breakdown, item)
            if key not in leaves_of:
                leaves_of[key] = _leaves(dom, cal, breakdown, item)
            leaves = leaves_of[key]
            prior = None
            p = parse(period)
            if cal.prior.size and PER_YEAR[p.freq] <= PER_YEAR[lp]:
                ts = [index[str(s)] for s in p.subperiods(lp) if str(s) in index]
                f = FLOWS[measure]
                if breakdown == "total":
                    prior = 1e9 * float(cal.prior[ts, f, :n_items].sum())
                elif leaves is not None and len(leaves) == 1:
                    prior = 1e9 * float(cal.prior[ts, f][:, sorted(leaves[0][1])].sum())
            out.append(
                Cell(
                    dom_id,
                    period,
                    breakdown,
                    item,
                    measure,
                    float(value),
                    (dom_id, period, breakdown, item) in published,
                    prior,
                    leaves,
                    leaves is None or len(leaves) == 1,
                )
            )
    return out


def plausibility(con: duckdb.DuckDBPyConnection, facts: list[Fact], cals: dict[str, Calibration]) -> Report:
    """The plausibility rules (:mod:`ktstat.demo.plausibility`) applied to the demo's cells, the
    growth range taken from the published growth rates."""
    rates = [f.value for f in facts if split_measure(f.measure)[1] == "growth" and f.domain in cals]
    return check(plausibility_cells(con, facts, cals), rules_from_growth(rates, GROWTH_MARGIN, CROSS_FACTOR))


def plausibility_lines(rep: Report) -> list[str]:
    """The plausibility section of ``calibration.md``."""
    lines = [
        "## Plausibility of the unpublished cells",
        "",
        f"Rule: {rep.rules.describe()}. A flagged cell stops the demo.",
        "",
        "Growth on the previous period of the fitted cells above "
        f"{rep.rules.min_share:g} % of their flow's total (exports and imports):",
        "",
        "| domain | frequency | cells | min % | 5th pct % | median % | 95th pct % | max % | outside the range |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for dom, freq, n, q, out in growth_summary(rep):
        lines.append(f"| {dom} | {freq} | {n} | " + " | ".join(f"{v:+.1f}" for v in q) + f" | {out} |")
    lo, hi = rep.rules.growth_range(False)
    lines += [
        "",
        f"Growth on the previous period of the cells of crosses with items or partners above "
        f"{rep.rules.min_share:g} % of their flow's total (range {lo:+.1f} % to {hi:+.1f} %):",
        "",
        "| domain | cross | frequency | cells | min % | 1st pct % | median % | 99th pct % | max % | outside |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for dom, breakdown, freq, n, q, out in cross_growth_summary(rep):
        lines.append(f"| {dom} | {breakdown} | {freq} | {n} | " + " | ".join(f"{v:+.1f}" for v in q) + f" | {out} |")
    lines += ["", f"Duplicate values among cells that cannot hold a record in common: {len(rep.duplicates)}."]
    for a, b in rep.duplicates:
        lines.append(f"- {a.label()} = {b.breakdown}/{b.item}: {a.value:,.0f} USD")
    lines += [
        "",
        f"Largest departures from the prior (cells above {rep.rules.min_share:g} % of their total):",
        "",
        "| cell | published | compiled bn | prior bn | compiled / prior |",
        "|---|---|---|---|---|",
    ]
    for c, ratio in rep.departures[:DEPARTURES_LISTED]:
        lines.append(
            f"| {c.label()} | {'yes' if c.published else 'no'} | {c.value / 1e9:.4f} | "
            f"{(c.prior or 0) / 1e9:.4f} | {ratio:.2f} |"
        )
    lines += ["", f"Flagged cells: {len(rep.flags)}." + ("" if rep.flags else " None.")]
    for fl in rep.flags:
        lines.append(f"- {fl.cell.label()}: {fl.rule}: {fl.detail}")
    lines.append("")
    return lines


def write_calibration_report(
    con: duckdb.DuckDBPyConnection, path: Path, facts: list[Fact], cals: dict[str, Calibration]
) -> dict[str, Any]:
    conflicting = {c.dropped.fact_id for cal in cals.values() for c in cal.conflicts}
    unsupported = {f.fact_id: why for cal in cals.values() for f, why in cal.unsupported}
    lines = [
        "# Calibration of the demo data to the published figures",
        "",
        "Each fact of the published figures is a constraint on the synthetic cell totals "
        "(a level within its rounding; a growth, share, ratio, rank or record as a linear "
        "inequality between cells). The compiled value below is read from the indicators "
        "the pipeline computed from the synthetic records; nothing is copied from the facts.",
        "",
    ]
    held = checked = 0
    rows = []
    for f in facts:
        got = one(
            con,
            "SELECT value, status FROM indicators WHERE domain = ? AND period = ? AND breakdown = ? "
            "AND item = ? AND measure = ?",
            [f.domain, f.period, f.breakdown, f.item, f.measure],
        )
        value = got[0] if got else None
        ok = f.holds(value)
        note = (
            "set aside: conflicts with other facts"
            if f.fact_id in conflicting
            else f"not calibrated: {unsupported[f.fact_id]}"
            if f.fact_id in unsupported
            else ""
        )
        if f.fact_id not in conflicting:
            checked += 1
            held += ok
        rows.append(
            f"| {f.fact_id} | {f.domain} | {f.period} | {f.breakdown} / {f.item} | {f.measure} | "
            f"{f.value:g} ± {f.tolerance:g} {f.unit} | {_fmt(value, f.unit)} | "
            f"{'yes' if ok else 'no'} | {got[1] if got else ''} | {note} |"
        )
    lines += [
        f"**{held} of {checked} facts** not in conflict are reproduced within their published "
        f"rounding; {len(conflicting)} facts were set aside as conflicting (below).",
        "",
        "## Facts",
        "",
        "| fact | domain | period | cell | measure | published | compiled | within rounding | status | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    lines += ["## Conflicts among the published facts", ""]
    if not any(cal.conflicts for cal in cals.values()):
        lines.append("None: all facts can hold together.")
    lines += [f"Rule used to settle a conflict: {RULE}.", ""]
    for cal in cals.values():
        for n, c in enumerate(cal.conflicts, start=1):
            kind = "the smallest such set" if c.smallest else "irreducible: no fact of it can be left out"
            lines.append(f"### {cal.domain} conflict {n}: {', '.join(g.fact_id for g in c.facts)}")
            lines.append("")
            lines.append(f"These {len(c.facts)} facts cannot all hold ({kind}):")
            lines.append("")
            for g in c.facts:
                lines.append(
                    f"- {g.fact_id} ({g.period} {g.breakdown}/{g.item} {g.measure} = {g.value:g} "
                    f"± {g.tolerance:g} {g.unit}): {g.statement}"
                )
            lines.append("")
            lines.append(f"Settled by setting aside **{c.dropped.fact_id}** ({c.dropped.measure}).")
            lines.append("")
    lines += [
        "## Disclosure readiness of the cells of the facts",
        "",
        "Default rules: at least 3 reporters, the two largest hold at most 85 % (the p % rule "
        "with p = 10 then holds too).",
        "",
        "| domain | period | cell | reporters (fewest over flows) | top-2 share % | passes |",
        "|---|---|---|---|---|---|",
    ]
    seen = set()
    for f in facts:
        key = (f.domain, f.period, f.breakdown, f.item)
        if key in seen:
            continue
        seen.add(key)
        d = fact_cell_disclosure(con, f)
        if d is None:
            continue
        lines.append(
            f"| {f.domain} | {f.period} | {f.breakdown} / {f.item} | {d[0]} | {d[1]:.1f} | "
            f"{'yes' if d[0] >= 3 and d[1] <= 85 else 'no'} |"
        )
    rep = plausibility(con, facts, cals)
    lines += ["", *plausibility_lines(rep)]
    lines += ["## Concentration", ""]
    for dom_id in cals:
        n, s = top_share(con, dom_id)
        lines.append(f"- {domains.load(dom_id).label_en}: {n:,} reporters; the top 1 % hold {s:.1f} % of the value.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"held": held, "checked": checked, "conflicting": len(conflicting), "plausibility": rep}
