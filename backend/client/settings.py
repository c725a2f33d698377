"""Where the UI finds the API (the rest comes from /api/config) and the live-updates Redis."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ClientSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TMP_", frozen=True, extra="ignore")

    # The REST API base. Locally the API is mounted in the Reflex backend at /api.
    api_url: str = "http://localhost:8000/api"
    # Set by ``backend.local`` when it mounts the local API into the Reflex backend.
    local_api: bool = False
    # Live updates (backend/client/live.py): the Redis the changes are published on, without credentials
    # (``rediss://host:port/0`` in AWS; the local runtime's own server locally). Unset: live updates are off.
    live_redis_url: str | None = Field(default=None, validation_alias="LIVE_REDIS_URL")
    # Its AUTH token (ECS injects it from Secrets Manager); never logged.
    live_redis_auth_token: SecretStr | None = Field(default=None, validation_alias="LIVE_REDIS_AUTH_TOKEN", repr=False)


@lru_cache(maxsize=1)
def get_client_settings() -> ClientSettings:
    return ClientSettings()
