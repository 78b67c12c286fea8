"""``ktstat show``: one breakdown of one period as a terminal table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ktstat import domain as domains
from ktstat.errors import InputError, QueryError
from ktstat.periods import parse
from ktstat.terms import terms


def fmt_bn(value: float | None, status: str) -> str:
    """Billions of US dollars, 2 decimals (3 below 0.1 bn); flags for withheld values."""
    if value is None or status in ("N", "C"):
        return {"C": "(confidential)", "N": "-"}.get(status, "-")
    bn = value / 1e9
    return f"{bn:,.3f}" if abs(bn) < 0.1 else f"{bn:,.2f}"


def fmt_pct(value: float | None, status: str) -> str:
    return "-" if value is None or status in ("N", "C") else f"{value:+.1f}%"


def _label(dom: domains.Domain, breakdown: str, item: str, lang: str) -> str:
    if breakdown == "total":
        return terms(lang).get("show", "total")
    parts = breakdown.split("+")
    codes = item.split("+")
    return " × ".join(dom.breakdowns[b].codelist.label(c, lang) for b, c in zip(parts, codes, strict=True))


def show_table(store: Path, domain_id: str, period: str, breakdown: str, lang: str = "en", wait: float = 0.0) -> None:
    from rich.table import Table

    from ktstat.ui import console as wide_console

    dom = domains.load(domain_id)
    if lang not in ("en", "ko"):
        raise QueryError(f"unknown language {lang!r}; choose en or ko")
    if breakdown not in dom.breakdown_names():
        known = ", ".join(dom.breakdown_names())
        raise QueryError(f"unknown breakdown {breakdown!r} for {domain_id}; choose from {known}")
    try:
        parse(period)
    except ValueError as e:
        raise QueryError(str(e)) from None
    if not store.exists():
        raise InputError(f"{store}: store not found; run `ktstat demo` or `ktstat compile` first")
    from ktstat.store import open_store

    con = open_store(store, read_only=True, wait=wait)
    rows = con.execute(
        "SELECT item, measure, value, status FROM indicators WHERE domain = ? AND period = ? AND breakdown = ?",
        [domain_id, period, breakdown],
    ).fetchall()
    if not rows:
        have = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT period FROM indicators WHERE domain = ? ORDER BY period", [domain_id]
            ).fetchall()
        ]
        span = f"{have[0]} to {have[-1]}" if have else "none"
        raise QueryError(f"no data for {domain_id} {period}; periods in the store: {span}")
    cells: dict[str, dict[str, tuple[float | None, str]]] = {}
    for item, measure, value, status in rows:
        cells.setdefault(item, {})[measure] = (value, status)
    cols = [
        ("exports", fmt_bn),
        ("imports", fmt_bn),
        ("balance", fmt_bn),
        ("volume", fmt_bn),
        ("ratio", lambda v, s: "-" if v is None else f"{v:.2f}"),
        ("exports_growth", fmt_pct),
        ("imports_growth", fmt_pct),
    ]
    t = terms(lang, domain_id)
    # what *_growth compares with: the previous period of the frequency
    prev = t.period_short(str(parse(period).shift(-1)))
    # column headings: the measure's name, growth with what it compares with
    # ("exports growth vs H2 2024" / "기술수출 증감률 (2022년 대비)": the measure's own name in Korean)
    flow = {m: terms(lang).get("word", m) if lang == "en" else t.get("measure", m) for m in ("exports", "imports")}
    heads = {
        **{m: t.get("measure", m) for m in ("exports", "imports", "balance", "volume", "ratio")},
        **{f"{m}_growth": t.fill("show", "growth", flow=w, prev=prev) for m, w in flow.items()},
    }
    label = dom.label_ko if lang == "ko" else dom.label_en
    table = Table(
        title=t.fill("show", "title", domain=label, period=period, breakdown=breakdown, unit=t.get("show", "unit"))
    )
    table.add_column(t.get("show", "item"), no_wrap=True)
    for name, _ in cols:
        table.add_column(heads[name], justify="right")
    order = sorted(cells, key=lambda i: -(cells[i].get("volume", (0, ""))[0] or 0))
    for item in order:
        ms = cells[item]
        table.add_row(_label(dom, breakdown, item, lang), *(f(*ms.get(name, (None, "N"))) for name, f in cols))
    status = {s for ms in cells.values() for _, s in ms.values()}
    console = wide_console()
    console.print(table)
    if "P" in status:
        console.print(t.get("show", "provisional"))
    console.print(legend(lang, prev, t.get("measure", "ratio")), highlight=False)


def legend(lang: str, prev: str, ratio_name: str = "ratio") -> str:
    """What the table's marks and columns mean (printed under it); ``ratio_name``: the
    programme's word for the ratio (terms catalogue)."""
    return terms(lang).fill("show", "legend", prev=prev, ratio=ratio_name)


def headline(con: Any, domain_id: str, console: Any) -> None:
    """Print the key figures of a domain's latest period of its release frequency, marked
    provisional when the compile's figures are, unless a final vintage of the period has been
    made (then its id)."""
    dom = domains.load(domain_id)
    latest = str(dom.periods(dom.release_frequency)[-1])
    rows = dict(
        ((m), (v, s))
        for m, v, s in con.execute(
            "SELECT measure, value, status FROM indicators WHERE domain = ? AND period = ? AND breakdown = 'total'",
            [domain_id, latest],
        ).fetchall()
    )
    flag = " (provisional)" if any(s == "P" for _, s in rows.values()) else ""
    from ktstat.release.vintage import list_vintages

    final = [v for v in list_vintages(con, domain_id) if v.period == latest and v.status == "final"]
    if flag and final:  # the compile's provisional figures, released since as final
        flag = f" (final: {final[-1].vintage_id})"
    parts = []
    for m in ("exports", "imports", "balance", "volume"):
        v, s = rows.get(m, (None, "N"))
        g = rows.get(f"{m}_growth", (None, "N"))
        vs = f" on {parse(latest).shift(-1)}" if g[0] is not None and g[1] not in ("N", "C") else ""
        parts.append(f"{m} {fmt_bn(v, s)} bn" + (f" ({fmt_pct(*g)}{vs})" if m in ("exports", "imports") else ""))
    r = rows.get("ratio", (None, "N"))
    parts.append(f"ratio {r[0]:.2f}" if r[0] is not None else "ratio -")
    console.print(f"[bold]{dom.label_en} {latest}{flag}[/bold]: " + ", ".join(parts))
