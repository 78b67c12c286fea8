"""What an ingest did: per file and in all (rows in, accepted, quarantined, by rule, amounts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class FileReport:
    """What happened to one file. Amounts per currency as Decimal units of the currency."""

    file: str
    batch_id: int | None = None
    duplicate_of: int | None = None
    rows_in: int = 0
    accepted: int = 0
    quarantined: int = 0
    review: int = 0
    resolved: int = 0  # quarantined rows of earlier batches this file's accepted records correct
    by_rule: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        money = all(a["in"] == a["accepted"] + a["quarantined"] for a in self.amounts.values())
        return self.rows_in == self.accepted + self.quarantined and money

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "batch_id": self.batch_id,
            "duplicate_of": self.duplicate_of,
            "rows_in": self.rows_in,
            "accepted": self.accepted,
            "quarantined": self.quarantined,
            "flagged_for_review": self.review,
            "resolved_earlier_quarantined": self.resolved,
            "quarantined_by_rule": self.by_rule,
            "amounts": {c: {k: str(v) for k, v in a.items()} for c, a in self.amounts.items()},
            "reconciles": self.reconciles,
        }


@dataclass
class IngestReport:
    domain: str
    files: list[FileReport] = field(default_factory=list)
    superseded: int | None = None

    @property
    def rows_in(self) -> int:
        return sum(f.rows_in for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def by_rule(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for k, v in f.by_rule.items():
                out[k] = out.get(k, 0) + v
        return dict(sorted(out.items()))

    @property
    def reconciles(self) -> bool:
        return all(f.reconciles for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "files": [f.as_dict() for f in self.files],
            "total": {
                "rows_in": self.rows_in,
                "accepted": self.accepted,
                "quarantined": self.quarantined,
                "quarantined_by_rule": self.by_rule,
                "reconciles": self.reconciles,
            },
            "superseded_batch": self.superseded,
        }
