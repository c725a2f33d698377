"""Runs Lambda handlers in-process, as the Lambda service would call them.

One invocation of a function at a time, as in one Lambda execution environment: the handlers keep per-invocation
state in module-level objects (Powertools' resolver keeps the current event and route in ``app.context``, the
logger its Lambda context), which two overlapping requests on the local API's threads would overwrite for each
other (a request lost its route: ``KeyError: '_route'``, a 500). AWS runs concurrent requests in separate
environments; locally they wait their turn, per function.
"""

from __future__ import annotations

import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalContext:
    """The attributes of ``LambdaContext`` that Powertools and our handlers read."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


# (re-entrant: a handler whose AWS call makes the emulator invoke the same function again must not deadlock)
_environments: defaultdict[str, threading.RLock] = defaultdict(threading.RLock)
_environments_lock = threading.Lock()


def _environment(function_name: str) -> threading.RLock:
    with _environments_lock:
        return _environments[function_name]


def invoke(handler: Handler, event: dict[str, Any], function_name: str) -> Any:
    with _environment(function_name):
        return handler(event, LocalContext(function_name=function_name))
