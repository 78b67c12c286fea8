"""The validation rules' columns: declared beside the rules (ktstat.ingest.rules.RULE_COLUMNS),
provided by the validation, and a rule naming any other column refused when loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktstat import domain as domains
from ktstat.errors import DomainError
from ktstat.ingest import ingest_files, rules
from ktstat.pipeline import store_codelists
from ktstat.store import open_store

FIX = Path(__file__).parent / "fixtures" / "kst_small"


def test_used_columns_skip_strings_functions_and_sql_words() -> None:
    when = "amt < 0 AND coalesce(lower(note), '') NOT LIKE '%reversal or item%' AND flow IS NOT NULL"
    assert rules.used_columns(when) == {"amt", "note", "flow"}


def test_the_default_rules_use_declared_columns_only() -> None:
    for dom in ("kst", "tbp"):
        _, loaded = rules.load_rules(domains.load(dom))
        assert loaded
        for r in loaded:
            assert rules.used_columns(r.when) <= set(rules.RULE_COLUMNS), r.name


def test_a_rule_using_an_undeclared_column_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "records.toml"
    toml.write_text(
        'version = "x"\n[[rule]]\nname = "odd"\nfield = "amount"\nwhen = "amt > 0 AND amount_usd > 5"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(rules, "DEFAULT_RULES", toml)
    with pytest.raises(
        DomainError, match=r"records.toml: rule odd uses unknown column\(s\) amount_usd; a rule may use"
    ):
        rules.load_rules(domains.load("kst"))


def test_validation_provides_every_declared_column() -> None:
    con = open_store(None)
    dom = domains.load("kst")
    store_codelists(con, dom)
    ingest_files(con, dom, [FIX / "records.csv"], reference=(FIX / "reporters.csv", FIX / "rates.csv"))
    provided = {r[0] for r in con.execute("DESCRIBE chk").fetchall()}
    assert set(rules.RULE_COLUMNS) <= provided, set(rules.RULE_COLUMNS) - provided
