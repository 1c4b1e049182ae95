"""The archive's search text: parsed into words and phrases, never passed on as query syntax."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.domain.archive_query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    Term,
    csv_cell,
    fts5_query,
    highlight,
    parse_search,
    tsquery_text,
)
from frontdesk.domain.chat_rules import ChatRuleError


def terms(text: str) -> list[Term]:
    return list(parse_search(text).terms)


def test_words_phrases_and_prefixes():
    assert terms("Tyres  29er") == [Term(("tyres",)), Term(("29er",))]
    assert terms('"rear wheel" hub') == [Term(("rear", "wheel")), Term(("hub",))]
    assert terms("tyr* a*") == [Term(("tyr",), prefix=True), Term(("a",))]  # 1-2 letters: a whole word
    assert terms("jane@example.com") == [Term(("jane",)), Term(("example",)), Term(("com",))]
    assert terms("grüße 東京 naïve") == [Term(("grüße",)), Term(("東京",)), Term(("naïve",))]
    assert terms("hub hub HUB") == [Term(("hub",))]


def test_operators_and_stray_quotes_are_just_text():
    assert terms("NOT refund OR NEAR(x y) AND -body:col ^start") == [
        Term((w,)) for w in ("not", "refund", "or", "near", "x", "y", "and", "body", "col", "start")
    ]
    assert terms('say "hello') == [Term(("say",)), Term(("hello",))]  # an open quote is ignored
    assert terms('"" * ) ( : " "') == []
    assert parse_search("   ").empty and parse_search(None).empty


def test_queries_for_each_engine_quote_every_word():
    search = parse_search('refund "rear wheel" tyr*')
    assert fts5_query(search) == '"refund" AND "rear wheel" AND "tyr" *'
    assert tsquery_text(search) == "'refund' & ('rear' <-> 'wheel') & 'tyr':*"


@given(st.text(max_size=MAX_QUERY_CHARS))
def test_any_text_gives_quoted_words_only(text):
    try:
        search = parse_search(text)
    except ChatRuleError as exc:  # too many terms, NUL: a precise error about q
        assert exc.field == "q"
        return
    for term in search.terms:
        for word in term.words:
            assert word and '"' not in word and "'" not in word and "\\" not in word and " " not in word
    fts = fts5_query(search)
    assert fts.count('"') == 2 * len(search.terms)


def test_limits_name_the_field():
    with pytest.raises(ChatRuleError) as too_long:
        parse_search("x" * (MAX_QUERY_CHARS + 1))
    assert too_long.value.field == "q" and "at most 500" in too_long.value.message
    with pytest.raises(ChatRuleError) as too_many:
        parse_search(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
    assert too_many.value.field == "q"
    with pytest.raises(ChatRuleError):
        parse_search(42)
    assert len(parse_search("y" * MAX_QUERY_CHARS).terms) == 1  # one very long word is fine


def test_highlight_marks_matching_words_as_separate_parts():
    search = parse_search("tyres 29ER")
    parts = highlight("Do you have 29er tyres? <b>Tyres</b> please", search)
    assert parts == ["Do you have ", "29er", " ", "tyres", "? <b>", "Tyres", "</b> please"]
    assert "".join(parts) == "Do you have 29er tyres? <b>Tyres</b> please"
    assert highlight("nothing here", search) == ["nothing here"]


def test_highlight_prefix_and_window():
    text = "word " * 40 + "the refunded order " + "tail " * 80
    parts = highlight(text, parse_search("refund*"))
    assert parts[1] == "refunded"
    assert parts[0].startswith("…") and parts[-1].endswith("…")
    assert len("".join(parts)) < 240


def test_csv_cells_never_start_a_formula():
    assert csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    for text in ("+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_cell(text).startswith("'")
    assert csv_cell("plain") == "plain" and csv_cell(None) == "" and csv_cell(" =1") == " =1"
