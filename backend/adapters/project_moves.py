"""The queue of project moves (issue 13): a large project's first share moves its tasks in a background worker
(``backend/handlers/project_moves.py``). A message names only the target partition: the ``MOVE`` marker there holds
the rest, so a message delivered twice, or after the move ended, finds nothing to do."""

from __future__ import annotations

import json
from typing import Any


class SqsProjectMoves:
    """The ``ProjectMoveQueue`` port on SQS."""

    def __init__(self, *, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def request(self, target: str) -> None:
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps({"target": target}))


def target_of(body: str) -> str:
    """The target partition a message names (``ValueError``: not one of ours)."""
    message = json.loads(body)
    target = message.get("target") if isinstance(message, dict) else None
    if not isinstance(target, str) or not target:
        raise ValueError("a project move names its target partition")
    return target
