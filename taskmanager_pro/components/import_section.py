# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Settings → Import (issue 14): pick a Todoist CSV or our JSON export; a large file shows "n of m rows" as its
pieces go in; problems are listed by their line in the file."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.state import importing

ImportState: Any = importing.ImportState


def _labelled_file_picker(*children: rx.Component, label: str, **props: Any) -> rx.Component:
    """``rx.upload.root`` whose hidden file input has a name: react-dropzone's input takes no props from Reflex, so
    the label is set on the input it generates (axe: a form element must have a label)."""
    picker = rx.upload.root(*children, **props)
    zone = picker.children[0]
    zone.children[0].custom_attrs["aria-label"] = label  # the dropzone's <input type="file">, its first child
    return picker


def _problem(item: Any) -> rx.Component:
    return rx.text(rx.text("Line ", item["line"], ": ", as_="span", weight="medium"), item["message"], size="1")


def import_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Import", size="4", as_="h2"),
            rx.text(
                "A Todoist project export (CSV: sections, subtasks, priorities and dates come along) or our own JSON "
                "export. Large files go in pieces; rows that cannot be imported are listed by line.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.el.select(
                    rx.el.option("Todoist CSV into a new project", value=""),
                    rx.foreach(
                        ImportState.open_projects,
                        lambda p: rx.cond(p.can_edit, rx.el.option("Todoist CSV into ", p.name, value=p.id)),
                    ),
                    value=ImportState.import_target,
                    on_change=ImportState.set_import_target,
                    aria_label="Where a Todoist CSV goes",
                    disabled=ImportState.import_busy,
                ),
                _labelled_file_picker(
                    rx.button(
                        rx.icon("upload", size=14),
                        "Choose a file…",
                        variant="soft",
                        type="button",
                        loading=ImportState.import_busy,
                    ),
                    id=importing.UPLOAD_ID,
                    accept={"text/csv": [".csv"], "application/json": [".json"]},
                    max_files=1,
                    multiple=False,
                    no_drag=True,
                    disabled=ImportState.import_busy,
                    on_drop=ImportState.take_file(rx.upload_files(upload_id=importing.UPLOAD_ID)),
                    label="File to import",
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                ImportState.import_total > 0,
                rx.vstack(
                    rx.progress(value=ImportState.import_done, max=ImportState.import_total, width="100%"),
                    rx.text(ImportState.import_progress, size="1", color_scheme="gray", aria_live="polite"),
                    spacing="1",
                    width="100%",
                ),
            ),
            rx.cond(ImportState.import_summary != "", rx.text(ImportState.import_summary, size="2", role="status")),
            rx.cond(
                ImportState.import_error != "",
                rx.text(ImportState.import_error, size="2", color_scheme="red", role="alert"),
            ),
            rx.cond(
                ImportState.import_problems.length() > 0,
                rx.scroll_area(
                    rx.vstack(rx.foreach(ImportState.import_problems, _problem), spacing="1"),
                    max_height="12em",
                    type="auto",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
