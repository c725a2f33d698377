"""Search words: how a task's title and notes become index terms, and how typed text becomes a lookup. Pure.

Both sides go through the same normalisation (case-folded, accents stripped, split on anything that is not a letter
or digit, one-character words dropped), so "Café" finds "cafe" and "CAFÉ". The last typed word is a prefix ("mil"
finds "milk"): the user is still typing it. The index holds the first ``MAX_TERMS`` distinct words of a task (title
first), each cut to ``MAX_WORD_LENGTH`` characters, so that a task's index entries fit in the transaction that writes
the task (see adapters/task_store/); matching is then checked against every word of the task.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MIN_WORD_LENGTH = 2
MAX_WORD_LENGTH = 20  # longer words are indexed (and looked up) by their first 20 characters
# A save writes the task, up to 2 x 10 label links and up to 2 x MAX_TERMS index entries (all words replaced) in one
# TransactWriteItems, whose limit is 100 items.
MAX_TERMS = 36

_WORD = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """Case-folded, without accents (NFKD, combining marks dropped): "Ça Brûle" -> "ca brule"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The distinct words of ``text`` (normalised, two characters or more), in order of first appearance."""
    found = (w for w in _WORD.findall(normalize(text)) if len(w) >= MIN_WORD_LENGTH)
    return list(dict.fromkeys(found))


def task_words(title: str, notes: str) -> list[str]:
    """Every word of a task (what a match is checked against)."""
    return words(f"{title}\n{notes}")


def index_terms(title: str, notes: str) -> frozenset[str]:
    """What the index stores for a task: its first ``MAX_TERMS`` distinct words (title first), cut to length."""
    terms = dict.fromkeys(w[:MAX_WORD_LENGTH] for w in task_words(title, notes))
    return frozenset(list(terms)[:MAX_TERMS])


@dataclass(frozen=True)
class SearchQuery:
    """Typed text as a lookup: every word must be a word of the task, the last one may be the start of one."""

    words: tuple[str, ...]  # complete words
    prefix: str | None  # the last word, still being typed

    def lookups(self) -> list[tuple[str, bool]]:
        """Index lookups ``(term, is_prefix)``, the most selective first (longest; whole words before a prefix)."""
        terms = {(w[:MAX_WORD_LENGTH], False) for w in self.words}
        if self.prefix is not None:
            terms.add((self.prefix[:MAX_WORD_LENGTH], len(self.prefix) < MAX_WORD_LENGTH))
        return sorted(terms, key=lambda t: (-len(t[0]), t[1], t[0]))

    def matches(self, task_words: Iterable[str]) -> bool:
        have = set(task_words)
        if not all(w in have for w in self.words):
            return False
        return self.prefix is None or self.prefix in have or any(w.startswith(self.prefix) for w in have)


def parse_query(text: str | None) -> SearchQuery | None:
    """None when nothing searchable was typed (empty, or only one-character words)."""
    found = words(text or "")
    if not found:
        return None
    *complete, last = found
    rest = tuple(w for w in complete if w != last)
    if any(w.startswith(last) for w in rest):
        return SearchQuery(words=rest, prefix=None)  # "milk mi": the prefix adds nothing
    return SearchQuery(words=rest, prefix=last)
