"""Validation rules as data (``ktstat/rules/records.toml`` or a domain's ``validation.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ktstat.domain import Domain
from ktstat.errors import DomainError

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "rules" / "records.toml"


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
    bad = [r.name for r in rules if r.severity not in ("quarantine", "review")]
    if bad:
        raise DomainError(f"{path}: severity must be quarantine or review (rules {', '.join(bad)})")
    return str(spec.get("version", "")), rules
