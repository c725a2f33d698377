"""The caller's own profile and account."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.adapters.read_ahead import ReadPlan
from backend.api.auth import caller, caller_id, reads_ahead, signed_in_caller_id
from backend.api.openapi import AUTHENTICATED, ERRORS
from backend.api.responses import documented, no_content
from backend.bootstrap import aggregates_store, dependencies, erase_user_data
from backend.domain.users import User
from backend.schemas import AccountDeletion, ProfilePublic, ProfileUpdate
from backend.schemas_tokens import TaskEmail
from backend.services import inbound, profiles, stats
from backend.services.notification_settings import public_preferences

router = APIGatewayRouter()


def to_public(user: User) -> ProfilePublic:
    return ProfilePublic(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        timezone=user.timezone,
        preferences=public_preferences(user),
        created_at=user.created_at,
        updated_at=user.updated_at,
        version=user.version,
    )


def _with_task_email(profile: ProfilePublic) -> ProfilePublic:
    deps = dependencies()
    address = inbound.task_address(
        addresses=deps.task_addresses,
        user_id=profile.id,
        mail_domain=deps.settings.inbound_email_domain,
        now=deps.clock(),
    )
    return profile.model_copy(update={"task_email": address})


# The task email's secret comes with the caller's row (one BatchGetItem).
reads_ahead("GET", "/me", lambda user_id, _, __, ___: ReadPlan(user_id, task_address=True))


@router.get("/me", summary="My profile", tags=["me"], security=AUTHENTICATED, responses=documented())
def get_me() -> ProfilePublic:
    # the row the session check read (and created if it was missing), with the task address (made on first use)
    return _with_task_email(to_public(caller(router)))


@router.post(
    "/me/task-email",
    summary="Make a new task email address",
    description="Mail to the previous address is ignored from now on. The subject is read like quick add "
    "(`Pay invoice friday p1 #Work`), the body becomes the notes, attached files are checked like uploads.",
    tags=["me"],
    security=AUTHENTICATED,
    responses=documented(),
)
def new_task_email() -> TaskEmail:
    deps = dependencies()
    address = inbound.new_task_address(
        addresses=deps.task_addresses,
        user_id=caller_id(router),
        mail_domain=deps.settings.inbound_email_domain,
        now=deps.clock(),
    )
    return TaskEmail(task_email=address)


@router.patch("/me", summary="Change my profile", tags=["me"], security=AUTHENTICATED, responses=documented())
def patch_me(changes: Annotated[ProfileUpdate, Body()]) -> ProfilePublic:
    deps = dependencies()
    user = profiles.update_profile(
        users=deps.users,
        identity=deps.identity,
        user_id=caller_id(router),
        changes=changes,
        now=deps.clock(),
        on_timezone_change=lambda user_id: stats.recompute_user(
            tasks=deps.tasks, store=aggregates_store(), users=deps.users, user_id=user_id, now=deps.clock()
        ),
    )
    return _with_task_email(to_public(user))


@router.post(
    "/me/sign-out",
    summary="Sign me out everywhere",
    description=(
        "Ends every session of the account, this one included: every access token issued so far is refused (401) "
        "from now on and every refresh token is revoked. The next sign-in works at once."
    ),
    tags=["me"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def sign_out_everywhere() -> Response[None]:
    deps = dependencies()
    profiles.sign_out_everywhere(
        users=deps.users, identity=deps.identity, user_id=signed_in_caller_id(router), now=deps.clock()
    )
    return no_content()


@router.delete(
    "/me",
    summary="Delete my account and data",
    description=(
        'Needs the account\'s password in the body (`{"password"}`): missing, 422 naming `password`; wrong, 403 '
        "`wrong_password`. Every token issued so far is refused afterwards (401)."
    ),
    tags=["me"],
    security=AUTHENTICATED,
    responses={
        **documented(empty=True),
        403: {"description": "Wrong password (`wrong_password`)", "content": ERRORS[401].get("content", {})},
    },
)
def delete_me(confirmation: Annotated[AccountDeletion | None, Body()] = None) -> Response[None]:
    if confirmation is None:  # no body at all (an older client): name the field it lacks, as for ``{}``
        raise RequestValidationError([{"loc": ("body", "password"), "type": "missing", "msg": "Field required"}])
    deps = dependencies()
    profiles.delete_account(
        users=deps.users,
        identity=deps.identity,
        user_id=signed_in_caller_id(router),  # an API token cannot delete the account
        password=confirmation.password,
        now=deps.clock(),
        erase_data=erase_user_data,
    )
    return no_content()
