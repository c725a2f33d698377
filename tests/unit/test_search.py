"""The search tokenizer (backend/domain/search.py): normalisation, index terms and query parsing."""

from __future__ import annotations

import pytest

from backend.domain import search
from backend.domain.search import SearchQuery


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Buy MILK", ["buy", "milk"]),
        ("Café crème, Ça brûle!", ["cafe", "creme", "ca", "brule"]),
        ("STRASSE Straße", ["strasse"]),  # casefold: ß is ss
        ("a b cd e", ["cd"]),  # one-character words are dropped
        ("snake_case and-dash/slash", ["snake", "case", "and", "dash", "slash"]),
        ("milk milk Milk", ["milk"]),
        ("v2.0 release 2026-03-11", ["v2", "release", "2026", "03", "11"]),
        ("日本語 テキスト", ["日本語", "テキスト"]),
        ("", []),
        ("!!! ... ???", []),
    ],
)
def test_words_are_normalised_and_distinct(text: str, expected: list[str]) -> None:
    assert search.words(text) == expected


def test_task_words_are_title_then_notes() -> None:
    assert search.task_words("Call Bob", "about the bob report") == ["call", "bob", "about", "the", "report"]


def test_index_terms_cut_long_words_and_cap_the_count() -> None:
    long_word = "x" * 50
    assert search.index_terms(long_word, "") == frozenset({"x" * search.MAX_WORD_LENGTH})
    notes = " ".join(f"word{i}" for i in range(100))
    terms = search.index_terms("Title words first", notes)
    assert len(terms) == search.MAX_TERMS
    assert {"title", "words", "first", "word0"} <= terms
    assert "word99" not in terms


def test_the_worst_case_save_fits_one_transaction() -> None:
    # task + 10 labels added + 10 removed + every index term removed and another set added
    assert 1 + 20 + 2 * search.MAX_TERMS <= 100


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("milk", SearchQuery(words=(), prefix="milk")),
        ("  Buy MIL ", SearchQuery(words=("buy",), prefix="mil")),
        ("Crème brû", SearchQuery(words=("creme",), prefix="bru")),
        ("milk mi", SearchQuery(words=("milk",), prefix=None)),  # the prefix adds nothing
        ("buy m", SearchQuery(words=(), prefix="buy")),  # a one-letter word is dropped, "buy" may still be typed
        ("a", None),
        ("", None),
        (None, None),
        ("?!", None),
    ],
)
def test_parse_query(typed: str | None, expected: SearchQuery | None) -> None:
    assert search.parse_query(typed) == expected


def test_lookups_most_selective_first() -> None:
    query = SearchQuery(words=("buy", "groceries"), prefix="mil")
    assert query.lookups() == [("groceries", False), ("buy", False), ("mil", True)]
    # a whole word before a prefix of the same length
    assert SearchQuery(words=("abc",), prefix="xyz").lookups() == [("abc", False), ("xyz", True)]


def test_lookups_of_long_words_use_the_indexed_length() -> None:
    long_word = "y" * 30
    assert SearchQuery(words=(long_word,), prefix=None).lookups() == [("y" * 20, False)]
    # a prefix as long as an indexed term is an exact lookup of that term
    assert SearchQuery(words=(), prefix=long_word).lookups() == [("y" * 20, False)]


@pytest.mark.parametrize(
    ("typed", "title", "notes", "found"),
    [
        ("milk", "Buy MILK", "", True),
        ("mil", "Buy milk", "", True),
        ("buy mil", "Buy milk", "", True),
        ("milk bu", "Buy milk", "", True),  # the last word is a prefix
        ("mil buy", "Buy milk", "", False),  # only the last one: "mil" is not a word of the task
        ("bu milk", "Buy milk", "", False),  # earlier words are whole words
        ("eggs", "Groceries", "milk, eggs", True),
        ("cafe", "Café", "", True),
        ("CAFÉ", "cafe", "", True),
        ("ilk", "Buy milk", "", False),  # words match from their start
        ("milk bread", "Buy milk", "", False),
    ],
)
def test_matches(typed: str, title: str, notes: str, found: bool) -> None:
    query = search.parse_query(typed)
    assert query is not None
    assert query.matches(search.task_words(title, notes)) is found


def test_normalize() -> None:
    assert search.normalize("Ça Brûle") == "ca brule"
