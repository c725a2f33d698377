"""The signing secret from Secrets Manager, through Powertools parameters: fetched on first use, cached per process.

Nothing of it is in the function's environment (only the secret's ARN): whoever may read the configuration does
not get the key. A rotated value reaches a warm function within ``max_age`` seconds (docs/operations.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider

from backend.domain.signing_keys import SigningKeys

MAX_AGE_SECONDS = 300  # Powertools' default; the rotation runbook waits this long between its steps


class SecretsManagerSigningKeys:
    """Call it for the current :class:`SigningKeys` (one GetSecretValue per ``max_age``, and per cold start)."""

    def __init__(self, *, client: Callable[[], Any], secret_id: str, max_age: int = MAX_AGE_SECONDS) -> None:
        self._client = client  # made on first use: most functions never sign anything
        self._provider: SecretsProvider | None = None
        self._secret_id = secret_id
        self._max_age = max_age

    def __call__(self) -> SigningKeys:
        if self._provider is None:
            # Our own client (the local endpoint locally); Powertools' get_secret() would build one without it.
            self._provider = SecretsProvider(boto3_client=self._client())
        return SigningKeys.parse(str(self._provider.get(self._secret_id, max_age=self._max_age)))

    def clear_cache(self) -> None:
        """Read the secret again at the next call (tests; a function sees a rotation after ``max_age`` anyway)."""
        if self._provider is not None:
            self._provider.clear_cache()
