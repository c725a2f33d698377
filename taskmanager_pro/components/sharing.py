# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Shared projects (issue 13): avatars, the share dialog, my invitations in the sidebar, the activity panel, and the
assignee and comments of the task detail panel."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.client.sharing import GRANTABLE_ROLES
from taskmanager_pro.components.avatars import avatar
from taskmanager_pro.components.forms import confirm_dialog, error_message
from taskmanager_pro.components.markdown import safe_markdown
from taskmanager_pro.components.tasks import native_select
from taskmanager_pro.state.comments import CommentsState
from taskmanager_pro.state.sharing import ActivityState, InvitationsState, ShareState
from taskmanager_pro.state.sharing_views import ROLE_HINTS, ROLE_NAMES
from taskmanager_pro.state.task_detail import TaskDetailState
from taskmanager_pro.state.workspace import WorkspaceState

SH: Any = ShareState  # (untyped for mypy, as every Var in a component)
INV: Any = InvitationsState
ACT: Any = ActivityState
C: Any = CommentsState
D: Any = TaskDetailState
W: Any = WorkspaceState


# --- share dialog ----------------------------------------------------------------------------
def role_select(value: Any, on_change: Any, label: Any, *, disabled: Any = False) -> rx.Component:
    return native_select(
        *[rx.el.option(ROLE_NAMES[role], value=role) for role in GRANTABLE_ROLES],
        value=value,
        on_change=on_change,
        aria_label=label,
        disabled=disabled,
    )


def member_row(person: Any) -> rx.Component:
    return rx.hstack(
        avatar(person.initials, person.color, person.name, size="28px"),
        rx.vstack(
            rx.text(person.name, rx.cond(person.is_me, " (you)", ""), size="2", weight="medium", truncate=True),
            rx.text(person.email, size="1", color_scheme="gray", truncate=True),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.cond(
            person.can_change_role,
            role_select(person.role, lambda role: SH.change_role(person.user_id, role), "Role of " + person.name),
            rx.badge(
                person.role_name,
                variant="soft",
                color_scheme=rx.cond(person.role == "owner", "amber", "gray"),
                high_contrast=True,
            ),
        ),
        rx.cond(
            person.can_transfer,
            rx.icon_button(
                rx.icon("crown", size=14),
                variant="ghost",
                color_scheme="gray",
                size="1",
                on_click=SH.ask_transfer(person.user_id),
                aria_label="Make " + person.name + " the owner",
                title="Transfer ownership",
            ),
        ),
        rx.cond(
            person.is_me,
            rx.cond(
                person.can_remove,
                rx.button("Leave", variant="soft", color_scheme="red", size="1", on_click=SH.set_leave_open(True)),
            ),
            rx.cond(
                person.can_remove,
                rx.icon_button(
                    rx.icon("user-minus", size=14),
                    variant="ghost",
                    color_scheme="red",
                    size="1",
                    on_click=SH.remove_member(person.user_id),
                    aria_label="Remove " + person.name,
                ),
            ),
        ),
        align="center",
        spacing="3",
        width="100%",
        role="listitem",
        aria_label=person.name,
        data_member=person.email,
        data_role=person.role,
    )


def invite_row(person: Any) -> rx.Component:
    return rx.hstack(
        rx.icon("mail", size=16, color=rx.color("gray", 10)),
        rx.text(person.email, size="2", flex="1", min_width="0", truncate=True),
        rx.badge("Invited · ", person.role_name, variant="outline", color_scheme="gray"),
        rx.cond(
            SH.share_can_invite & ~person.invitation_id.startswith("pending-"),
            rx.icon_button(
                rx.icon("x", size=14),
                variant="ghost",
                color_scheme="gray",
                size="1",
                on_click=SH.remove_member(person.invitation_id),
                aria_label="Cancel the invitation of " + person.email,
            ),
            rx.cond(person.invitation_id.startswith("pending-"), rx.spinner(size="1")),
        ),
        align="center",
        spacing="3",
        width="100%",
        role="listitem",
        aria_label=person.email,
        data_invite=person.email,
        data_pending=rx.cond(person.invitation_id.startswith("pending-"), "true", "false"),
    )


def invite_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                id="share_email",
                name="share_email",
                type="email",
                value=SH.share_email,
                on_change=SH.set_share_email,
                placeholder="name@example.com",
                aria_label="Email to invite",
                auto_complete="off",
                flex="1",
                min_width="0",
            ),
            role_select(SH.share_role, SH.set_share_role, "Role for the invitation"),
            rx.button("Invite", type="submit", loading=SH.share_busy, disabled=~rx.State.is_hydrated),
            spacing="2",
            align="center",
            width="100%",
        ),
        rx.text(
            rx.match(SH.share_role, *[(role, hint) for role, hint in ROLE_HINTS.items()], ""),
            size="1",
            color_scheme="gray",
            margin_top="4px",
        ),
        on_submit=SH.invite,
        width="100%",
    )


def share_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Share “", SH.share_project_name, "”"),
            rx.dialog.description(
                "Members see the project in their sidebar and views; what they may do depends on their role.",
                size="2",
                color_scheme="gray",
            ),
            rx.vstack(
                rx.cond(SH.share_can_invite, invite_form()),
                error_message(SH.share_error),
                rx.hstack(
                    rx.heading("Members", size="2", as_="h3"),
                    rx.cond(SH.share_loading, rx.spinner(size="1")),
                    align="center",
                    spacing="2",
                ),
                rx.vstack(
                    rx.foreach(SH.share_members, member_row),
                    role="list",
                    aria_label="Members",
                    spacing="2",
                    width="100%",
                ),
                rx.cond(
                    SH.share_invites.length() > 0,
                    rx.vstack(
                        rx.heading("Invited", size="2", as_="h3"),
                        rx.vstack(
                            rx.foreach(SH.share_invites, invite_row),
                            role="list",
                            aria_label="Pending invitations",
                            spacing="2",
                            width="100%",
                        ),
                        spacing="2",
                        width="100%",
                    ),
                ),
                rx.hstack(
                    rx.dialog.close(rx.button("Done", variant="soft", color_scheme="gray")),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="var(--space-3)",
            ),
            confirm_dialog(
                open_=SH.transfer_to != "",
                on_open_change=SH.set_transfer_open,
                title=rx.text("Make ", SH.transfer_name, " the owner?"),
                description="You become an admin. Only the new owner can delete the project or transfer it again.",
                confirm="Transfer ownership",
                on_confirm=SH.transfer,
            ),
            max_width="34em",
            aria_label="Share project",
        ),
        open=SH.share_open,
        on_open_change=SH.set_share_open,
    )


# --- invitations in the sidebar --------------------------------------------------------------
def invitation_card(invitation: Any) -> rx.Component:
    return rx.vstack(
        rx.text(invitation.project_name, size="2", weight="medium", truncate=True),
        rx.text(
            rx.cond(invitation.invited_by != "", invitation.invited_by + " invites you as ", "You are invited as "),
            invitation.role_name.lower(),
            size="1",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.button(
                "Accept", size="1", on_click=INV.accept(invitation.id), aria_label="Accept " + invitation.project_name
            ),
            rx.button(
                "Decline",
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=INV.decline(invitation.id),
                aria_label="Decline " + invitation.project_name,
            ),
            spacing="2",
        ),
        spacing="1",
        width="100%",
        padding="var(--space-2)",
        border_radius="var(--radius-2)",
        border=f"1px solid {rx.color('accent', 6)}",
        background=rx.color("accent", 2),
        role="listitem",
        aria_label=invitation.project_name,
    )


def invitations_section() -> rx.Component:
    """My pending invitations above the projects (nothing when there are none)."""
    return rx.cond(
        W.invitations.length() > 0,
        rx.vstack(
            rx.hstack(
                rx.icon("mail-plus", size=14),
                rx.text(
                    "Invitations",
                    size="1",
                    weight="bold",
                    color_scheme="gray",
                    text_transform="uppercase",
                    letter_spacing="0.04em",
                ),
                rx.badge(W.invitations.length().to_string(), color_scheme="red", radius="full", size="1"),
                align="center",
                spacing="2",
                padding_x="var(--space-3)",
                padding_top="var(--space-4)",
            ),
            rx.vstack(
                rx.foreach(W.invitations, invitation_card),
                role="list",
                aria_label="Invitations",
                spacing="2",
                width="100%",
                padding_x="var(--space-2)",
            ),
            spacing="2",
            width="100%",
        ),
    )


# --- activity --------------------------------------------------------------------------------
def activity_row(item: Any) -> rx.Component:
    return rx.hstack(
        avatar(item.initials, item.color, item.actor),
        rx.vstack(
            rx.text(item.text, size="2"),
            rx.foreach(item.changes, lambda line: rx.text(line, size="1", color_scheme="gray")),
            rx.text(item.when, size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        align="start",
        spacing="2",
        width="100%",
        role="listitem",
    )


def activity_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Activity in “", ACT.activity_project_name, "”"),
            rx.dialog.description("Who did what, newest first.", size="2", color_scheme="gray"),
            rx.vstack(
                error_message(ACT.activity_error),
                rx.vstack(
                    rx.foreach(ACT.activity, activity_row),
                    role="list",
                    aria_label="Activity",
                    spacing="3",
                    width="100%",
                ),
                rx.cond(
                    ~ACT.activity_loading & (ACT.activity.length() == 0) & (ACT.activity_error == ""),
                    rx.text("Nothing has happened here yet.", size="2", color_scheme="gray"),
                ),
                rx.cond(ACT.activity_loading, rx.spinner(size="2")),
                rx.hstack(
                    rx.cond(
                        ACT.activity_cursor != "",
                        rx.button("Load more", variant="soft", size="1", on_click=ACT.more_activity),
                    ),
                    rx.spacer(),
                    rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                    width="100%",
                ),
                spacing="3",
                width="100%",
                margin_top="var(--space-3)",
            ),
            max_width="34em",
            max_height="80vh",
            overflow_y="auto",
        ),
        open=ACT.activity_open,
        on_open_change=ACT.set_activity_open,
    )


def leave_dialog() -> rx.Component:
    """Leaving, confirmed (from the share dialog or the project menu's "Leave…")."""
    return rx.fragment(
        confirm_dialog(
            open_=SH.leave_open,
            on_open_change=SH.set_leave_open,
            title=rx.text("Leave “", SH.share_project_name, "”?"),
            description="It leaves your sidebar and lists. Your past work stays; an admin can invite you again.",
            confirm="Leave project",
            on_confirm=SH.leave,
        ),
    )


def sharing_dialogs() -> rx.Component:
    return rx.fragment(share_dialog(), leave_dialog(), activity_dialog())


# --- the task detail panel: assignee and comments --------------------------------------------
def assignee_control() -> rx.Component:
    return rx.hstack(
        rx.cond(
            D.d_assignee_id != "",
            rx.foreach(
                D.d_members,
                lambda p: rx.cond(p.user_id == D.d_assignee_id, avatar(p.initials, p.color, p.name)),
            ),
        ),
        native_select(
            rx.el.option("Nobody", value=""),
            rx.foreach(D.d_members, lambda p: rx.el.option(p.name, rx.cond(p.is_me, " (me)", ""), value=p.user_id)),
            value=D.d_assignee_id,
            on_change=D.set_assignee,
            aria_label="Assignee",
        ),
        align="center",
        spacing="2",
    )


def comment_row(item: Any) -> rx.Component:
    editing = C.c_editing_id == item.id
    return rx.hstack(
        avatar(item.initials, item.color, item.author, size="26px"),
        rx.vstack(
            rx.hstack(
                rx.text(item.author, size="2", weight="bold"),
                rx.text(item.when, size="1", color_scheme="gray"),
                rx.cond(item.edited, rx.text("(edited)", size="1", color_scheme="gray")),
                rx.cond(item.pending, rx.spinner(size="1")),
                rx.spacer(),
                rx.cond(
                    item.can_edit & ~item.pending,
                    rx.icon_button(
                        rx.icon("pencil", size=12),
                        variant="ghost",
                        color_scheme="gray",
                        size="1",
                        on_click=C.start_edit(item.id),
                        aria_label="Edit comment",
                    ),
                ),
                rx.cond(
                    item.can_delete & ~item.pending,
                    rx.icon_button(
                        rx.icon("trash-2", size=12),
                        variant="ghost",
                        color_scheme="gray",
                        size="1",
                        on_click=C.delete(item.id),
                        aria_label="Delete comment",
                    ),
                ),
                align="center",
                spacing="2",
                width="100%",
            ),
            rx.cond(
                editing,
                rx.form(
                    rx.text_area(
                        value=C.c_edit_text,
                        on_change=C.set_edit_text,
                        aria_label="Edit the comment",
                        rows="3",
                        width="100%",
                        auto_focus=True,
                    ),
                    rx.hstack(
                        rx.button("Save", size="1", type="submit"),
                        rx.button("Cancel", size="1", variant="soft", color_scheme="gray", on_click=C.cancel_edit),
                        spacing="2",
                        margin_top="4px",
                    ),
                    on_submit=C.save_edit,
                    width="100%",
                ),
                rx.box(safe_markdown(item.body, class_name="tmp-comment"), class_name="tmp-comment-body", width="100%"),
            ),
            spacing="1",
            flex="1",
            min_width="0",
        ),
        align="start",
        spacing="2",
        width="100%",
        role="listitem",
        aria_label="Comment by " + item.author,
        data_comment=item.id,
        data_pending=rx.cond(item.pending, "true", "false"),
        opacity=rx.cond(item.pending, "0.7", "1"),
    )


def mention_list() -> rx.Component:
    return rx.cond(
        C.mentions.length() > 0,
        rx.vstack(
            rx.foreach(
                C.mentions,
                lambda p: rx.el.button(
                    avatar(p.initials, p.color, p.name, size="18px"),
                    rx.text(p.name, size="2"),
                    rx.text(p.email, size="1", color_scheme="gray"),
                    type="button",
                    role="option",
                    aria_selected="false",
                    on_click=C.pick_mention(p.user_id),
                    class_name="tmp-mention-option",
                ),
            ),
            role="listbox",
            aria_label="Mention a member",
            spacing="1",
            width="100%",
            padding="var(--space-1)",
            border=f"1px solid {rx.color('gray', 6)}",
            border_radius="var(--radius-2)",
            background=rx.color("gray", 1),
        ),
    )


def comments_block() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Comments", size="2", as_="h3"),
            rx.cond(C.comments.length() > 0, rx.text(C.comments.length().to_string(), size="1", color_scheme="gray")),
            rx.cond(C.c_loading, rx.spinner(size="1")),
            align="baseline",
            spacing="2",
        ),
        rx.vstack(rx.foreach(C.comments, comment_row), role="list", aria_label="Comments", spacing="3", width="100%"),
        rx.cond(C.c_error != "", rx.text(C.c_error, size="1", color_scheme="red", role="alert")),
        rx.cond(
            C.c_can_comment,
            rx.form(
                rx.text_area(
                    value=C.c_draft,
                    on_change=C.set_draft,
                    placeholder="Comment (markdown; @ to mention a member)",
                    aria_label="Add a comment",
                    rows="2",
                    max_length=10000,
                    width="100%",
                ),
                mention_list(),
                rx.hstack(
                    rx.text("Markdown works; raw HTML is shown as text.", size="1", color_scheme="gray"),
                    rx.spacer(),
                    rx.button("Comment", size="1", type="submit", disabled=C.c_draft.strip() == ""),
                    align="center",
                    width="100%",
                    margin_top="4px",
                ),
                on_submit=C.send,
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )
