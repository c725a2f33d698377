"""Who is calling: the ``sub`` the Lambda authorizer put in the request context, checked against the Users row."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any, cast

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.types import EventHandlerInstance
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from backend.adapters.read_ahead import ReadPlan, read_ahead
from backend.bootstrap import dependencies
from backend.domain.users import User
from backend.errors import NotAuthenticatedError
from backend.services import api_tokens, profiles


def _authorizer_context(event: APIGatewayProxyEvent) -> dict[str, Any]:
    authorizer = event.request_context.authorizer
    return dict(authorizer.get_context()) if authorizer else {}


def caller_id(router: BaseRouter) -> str:
    """The authenticated user's id. API Gateway never lets an unauthenticated call through; we check anyway."""
    user_id = _authorizer_context(cast(APIGatewayProxyEvent, router.current_event)).get("sub")
    if not user_id:
        raise NotAuthenticatedError("Sign in to continue.")
    return str(user_id)


def _signed_in_at(context: dict[str, Any]) -> int | None:
    # API Gateway hands the authorizer's context values to the Lambda as strings.
    try:
        return int(str(context.get("auth_time")))
    except ValueError:
        return None


_caller: ContextVar[User | None] = ContextVar("caller", default=None)

# What a route reads first, when its keys follow from the request alone: (route arguments, query string, now) ->
# the plan beside the caller's row. Registered by the routes (``reads_ahead``), keyed by method and route rule.
Planner = Callable[[str, dict[str, str], dict[str, str], datetime], ReadPlan]
_planners: dict[tuple[str, str], Planner] = {}


def reads_ahead(method: str, rule: str, planner: Planner) -> None:
    """Have ``planner``'s reads made in the session check's call on ``method rule`` (one BatchGetItem, not 1 + n)."""
    _planners[(method, rule)] = planner


def _plan(app: EventHandlerInstance, user_id: str, now: datetime) -> ReadPlan:
    # The route Powertools matched before running the middlewares (its context keys; absent: no read-ahead).
    route = app.context.get("_route")
    planner = _planners.get((getattr(route, "method", ""), getattr(route, "path", "")))
    if planner is None:
        return ReadPlan(user_id=user_id)
    event = cast(APIGatewayProxyEvent, app.current_event)
    return planner(user_id, dict(app.context.get("_route_args") or {}), dict(event.query_string_parameters or {}), now)


def current_session_only(app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
    """Global middleware: a token whose sign-in no longer counts (account deleted, password reset) is refused
    on every route before the route runs. Here and not (only) in the authorizer: API Gateway caches the
    authorizer's Allow per token for minutes, while this runs on each request."""
    context = _authorizer_context(cast(APIGatewayProxyEvent, app.current_event))
    user_id = context.get("sub")
    if user_id:  # the public routes have no authorizer context; the others answer 401 through caller_id
        deps = dependencies()
        now = deps.clock()
        # The Users row and what the route reads first, in one call; the check still decides before the route runs.
        with read_ahead(_plan(app, str(user_id), now)):
            user = profiles.authenticate(
                users=deps.users,
                identity=deps.identity,
                user_id=str(user_id),
                signed_in_at=_signed_in_at(context),
                now=now,
            )
            token_id = context.get("token_id")
            if token_id:  # a personal API token (issue 16): revoked? scopes? rate limit? (here: the cache is per token)
                api_tokens.admit(
                    tokens=deps.api_tokens,
                    limits=deps.notifications,
                    user_id=user.id,
                    token_id=str(token_id),
                    method=app.current_event.http_method,
                    per_minute=deps.settings.api_token_requests_per_minute,
                    now=now,
                )
            # The routes' copy of the row, so it is read once per request. A context variable, not the resolver's
            # context: routers are module singletons that follow the last app built in the process.
            token = _caller.set(user)
            try:
                return next_middleware(app)
            finally:
                _caller.reset(token)
    return next_middleware(app)


def caller(router: BaseRouter) -> User:
    """The caller's Users row as ``current_session_only`` read it for this request."""
    user = _caller.get()
    if user is None or user.id != caller_id(router):
        raise NotAuthenticatedError("Sign in to continue.")
    return user


def token_id(router: BaseRouter) -> str | None:
    """The personal API token the request came with (None: a real sign-in)."""
    value = _authorizer_context(cast(APIGatewayProxyEvent, router.current_event)).get("token_id")
    return str(value) if value else None


def signed_in_caller_id(router: BaseRouter) -> str:
    """``caller_id`` for routes an API token may not use (making tokens, for one): 403 for a token."""
    api_tokens.refuse_tokens(token_id(router))
    return caller_id(router)
