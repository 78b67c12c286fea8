"""The terms catalogue (``ktstat.terms``): complete in both languages, and the one source of the
labels every output shows (press release, tables, SDMX code lists, the explorer)."""

from __future__ import annotations

import json
import string

import pytest

from ktstat import domain as domains
from ktstat.api.page import static_file
from ktstat.publish.sdmx import FREQ_NAMES, STATUS_NAMES, breakdown_label, measure_label
from ktstat.terms import LANGS, _catalogue, josa, terms

ENGLISH_ONLY = ("in_text",)  # sections of one language's grammar: names that take "the" in English


def test_names_in_english_running_text_are_code_list_labels() -> None:
    labels = {
        c.label_en for d in domains.available() for b in domains.load(d).breakdowns.values() for c in b.codelist.codes
    }
    in_text = _catalogue("en")["in_text"]
    assert "United States" in in_text and "Japan" not in in_text
    for name, text in in_text.items():
        assert name in labels, name
        assert text == f"the {name}", name
    assert "in_text" not in _catalogue("ko")


def _fields(template: str) -> set[str]:
    return {f.split(":")[0] for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_term_in_both_languages() -> None:
    """Each section has the same keys in English and Korean, so a term missing in one language
    cannot reach a publication, and every template fills (its placeholders may differ by language:
    Korean names the balance where English says "the surplus")."""
    en, ko = _catalogue("en"), _catalogue("ko")
    own = {"programme", *ENGLISH_ONLY}
    sections = {k for k, v in en.items() if isinstance(v, dict) and k not in own}
    assert sections == {k for k, v in ko.items() if isinstance(v, dict) and k not in own}
    assert {"sentence", "measure_kind", "explorer", "concept", "status"} <= sections
    for sec in sections:
        assert set(en[sec]) == set(ko[sec]), f"[{sec}]: {sorted(set(en[sec]) ^ set(ko[sec]))}"
        for key in en[sec]:
            for lang, cat in (("en", en), ("ko", ko)):
                values = dict.fromkeys(_fields(cat[sec][key]), "정보통신업")
                assert "{" not in terms(lang).fill(sec, key, **values), f"{lang} [{sec}] {key}"


@pytest.mark.parametrize("lang", LANGS)
def test_programme_words_override_known_terms(lang: str) -> None:
    """A programme override names a section and key the common catalogue has (no stray terms)."""
    cat = _catalogue(lang)
    for prog, secs in cat["programme"].items():
        assert prog in domains.available()
        for sec, words in secs.items():
            assert set(words) <= set(cat[sec]), f"programme.{prog}.{sec}"


def test_sdmx_labels_come_from_the_catalogue() -> None:
    """Code-list names in the SDMX structures are the catalogue's words, a programme's own where
    it has them (the ministry's 기술수출)."""
    assert measure_label("exports", "tbp") == ("Technology exports", "기술수출")
    assert measure_label("ratio", "tbp")[1] == terms("ko", "tbp").get("measure_long", "ratio")
    assert measure_label("exports_growth_yoy", "kst") == (
        "Exports: growth (%), against the same period a year earlier",
        "수출 증감률(%), 전년 동기 대비",
    )
    assert measure_label("balance_change")[1] == "수지(수출−수입) 증감액, 직전 기 대비"
    assert breakdown_label("institution", "tbp") == ("Type of firm", "기관유형")
    assert breakdown_label("institution", "kst")[1] == terms("ko").get("noun", "institution")
    assert FREQ_NAMES["S"] == (terms("en").get("frequency_name", "H"), "반기")
    assert STATUS_NAMES["C"][1] == terms("ko").get("status", "C")


def test_explorer_strings_are_the_catalogue() -> None:
    """``/static/i18n.json`` is the ``[explorer]`` section of each language."""
    doc = json.loads(static_file("i18n.json").body)
    assert set(doc) == set(LANGS)
    for lang in LANGS:
        assert doc[lang] == terms(lang).section("explorer")
    assert doc["ko"]["title"] != doc["en"]["title"]


@pytest.mark.parametrize(
    ("word", "pair", "want"),
    [
        ("정보통신업", "이/가", "정보통신업이"),
        ("수지비", "은/는", "수지비는"),
        ("1", "으로/로", "1로"),
        ("3", "으로/로", "3으로"),
        ("서울", "으로/로", "서울로"),
        ("미국(3.1억 달러)", "이/가", "미국(3.1억 달러)이"),
    ],
)
def test_josa(word: str, pair: str, want: str) -> None:
    assert josa(word, pair) == want
