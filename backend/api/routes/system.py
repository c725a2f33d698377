"""Public routes: health and the client configuration (no token needed)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.bootstrap import dependencies
from backend.schemas import Health, PublicConfig

router = APIGatewayRouter()


@router.get("/health", summary="Liveness check", tags=["system"])
def health() -> Health:
    return Health()


@router.get("/config", summary="Public client configuration (Cognito ids)", tags=["system"])
def public_config() -> PublicConfig:
    settings = dependencies().settings
    return PublicConfig(
        region=settings.region,
        user_pool_id=settings.user_pool_id,
        user_pool_client_id=settings.user_pool_client_id,
        cognito_endpoint=settings.aws_endpoint_url,
    )
