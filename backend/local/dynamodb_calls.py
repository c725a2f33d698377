"""The DynamoDB calls this process makes, as they were called (the local API serves its requests in-process): the
tests count them per request, the benches count them and replay them raw on the emulator (``scripts/bench_cost.py``).
Hooks every DynamoDB client of the process: each PynamoDB model's and ``backend.aws``'s."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.models import Model

from backend import aws
from backend.local.testing import BACKGROUND_THREADS

Call = tuple[str, dict[str, Any]]  # (operation, its parameters as the client was called)


def _models(base: type[Model]) -> Iterator[type[Model]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _models(sub)


def _clients() -> list[Any]:
    clients = {id(aws.client("dynamodb")): aws.client("dynamodb")}
    for model in _models(Model):
        if getattr(model.Meta, "table_name", None):
            client = model._get_connection().connection.client
            clients[id(client)] = client
    return list(clients.values())


@contextmanager
def recorded_calls(*, request_threads_only: bool = False) -> Iterator[list[Call]]:
    """The calls made while the block runs, in order. ``request_threads_only``: leave out the local runtime's own
    threads (stream consumers, scheduler, queues), whose timing would make a count vary."""
    seen: list[Call] = []

    def keep(model: Any, params: dict[str, Any], **_: Any) -> None:
        if request_threads_only and threading.current_thread().name.startswith(BACKGROUND_THREADS):
            return
        seen.append((model.name, copy.deepcopy(params)))

    clients = _clients()
    for client in clients:
        client.meta.events.register("provide-client-params.dynamodb", keep)
    try:
        yield seen
    finally:
        for client in clients:
            client.meta.events.unregister("provide-client-params.dynamodb", keep)
