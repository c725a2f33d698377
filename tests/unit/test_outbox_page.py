"""/dev/outbox shows every account's codes: only to a browser on the machine running the app, even when ``make run``
is exposed to the network (``TASKMANAGER_EXPOSE``, issue 12 finding 1).

``OutboxState.load`` runs on a plain object with what it reads (the socket's client address, the flags); the API
client is replaced by one that records whether the outbox was asked for.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from backend.client import OutboxMessage
from taskmanager_pro.state import outbox
from taskmanager_pro.state.outbox import OutboxState

SENT = OutboxMessage.model_validate(
    {"id": "m1", "channel": "email", "to": ["ada@example.com"], "subject": "Code", "body": "Your code is 123456"}
)


def load(client_ip: str, monkeypatch: pytest.MonkeyPatch) -> tuple[SimpleNamespace, list[str]]:
    asked: list[str] = []

    async def public_config() -> Any:
        return SimpleNamespace(cognito_endpoint="http://127.0.0.1:5000")  # a local run

    def outbox_of_the_api() -> list[OutboxMessage]:
        asked.append("outbox")
        return [SENT]

    monkeypatch.setattr(outbox, "public_config", public_config)
    monkeypatch.setattr(outbox, "api", lambda: SimpleNamespace(outbox=outbox_of_the_api))
    state = SimpleNamespace(
        local=True,
        messages=[],
        busy=False,
        error="",
        router=SimpleNamespace(session=SimpleNamespace(client_ip=client_ip)),
    )

    async def drive() -> None:
        async for _ in OutboxState.load.fn(state):  # type: ignore[attr-defined]
            pass

    asyncio.run(drive())
    return state, asked


@pytest.mark.parametrize("client_ip", ["192.168.1.30", "10.0.0.7", "fd00::9", ""])
def test_a_browser_on_another_machine_sees_no_codes(client_ip: str, monkeypatch: pytest.MonkeyPatch) -> None:
    state, asked = load(client_ip, monkeypatch)
    assert asked == []
    assert state.messages == []
    assert state.error == "The outbox is shown only on the machine running the app."
    assert state.busy is False


@pytest.mark.parametrize("client_ip", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_a_browser_on_this_machine_sees_the_codes(client_ip: str, monkeypatch: pytest.MonkeyPatch) -> None:
    state, asked = load(client_ip, monkeypatch)
    assert asked == ["outbox"]
    assert [message.code for message in state.messages] == ["123456"]
    assert state.error == ""
