"""``POWERTOOLS_METRICS_DISABLED`` silences the handlers' EMF lines for good (``make bench`` relies on it): Powertools
itself printed the set every 100 values of a metric even when disabled."""

from __future__ import annotations

import warnings

import pytest

from backend.observability import metrics


@metrics.log_metrics
def _handler(event: dict[str, int], context: object) -> None:
    for _ in range(event["values"]):
        metrics.add_metric(name="BenchProbe", unit="Count", value=1)


def test_disabled_metrics_print_nothing_however_many_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor the "no application metrics" warning per invocation
        _handler({"values": 250}, None)
        _handler({"values": 0}, None)
    assert capsys.readouterr().out == ""


def test_enabled_metrics_still_emit_every_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    _handler({"values": 250}, None)
    lines = capsys.readouterr().out.splitlines()
    # Powertools' own batching: a line at 100 and 200 values, the rest at the end of the invocation
    assert len(lines) == 3
    assert all('"BenchProbe"' in line and "TaskManagerPro" in line for line in lines)
