"""Data files from the store: the indicators table (CSV, Parquet) and the disclosure report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ktstat.errors import InputError
from ktstat.store import count

if TYPE_CHECKING:
    import duckdb

ORDER = "domain, breakdown, item, period, measure"


def write_indicators(con: duckdb.DuckDBPyConnection, path: Path, domain: str | None = None) -> int:
    """Write the indicators table (one domain, or all) to CSV or Parquet; returns rows."""
    where = "WHERE domain = ?" if domain else ""
    params = [domain] if domain else []
    sql = f"SELECT domain, period, breakdown, item, measure, value, status FROM indicators {where} ORDER BY {ORDER}"
    suffix = path.suffix.lower()
    if suffix == ".csv":  # values as exact decimals: money from its micro-dollars, ranks and flags integers
        from ktstat.publish.exact import number_text_sql

        w = where.replace("domain", "i.domain")
        sql = (
            f"SELECT i.domain, i.period, i.breakdown, i.item, i.measure, "
            f"{number_text_sql('i.measure', 'i.value', 'm.micro')} AS value, i.status FROM indicators i "
            "LEFT JOIN indicator_micro m ON m.domain = i.domain AND m.period = i.period "
            f"AND m.breakdown = i.breakdown AND m.item = i.item AND m.measure = i.measure {w} "
            f"ORDER BY {', '.join('i.' + c.strip() for c in ORDER.split(','))}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    target = str(path).replace("'", "''")
    if suffix == ".csv":
        con.execute(f"COPY ({sql}) TO '{target}' (HEADER, DELIMITER ',')", params)
    elif suffix == ".parquet":  # money exact (decimal), ranks and flags int64: see publish.exact
        import pyarrow.parquet as pq

        from ktstat.publish.release import parquet_table

        w = where.replace("domain", "i.domain")
        table = con.sql(
            f"SELECT i.domain, i.period, i.breakdown, i.item, i.measure, i.value, i.status, m.micro FROM indicators i "
            "LEFT JOIN indicator_micro m ON m.domain = i.domain AND m.period = i.period "
            f"AND m.breakdown = i.breakdown AND m.item = i.item AND m.measure = i.measure {w} "
            f"ORDER BY {', '.join('i.' + c.strip() for c in ORDER.split(','))}",
            params=params,
        ).to_arrow_table()
        assert table is not None  # a SELECT always has a result
        micros = [None if m is None else int(m) for m in table.column("micro").to_pylist()]
        pq.write_table(parquet_table(table.drop_columns(["micro"]), micros), path)
    else:
        raise InputError(f"{path}: write indicators as .csv or .parquet")
    return count(con, f"SELECT count(*) FROM indicators {where}", list(params))


def write_disclosure(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[Path, Path]:
    """Write ``cells.csv`` (every published cell and flow: reporters and the rule that hid it:
    a primary rule, ``secondary``, or empty) and ``report.md`` (cells per rule, value hidden per
    table, the audit) for the compilers; returns the two paths. Confidential values are not
    written: the report gives intervals relative to the hidden value."""
    folder.mkdir(parents=True, exist_ok=True)
    cells = folder / "cells.csv"
    target = str(cells).replace("'", "''")
    con.execute(
        f"""COPY (SELECT domain, period, breakdown, item, flow, reporters, rule FROM disclosure
        ORDER BY domain, freq, period, breakdown, item, flow) TO '{target}' (HEADER, DELIMITER ',')"""
    )
    report = folder / "report.md"
    report.write_text(_disclosure_report(con), encoding="utf-8")
    return cells, report


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.2f} %" if whole else "-"


def _disclosure_report(con: duckdb.DuckDBPyConnection) -> str:
    from ktstat import domain as domains

    lines = [
        "# Disclosure control",
        "",
        "Cells of every published table (each breakdown and cross, period and flow), the primary rule that",
        "suppressed them, the secondary suppressions that keep them from being recomputed, and the audit:",
        "the interval a reader can deduce for each primary cell from everything published, by linear",
        "programming. Values hidden are in US dollars summed over the table's periods. The cell list is in",
        "`cells.csv`.",
        "",
    ]
    for (dom_id,) in con.execute("SELECT DISTINCT domain FROM disclosure ORDER BY 1").fetchall():
        dom = domains.load(dom_id)
        r = dom.disclosure
        lines += [
            f"## {dom.label_en} ({dom_id})",
            "",
            f"Rules: at least {r.min_reporters} reporters; ({r.dominance_n}, {r.dominance_k:g}) dominance; "
            f"p % rule with p = {r.p_percent:g}; protection interval {r.protection_percent:g} % either side.",
            "",
        ]
        counts = dict(
            con.execute("SELECT rule, count(*) FROM disclosure WHERE domain = ? GROUP BY 1", [dom_id]).fetchall()
        )
        total = sum(counts.values())
        lines += ["| rule | cells | share of cells |", "|---|---:|---:|"]
        for rule in ("threshold", "dominance", "p_percent", "secondary"):
            lines.append(f"| {rule} | {counts.get(rule, 0):,} | {_pct(counts.get(rule, 0), total)} |")
        lines += [
            f"| published | {counts.get('', 0):,} | {_pct(counts.get('', 0), total)} |",
            f"| all cells | {total:,} | |",
            "",
        ]
        lines += [
            "### Value hidden per table",
            "",
            "| frequency | table | flow | cells | primary | secondary | value hidden, USD | share of value |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for freq, b, flow, n, prim, sec, hidden, whole in con.execute(
            """SELECT freq, breakdown, flow, count(*),
                count(*) FILTER (WHERE rule NOT IN ('', 'secondary')), count(*) FILTER (WHERE rule = 'secondary'),
                coalesce(sum(amount_usd_micro) FILTER (WHERE rule <> ''), 0) / 1e6, sum(amount_usd_micro) / 1e6
            FROM disclosure WHERE domain = ? GROUP BY ALL ORDER BY freq, breakdown, flow""",
            [dom_id],
        ).fetchall():
            lines.append(
                f"| {freq} | {b} | {flow} | {n:,} | {prim:,} | {sec:,} | {hidden:,.0f} | {_pct(hidden, whole)} |"
            )
        checked, ok, margin_lo, margin_hi, exact = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE protected),
                min((value_usd - lower_usd) / value_usd), min((upper_usd - value_usd) / value_usd),
                count(*) FILTER (WHERE exact)
            FROM disclosure_audit WHERE domain = ? AND value_usd > 0""",
            [dom_id],
        ).fetchall()[0]
        lines += ["", "### Audit", ""]
        if checked:
            verdict = "**passed**" if ok == checked else f"**FAILED** for {checked - ok:,} cells"
            lines += [
                f"{verdict}: {ok:,} of {checked:,} primary cells protected. No reader gets closer to a "
                f"primary cell than {100 * (margin_lo or 0):.1f} % below its value and "
                + (f"{100 * margin_hi:.1f} %" if margin_hi is not None else "no limit")
                + f" above it (required: {r.protection_percent:g} %). "
                + f"{exact:,} of these intervals are exact (two linear programs each); the others are at "
                "least as wide as shown: a table the reader cannot rule out, found while solving the "
                "others, already takes the cell beyond its protection (≤ and ≥ below).",
                "",
            ]
            lines += [
                "Examples: the smallest primary cells of partner countries and crosses, with the interval a "
                "reader can deduce, relative to the hidden value:",
                "",
                "| period | table | item | flow | reporters | rule | reader's interval |",
                "|---|---|---|---|---:|---|---|",
            ]
            for p, b, i, flow, n, rule, lo, hi, ex in con.execute(
                """SELECT a.period, a.breakdown, a.item, a.flow, d.reporters, d.rule,
                    (a.lower_usd - a.value_usd) / a.value_usd, (a.upper_usd - a.value_usd) / a.value_usd, a.exact
                FROM disclosure_audit a JOIN disclosure d USING (domain, freq, period, breakdown, item, flow)
                WHERE a.domain = ? AND a.value_usd > 0 AND (a.breakdown = 'partner' OR a.breakdown LIKE '%+%')
                ORDER BY a.value_usd LIMIT 8""",
                [dom_id],
            ).fetchall():
                # a side not solved exactly lies further out; nothing lies below zero (-100 %)
                le = "≤ " if not ex and lo > -1 + 1e-9 else ""
                ge = "" if ex else "≥ "
                hi_s = f"{ge}+{100 * hi:.0f} %" if hi is not None else "unbounded"
                lines.append(f"| {p} | {b} | {i} | {flow} | {n} | {rule} | {le}{100 * lo:.0f} % to {hi_s} |")
            lines.append("")
        else:
            lines += ["No primary cell: nothing needed protection.", ""]
        lines += _insider_section(con, dom_id, r.insider_fraction)
        lines += _vintages_section(con, dom_id)
    return "\n".join(lines) + "\n"


def _insider_section(con: duckdb.DuckDBPyConnection, dom_id: str, p: float | None) -> list[str]:
    """The audit against reporters who know their own figures (table ``disclosure_insider``)."""
    lines = ["### Against the reporters themselves", ""]
    if p is None:
        return [*lines, "Off for this domain (`insider = false`).", ""]
    n, ok, who, cells, exact = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE protected),
            count(DISTINCT attacker) FILTER (WHERE attacker NOT LIKE '% reporters alone in another primary cell%'),
            count(DISTINCT (freq, period, breakdown, item, flow)), count(*) FILTER (WHERE exact)
        FROM disclosure_insider WHERE domain = ? AND vintage = ''""",
        [dom_id],
    ).fetchall()[0]
    verdict = "**passed**" if n == ok else f"**FAILED** for {n - ok:,} intervals"
    return [
        *lines,
        f"{verdict}: {n:,} intervals of {cells:,} primary cells as deduced by reporters who know their own "
        f"figures ({who:,} of them by name: the largest reporter of a primary cell, or a reporter of it alone in "
        f"another; rows for the reporters alone in another cell group those of a one-reporter cell), each kept "
        f"{100 * p:g} % of the largest other contribution away. A cell with one reporter is therefore never "
        "protected only by another one-reporter cell, nor by cells of the same reporter. A reporter knows its "
        "own amount in each confidential cell and is taken to know as much as the largest contribution of "
        f"every other cell (more than it can). {n - exact:,} of these intervals are proven by a perturbation "
        "that stays within what the attacker does not hold (the reader's interval is at least as wide); "
        f"{exact:,} were computed.",
        "",
    ]


def _vintages_section(con: duckdb.DuckDBPyConnection, dom_id: str) -> list[str]:
    """What the earlier vintages changed in the pattern (tables ``disclosure_changes`` and
    ``disclosure_alone``)."""
    lines = ["### Across vintages", ""]
    vintages = [
        v
        for (v,) in con.execute(
            """SELECT DISTINCT c.vintage_id FROM vintage_cells c JOIN vintages v USING (vintage_id)
            WHERE v.domain = ? ORDER BY 1""",
            [dom_id],
        ).fetchall()
    ]
    alone = con.execute("SELECT count(*) FROM disclosure_alone WHERE domain = ?", [dom_id]).fetchall()[0][0]
    if (
        not alone
        and not con.execute("SELECT count(*) FROM disclosure_changes WHERE domain = ?", [dom_id]).fetchall()[0][0]
    ):
        known = ", ".join(vintages) if vintages else "none"
        return [
            *lines,
            f"This compile was protected before any vintage of the domain was released, or it changes nothing a "
            f"vintage released (vintages on record: {known}).",
            "",
        ]
    with_n, with_v = con.execute(
        "SELECT count(*), coalesce(sum(amount_usd_micro), 0) / 1e6 FROM disclosure WHERE domain = ? AND rule <> ''",
        [dom_id],
    ).fetchall()[0]
    alone_v = con.execute(
        """SELECT coalesce(sum(d.amount_usd_micro), 0) / 1e6 FROM disclosure_alone a
        JOIN disclosure d USING (domain, freq, period, breakdown, item, flow) WHERE a.domain = ?""",
        [dom_id],
    ).fetchall()[0][0]
    lines += [
        "Secondary suppression took every earlier vintage of the domain as known to the reader: a cell's earlier "
        "published value is an equation where the value did not change; where it changed, the revision is an "
        "unknown. A primary cell that an earlier vintage published is published again if its value is unchanged "
        "(it is public already) and suppressed, with the neighbours it needs, if it changed (the earlier value no "
        "longer identifies anyone).",
        "",
        "| pattern | cells suppressed | value hidden, USD |",
        "|---|---:|---:|",
        f"| against the earlier vintages (published) | {with_n:,} | {with_v:,.0f} |",
        f"| these data alone (for comparison) | {alone:,} | {alone_v:,.0f} |",
        "",
        "Cells whose status differs from the latest vintage that released them:",
        "",
        "| why | cells |",
        "|---|---:|",
    ]
    for why, n in con.execute(
        """SELECT regexp_replace(why, '^(threshold|dominance|p_percent)', 'primary rule') AS w, count(*)
        FROM disclosure_changes WHERE domain = ? GROUP BY 1 ORDER BY 2 DESC, 1""",
        [dom_id],
    ).fetchall():
        lines.append(f"| {why} | {n:,} |")
    changed = con.execute("SELECT count(*) FROM disclosure_changes WHERE domain = ?", [dom_id]).fetchall()[0][0]
    if not changed:
        return [
            *lines[:-4],
            "No cell's status differs from the latest vintage that released it: the earlier patterns held, where "
            "these data alone would have suppressed other cells.",
            "",
        ]
    lines += ["", "| period | table | item | flow | vintage | was | now | why |", "|---|---|---|---|---|---|---|---|"]
    for row in con.execute(
        """SELECT period, breakdown, item, flow, vintage, before, after, why FROM disclosure_changes
        WHERE domain = ? ORDER BY (breakdown = 'total') DESC, strlen(breakdown), period, breakdown, item, flow
        LIMIT 25""",
        [dom_id],
    ).fetchall():
        lines.append("| " + " | ".join(str(x) for x in row) + " |")
    return [*lines, ""]
