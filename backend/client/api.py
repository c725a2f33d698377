"""The typed REST client: the one way the UI talks to the TaskManager Pro API."""

from __future__ import annotations

import threading
from datetime import date
from functools import lru_cache
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx

from backend.client.sharing import (
    ActivityPage,
    CommentPage,
    CommentPublic,
    InvitationPublic,
    MemberList,
    MemberPublic,
    items_of,
    member_list,
)
from backend.schemas import (
    BulkAction,
    BulkEdit,
    BulkEditItem,
    BulkEditResponse,
    BulkResult,
    Health,
    LabelCreate,
    LabelPublic,
    LabelUpdate,
    OutboxMessage,
    Preferences,
    ProfilePublic,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
    PublicConfig,
    QuickAddChip,
    QuickAddParsed,
    StatsPublic,
    SubtaskIn,
    SubtaskPublic,
    TaskCreate,
    TaskOrder,
    TaskPage,
    TaskPublic,
    TaskUpdate,
)
from backend.schemas_attachments import AttachmentLimits, AttachmentPublic, AttachmentUpload
from backend.schemas_import import ImportRequest, ImportResult
from backend.schemas_notifications import (
    NotificationPage,
    NotificationPublic,
    PhoneCodeSent,
    ReadAllResult,
    ReminderIn,
    ReminderList,
)
from backend.schemas_tokens import TaskEmail, TokenCreated, TokenList, TokenPublic
from backend.schemas_webhooks import DeliveryList, DeliveryPublic, WebhookCreated, WebhookList, WebhookPublic

# The API shapes the UI works with, importable from here (the UI imports nothing of ``backend`` but the client).
__all__ = [
    "ActivityPage",
    "ApiClient",
    "ApiError",
    "AttachmentLimits",
    "AttachmentPublic",
    "AttachmentUpload",
    "BulkAction",
    "BulkEdit",
    "BulkEditItem",
    "BulkEditResponse",
    "BulkResult",
    "CommentPublic",
    "DeliveryPublic",
    "ImportRequest",
    "ImportResult",
    "InvitationPublic",
    "LabelCreate",
    "LabelPublic",
    "LabelUpdate",
    "MemberList",
    "MemberPublic",
    "NotificationPage",
    "NotificationPublic",
    "ProjectCreate",
    "ProjectPublic",
    "ProjectUpdate",
    "QuickAddChip",
    "QuickAddParsed",
    "ReminderIn",
    "ReminderList",
    "StaleVersion",
    "StatsPublic",
    "SubtaskIn",
    "SubtaskPublic",
    "TaskCreate",
    "TaskOrder",
    "TaskPage",
    "TaskPublic",
    "TaskUpdate",
    "WebhookCreated",
    "WebhookPublic",
]

TaskView = Literal["all", "today", "upcoming", "inbox", "completed"]
TaskSort = Literal["due", "priority", "created", "manual"]


class ApiError(Exception):
    """An error answer of the API, in the shape of DESIGN.md (``{"error": {code, message, fields}}``)."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}

    @property
    def first_problem(self) -> str:
        """What is wrong with the first named field (the most precise text for one input), else the message. A quota
        names no input the user could fix, so its message (what the limit is, what to do) is the text."""
        if self.code == "quota_exceeded":
            return self.message
        return next(iter(self.fields.values()), self.message)

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
            error = body["error"]
            status, code, message = response.status_code, str(error["code"]), str(error["message"])
            if status == 409 and code == StaleVersion.CODE and isinstance(body.get("current"), dict):
                return StaleVersion(message, TaskPublic.model_validate(body["current"]), error.get("fields"))
            return cls(status, code, message, error.get("fields"))
        except (ValueError, KeyError, TypeError):
            return cls(response.status_code, "http_error", f"The server answered {response.status_code}.")


class StaleVersion(ApiError):
    """409: the task changed since it was read (another tab, another device); ``current`` is what is stored now."""

    CODE = "stale_version"

    def __init__(self, message: str, current: TaskPublic, fields: dict[str, str] | None = None) -> None:
        super().__init__(409, self.CODE, message, fields)
        self.current = current


_POOL_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _pool(base_url: str) -> httpx.Client:
    """One connection pool per API origin and process: keep-alive connections are reused across calls and users
    (httpx.Client is thread-safe; the UI runs each call in a worker thread). Nothing of a user stays in it: the
    token goes per request and the cookie jar accepts no cookie (one user's cookie must never reach another's call)."""
    with _POOL_LOCK:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=30)
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        return httpx.Client(limits=limits, cookies=no_cookies)


class ApiClient:
    """Calls ``{base_url}/...`` with the user's Cognito access token, if any.

    Tokens travel only in the ``Authorization`` header, never in URLs. Cheap to make per call: the HTTP
    connections come from one shared pool per origin.
    """

    def __init__(self, base_url: str, access_token: str | None = None, timeout: float = 10.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._access_token = access_token
        self._timeout = timeout
        self._http = _pool(self._base_url)

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._access_token}"} if self._access_token else {}
        return {**headers, **(extra or {})}

    def _request(
        self,
        method: str,
        path: str,
        json: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        try:
            response = self._http.request(
                method,
                f"{self._base_url}{path}",
                json=json,
                headers=self._headers(headers),
                timeout=timeout or self._timeout,
            )
        except httpx.HTTPError as exc:
            raise ApiError(503, "unreachable", "The service cannot be reached. Try again in a moment.") from exc
        if response.is_error:
            raise ApiError.from_response(response)
        return response.json() if response.content else None

    def health(self) -> Health:
        return Health.model_validate(self._request("GET", "/health"))

    def config(self) -> PublicConfig:
        return PublicConfig.model_validate(self._request("GET", "/config"))

    def get_me(self) -> ProfilePublic:
        return ProfilePublic.model_validate(self._request("GET", "/me"))

    def update_me(self, changes: dict[str, Any]) -> ProfilePublic:
        """PATCH /me with only the fields to change (``display_name``, ``timezone``, ``preferences``)."""
        return ProfilePublic.model_validate(self._request("PATCH", "/me", json=changes))

    def delete_me(self, password: str) -> None:
        """Delete the account; the password is asked again (403 ``wrong_password`` when it is not right)."""
        self._request("DELETE", "/me", json={"password": password})

    def sign_out_everywhere(self) -> None:
        """POST /me/sign-out: every session of the account ends at once (access tokens refused, refresh revoked)."""
        self._request("POST", "/me/sign-out")

    def outbox(self) -> list[OutboxMessage]:
        """What the local emulator "sent" (emails, SMS); only served by a local run."""
        return [OutboxMessage.model_validate(item) for item in self._request("GET", "/local/outbox")]

    # --- projects ------------------------------------------------------------------------------
    def list_projects(self) -> list[ProjectPublic]:
        """The Inbox first, then the projects in their manual order (archived ones included)."""
        return [ProjectPublic.model_validate(item) for item in self._request("GET", "/projects")]

    def create_project(self, data: ProjectCreate) -> ProjectPublic:
        return ProjectPublic.model_validate(self._request("POST", "/projects", json=_body(data)))

    def get_project(self, project_id: str) -> ProjectPublic:
        return ProjectPublic.model_validate(self._request("GET", f"/projects/{_segment(project_id)}"))

    def update_project(self, project_id: str, changes: ProjectUpdate) -> ProjectPublic:
        """Only the fields set on ``changes`` are sent (``after_id=None`` set explicitly: move first)."""
        path = f"/projects/{_segment(project_id)}"
        return ProjectPublic.model_validate(self._request("PATCH", path, json=_body(changes)))

    def delete_project(self, project_id: str) -> None:
        """Deletes the project and its tasks (the Inbox cannot be deleted)."""
        self._request("DELETE", f"/projects/{_segment(project_id)}")

    # --- labels --------------------------------------------------------------------------------
    def list_labels(self) -> list[LabelPublic]:
        return [LabelPublic.model_validate(item) for item in self._request("GET", "/labels")]

    def create_label(self, data: LabelCreate) -> LabelPublic:
        return LabelPublic.model_validate(self._request("POST", "/labels", json=_body(data)))

    def update_label(self, label_id: str, changes: LabelUpdate) -> LabelPublic:
        path = f"/labels/{_segment(label_id)}"
        return LabelPublic.model_validate(self._request("PATCH", path, json=_body(changes)))

    def delete_label(self, label_id: str) -> None:
        self._request("DELETE", f"/labels/{_segment(label_id)}")

    # --- tasks ---------------------------------------------------------------------------------
    def list_tasks(
        self,
        *,
        view: TaskView = "all",
        project_id: str | None = None,
        label_id: str | None = None,
        priority: int | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        overdue: bool = False,
        status: Literal["open", "done", "all"] | None = None,
        q: str | None = None,
        sort: TaskSort | None = None,
        days: int | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        has_attachments: bool | None = None,
        assignee: str | None = None,
        with_total: bool = False,
        count_by: Literal["section", "status"] | None = None,
        parent_id: str | None = None,
    ) -> TaskPage:
        """One page of a view; pass ``next_cursor`` of the page as ``cursor`` for the next one. ``with_total`` fills
        ``total`` (the whole list); ``count_by`` fills ``counts`` per section ("" = none) or status (and ``total``).
        ``assignee="me"``: only the tasks assigned to the caller (issue 13)."""
        params: dict[str, str] = {"view": view}
        optional: dict[str, object] = {
            "project_id": project_id,
            "label_id": label_id,
            "priority": priority,
            "due_from": due_from.isoformat() if due_from else None,
            "due_to": due_to.isoformat() if due_to else None,
            "overdue": "true" if overdue else None,
            "status": status,
            "q": q,
            "sort": sort,
            "days": days,
            "limit": limit,
            "cursor": cursor,
            "has_attachments": None if has_attachments is None else str(has_attachments).lower(),
            "assignee": assignee,
            "with_total": "true" if with_total else None,
            "count_by": count_by,
            "parent_id": parent_id,
        }
        params.update({name: str(value) for name, value in optional.items() if value is not None and value != ""})
        return TaskPage.model_validate(self._request("GET", f"/tasks?{urlencode(params)}"))

    def create_task(self, data: TaskCreate, *, idempotency_key: str | None = None) -> TaskPublic:
        """With ``idempotency_key`` (one fresh key per submission, e.g. a UUID) a retry creates nothing new: the API
        answers a repeat within 24 h with the first answer."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
        return TaskPublic.model_validate(self._request("POST", "/tasks", json=_body(data), headers=headers))

    def get_task(self, task_id: str) -> TaskPublic:
        return TaskPublic.model_validate(self._request("GET", f"/tasks/{_segment(task_id)}"))

    def update_task(self, task_id: str, changes: TaskUpdate) -> TaskPublic:
        """Only the fields set on ``changes`` are sent (``None`` set explicitly clears the field).

        Raises ``StaleVersion`` (with the stored task) when ``changes.version`` is not the current one.
        """
        path = f"/tasks/{_segment(task_id)}"
        return TaskPublic.model_validate(self._request("PATCH", path, json=_body(changes)))

    def delete_task(self, task_id: str) -> None:
        self._request("DELETE", f"/tasks/{_segment(task_id)}")

    def complete_task(self, task_id: str, *, children: Literal["complete", "keep"] | None = None) -> TaskPublic:
        """Done; a recurring task instead moves to its next date (the completion is kept in ``history``).
        ``children``: what happens to open subtasks (without it, open ones raise ``ApiError`` 409 ``open_subtasks``)."""
        query = f"?{urlencode({'children': children})}" if children else ""
        return TaskPublic.model_validate(self._request("POST", f"/tasks/{_segment(task_id)}/complete{query}"))

    def reopen_task(self, task_id: str) -> TaskPublic:
        """Undo the last completion (a recurring task goes back to the date it had)."""
        return TaskPublic.model_validate(self._request("POST", f"/tasks/{_segment(task_id)}/reopen"))

    def bulk(self, action: BulkAction) -> BulkResult:
        return BulkResult.model_validate(self._request("POST", "/tasks/bulk", json=_body(action)))

    def bulk_edit(self, edit: BulkEdit, *, idempotency_key: str | None = None) -> BulkEditResponse:
        """Each item changes its task on its own; one result per item (status 200 with ``previous`` and ``task``,
        else an error: 404/403/409/400). Only the fields set on an item are sent."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
        return BulkEditResponse.model_validate(
            self._request("POST", "/tasks/bulk-edit", json=_body(edit), headers=headers)
        )

    def import_file(self, request: ImportRequest, *, timeout: float = 30.0) -> ImportResult:
        """One ``POST /import`` (a large Todoist CSV: ``backend.client.importing`` sends it in pieces). ``timeout``:
        the API writes for up to 6 s of a request; a busy local run answers later than the usual 10 s."""
        body = request.model_dump(mode="json")
        return ImportResult.model_validate(self._request("POST", "/import", json=body, timeout=timeout))

    def parse_quick_add(self, text: str) -> QuickAddParsed:
        """What quick add understands of ``text`` (nothing is saved); ``.task`` is ready for ``create_task``."""
        return QuickAddParsed.model_validate(self._request("POST", "/quick-add/parse", json={"text": text}))

    # --- shared projects: members, invitations (issue 13) ----------------------------------------
    def list_members(self, project_id: str) -> MemberList:
        """The project's members with their roles, and the invitations not answered yet."""
        return member_list(self._request("GET", f"/projects/{_segment(project_id)}/members"))

    def add_member(self, project_id: str, email: str, role: str) -> MemberPublic:
        """Invite ``email`` with ``role`` (viewer, editor, admin): 201 with the member, or the pending invitation."""
        body = {"email": email, "role": role}
        path = f"/projects/{_segment(project_id)}/members"
        return MemberPublic.model_validate(self._request("POST", path, json=body))

    def change_role(self, project_id: str, user_id: str, role: str) -> MemberPublic | None:
        """A member's new role; ``"owner"`` hands the ownership over (the caller becomes an admin)."""
        path = f"/projects/{_segment(project_id)}/members/{_segment(user_id)}"
        answer = self._request("PATCH", path, json={"role": role})
        return MemberPublic.model_validate(answer) if isinstance(answer, dict) else None

    def remove_member(self, project_id: str, user_id: str) -> None:
        """Remove a member; the caller's own id: leave the project."""
        self._request("DELETE", f"/projects/{_segment(project_id)}/members/{_segment(user_id)}")

    def list_invitations(self) -> list[InvitationPublic]:
        """My pending invitations."""
        return [InvitationPublic.model_validate(item) for item in items_of(self._request("GET", "/invitations"))]

    def accept_invitation(self, invitation_id: str) -> None:
        self._request("POST", f"/invitations/{_segment(invitation_id)}/accept")

    def decline_invitation(self, invitation_id: str) -> None:
        self._request("POST", f"/invitations/{_segment(invitation_id)}/decline")

    # --- comments and activity (issue 13) ----------------------------------------------------
    def list_comments(self, task_id: str, *, max_pages: int = 20) -> list[CommentPublic]:
        """The task's comments, oldest first (every page, up to ``max_pages``)."""
        comments: list[CommentPublic] = []
        cursor: str | None = None
        for _ in range(max_pages):
            query = f"?{urlencode({'cursor': cursor})}" if cursor else ""
            answer = self._request("GET", f"/tasks/{_segment(task_id)}/comments{query}")
            page = CommentPage.model_validate(answer if isinstance(answer, dict) else {"items": items_of(answer)})
            comments += page.items
            cursor = page.cursor
            if not cursor:
                break
        return comments

    def add_comment(self, task_id: str, body: str) -> CommentPublic:
        path = f"/tasks/{_segment(task_id)}/comments"
        return CommentPublic.model_validate(self._request("POST", path, json={"body": body}))

    def edit_comment(self, comment_id: str, body: str, *, version: int | None = None) -> CommentPublic:
        """With ``version`` (the one read), a comment changed since answers 409."""
        path = f"/comments/{_segment(comment_id)}"
        body_json: dict[str, Any] = {"body": body, **({"version": version} if version is not None else {})}
        return CommentPublic.model_validate(self._request("PATCH", path, json=body_json))

    def delete_comment(self, comment_id: str) -> None:
        self._request("DELETE", f"/comments/{_segment(comment_id)}")

    def list_activity(self, project_id: str, *, cursor: str | None = None) -> ActivityPage:
        """One page of the project's activity, newest first; ``next_cursor`` for the page after."""
        query = f"?{urlencode({'cursor': cursor})}" if cursor else ""
        return ActivityPage.model_validate(self._request("GET", f"/projects/{_segment(project_id)}/activity{query}"))

    # --- attachments ---------------------------------------------------------------------------
    def attachment_limits(self) -> AttachmentLimits:
        """Size, types and quota to check before an upload, and the caller's storage use."""
        return AttachmentLimits.model_validate(self._request("GET", "/attachments/limits"))

    def request_upload(self, task_id: str, *, name: str, content_type: str, size: int) -> AttachmentUpload:
        """A pending attachment and the presigned POST the browser sends the file to (straight to S3)."""
        body = {"name": name, "content_type": content_type, "size": size}
        path = f"/tasks/{_segment(task_id)}/attachments"
        return AttachmentUpload.model_validate(self._request("POST", path, json=body))

    def list_attachments(self, task_id: str) -> list[AttachmentPublic]:
        answer = self._request("GET", f"/tasks/{_segment(task_id)}/attachments")
        return [AttachmentPublic.model_validate(item) for item in answer["items"]]

    def get_attachment(self, attachment_id: str) -> AttachmentPublic:
        """Metadata, and for a ready file short-lived download and thumbnail URLs."""
        return AttachmentPublic.model_validate(self._request("GET", f"/attachments/{_segment(attachment_id)}"))

    def delete_attachment(self, attachment_id: str) -> None:
        self._request("DELETE", f"/attachments/{_segment(attachment_id)}")

    # --- reminders and notifications (issue 5) -------------------------------------------------
    def get_reminders(self, task_id: str) -> ReminderList:
        return ReminderList.model_validate(self._request("GET", f"/tasks/{_segment(task_id)}/reminders"))

    def put_reminders(self, task_id: str, reminders: list[ReminderIn]) -> ReminderList:
        """Replace the task's reminders (an empty list: none, not even the default one)."""
        body = {"reminders": [r.model_dump(mode="json", exclude_none=True) for r in reminders]}
        return ReminderList.model_validate(self._request("PUT", f"/tasks/{_segment(task_id)}/reminders", json=body))

    def list_notifications(self, *, limit: int = 20, cursor: str | None = None) -> NotificationPage:
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        return NotificationPage.model_validate(self._request("GET", f"/notifications?{urlencode(params)}"))

    def unread_count(self) -> int:
        return int(self._request("GET", "/notifications/unread-count")["unread_count"])

    def read_notification(self, notification_id: str) -> NotificationPublic:
        path = f"/notifications/{_segment(notification_id)}/read"
        return NotificationPublic.model_validate(self._request("POST", path))

    def read_all_notifications(self) -> ReadAllResult:
        return ReadAllResult.model_validate(self._request("POST", "/notifications/read-all"))

    def snooze_notification(self, notification_id: str, choice: Literal["10m", "1h", "tomorrow"]) -> NotificationPublic:
        path = f"/notifications/{_segment(notification_id)}/snooze"
        return NotificationPublic.model_validate(self._request("POST", path, json={"for": choice}))

    def send_phone_code(self, phone: str) -> PhoneCodeSent:
        return PhoneCodeSent.model_validate(self._request("POST", "/notifications/sms/code", json={"phone": phone}))

    def verify_phone(self, code: str) -> Preferences:
        return Preferences.model_validate(self._request("POST", "/notifications/sms/verify", json={"code": code}))

    # --- statistics, export, delete everything (issue 8) -------------------------------------------
    def get_stats(self, range_: str = "30d") -> StatsPublic:
        return StatsPublic.model_validate(self._request("GET", f"/stats?{urlencode({'range': range_})}"))

    def export(
        self, fmt: Literal["json", "csv"] = "json", part: Literal["tasks", "projects", "labels"] = "tasks"
    ) -> str:
        """The export file's text (JSON document, or one CSV)."""
        try:
            response = self._http.get(
                f"{self._base_url}/export",
                params={"format": fmt, "part": part},
                headers=self._headers(),
                timeout=max(self._timeout, 60),
            )
        except httpx.HTTPError as exc:
            raise ApiError(503, "unreachable", "The service cannot be reached. Try again in a moment.") from exc
        if response.is_error:
            raise ApiError.from_response(response)
        return response.text

    def delete_my_data(self) -> None:
        """Every task, project, label and statistic; the account stays."""
        self._request("DELETE", "/data")

    # --- personal API tokens and the task address (issue 16) ---------------------------------------------------
    def list_tokens(self) -> list[TokenPublic]:
        return TokenList.model_validate(self._request("GET", "/tokens")).items

    def create_token(self, name: str, scopes: list[str]) -> TokenCreated:
        """The token itself is in this answer only."""
        return TokenCreated.model_validate(self._request("POST", "/tokens", json={"name": name, "scopes": scopes}))

    def revoke_token(self, token_id: str) -> None:
        self._request("DELETE", f"/tokens/{_segment(token_id)}")

    # --- webhooks (issue 16) -------------------------------------------------------------------------------------
    def list_webhooks(self) -> list[WebhookPublic]:
        return WebhookList.model_validate(self._request("GET", "/webhooks")).items

    def create_webhook(self, url: str, events: list[str]) -> WebhookCreated:
        """The signing secret is in this answer only. A URL that points inside is a 400 naming ``url``."""
        return WebhookCreated.model_validate(self._request("POST", "/webhooks", json={"url": url, "events": events}))

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", f"/webhooks/{_segment(webhook_id)}")

    def list_deliveries(self, webhook_id: str) -> list[DeliveryPublic]:
        """The webhook's last deliveries, newest first."""
        return DeliveryList.model_validate(self._request("GET", f"/webhooks/{_segment(webhook_id)}/deliveries")).items

    def redeliver(self, webhook_id: str, delivery_id: str) -> DeliveryPublic:
        """Sends the delivery's event again (same body and event id) as a new delivery, attempted at once."""
        path = f"/webhooks/{_segment(webhook_id)}/deliveries/{_segment(delivery_id)}/redeliver"
        return DeliveryPublic.model_validate(self._request("POST", path))

    def new_task_email(self) -> str:
        """A new secret task address; mail to the old one is ignored from now on."""
        return TaskEmail.model_validate(self._request("POST", "/me/task-email")).task_email


def _segment(value: str) -> str:
    """An id as one URL path segment (ids are opaque: never let one add path segments or a query)."""
    return quote(value, safe="")


def _body(
    model: TaskCreate | TaskUpdate | ProjectCreate | ProjectUpdate | LabelCreate | LabelUpdate | BulkAction | BulkEdit,
) -> Any:
    """The JSON body: what was set on the model, so an explicit ``None`` clears and an unset field stays."""
    return model.model_dump(mode="json", exclude_unset=True)
