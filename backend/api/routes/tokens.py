"""Personal API tokens (issue 16). These routes need a real sign-in: a token cannot list, make or revoke tokens."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import signed_in_caller_id
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import created, documented, no_content
from backend.bootstrap import dependencies
from backend.domain.api_tokens import MAX_TOKENS_PER_USER, ApiToken
from backend.schemas import Id
from backend.schemas_tokens import TokenCreate, TokenCreated, TokenList, TokenPublic
from backend.services import api_tokens

router = APIGatewayRouter()
_SIGN_IN_ONLY = "Needs a sign-in (an API token gets 403)."


def _public(token: ApiToken) -> TokenPublic:
    return TokenPublic(
        id=token.id,
        name=token.name,
        scopes=[s for s in ("read", "write") if s in token.scopes],  # type: ignore[misc]
        created_at=token.created_at,
        last_used_at=token.last_used_at,
    )


@router.post(
    "/tokens",
    summary="Make a personal API token",
    description=f"The token is in this answer only; only its hash is kept. At most {MAX_TOKENS_PER_USER} per "
    f"account. Use it as `Authorization: Bearer <token>`; a read token may only GET. {_SIGN_IN_ONLY}",
    tags=["tokens"],
    security=AUTHENTICATED,
    responses=documented(TokenCreated),
)
def create_token(data: Annotated[TokenCreate, Body()]) -> Response[str]:
    deps = dependencies()
    new = api_tokens.create(
        tokens=deps.api_tokens,
        user_id=signed_in_caller_id(router),
        name=data.name,
        scopes=list(data.scopes),
        now=deps.clock(),
    )
    return created(TokenCreated(id=new.token.id, token=new.secret_token))


@router.get(
    "/tokens",
    summary="My personal API tokens",
    description=_SIGN_IN_ONLY,
    tags=["tokens"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_tokens() -> TokenList:
    items = api_tokens.list_tokens(tokens=dependencies().api_tokens, user_id=signed_in_caller_id(router))
    return TokenList(items=[_public(t) for t in items])


@router.delete(
    "/tokens/<token_id>",
    summary="Revoke a personal API token",
    description=f"Refused from the next request on. {_SIGN_IN_ONLY}",
    tags=["tokens"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def revoke_token(token_id: Annotated[Id, Path()]) -> Response[None]:
    api_tokens.revoke(tokens=dependencies().api_tokens, user_id=signed_in_caller_id(router), token_id=token_id)
    return no_content()
