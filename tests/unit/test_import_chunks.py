"""A large Todoist CSV in pieces (backend.client.importing, issue 14): where it is cut, what each piece holds, how
answers map back to the file's lines, and a piece cut short by the API's write budget sent again from its stop."""

from __future__ import annotations

import csv
import io

from backend.client.importing import BUDGET_STOP, TodoistImport
from backend.schemas_import import ImportCounts, ImportProblem, ImportResult

HEADER = "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT\r\n"  # Todoist's own exports end lines with CRLF


def rows(request_content: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(request_content, newline="")))[1:]


def answer(tasks: int, *problems: tuple[int, str]) -> ImportResult:
    return ImportResult(
        created=ImportCounts(tasks=tasks, projects=0, labels=0),
        problems=[ImportProblem(line=line, message=message) for line, message in problems],
    )


def test_pieces_are_whole_files_cut_before_top_level_tasks_and_sections() -> None:
    content = HEADER + "".join(
        [
            "task,A,,4,1\r\n",  # line 2
            "section,S,,,\r\n",  # 3
            "task,B,,4,1\r\n",  # 4
            "task,B1,,4,2\r\n",  # 5
            "note,on B,,,\r\n",  # 6
            "task,C,,4,1\r\n",  # 7
            "task,D,,4,1\r\n",  # 8
        ]
    )
    plan = TodoistImport(content, rows_per_chunk=3)
    assert plan.needs_project
    assert plan.sections == ["S"]
    first = plan.next_request()
    assert first is not None
    assert [r[1] for r in rows(first.content)] == ["A", "S", "B", "B1", "on B"]  # B keeps its subtask and note
    plan.into("P1")
    plan.take(answer(2, (5, "indent 2: kept under the task")))
    second = plan.next_request()
    assert second is not None
    assert second.project_id == "P1"
    assert [r[1] for r in rows(second.content)] == ["S", "C", "D"]  # the section in force, repeated on top
    plan.take(answer(2, (4, "bad date"), (1, "header problem")))
    assert plan.next_request() is None
    result = plan.result()
    assert result.created == ImportCounts(tasks=4, projects=1, labels=0)
    # lines in the original file: the second piece's line 4 is D (line 8); the header is line 1 everywhere
    assert [(p.line, p.message) for p in result.problems] == [
        (1, "header problem"),
        (5, "indent 2: kept under the task"),
        (8, "bad date"),
    ]
    assert (plan.done_rows, plan.total_rows) == (7, 7)


def test_a_piece_cut_short_by_the_write_budget_is_sent_again_from_its_stop() -> None:
    content = HEADER + "section,S,,,\r\n" + "".join(f"task,T{i},,4,1\r\n" for i in range(4))  # T0 on line 3
    plan = TodoistImport(content, project_id="P1")
    assert not plan.needs_project
    first = plan.next_request()
    assert first is not None
    plan.take(answer(2, (5, f"{BUDGET_STOP} one request imports what it can write in 6 s; ...")))
    assert plan.done_rows == 3  # the section and T0, T1
    again = plan.next_request()
    assert again is not None
    assert [r[1] for r in rows(again.content)] == ["S", "T2", "T3"]
    plan.take(answer(2))
    assert plan.next_request() is None
    assert plan.result() == answer(4)  # the stop was handled, not reported
    assert plan.done_rows == plan.total_rows == 5


def test_a_single_piece_goes_as_it_is_into_a_new_project_made_by_the_api() -> None:
    content = HEADER + "task,Only,,4,1"  # no line break at the end
    plan = TodoistImport(content)
    assert not plan.needs_project
    request = plan.next_request()
    assert request is not None
    assert (request.project_id, rows(request.content)) == (None, [["task", "Only", "", "4", "1"]])


def test_what_is_not_csv_goes_in_one_request_for_the_api_to_report() -> None:
    plan = TodoistImport("just some text\nwithout a header\n")
    request = plan.next_request()
    assert request is not None
    assert request.content == "just some text\nwithout a header\n"
    plan.take(answer(0, (1, "not a Todoist CSV")))
    assert plan.result().problems == [ImportProblem(line=1, message="not a Todoist CSV")]


def test_a_piece_with_no_row_written_is_resent_in_halves_down_to_one_row_tried_thrice_then_reported() -> None:
    content = HEADER + "".join(f"task,T{i},,4,1\r\n" for i in range(4))  # T0 on line 2
    plan = TodoistImport(content, project_id="P1")
    stop = f"{BUDGET_STOP} one request imports what it can write in 6 s; ..."
    sizes = []
    while (request := plan.next_request()) is not None:
        sent = rows(request.content)
        sizes.append(len(sent))
        first_line = 2 + int(sent[0][1][1:])  # T<i> is on line 2 + i
        plan.take(answer(0, (2, stop)) if first_line == 2 else answer(len(sent)))  # T0 never fits
    assert sizes == [4, 2, 1, 1, 1, 1, 2]  # all; halves; T0 alone three times (then reported), T1; T2 and T3
    result = plan.result()
    assert result.created.tasks == 3
    assert [(p.line, p.message) for p in result.problems] == [(2, stop)]
