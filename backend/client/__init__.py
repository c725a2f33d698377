"""What the UI calls: the typed REST client and the Cognito user flows. The UI imports only this package."""

from backend.client.api import ApiClient, ApiError
from backend.client.auth import AuthError, CognitoAuth, MfaChallenge, Tokens, totp_uri
from backend.client.settings import ClientSettings, get_client_settings
from backend.domain.password_policy import PASSWORD_POLICY, PasswordPolicy
from backend.domain.webhooks import EVENT_TYPES as WEBHOOK_EVENTS
from backend.names import APP_DISPLAY_NAME
from backend.schemas import OutboxMessage, Preferences, ProfilePublic, PublicConfig

__all__ = [
    "APP_DISPLAY_NAME",
    "PASSWORD_POLICY",
    "WEBHOOK_EVENTS",
    "ApiClient",
    "ApiError",
    "AuthError",
    "ClientSettings",
    "CognitoAuth",
    "MfaChallenge",
    "OutboxMessage",
    "PasswordPolicy",
    "Preferences",
    "ProfilePublic",
    "PublicConfig",
    "Tokens",
    "get_client_settings",
    "totp_uri",
]
