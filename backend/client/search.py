"""Whether a task matches typed search text, by the API's own rule (``backend.domain.search``): every word is a
word of the title or notes (case and accents ignored), the last one may be the start of one. The UI places a
task it just changed in search results without asking the API again."""

from __future__ import annotations

from backend.domain.search import parse_query, task_words


def matches_search(text: str, *, title: str, notes: str) -> bool:
    query = parse_query(text)
    return query is None or query.matches(task_words(title, notes))
