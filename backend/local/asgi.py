"""The local API Gateway: an ASGI app that turns HTTP into API Gateway proxy events.

It runs the same Lambda authorizer as AWS on every non-public route, then calls the same API handler.
Mounted into the Reflex backend at /api by ``make run``; served by uvicorn in the API tests.
Local-only hooks under ``/api/local/`` (docs/local-aws.md): the outbox, the request log and fault injection
(``backend/local/hooks.py``), applied here in front of the real handlers. They answer only this machine (a loopback
client, a loopback or app ``Host``) and the app itself (no ``Origin``, or one of the app's): the outbox holds every
account's codes, and a page elsewhere (or a DNS-rebound name) must not read it or plant faults.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.api.app import AUTHORIZER_CACHE_SECONDS, PUBLIC_PATHS
from backend.api.openapi import API_PREFIX
from backend.config import get_settings
from backend.local.hooks import FaultIn, Faults, RequestLog
from backend.local.inbound_events import inbound_email, inbound_sms
from backend.local.lambda_runtime import Handler, invoke
from backend.local.server import OUTBOX_PATH
from backend.origins import app_origins, is_loopback_name, split_host

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


class _PathWithLineBreaks(PathConvertor):
    """Starlette's ``path`` convertor, line breaks included (its ``.*`` has no DOTALL).

    ``make run`` serves this app inside the Reflex backend, whose outermost app mounts everything at "" (a Mount is
    the pattern ``/{path:path}``): a path with a line break, e.g. ``/api/tasks/a%0Ab``, matched nothing there and got
    Starlette's plain-text ``Not Found`` before reaching our routes. Replaced process-wide, so every Mount and route
    compiled after this import (Reflex builds its app after ``api_transformer`` imported us) takes such paths; this
    module is only imported in local runs and tests.
    """

    regex = "(?s:.*)"


register_url_convertor("path", _PathWithLineBreaks())

_API_ID = "local"
_STAGE = "local"


def _body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), True


def proxy_event(request: Request, raw_body: bytes) -> dict[str, Any]:
    """A REST API (v1) proxy event for ``request``, as API Gateway builds it for ``/api/{proxy+}``."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = dict(request.query_params) or None
    multi_query: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        multi_query.setdefault(name, []).append(value)
    body, is_base64 = _body(raw_body)
    # The decoded path as the server received it, like API Gateway's ``path``; ``request.url`` re-parses the URL,
    # which drops line breaks and tabs (so ``/api/tasks/%0A`` was served as ``/api/tasks/``, the task list).
    path: str = request.scope["path"]
    proxy = path.removeprefix(API_PREFIX).lstrip("/")
    return {
        "resource": f"{API_PREFIX}/{{proxy+}}",
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": proxy} if proxy else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": f"{API_PREFIX}/{{proxy+}}",
            "httpMethod": request.method,
            "path": f"/{_STAGE}{path}",
            "stage": _STAGE,
            "apiId": _API_ID,
            "accountId": "123456789012",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": request.client.host if request.client else "127.0.0.1"},
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def authorized(event: dict[str, Any], policy: dict[str, Any]) -> None:
    """Put the authorizer's caller into ``event``, as API Gateway does before calling the API's Lambda."""
    event["requestContext"]["authorizer"] = {"principalId": policy["principalId"], **policy["context"]}


def _response(result: dict[str, Any]) -> Response:
    body = result.get("body") or ""
    content = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    response = Response(content=content, status_code=int(result.get("statusCode", 200)))
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.append(name, str(value))
    return response


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "fields": {}}}, status_code=status)


async def _no_route(_: Request, exc: Exception) -> Response:
    # What no route matches (e.g. a path with a line break) still answers in the error shape, as API Gateway's
    # gateway responses do in AWS.
    status = getattr(exc, "status_code", 404)
    return _error(status, "not_found" if status == 404 else "method_not_allowed", "There is nothing at this address.")


def _unauthorized() -> JSONResponse:
    error = {"code": "not_authenticated", "message": "Sign in to continue.", "fields": {}}
    return JSONResponse({"error": error}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


Endpoint = Callable[[Request], Awaitable[Response]]


class CachingAuthorizer:
    """The Lambda authorizer as API Gateway calls it: its Allow per ``Authorization`` value is kept
    ``AUTHORIZER_CACHE_SECONDS`` (refusals are not), so a token is verified once per period, not on every request,
    and local runs see what AWS does (e.g. a token's last minutes outlived by its cached Allow; the API checks the
    session and an API token's revocation on each request). Used from the event loop only; the oldest entries go
    past ``size``."""

    def __init__(self, handler: Handler, *, seconds: float = AUTHORIZER_CACHE_SECONDS, size: int = 1024) -> None:
        self._handler, self._seconds, self._size = handler, seconds, size
        self._allowed: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    async def policy(self, request: Request, route: str) -> dict[str, Any] | None:
        """The authorizer's answer for the request's token; None: refused (401)."""
        authorization = request.headers.get("authorization", "")
        kept = self._allowed.get(authorization)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        method_arn = f"arn:aws:execute-api:us-east-1:123456789012:{_API_ID}/{_STAGE}/{request.method}{route}"
        token_event = {"type": "TOKEN", "authorizationToken": authorization, "methodArn": method_arn}
        try:
            policy: dict[str, Any] = await run_in_threadpool(invoke, self._handler, token_event, "authorizer")
        except Exception:
            self._allowed.pop(authorization, None)
            return None
        self._allowed[authorization] = (time.monotonic() + self._seconds, policy)
        self._allowed.move_to_end(authorization)
        while len(self._allowed) > self._size:
            self._allowed.popitem(last=False)
        return policy


def _from_this_machine(request: Request, origins: list[str]) -> bool:
    """A loopback caller that names this machine or the app in ``Host`` and, if it sends ``Origin``, is the app."""
    client = request.client.host if request.client else ""
    hosts = {split_host(origin.split("://", 1)[1]) for origin in origins}
    host = split_host(request.headers.get("host", ""))
    origin = request.headers.get("origin")
    return is_loopback_name(client) and (is_loopback_name(host) or host in hosts) and origin in (None, *origins)


def create_local_api() -> Starlette:
    # Imported here: the handlers read their settings at import, after backend.local set the environment.
    from backend.handlers import api as api_handler
    from backend.handlers import authorizer

    requests = RequestLog()
    faults = Faults()
    authorizer_gate = CachingAuthorizer(authorizer.lambda_handler)
    settings = get_settings()
    origins = app_origins([settings.app_url, settings.public_api_url])

    def local_only(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            if not _from_this_machine(request, origins):
                return _error(403, "forbidden", "The local hooks answer only the app on this machine.")
            return await endpoint(request)

        return guarded

    async def call_api(request: Request) -> Response:
        try:
            response, user = await serve(request)
        except Exception:
            requests.record(method=request.method, path=request.url.path, status=500, user=None)
            raise
        requests.record(method=request.method, path=request.url.path, status=response.status_code, user=user)
        return response

    async def serve(request: Request) -> tuple[Response, str | None]:
        event = proxy_event(request, await request.body())
        route = event["path"].removeprefix(API_PREFIX) or "/"
        user: str | None = None
        if route not in PUBLIC_PATHS and request.method != "OPTIONS":
            policy = await authorizer_gate.policy(request, route)
            if policy is None:
                return _unauthorized(), None
            user = str(policy["principalId"])
            authorized(event, policy)
        injected = faults.take(request.method, route, user)
        if injected is not None:
            await asyncio.sleep(injected.delay_ms / 1000)
            if injected.status is not None:
                return _error(injected.status, injected.code, injected.message), user
        result = await run_in_threadpool(invoke, api_handler.lambda_handler, event, "api")
        return _response(result), user

    async def request_log(request: Request) -> Response:
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return _error(422, "validation_error", "since must be a whole number.")
        entries = requests.since(since, user=request.query_params.get("user"))
        return JSONResponse({"requests": entries, "last_seq": requests.last_seq})

    async def fault_rules(request: Request) -> Response:
        if request.method == "DELETE":
            faults.clear()
            return Response(status_code=204)
        if request.method == "GET":
            return JSONResponse({"faults": faults.active()})
        try:
            rule = FaultIn.model_validate_json(await request.body())
        except ValidationError as exc:
            problems = {".".join(str(part) for part in error["loc"]) or "body": error["msg"] for error in exc.errors()}
            return JSONResponse(
                {"error": {"code": "validation_error", "message": "The fault is not valid.", "fields": problems}},
                status_code=422,
            )
        return JSONResponse({"fault": faults.add(rule)}, status_code=201)

    async def outbox(_: Request) -> Response:
        endpoint = get_settings().aws_endpoint_url
        if endpoint is None:
            return _error(404, "not_found", "Only in local runs.")
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"{endpoint.rstrip('/')}{OUTBOX_PATH}")
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    return Starlette(
        exception_handlers={404: _no_route, 405: _no_route},
        routes=[
            Route(f"{API_PREFIX}/local/outbox", local_only(outbox), methods=["GET"]),
            Route(f"{API_PREFIX}/local/requests", local_only(request_log), methods=["GET"]),
            Route(f"{API_PREFIX}/local/faults", local_only(fault_rules), methods=["GET", "POST", "DELETE"]),
            Route(f"{API_PREFIX}/local/inbound/sms", local_only(inbound_sms), methods=["POST"]),
            Route(f"{API_PREFIX}/local/inbound/email", local_only(inbound_email), methods=["POST"]),
            Route(API_PREFIX, call_api, methods=_METHODS),
            Route(f"{API_PREFIX}/{{path:path}}", call_api, methods=_METHODS),
        ],
    )
