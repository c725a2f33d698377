"""The account-wide SMS spend (issue 12 finding 3): an alarm before SNS's monthly cap stops every SMS, at a share of
the same cap the stack sets (``sms_monthly_spend_limit``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deploy.stacks.features import DEFAULT_SMS_MONTHLY_SPEND_LIMIT
from deploy.stacks.observability import SMS_SPEND_ALARM_SHARE, sms_spend_alarm_threshold
from tests.infrastructure.synth import Synthesized, resources


def _spend_alarms(synthesized: Synthesized) -> list[dict[str, Any]]:
    alarms = resources(synthesized.template("observability"), "AWS::CloudWatch::Alarm").values()
    return [a["Properties"] for a in alarms if a["Properties"].get("MetricName") == "SMSMonthToDateSpentUSD"]


def test_an_alarm_warns_before_the_sms_spend_limit(synthesized: Synthesized) -> None:
    (alarm,) = _spend_alarms(synthesized)
    (topic_id,) = resources(synthesized.template("observability"), "AWS::SNS::Topic")
    assert alarm["Namespace"] == "AWS/SNS"
    assert alarm["Statistic"] == "Maximum"  # the only statistic SNS publishes it with
    assert "Dimensions" not in alarm  # account-wide (per region), like the cap
    # The cap the stack sets on the account (the features' setSMSAttributes call) is the alarm's reference.
    (sms_settings,) = resources(synthesized.template("stateless"), "Custom::AWS").values()
    cap = json.loads(sms_settings["Properties"]["Create"])["parameters"]["attributes"]["MonthlySpendLimit"]
    assert cap == DEFAULT_SMS_MONTHLY_SPEND_LIMIT
    assert alarm["Threshold"] == pytest.approx(float(cap) * SMS_SPEND_ALARM_SHARE)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (1, 1)
    # A month-to-date total holds between data points: no SMS sent is no reason to report "OK".
    assert alarm["TreatMissingData"] == "ignore"
    assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    assert alarm["OKActions"] == [{"Ref": topic_id}]


def test_the_threshold_follows_the_configured_cap() -> None:
    assert sms_spend_alarm_threshold("20") == pytest.approx(16)
    assert sms_spend_alarm_threshold("1") == pytest.approx(0.8)
