"""Where the UI finds the API: the only setting the client side needs (the rest comes from /api/config)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ClientSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TMP_", frozen=True, extra="ignore")

    # The REST API base. Locally the API is mounted in the Reflex backend at /api.
    api_url: str = "http://localhost:8000/api"
    # Set by ``backend.local`` when it mounts the local API into the Reflex backend.
    local_api: bool = False


@lru_cache(maxsize=1)
def get_client_settings() -> ClientSettings:
    return ClientSettings()
