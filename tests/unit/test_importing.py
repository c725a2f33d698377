"""Import parsing (pure): Todoist's CSV (sections, notes, indentation, priorities, dates) and our JSON export."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from backend.domain.importing import parse_taskmanager_json, parse_todoist_csv

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)  # a Wednesday
TZ = ZoneInfo("Europe/Berlin")
HEADER = "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE,DURATION,DURATION_UNIT\n"


def csv_of(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


def test_sections_tasks_notes_and_labels() -> None:
    parsed = parse_todoist_csv(
        csv_of(
            "task,Buy milk @errands,From the corner shop,1,1,Ann (1),,tomorrow,en,Europe/Berlin,,",
            "",
            "note,Semi-skimmed,,,,Ann (1),,,,,,",
            "section,Garden,,,,,,,,,,",
            'task,"Mow the lawn, front",,4,1,Ann (1),,,en,,,',
        ),
        now=NOW,
        tz=TZ,
    )
    assert parsed.problems == []
    assert parsed.sections == ["Garden"]
    milk, lawn = parsed.drafts
    assert (milk.title, milk.label_names, milk.priority, milk.section) == ("Buy milk", ["errands"], 1, None)
    assert milk.notes == "From the corner shop\n\nSemi-skimmed"
    assert milk.due_date == date(2026, 3, 19)
    assert (lawn.title, lawn.priority, lawn.section, lawn.due_date) == ("Mow the lawn, front", 4, "Garden", None)


def test_priorities_follow_todoists_csv_scale_p1_is_1() -> None:
    rows = [f"task,T{p},,{p},1,,,,,,," for p in ("1", "2", "3", "4", "", "9")]
    parsed = parse_todoist_csv(csv_of(*rows), now=NOW, tz=TZ)
    assert [d.priority for d in parsed.drafts] == [1, 2, 3, 4, 4, 4]
    assert [(p.line, "PRIORITY" in p.message) for p in parsed.problems] == [(7, True)]


def test_indentation_becomes_nested_subtasks_and_odd_levels_are_reported() -> None:
    """INDENT n + 1 is a subtask of the nearest INDENT-n task above, with its own date; past our deepest level
    (INDENT 5) stays at that level and a skipped level goes under the nearest task above; the line says so."""
    parsed = parse_todoist_csv(
        csv_of(
            "task,Trip,,4,1,,,,,,,",
            "task,Book flights,,2,2,,,,,,,",
            "task,Pick a seat,,4,3,,,,,,,",
            "task,Pack,,4,2,,,next monday,en,,,",
            "task,Relax,,4,1,,,,,,,",
            *(f"task,L{n},,4,{n},,,,,,," for n in range(1, 7)),
            "task,Top,,4,1,,,,,,,",
            "task,Jump,,4,3,,,,,,,",
        ),
        now=NOW,
        tz=TZ,
    )
    drafts = {d.title: d for d in parsed.drafts}
    parent = {
        title: next((p.title for p in parsed.drafts if p.ref == d.parent_ref), None) for title, d in drafts.items()
    }
    assert parent == {
        "Trip": None, "Book flights": "Trip", "Pick a seat": "Book flights", "Pack": "Trip", "Relax": None,
        "L1": None, "L2": "L1", "L3": "L2", "L4": "L3", "L5": "L4", "L6": "L4", "Top": None, "Jump": "Top",
    }  # fmt: skip
    assert [drafts[t].depth for t in ("Pick a seat", "L5", "L6", "Jump")] == [2, 4, 4, 1]
    assert (drafts["Book flights"].priority, drafts["Pack"].due_date is not None) == (2, True)
    assert [(p.line, p.message.split(":")[0]) for p in parsed.problems] == [
        (12, "INDENT 6"),
        (14, "INDENT 3 skips a level"),
    ]


def test_dates_go_through_the_quick_add_grammar() -> None:
    parsed = parse_todoist_csv(
        csv_of(
            "task,Standup,,4,1,,,every monday at 9:30,en,,,",
            "task,Party,,4,1,,,dec 24 8pm,en,,,",
            "task,Taxes,,4,1,,,2026-05-31,en,,,",
            "task,Fuzzy,,4,1,,,sometime soonish,en,,,",
        ),
        now=NOW,
        tz=TZ,
    )
    standup, party, taxes, fuzzy = parsed.drafts
    assert standup.recurrence is not None
    assert "BYDAY=MO" in standup.recurrence
    assert (standup.due_date, standup.due_time) == (date(2026, 3, 23), time(9, 30))
    assert (party.due_date, party.due_time) == (date(2026, 12, 24), time(20))
    assert taxes.due_date == date(2026, 5, 31)
    assert fuzzy.due_date is None
    assert [(p.line, "not understood" in p.message) for p in parsed.problems] == [(5, True)]


def test_lines_count_physical_lines_and_a_bad_header_is_refused() -> None:
    parsed = parse_todoist_csv(
        csv_of('task,"Two\nlines",,4,1,,,,,,,', "", "note,,,,,,,,,,,", "bogus,X,,,,,,,,,,"), now=NOW, tz=TZ
    )
    assert [d.title for d in parsed.drafts] == ["Two lines"]  # a title is one line
    assert [p.line for p in parsed.problems] == [6]
    refused = parse_todoist_csv("name,due\nx,y\n", now=NOW, tz=TZ)
    assert refused.drafts == []
    assert refused.problems[0].line == 1


def test_our_json_export_is_read_with_projects_labels_and_completions() -> None:
    document = {
        "exported_at": NOW.isoformat(),
        "projects": [{"id": "P1", "name": "Work", "color": "#ff0000", "is_inbox": False, "sections": "A, B"}],
        "labels": [{"id": "L1", "name": "focus", "color": "#00ff00"}],
        "tasks": [
            {
                "id": "T1",
                "title": "Report",
                "status": "done",
                "priority": 2,
                "project_id": "P1",
                "labels": ["L1"],
                "due_date": "2026-03-01",
                "due_time": "09:00",
                "completed_at": "2026-03-02T10:00:00+00:00",
                "subtasks": [{"id": "s", "title": "Draft", "done": True}],
                "history": [],
            },
            "not a task",
        ],
    }
    parsed = parse_taskmanager_json(json.dumps(document))
    (project,) = parsed.projects
    assert (project.name, project.sections) == ("Work", ("A", "B"))
    (task,) = parsed.drafts
    assert (task.project_ref, task.label_names, task.subtasks) == ("P1", ["focus"], [("Draft", True)])
    assert task.completed_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert [p.line for p in parsed.problems] == [2]
    assert parse_taskmanager_json("{").problems[0].line == 0


def test_our_json_export_keeps_nesting_reminders_and_who_it_was_assigned_to() -> None:
    task = {"status": "open", "priority": 4, "labels": [], "subtasks": [], "history": []}
    document = {
        "exported_by": "me",
        "comments": [{"id": "c", "body": "hi"}],
        "tasks": [
            {**task, "id": "A", "title": "Parent", "assignee_id": "me", "position": "a1", "reset_subtasks": True},
            {**task, "id": "B", "title": "Child", "parent_id": "A", "assignee_id": "someone else"},
            {
                **task,
                "id": "C",
                "title": "Timed",
                "reminders": [{"minutes_before": 30}],
                "recurrence_anchor": "2026-01-31",
            },
        ],
    }
    parsed = parse_taskmanager_json(json.dumps(document))
    parent, child, timed = parsed.drafts
    assert (parent.ref, parent.assigned_to_me, parent.reset_subtasks, parent.source_position) == ("A", True, True, "a1")
    assert (child.parent_ref, child.assigned_to_me, child.reminders) == ("A", False, None)
    assert (timed.reminders, timed.recurrence_anchor) == ([{"minutes_before": 30}], date(2026, 1, 31))
    assert [(p.line, "1 comment" in p.message) for p in parsed.problems] == [(0, True)]
