"""What the UI calls: the typed REST client and the Cognito user flows. The UI imports only this package."""

from backend.client.api import ApiClient, ApiError
from backend.client.auth import AuthError, CognitoAuth, MfaChallenge, Tokens, totp_uri
from backend.domain.password_policy import PASSWORD_POLICY, PasswordPolicy
from backend.schemas import OutboxMessage, Preferences, ProfilePublic, PublicConfig

__all__ = [
    "PASSWORD_POLICY",
    "ApiClient",
    "ApiError",
    "AuthError",
    "CognitoAuth",
    "MfaChallenge",
    "OutboxMessage",
    "PasswordPolicy",
    "Preferences",
    "ProfilePublic",
    "PublicConfig",
    "Tokens",
    "totp_uri",
]
