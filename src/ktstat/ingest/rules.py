"""Validation rules as data (``ktstat/rules/records.toml`` or a domain's ``validation.toml``).

A rule's ``when`` is a SQL condition over one staged row; the columns it may use are declared
here (:data:`RULE_COLUMNS`), and :mod:`ktstat.ingest.validation` provides exactly these (a test
holds it to that). A rule naming another column is refused when the rules are loaded, naming it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ktstat.domain import Domain
from ktstat.errors import DomainError

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "rules" / "records.toml"

RULE_COLUMNS: dict[str, str] = {
    **{
        f: "the record's field as trimmed text (NULL when the file has no such column)"
        for f in ("record_id", "reporter_id", "period", "flow", "partner", "item", "amount", "currency", "note")
    },
    "amt": "the amount as DECIMAL(24, 4), NULL when not a plain decimal number",
    "decimals": "significant decimals of the amount",
    "minor_units": "decimals of the currency (ISO 4217 minor units; 4 when unknown)",
    "base_index": "the period's index in the domain's base frequency, NULL when unreadable",
    "first_index": "the index of the domain's first base period",
    "last_index": "the index of the domain's last base period",
    "today_index": "the index of the current base period",
    "item_ok": "the item is in the domain's item code list",
    "partner_ok": "the partner is in the partner code list",
    "currency_ok": "the currency is an ISO 4217 code",
    "per_usd": "the exchange rate (micro-units per US dollar), NULL when none",
    "dup_k": "occurrence of this record_id within the batch (1 = first)",
    "seen_before": "the record_id is in another active batch of the domain",
    "reporter_known": "number of register versions of the reporter",
    "reporter_n": "number of register versions valid for the record's period",
    "usd_abs": "the amount in US dollars, absolute",
    "reporter_median": "the reporter's median usd_abs in the batch",
}
"""The columns a rule's ``when`` may use, with what each holds."""

SQL_WORDS = frozenset(
    [
        "and",
        "or",
        "not",
        "is",
        "null",
        "in",
        "like",
        "ilike",
        "between",
        "case",
        "when",
        "then",
        "else",
        "end",
        "true",
        "false",
        "as",
        "distinct",
        "from",
        "varchar",
        "integer",
        "bigint",
        "double",
        "decimal",
        "date",
    ]
)
_STRINGS = re.compile(r"'(?:[^']|'')*'")
_WORDS = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")


def used_columns(when: str) -> set[str]:
    """The names a SQL condition uses as columns: its identifiers outside string literals that
    are neither SQL words nor called as functions (lower case)."""
    return {w.lower() for w in _WORDS.findall(_STRINGS.sub("''", when))} - SQL_WORDS


@dataclass(frozen=True)
class Rule:
    """One check: rows where ``when`` is true break it (quarantined, or flagged for review)."""

    name: str
    field: str
    when: str
    message: str
    severity: str = "quarantine"


def load_rules(domain: Domain) -> tuple[str, list[Rule]]:
    """(version, rules) for a domain: its own ``validation.toml`` or the default set."""
    path = domain.path / "validation.toml"
    if not path.exists():
        path = DEFAULT_RULES
    spec = tomllib.loads(path.read_text(encoding="utf-8"))
    rules: list[Rule] = []
    for r in spec.get("rule", []):
        try:
            fields = r.get("fields", [r.get("field", "")])
            for f in fields:
                rules.append(
                    Rule(
                        r["name"],
                        f,
                        r["when"].replace("{field}", f),
                        r.get("message", r["name"]).replace("{field}", f),
                        r.get("severity", "quarantine"),
                    )
                )
        except KeyError as e:
            raise DomainError(f"{path}: rule {r.get('name', '?')} lacks {e.args[0]!r}") from None
    for r in rules:
        unknown = sorted(used_columns(r.when) - set(RULE_COLUMNS))
        if unknown:
            raise DomainError(
                f"{path}: rule {r.name} uses unknown column(s) {', '.join(unknown)}; a rule may use "
                f"{', '.join(RULE_COLUMNS)} (ktstat/ingest/rules.py)"
            )
    bad = [r.name for r in rules if r.severity not in ("quarantine", "review")]
    if bad:
        raise DomainError(f"{path}: severity must be quarantine or review (rules {', '.join(bad)})")
    return str(spec.get("version", "")), rules
