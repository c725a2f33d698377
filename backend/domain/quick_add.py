"""Quick add: one line of natural language → task fields, shown as chips before saving. Pure and timezone-aware.

Grammar (case-insensitive; text in "double quotes" is never parsed):
- priority ``p1`` to ``p4``; project ``#name``; labels ``@name`` (several allowed)
- section ``/name`` (issue 14)
- dates: today, tonight, tomorrow (tmr), weekday names (mon…sun, the next such day after today),
  "next <weekday>" (that weekday in next week, Monday-based), next week (next Monday), next month (the 1st),
  next quarter (its first day), "in N days|weeks|months|years", "in N minutes|hours" (sets a time too), "dec 24",
  "24 dec", "december 24th 2027", ISO "2026-12-24", end of month (eom), numeric dates in the user's date order
  ("24/12", "24.12.", "24/12/2026" for DMY; "12/24" for MDY; "2026/12/24" always; without a year the next such day).
  An explicit date before today is kept, with a warning.
- times: "5pm", "5:30 pm", "17:30", "at 17", noon, midnight, morning (9:00), afternoon (15:00), evening (19:00);
  "at 5" means 05:00 (24-hour reading, no guessing). A time without a date is today if still ahead, else tomorrow.
- recurrence: every day, every weekday, every week, every month, every year (bare "daily"/"weekly" stay in the
  title: "Weekly review" is a name, not a rule),
  "every N days|weeks|months|years", "every monday[, thu and fri]", "every last day of month", "every 15th",
  "every month on the 1st", "every last friday", "every 2nd tuesday [of the month]";
  the first occurrence becomes the due date.
Calendar arithmetic is dateutil's (relativedelta, rrule); only the phrase grammar is ours.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from backend.domain import dates, recurrence

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
RRULE_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, start=1)}
_WEEKDAY = r"(mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday)?\.?"
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_END = r"(?![\w'])"  # a word ends here: "tomorrow" but not "tomorrow's"
_START = r"(?<![\w#@])"
DateOrder = Literal["DMY", "MDY", "YMD"]
# Where a numeric date reads month first or year first; everywhere else day first (the world's most common order).
_MDY_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
              "America/Anchorage", "America/Detroit", "America/Boise", "America/Indiana/", "America/Kentucky/",
              "America/North_Dakota/", "America/Juneau", "America/Sitka", "America/Adak", "America/Nome",
              "America/Menominee", "America/Metlakatla", "America/Yakutat", "Pacific/Honolulu", "US/",
              "Asia/Manila")  # fmt: skip
_YMD_ZONES = ("Asia/Tokyo", "Asia/Shanghai", "Asia/Seoul", "Asia/Taipei", "Asia/Pyongyang", "Asia/Ulaanbaatar",
              "Europe/Budapest", "Europe/Vilnius")  # fmt: skip
_ORDINAL_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}
NAMED_TIMES = {"noon": time(12), "midnight": time(0), "morning": time(9), "afternoon": time(15), "evening": time(19)}


@dataclass(frozen=True)
class Chip:
    """One recognised piece of the line: what the UI shows before saving."""

    kind: str  # due | time | recurrence | priority | project | label
    text: str  # the words the user typed
    label: str  # what we understood


@dataclass
class QuickAddResult:
    title: str
    due_date: date | None = None
    due_time: time | None = None
    recurrence: str | None = None
    priority: int | None = None
    project: str | None = None
    labels: list[str] = field(default_factory=list)
    chips: list[Chip] = field(default_factory=list)
    section: str | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. a date in the past

    def due_at(self, tz: ZoneInfo) -> datetime | None:
        """The due instant when a time was given (DST gaps move forward)."""
        if self.due_date is None or self.due_time is None:
            return None
        return recurrence.to_instant(datetime.combine(self.due_date, self.due_time), tz)


@dataclass
class _Parse:
    text: str
    today: date
    now: datetime  # local, naive
    instant: datetime  # aware
    tz: ZoneInfo
    result: QuickAddResult
    date_order: DateOrder = "DMY"

    def take(self, pattern: str, handle: Callable[[re.Match[str]], Chip | None], *, repeat: bool = False) -> None:
        """Apply ``handle`` to the first (or every) match outside quotes and blank the matched words out."""
        while True:
            match = next((m for m in re.finditer(pattern, self.text, re.IGNORECASE) if not _quoted(self.text, m)), None)
            if match is None:
                return
            chip = handle(match)
            if chip is None:
                return
            self.result.chips.append(chip)
            self.text = self.text[: match.start()] + " " * (match.end() - match.start()) + self.text[match.end() :]
            if not repeat:
                return


def default_date_order(timezone: str | None) -> DateOrder:
    """The numeric date order a user most likely writes, from their time zone (the one locale hint the profile has
    for everyone): month first in the US (and the Philippines), year first in East Asia and Hungary, else day first.
    The profile's ``date_order`` preference overrides it."""
    name = timezone or ""
    if name.startswith(_MDY_ZONES):
        return "MDY"
    return "YMD" if name.startswith(_YMD_ZONES) else "DMY"


@dataclass(frozen=True)
class Destination:
    """A project a task may be added to (the caller's own or a shared one where they are an editor or more, not
    archived), in the order the user sees them."""

    id: str
    name: str
    sections: tuple[str, ...] = ()
    shared: bool = False


def name_key(name: str) -> str:
    """How a typed ``#name``, ``@name`` or ``/name`` matches a stored one: case and spaces do not count ("#homeoffice"
    is "Home Office": a tag cannot hold a space)."""
    return "".join(name.split()).lower()


@dataclass(frozen=True)
class Resolved:
    project_id: str | None
    section: str | None
    warnings: tuple[str, ...] = ()


def resolve(result: QuickAddResult, destinations: list[Destination], *, default: Destination | None = None) -> Resolved:
    """The project ``#name`` names (the first in the user's order) and the section ``/name`` names in it (or in
    ``default``, the page's project, when no project was typed); a section that is not there is dropped, with a
    warning (the task would otherwise be refused)."""
    target = None
    if result.project:
        target = next((d for d in destinations if name_key(d.name) == name_key(result.project)), None)
    where = target or (default if not result.project else None)
    section = None
    warnings: list[str] = []
    if result.section:
        section = next((s for s in (where.sections if where else ()) if name_key(s) == name_key(result.section)), None)
        if section is None:
            place = where.name if where else "the Inbox"
            warnings.append(f"{place} has no section “{result.section}”")
    return Resolved(target.id if target else None, section, tuple(warnings))


def _quoted(text: str, match: re.Match[str]) -> bool:
    return text[: match.start()].count('"') % 2 == 1


def _weekday(name: str) -> int:
    return WEEKDAYS[name[:3].lower()]


def _next_weekday(today: date, weekday: int) -> date:
    """The next day with this weekday, strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _time_of(hour: str, minute: str | None, meridiem: str | None) -> time | None:
    h, m = int(hour), int(minute or 0)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem.lower().startswith("p") else 0)
    if h > 23 or m > 59:
        return None
    return time(h, m)


def _month_day(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        if year is not None:
            return date(year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None  # Feb 30: not a date, leave the words in the title


def _fmt_date(day: date, today: date) -> str:
    return f"{day:%a} {day:%b} {day.day}" + (f" {day.year}" if day.year != today.year else "")


def _rule_chip(p: _Parse, match: re.Match[str], rule: str) -> Chip:
    p.result.recurrence = recurrence.validate_rule(rule)
    if p.result.due_date is None:
        p.result.due_date = recurrence.first_due_date(rule, start=p.today)
    return Chip("recurrence", match.group(0).strip(), recurrence.describe(rule))


def _parse_recurrence(p: _Parse) -> None:
    units = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}

    def every_n(m: re.Match[str]) -> Chip:
        n = int(m.group(1) or 1)
        freq = units[m.group(2).lower()]
        return _rule_chip(p, m, f"FREQ={freq}" + (f";INTERVAL={n}" if n > 1 else ""))

    def weekdays(m: re.Match[str]) -> Chip:
        names = re.findall(_WEEKDAY, m.group(0), re.IGNORECASE)
        days = sorted({_weekday(n) for n in names})
        return _rule_chip(p, m, "FREQ=WEEKLY;BYDAY=" + ",".join(RRULE_DAYS[d] for d in days))

    def month_day(m: re.Match[str]) -> Chip | None:
        day = int(m.group(1))
        return _rule_chip(p, m, f"FREQ=MONTHLY;BYMONTHDAY={day}") if 1 <= day <= 31 else None

    def nth_weekday(m: re.Match[str]) -> Chip:
        n = _ORDINAL_WORDS[m.group(1).lower()]
        return _rule_chip(p, m, f"FREQ=MONTHLY;BYDAY={n}{RRULE_DAYS[_weekday(m.group(2))]}")

    p.take(rf"{_START}every month on the (\d{{1,2}})(?:st|nd|rd|th)?{_END}", month_day)
    p.take(rf"{_START}every (\d{{1,2}})(?:st|nd|rd|th)? (?:day )?of (?:the |every )?month{_END}", month_day)
    p.take(
        rf"{_START}every (first|1st|second|2nd|third|3rd|fourth|4th|last) {_WEEKDAY}"
        rf"(?: of (?:the |every )?month)?{_END}",
        nth_weekday,
    )
    p.take(
        rf"{_START}every (?:last day of (?:the )?month|month on the last day){_END}",
        lambda m: _rule_chip(p, m, "FREQ=MONTHLY;BYMONTHDAY=-1"),
    )
    p.take(
        rf"{_START}every (?:weekday|work ?day)s?{_END}", lambda m: _rule_chip(p, m, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    )
    p.take(rf"{_START}every (?:(\d{{1,3}}) )?(day|week|month|year)s?{_END}", every_n)
    p.take(rf"{_START}every {_WEEKDAY}(?:\s*(?:,|and|&)\s*{_WEEKDAY})*{_END}", weekdays)
    p.take(rf"{_START}every (\d{{1,2}})(?:st|nd|rd|th){_END}", month_day)


def _set_due(p: _Parse, m: re.Match[str], day: date | None) -> Chip | None:
    # A date outside the app's calendar ("in 999 years") is not understood: the words stay in the title.
    if day is None or not dates.in_range(day) or (p.result.due_date is not None and not p.result.recurrence):
        return None
    p.result.due_date = day
    if day < p.today:  # only a date typed with its year can be: kept (the user may mean it), but said
        p.result.warnings.append(f"{_fmt_date(day, p.today)} is in the past")
    return Chip("due", m.group(0).strip(), _fmt_date(day, p.today))


def _numeric_date(p: _Parse, m: re.Match[str]) -> Chip | None:
    """A date of numbers read in the user's order: D/M[/Y] (DMY), M/D[/Y] (MDY and YMD without a year), Y/M/D (YMD,
    or whenever the first number has four digits). Two-digit years are this century's."""
    first, second, third = m.group(1), m.group(3), m.group(4)
    if third is None:
        day_month = (first, second) if p.date_order == "DMY" else (second, first)
        return _set_due(p, m, _month_day(p.today, int(day_month[1]), int(day_month[0]), None))
    if len(first) == 4 or p.date_order == "YMD":
        year, month, day = first, second, third
    elif p.date_order == "DMY":
        day, month, year = first, second, third
    else:
        month, day, year = first, second, third
    if len(year) not in (2, 4) or len(day) > 2 or len(month) > 2:
        return None
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    return _set_due(p, m, _month_day(p.today, int(month), int(day), full_year))


def _parse_dates(p: _Parse) -> None:
    t = p.today

    def relative(m: re.Match[str]) -> Chip | None:
        n = 1 if m.group(1).lower() in {"a", "an", "one"} else int(m.group(1))
        unit = m.group(2).lower().rstrip("s")
        if unit in {"minute", "min", "hour", "hr", "h"}:
            minutes = n * 60 if unit.startswith("h") else n
            # Real elapsed time: add to the instant, then read the wall clock (DST changes on the way count).
            moment = (p.instant + timedelta(minutes=minutes)).astimezone(p.tz).replace(tzinfo=None)
            p.result.due_date, p.result.due_time = moment.date(), time(moment.hour, moment.minute)
            return Chip("due", m.group(0).strip(), f"{_fmt_date(moment.date(), p.today)} {moment:%H:%M}")
        delta = {
            "day": relativedelta(days=n),
            "week": relativedelta(weeks=n),
            "month": relativedelta(months=n),
            "year": relativedelta(years=n),
        }[unit]
        return _set_due(p, m, t + delta)

    def month_first(m: re.Match[str]) -> Chip | None:
        year = int(m.group(3)) if m.group(3) else None
        return _set_due(p, m, _month_day(t, MONTHS[m.group(1)[:3].lower()], int(m.group(2)), year))

    def day_first(m: re.Match[str]) -> Chip | None:
        year = int(m.group(3)) if m.group(3) else None
        return _set_due(p, m, _month_day(t, MONTHS[m.group(2)[:3].lower()], int(m.group(1)), year))

    def iso(m: re.Match[str]) -> Chip | None:
        try:
            return _set_due(p, m, date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
        except ValueError:
            return None

    def next_week_day(m: re.Match[str]) -> Chip | None:
        monday_next_week = t + timedelta(days=7 - t.weekday())
        return _set_due(p, m, monday_next_week + timedelta(days=_weekday(m.group(1))))

    def tonight(m: re.Match[str]) -> Chip | None:
        chip = _set_due(p, m, t)
        if chip and p.result.due_time is None:
            p.result.due_time = time(20)
        return chip

    n_word = r"(\d{1,3}|an?|one)"
    p.take(rf"{_START}in {n_word} (minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?|years?){_END}", relative)
    p.take(rf"{_START}(\d{{4}})-(\d{{2}})-(\d{{2}}){_END}", iso)
    p.take(rf"{_START}(?:on )?{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?(?:,? (\d{{4}}))?{_END}", month_first)
    p.take(rf"{_START}(?:on )?(\d{{1,2}})(?:st|nd|rd|th)? {_MONTH}(?: (\d{{4}}))?{_END}", day_first)
    p.take(rf"{_START}next {_WEEKDAY}{_END}", next_week_day)
    p.take(rf"{_START}next week{_END}", lambda m: _set_due(p, m, t + timedelta(days=7 - t.weekday())))
    p.take(rf"{_START}next month{_END}", lambda m: _set_due(p, m, (t + relativedelta(months=1)).replace(day=1)))
    quarter_start = t + relativedelta(month=(t.month - 1) // 3 * 3 + 1, day=1)
    p.take(rf"{_START}next quarter{_END}", lambda m: _set_due(p, m, quarter_start + relativedelta(months=3)))

    # "/" always; "." with a year or a closing dot ("24.12.") so that "1.5 pages" stays a number; "-" only as ISO.
    def numeric(m: re.Match[str]) -> Chip | None:
        return _numeric_date(p, m)

    p.take(r"(?<![\w/.:-])(\d{1,4})(/)(\d{1,2})(?:/(\d{1,4}))?(?![\w/])", numeric)
    p.take(r"(?<![\w/.:-])(\d{1,4})(\.)(\d{1,2})(?:\.(\d{1,4})|\.)(?![\w/.])", numeric)
    p.take(rf"{_START}(?:end of (?:the )?month|eom){_END}", lambda m: _set_due(p, m, t + relativedelta(day=31)))
    p.take(rf"{_START}(?:today|tod){_END}", lambda m: _set_due(p, m, t))
    p.take(rf"{_START}tonight{_END}", tonight)
    p.take(rf"{_START}(?:tomorrow|tmrw?|tmr){_END}", lambda m: _set_due(p, m, t + timedelta(days=1)))
    p.take(rf"{_START}(?:on )?{_WEEKDAY}{_END}", lambda m: _set_due(p, m, _next_weekday(t, _weekday(m.group(1)))))


def _parse_time(p: _Parse) -> None:
    def clock(m: re.Match[str]) -> Chip | None:
        if p.result.due_time is not None:
            return None
        at = _time_of(m.group(1), m.group(2), m.group(3))
        if at is None:
            return None
        p.result.due_time = at
        return Chip("time", m.group(0).strip(), f"{at:%H:%M}")

    def named(m: re.Match[str]) -> Chip | None:
        if p.result.due_time is not None:
            return None
        p.result.due_time = NAMED_TIMES[m.group(1).lower()]
        return Chip("time", m.group(0).strip(), f"{p.result.due_time:%H:%M}")

    p.take(rf"{_START}(?:at |@ ?)?(\d{{1,2}})(?::(\d{{2}}))? ?([ap]\.?m\.?){_END}", clock)
    p.take(rf"{_START}(?:at )?(\d{{1,2}}):(\d{{2}})(){_END}", clock)
    p.take(rf"{_START}at (\d{{1,2}})(){_END}()", clock)
    p.take(rf"{_START}(?:at |in the )?(noon|midnight|morning|afternoon|evening){_END}", named)
    if p.result.due_time is not None and p.result.due_date is None:
        ahead = datetime.combine(p.today, p.result.due_time) > p.now
        p.result.due_date = p.today if ahead else p.today + timedelta(days=1)


def _parse_tags(p: _Parse) -> None:
    def priority(m: re.Match[str]) -> Chip | None:
        if p.result.priority is not None:
            return None
        p.result.priority = int(m.group(1))
        return Chip("priority", m.group(0), f"Priority {m.group(1)}")

    def project(m: re.Match[str]) -> Chip | None:
        if p.result.project is not None:
            return None
        p.result.project = m.group(1)
        return Chip("project", m.group(0), m.group(1))

    def label(m: re.Match[str]) -> Chip:
        if m.group(1).lower() not in (x.lower() for x in p.result.labels):
            p.result.labels.append(m.group(1))
        return Chip("label", m.group(0), m.group(1))

    p.take(rf"{_START}p([1-4]){_END}", priority)
    p.take(r"(?<![\w&])#([^\s#@\"]{1,60})", project)
    p.take(r"(?<![\w.])@([^\s#@\"]{1,40})", label, repeat=True)

    def section(m: re.Match[str]) -> Chip | None:
        if p.result.section is not None or m.group(1).isdigit():
            return None
        p.result.section = m.group(1)
        return Chip("section", m.group(0), m.group(1))

    # "/Doing" names a section; "and/or", "24/12" and a URL's "//" do not (a word or a slash just before).
    p.take(r"(?<![\w/:.])/([^\s#@/\"]{1,40})", section)


def parse(line: str, *, now: datetime, tz: ZoneInfo, date_order: DateOrder | None = None) -> QuickAddResult:
    """Parse a quick-add line typed at ``now`` (aware) by a user in time zone ``tz``; numeric dates in ``date_order``
    (default: the time zone's, ``default_date_order``)."""
    local_now = now.astimezone(tz).replace(tzinfo=None)
    order = date_order or default_date_order(tz.key)
    p = _Parse(
        text=line,
        today=local_now.date(),
        now=local_now,
        instant=now,
        tz=tz,
        result=QuickAddResult(title=""),
        date_order=order,
    )
    _parse_tags(p)
    _parse_recurrence(p)
    _parse_dates(p)
    _parse_time(p)
    title = re.sub(r"\s+", " ", p.text).strip(" ,;-")
    title = re.sub(r'"([^"]*)"', r"\1", title) if title.count('"') == 2 and title.startswith('"') else title
    p.result.title = title
    return p.result
