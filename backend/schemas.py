"""API shapes (JSON, snake_case). Validated at the edge; services receive and return these or domain objects."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from backend.domain import dates
from backend.domain.notifications import one_line
from backend.domain.quick_add import DateOrder, name_key

if TYPE_CHECKING:
    from backend.domain.quick_add import QuickAddResult

_TIMEZONES = frozenset(available_timezones())

# Control characters (Unicode category Cc: C0, DEL, C1) and the Unicode line/paragraph separators (Zl, Zp: what
# backend.domain.notifications.one_line turns into spaces in outgoing messages). A one-line field
# (a title, a name) takes none of them, not even at its ends; a multi-line one (notes) keeps newlines and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _one_line(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError("must be one line without control characters (no line breaks or tabs)")
    return value


def _text(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL_IN_TEXT.search(value):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return value


# Put after StringConstraints in ``Annotated``, a before-validator still runs first (it wraps the constrained str):
# a control character at either end is refused, not stripped.
OneLine = BeforeValidator(_one_line)
MultiLine = BeforeValidator(_text)


def _in_calendar(value: Any) -> Any:
    if not dates.in_range(value):
        raise ValueError(dates.OUT_OF_RANGE)
    return value


# Every date and instant a client sends lies in the app's calendar (backend/domain/dates.py): 1970-2100.
CalendarDate = Annotated[date, AfterValidator(_in_calendar)]
CalendarInstant = Annotated[AwareDatetime, AfterValidator(_in_calendar)]


def _known_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError("must be an IANA time zone such as 'Europe/Berlin'")
    return value


TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_timezone)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), OneLine]
# E.164, as SNS requires for SMS.
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]


class StrictModel(BaseModel):
    """Requests reject unknown fields, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid")


# A local wall-clock time "HH:MM" (JSON Schema's "time" format would demand a UTC offset).
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]

# A task's time of day: local wall-clock time in the user's time zone, "HH:MM" or "HH:MM:SS[.ffffff]". Documented by
# a pattern, not JSON Schema's "time" format: that one demands a UTC offset (RFC 3339), which a local time has none of.
LOCAL_TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"
_LOCAL_TIME = re.compile(LOCAL_TIME_PATTERN)


def _local_time(value: object) -> object:
    """Refuses what pydantic would otherwise take for a time but the document does not promise: an offset ("Z",
    "+05:00", silently dropped before), seconds as a number, any other text."""
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and _LOCAL_TIME.fullmatch(value):
        return value
    raise ValueError("must be a local time such as '18:30' or '18:30:00', without a UTC offset")


LocalTime = Annotated[
    time,
    BeforeValidator(_local_time),
    WithJsonSchema({"type": "string", "pattern": LOCAL_TIME_PATTERN, "examples": ["18:30:00"]}),
]


class QuietHoursWindow(StrictModel):
    """No email/SMS from ``start`` to ``end`` local time (``22:00``-``07:00`` wraps midnight)."""

    start: ClockTime
    end: ClockTime


class Preferences(BaseModel):
    email_notifications: bool = True
    sms_phone: PhoneNumber | None = None
    # reminders and notifications (issue 5)
    sms_verified: bool = False
    sms_notifications: bool = False
    in_app_notifications: bool = True
    quiet_hours: QuietHoursWindow | None = None
    default_reminder_minutes: int | None = None
    digest_enabled: bool = False
    digest_time: ClockTime = "08:00"
    daily_goal: int = 3
    weekly_summary: bool = False
    date_order: DateOrder = Field(
        default="DMY", description="how quick add reads numeric dates (24/12 is DMY); from the time zone until set"
    )


class PreferencesUpdate(StrictModel):
    email_notifications: bool | None = None
    sms_phone: PhoneNumber | None = None
    # reminders and notifications (issue 5); SMS can be switched on once the number is verified
    sms_notifications: bool | None = None
    in_app_notifications: bool | None = None
    quiet_hours: QuietHoursWindow | None = None  # null: no quiet hours
    default_reminder_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] | None = None  # null: none
    digest_enabled: bool | None = None
    digest_time: ClockTime | None = None
    daily_goal: Annotated[int, Field(ge=1, le=100)] | None = None  # completions a day for a streak
    weekly_summary: bool | None = None
    date_order: DateOrder | None = Field(default=None, description="null: from the time zone again")


class ProfilePublic(BaseModel):
    id: str
    email: str
    display_name: str
    timezone: str | None
    preferences: Preferences
    created_at: datetime
    updated_at: datetime
    version: int
    task_email: str | None = Field(
        default=None, description="mail to this secret address becomes a task in your Inbox (issue 16)"
    )


class ProfileUpdate(StrictModel):
    display_name: DisplayName | None = None
    timezone: TimeZoneName | None = None
    preferences: PreferencesUpdate | None = None


class AccountDeletion(StrictModel):
    """``DELETE /api/me``: deleting the account asks for the password again (issue 12)."""

    password: str = Field(
        min_length=1,
        max_length=256,
        description="The account's current password. Wrong: 403 `wrong_password` naming `password`.",
        json_schema_extra={"format": "password", "writeOnly": True},
    )


class PublicConfig(BaseModel):
    """What a browser or the Reflex backend needs to talk to Cognito (fixed interface)."""

    region: str
    user_pool_id: str
    user_pool_client_id: str
    cognito_endpoint: str | None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    error: ErrorDetail


class OutboxMessage(BaseModel):
    """An email or SMS the local emulator "sent" (local runs only)."""

    id: str
    channel: Literal["email", "sms"]
    to: list[str]
    subject: str | None
    body: str
    html: str | None = None


# --- tasks, projects, labels -------------------------------------------------------------------
ID_PATTERN = r"^[0-9A-Za-z_-]{1,40}$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), OneLine]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), OneLine]
Notes = Annotated[str, StringConstraints(max_length=20_000), MultiLine]
SectionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), OneLine]
Priority = Annotated[int, Field(ge=1, le=4)]
Rule = Annotated[str, StringConstraints(min_length=1, max_length=200), OneLine]

MAX_LABELS_PER_TASK = 10
MAX_SUBTASKS = 100
MAX_SECTIONS = 20
DEFAULT_COLOR = "#808080"


class ProjectCreate(StrictModel):
    name: Name
    color: Color = DEFAULT_COLOR
    sections: list[SectionName] = Field(default_factory=list, max_length=MAX_SECTIONS)


class ProjectUpdate(StrictModel):
    name: Name | None = None
    color: Color | None = None
    archived: bool | None = None
    sections: list[SectionName] | None = Field(default=None, max_length=MAX_SECTIONS)
    # Manual order of projects: put this project right after the given one (null: first).
    after_id: Id | None = None


class ProjectMember(BaseModel):
    """A member of a shared project, as the sidebar shows them (issue 13)."""

    user_id: str
    display_name: str
    initials: str
    role: Literal["viewer", "editor", "admin", "owner"]


class ProjectPublic(BaseModel):
    id: str
    name: str
    color: str
    position: str  # a shared project: the caller's own place for it in their sidebar
    is_inbox: bool
    archived: bool
    sections: list[str]
    created_at: datetime | None
    updated_at: datetime | None
    version: int
    # Shared projects (issue 13): the caller's role (a personal project: owner), and who is in a shared one.
    role: Literal["viewer", "editor", "admin", "owner"] = "owner"
    shared: bool = False
    members: list[ProjectMember] | None = None


class LabelCreate(StrictModel):
    name: Name
    color: Color = DEFAULT_COLOR


class LabelUpdate(StrictModel):
    name: Name | None = None
    color: Color | None = None


class LabelPublic(BaseModel):
    id: str
    name: str
    color: str
    created_at: datetime | None
    updated_at: datetime | None
    version: int


class SubtaskIn(StrictModel):
    id: Id | None = None
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine]
    done: bool = False


class SubtaskPublic(BaseModel):
    id: str
    title: str
    done: bool


class CompletionPublic(BaseModel):
    due_date: date | None
    completed_at: datetime


class TaskCreate(StrictModel):
    title: Title
    notes: Notes = ""
    project_id: Id | None = None  # None: the Inbox
    priority: Priority = 4
    due_date: CalendarDate | None = None
    due_time: LocalTime | None = None
    start_date: CalendarDate | None = None
    section: SectionName | None = None
    labels: list[Id] = Field(default_factory=list, max_length=MAX_LABELS_PER_TASK)
    # Labels by name (quick add's "@name"): existing ones are used, missing ones are created.
    label_names: list[Name] = Field(default_factory=list, max_length=MAX_LABELS_PER_TASK)
    subtasks: list[SubtaskIn] = Field(default_factory=list, max_length=MAX_SUBTASKS)
    recurrence: Rule | None = None
    assignee_id: Id | None = Field(
        default=None, description="a member of the task's project who may complete it (in a personal project: you)"
    )
    parent_id: Id | None = Field(
        default=None,
        description="make it a subtask of this task: it goes into the parent's project (and section, unless one is "
        "given), at most 4 levels below a top-level task",
    )
    reset_subtasks: bool = Field(
        default=False, description="a recurring task: its subtasks open again with each new occurrence"
    )


class TaskOrder(StrictModel):
    """Where to put the task in its project's manual order: between two neighbours (null: that end)."""

    after_id: Id | None = None
    before_id: Id | None = None


class TaskUpdate(StrictModel):
    """Only the fields sent change; ``null`` clears an optional field. ``version`` is the one you read."""

    version: Annotated[int, Field(ge=1)]
    title: Title | None = None
    notes: Notes | None = None
    project_id: Id | None = None
    priority: Priority | None = None
    due_date: CalendarDate | None = None
    due_time: LocalTime | None = None
    start_date: CalendarDate | None = None
    section: SectionName | None = None
    labels: list[Id] | None = Field(default=None, max_length=MAX_LABELS_PER_TASK)
    subtasks: list[SubtaskIn] | None = Field(default=None, max_length=MAX_SUBTASKS)
    recurrence: Rule | None = None
    order: TaskOrder | None = None
    assignee_id: Id | None = Field(default=None, description="a member who may complete the task; null unassigns")
    reset_subtasks: bool | None = Field(
        default=None, description="a recurring task: its subtasks open again with each new occurrence"
    )
    parent_id: Id | None = Field(
        default=None,
        description="put the task (with its subtasks) under this task of the same project, last among its subtasks "
        "unless ``order`` says where; null: a top-level task",
    )


class TaskPublic(BaseModel):
    id: str
    title: str
    notes: str
    status: Literal["open", "done"]
    priority: int
    due_date: date | None
    due_time: LocalTime | None
    start_date: date | None
    project_id: str
    section: str | None
    labels: list[str]
    subtasks: list[SubtaskPublic]
    recurrence: str | None
    recurrence_text: str | None
    position: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    history: list[CompletionPublic]
    overdue: bool
    version: int
    attachment_count: int = 0  # ready attachments (the paperclip)
    comment_count: int = 0  # comments on the task (shared projects)
    assignee_id: str | None = Field(default=None, description="the member the task is assigned to")
    created_by: str | None = Field(default=None, description="who created the task (a user id)")
    completed_by: str | None = Field(default=None, description="who completed it, while it is done")
    parent_id: str | None = Field(default=None, description="the parent task of a subtask")
    depth: int = Field(default=0, description="0 for a top-level task, 1-4 for subtasks")
    subtask_count: int = Field(default=0, description="direct subtasks (nested tasks)")
    subtask_done: int = Field(default=0, description="direct subtasks that are done (`subtask_done/subtask_count`)")
    reset_subtasks: bool = False


class TaskPage(BaseModel):
    items: list[TaskPublic]
    next_cursor: str | None
    total: int | None = Field(
        default=None, description="tasks in the whole list, every page (with `with_total=true` or `count_by`)"
    )
    counts: dict[str, int] | None = Field(
        default=None, description='tasks per section ("" = none) or per status (with `count_by`)'
    )


TaskView = Literal["all", "today", "upcoming", "inbox", "completed"]
TaskSort = Literal["due", "priority", "created", "manual"]
StatusFilter = Literal["open", "done", "all"]
CountBy = Literal["section", "status"]


class BulkAction(StrictModel):
    action: Literal["complete", "reopen", "move", "delete"]
    ids: list[Id] = Field(min_length=1, max_length=100)
    project_id: Id | None = None  # for "move"


class BulkResult(BaseModel):
    updated: list[TaskPublic]
    deleted: list[str]


class BulkEditItem(StrictModel):
    """One task's change in a bulk edit (issue 14): the fields of a PATCH a selection can change, plus the caller's
    labels to add or remove. Only the fields sent change; ``null`` clears due_date/due_time/section/assignee_id."""

    id: Id
    version: Annotated[int, Field(ge=1)] | None = Field(
        default=None,
        description="the version you read: a task changed since is reported (409), not overwritten; "
        "omit to change whatever is stored now",
    )
    project_id: Id | None = None
    section: SectionName | None = None
    priority: Priority | None = None
    due_date: CalendarDate | None = None
    due_time: LocalTime | None = None
    assignee_id: Id | None = Field(default=None, description="a member who may complete the task; null unassigns")
    add_labels: list[Id] = Field(default_factory=list, max_length=MAX_LABELS_PER_TASK)
    remove_labels: list[Id] = Field(default_factory=list, max_length=MAX_LABELS_PER_TASK)


class BulkEdit(StrictModel):
    items: list[BulkEditItem] = Field(min_length=1, max_length=100)


class BulkEditResult(BaseModel):
    """One item's outcome. ``status`` is what a PATCH of the task alone would have answered: 200 with ``task`` (after)
    and ``previous`` (before: what an undo restores); else ``error`` in the error shape's detail (404 a task the
    caller cannot see, 403 a role too low, 409 a task changed meanwhile, with ``task`` as stored now, 400 ...)."""

    id: str
    status: int
    task: TaskPublic | None = None
    previous: TaskPublic | None = None
    error: ErrorDetail | None = None


class BulkEditResponse(BaseModel):
    results: list[BulkEditResult]


class QuickAddRequest(StrictModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=1000), OneLine]


class QuickAddChip(BaseModel):
    kind: str
    text: str
    label: str


class QuickAddParsed(BaseModel):
    """What quick add understood; ``task`` is ready to POST to /tasks as it is."""

    task: TaskCreate
    project_name: str | None  # "#name" typed; task.project_id is set when it names an existing project
    project_found: bool
    chips: list[QuickAddChip]
    section_name: str | None = None  # "/name" typed; task.section is set when the project has that section
    warnings: list[str] = Field(default_factory=list, description="e.g. a date in the past, a section not found")
    new_labels: list[str] = Field(default_factory=list, description='"@name"s that saving creates as new labels')

    @classmethod
    def of(
        cls,
        text: str,
        parsed: QuickAddResult,
        project_id: str | None,
        *,
        section: str | None = None,
        warnings: Iterable[str] = (),
        known_labels: Iterable[str] | None = None,
    ) -> QuickAddParsed:
        """The API's shape of a parse (``project_id``: the open project "#name" names, if any; ``section``: the
        section "/name" names in it; ``known_labels``: the caller's label names, to tell which "@name"s are new).
        The API and the UI (which parses as the user types, without a round trip) both build it here."""
        # The UI parses what is typed before the API sees it: a pasted tab becomes a space here, not an error.
        title = one_line(parsed.title or text)
        labels = [name for name in (one_line(n)[:60].strip() for n in parsed.labels[:10]) if name]
        task = TaskCreate(
            title=title[:500] or "Untitled",
            project_id=project_id,
            priority=parsed.priority or 4,
            due_date=parsed.due_date,
            due_time=parsed.due_time,
            label_names=labels,
            recurrence=parsed.recurrence,
            section=section,
        )
        chips = [QuickAddChip(kind=c.kind, text=c.text, label=c.label) for c in parsed.chips]
        known = {name_key(name) for name in known_labels} if known_labels is not None else None
        return cls(
            task=task,
            project_name=parsed.project,
            project_found=project_id is not None,
            chips=chips,
            section_name=parsed.section,
            warnings=[*parsed.warnings, *warnings],
            new_labels=[name for name in labels if known is not None and name_key(name) not in known],
        )


# --- statistics (issue 8) -----------------------------------------------------------------------------
StatsRange = Literal["7d", "30d", "90d", "365d"]
ExportFormat = Literal["json", "csv"]
ExportPart = Literal["tasks", "projects", "labels"]


class StatsDay(BaseModel):
    day: date
    created: int
    completed: int


class StatsWeek(BaseModel):
    week_start: date  # a Monday
    completed: int


class StatsCount(BaseModel):
    key: str  # project/label id, priority 1-4, weekday Mon..Sun, hour 00..23
    name: str
    count: int


class StatsStreak(BaseModel):
    current: int
    longest: int
    today: int  # completions so far today
    goal: int  # the daily goal (preferences.daily_goal)


class StatsPublic(BaseModel):
    """Productivity figures over ``range`` (days end today, in the user's time zone), from the aggregates only."""

    range: StatsRange
    start: date
    today: date
    timezone: str
    created: int
    completed: int
    on_time: int
    late: int
    on_time_rate: float | None  # null when nothing with a due date was completed in the range
    overdue_now: int
    streak: StatsStreak
    per_day: list[StatsDay]
    per_week: list[StatsWeek]  # the last 12 weeks, whatever the range
    by_project: list[StatsCount]
    by_label: list[StatsCount]
    by_priority: list[StatsCount]
    by_weekday: list[StatsCount]
    by_hour: list[StatsCount]
    busiest_weekday: str | None
    busiest_hour: int | None
