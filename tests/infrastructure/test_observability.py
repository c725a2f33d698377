"""Alarms to an encrypted SNS topic, the dashboard with the business metrics, the monthly budget."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from deploy.stacks.functions import METRICS_NAMESPACE, SERVICE_NAME
from deploy.stacks.observability import BUSINESS_METRICS
from deploy.stacks.profile import LARGE
from tests.infrastructure.synth import Synthesized, resources


def _alarms(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [
        a["Properties"] for a in resources(synthesized.template("observability"), "AWS::CloudWatch::Alarm").values()
    ]


def _metric(alarm: dict[str, Any]) -> tuple[str | None, str | None]:
    """(namespace, metric name) of a one-metric alarm, in either of CloudFormation's two forms."""
    if "MetricName" in alarm:
        return alarm["Namespace"], alarm["MetricName"]
    stats = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
    if len(stats) != 1:
        return None, None
    return stats[0]["Namespace"], stats[0]["MetricName"]


def _by_metric(synthesized: Synthesized, namespace: str) -> Counter[str | None]:
    return Counter(name for ns, name in map(_metric, _alarms(synthesized)) if ns == namespace)


def _backend_functions(synthesized: Synthesized) -> list[dict[str, Any]]:
    return [
        f
        for t in synthesized.all_templates()
        for f in resources(t, "AWS::Lambda::Function").values()
        if str(f["Properties"].get("Handler", "")).startswith("backend.handlers.")
    ]


def _flat(value: Any) -> str:
    """A CloudFormation Fn::Join of strings and tokens as one string (tokens inside its strings as TOKEN)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(p if isinstance(p, str) else "TOKEN" for p in value["Fn::Join"][1])
    return str(value)


def test_every_alarm_notifies_the_topic(synthesized: Synthesized) -> None:
    observability = synthesized.template("observability")
    (topic_id,) = resources(observability, "AWS::SNS::Topic")
    alarms = _alarms(synthesized)
    assert alarms
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
        # (the SMS spend alarm keeps its state: tests/infrastructure/test_sms_spend.py)
        missing = "ignore" if alarm.get("MetricName") == "SMSMonthToDateSpentUSD" else "notBreaching"
        assert alarm["TreatMissingData"] == missing
    (topic,) = resources(observability, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    (key,) = resources(observability, "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True


def test_api_5xx_rate_and_p95_latency_alarms(synthesized: Synthesized) -> None:
    alarms = _alarms(synthesized)
    (rate,) = [a for a in alarms if any("requests" in m.get("Expression", "") for m in a.get("Metrics", []))]
    expressions = [m["Expression"] for m in rate["Metrics"] if "Expression" in m]
    assert expressions == ["IF(requests > 0, 100 * errors / requests, 0)"]
    metric_names = {m["MetricStat"]["Metric"]["MetricName"] for m in rate["Metrics"] if "MetricStat" in m}
    assert metric_names == {"Count", "5XXError"}
    (latency,) = [a for a in alarms if a.get("MetricName") == "Latency"]
    assert latency["ExtendedStatistic"] == "p95"
    assert latency["Namespace"] == "AWS/ApiGateway"


def test_reminder_sync_failures_alarm_on_the_first_one(synthesized: Synthesized) -> None:
    observability = synthesized.template("observability")
    (topic_id,) = resources(observability, "AWS::SNS::Topic")
    (alarm,) = [a for a in _alarms(synthesized) if "ReminderSyncFailed" in json.dumps(a.get("Metrics", []))]
    # Over every dimension set of the service: the api emits {service}, the reminders Lambda {service, kind}.
    assert alarm["Metrics"] == [
        {
            "Id": "expr_1",
            "Expression": "SELECT SUM(ReminderSyncFailed) FROM TaskManagerPro WHERE service = 'taskmanager-pro'",
            "Label": "ReminderSyncFailed",
            "Period": 300,
            "ReturnData": True,
        }
    ]
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    # The backend really emits it under that name (backend/services/reminder_sync.py).
    source = (Path(__file__).resolve().parents[2] / "backend" / "services" / "reminder_sync.py").read_text()
    assert 'name="ReminderSyncFailed"' in source
    # And it is graphed with the other business metrics.
    (dashboard,) = resources(observability, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(_flat(dashboard["Properties"]["DashboardBody"]))
    (widget,) = [w for w in body["widgets"] if w["properties"].get("title") == "Business (per hour)"]
    assert "ReminderSyncFailed" in {m[0]["label"] for m in widget["properties"]["metrics"]}


def test_errors_and_throttles_alarm_for_every_lambda(synthesized: Synthesized) -> None:
    by_metric = Counter(a["MetricName"] for a in _alarms(synthesized) if a.get("Namespace") == "AWS/Lambda")
    count = len(_backend_functions(synthesized))
    assert by_metric == {"Errors": count, "Throttles": count}


def test_throttle_alarms_for_every_table(synthesized: Synthesized) -> None:
    tables = [
        t["Properties"]["TableName"]
        for s in synthesized.all_templates()
        for t in resources(s, "AWS::DynamoDB::GlobalTable").values()
    ]
    by_metric = _by_metric(synthesized, "AWS/DynamoDB")
    assert by_metric == {"ReadThrottleEvents": len(tables), "WriteThrottleEvents": len(tables)}


def test_depth_alarm_for_every_dead_letter_queue(synthesized: Synthesized) -> None:
    # Not the webhooks' working queue, nor its dead deliveries (a subscriber's endpoint down pages nobody: the owner
    # sees them in the API; deploy/stacks/webhooks.py)
    queues = [
        q
        for t in synthesized.all_templates()
        for q in resources(t, "AWS::SQS::Queue")
        if not q.startswith(("WebhookDeliveries", "WebhookDeadLetters"))
        and not (q.startswith("ProjectMoves") and "Failures" not in q)  # its dead letters are (ProjectMovesFailures)
    ]
    assert _by_metric(synthesized, "AWS/SQS")["ApproximateNumberOfMessagesVisible"] == len(queues)


def test_dashboard_shows_the_business_metrics(synthesized: Synthesized) -> None:
    (dashboard,) = resources(synthesized.template("observability"), "AWS::CloudWatch::Dashboard").values()
    body = json.loads(_flat(dashboard["Properties"]["DashboardBody"]))
    (widget,) = [w for w in body["widgets"] if w["properties"].get("title") == "Business (per hour)"]
    series = {m[0]["label"]: m[0]["expression"] for m in widget["properties"]["metrics"]}
    assert set(series) == set(BUSINESS_METRICS)
    for name, expression in series.items():
        # Summed over every dimension set of the service (the reminders add a `kind` dimension).
        query = f'Namespace="{METRICS_NAMESPACE}" MetricName="{name}" service="{SERVICE_NAME}"'
        assert expression == f"SUM(SEARCH('{query}', 'Sum', 3600))"
    titles = {w["properties"].get("title") for w in body["widgets"]}
    assert {"API 5xx rate (%)", "Lambda errors", "DynamoDB throttles", "Dead-letter queues", "Alarms"} <= titles


def test_monthly_budget_notifies_the_topic(synthesized: Synthesized) -> None:
    observability = synthesized.template("observability")
    (topic_id,) = resources(observability, "AWS::SNS::Topic")
    (budget,) = resources(observability, "AWS::Budgets::Budget").values()
    props = budget["Properties"]
    assert props["Budget"]["BudgetType"] == "COST"
    assert props["Budget"]["TimeUnit"] == "MONTHLY"
    assert props["Budget"]["BudgetLimit"] == {"Amount": LARGE.budget_usd, "Unit": "USD"}
    kinds = {n["Notification"]["NotificationType"] for n in props["NotificationsWithSubscribers"]}
    assert kinds == {"ACTUAL", "FORECASTED"}
    for notification in props["NotificationsWithSubscribers"]:
        assert notification["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": topic_id}}]


def test_reflex_backend_alarms(synthesized: Synthesized) -> None:
    assert _by_metric(synthesized, "AWS/ApplicationELB") == {"HTTPCode_Target_5XX_Count": 1, "UnHealthyHostCount": 1}
    assert _by_metric(synthesized, "AWS/ECS") == {"MemoryUtilization": 1}
