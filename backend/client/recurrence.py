"""A recurring task's future occurrences for the calendar: the API's own rules (``backend.domain.recurrence``),
computed where they are shown and never stored."""

from backend.domain.recurrence import occurrences

__all__ = ["occurrences"]
