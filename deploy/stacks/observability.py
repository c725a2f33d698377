"""Alarms, the dashboard and the budget: everything that tells an operator something is wrong (or costs too much).

Alarms (all to one SNS topic, e-mailed to the context's ``alarm_email`` when set): API 5xx rate and p95 latency,
failed reminder-schedule syncs (``ReminderSyncFailed``), errors and throttles of every Lambda, read/write throttles
of every table, the depth of every dead-letter queue, the Reflex backend's target 5xx, unhealthy tasks and memory,
the account's SMS spend this month near the SNS cap the stack sets.
The dashboard adds the business metrics the backend emits with Powertools (namespace ``TaskManagerPro``,
dimension ``service=taskmanager-pro``). An AWS Budgets cost budget (context ``budget_amount``, USD/month)
notifies the same topic at 80 % actual and 100 % forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from deploy.stacks.features import DEFAULT_SMS_MONTHLY_SPEND_LIMIT
from deploy.stacks.functions import METRICS_NAMESPACE, SERVICE_NAME
from deploy.stacks.reflex_backend import ReflexBackendStack

BUSINESS_METRICS = (
    "TasksCreated",
    "TasksCompleted",
    "RemindersSent",
    "RemindersFailed",
    "UploadsAccepted",
    "UploadsRejected",
    "SignUps",
    "ReminderSyncFailed",
)
API_5XX_RATE_PERCENT = 5
API_P95_LATENCY_MS = 2000
LAMBDA_ERRORS_PER_5_MIN = 5
PERIOD = Duration.minutes(5)
# Warn at this share of the account's SNS SMS monthly cap: at the cap SNS stops every SMS (codes, reminders) within
# minutes, until the month ends or the cap is raised.
SMS_SPEND_ALARM_SHARE = 0.8


def sms_spend_alarm_threshold(monthly_spend_limit: str) -> float:
    """The alarm's threshold in USD for the cap the stack sets (whole dollars, as the features stack passes it)."""
    return float(monthly_spend_limit) * SMS_SPEND_ALARM_SHARE


def business_insights_query(metric_name: str) -> str:
    """A Metrics Insights query summing ``metric_name`` of our service over all its dimension sets.

    Alarms cannot evaluate SEARCH(); Metrics Insights (no SCHEMA in FROM: every dimension set) is what they can.
    """
    # Our own constants only, no outside input: not an injection vector.
    return f"SELECT SUM({metric_name}) FROM {METRICS_NAMESPACE} WHERE service = '{SERVICE_NAME}'"  # noqa: S608


def business_search(metric_name: str) -> str:
    """A metric math expression summing ``metric_name`` of our service over all its dimension sets."""
    query = f'Namespace="{METRICS_NAMESPACE}" MetricName="{metric_name}" service="{SERVICE_NAME}"'
    return f"SUM(SEARCH('{query}', 'Sum', 3600))"


def _small_profile_alarms(dlq_depths: Sequence[cloudwatch.IMetric]) -> list[tuple[str, cloudwatch.IMetric, float, str]]:
    """The small profile's alarms instead of one per function and queue: the account-wide Lambda metrics (a small
    stage is meant to have its account to itself) and one alarm over the sum of the dead-letter queues."""
    found: list[tuple[str, cloudwatch.IMetric, float, str]] = [
        (
            f"Lambda{kind}",
            cloudwatch.Metric(namespace="AWS/Lambda", metric_name=kind, period=PERIOD, statistic="Sum"),
            LAMBDA_ERRORS_PER_5_MIN if kind == "Errors" else 1,
            f"Lambda (every function of the account): {kind.lower()} in 5 minutes",
        )
        for kind in ("Errors", "Throttles")
    ]
    if dlq_depths:
        found.append(
            (
                "DeadLetterQueuesDepth",
                cloudwatch.MathExpression(
                    expression=" + ".join(f"q{i}" for i in range(len(dlq_depths))),
                    using_metrics={f"q{i}": m for i, m in enumerate(dlq_depths)},
                    label="Dead-letter queues (sum)",
                    period=PERIOD,
                ),
                1,
                "Failed events waiting for a redrive in a dead-letter queue (docs/operations.md)",
            )
        )
    return found


class ObservabilityStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        api: apigw.RestApi,
        functions: Sequence[tuple[str, lambda_.IFunction]],
        tables: Sequence[tuple[str, dynamodb.ITableV2]],
        dead_letter_queues: Sequence[tuple[str, sqs.IQueue]],
        alarm_email: str | None,
        budget_amount: float,
        sms_monthly_spend_limit: str = DEFAULT_SMS_MONTHLY_SPEND_LIMIT,
        reflex: ReflexBackendStack | None = None,
        all_alarms: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # A customer-managed key: CloudWatch and Budgets cannot publish to a topic under the AWS-managed SNS key.
        key = kms.Key(self, "AlarmTopicKey", enable_key_rotation=True, description="Alarm topic encryption")
        for service in ("cloudwatch.amazonaws.com", "budgets.amazonaws.com"):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    principals=[iam.ServicePrincipal(service)],
                    resources=["*"],  # in a key policy, "*" is this key
                )
            )
        self.topic = sns.Topic(
            self, "AlarmTopic", display_name=f"TaskManager Pro alarms ({stage})", master_key=key, enforce_ssl=True
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["sns:Publish"],
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        action = cw_actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(
            construct_id: str,
            metric: cloudwatch.IMetric,
            threshold: float,
            description: str,
            *,
            evaluation_periods: int = 3,
            datapoints_to_alarm: int = 2,
            treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
        ) -> None:
            created = cloudwatch.Alarm(
                self,
                construct_id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=datapoints_to_alarm,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=treat_missing_data,
                alarm_description=description,
            )
            created.add_alarm_action(action)
            created.add_ok_action(action)
            self.alarms.append(created)

        api_requests = api.metric_count(period=PERIOD, statistic="Sum")
        api_5xx = api.metric_server_error(period=PERIOD, statistic="Sum")
        api_5xx_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"requests": api_requests, "errors": api_5xx},
            label="API 5xx rate (%)",
            period=PERIOD,
        )
        api_p95 = api.metric_latency(period=PERIOD, statistic="p95")
        alarm("Api5xxRate", api_5xx_rate, API_5XX_RATE_PERCENT, f"API 5xx responses >= {API_5XX_RATE_PERCENT} %")
        alarm("ApiLatencyP95", api_p95, API_P95_LATENCY_MS, f"API p95 latency >= {API_P95_LATENCY_MS} ms")

        for name, function in functions if all_alarms else ():
            alarm(
                f"{name}Errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                LAMBDA_ERRORS_PER_5_MIN,
                f"{name} Lambda: >= {LAMBDA_ERRORS_PER_5_MIN} errors in 5 minutes",
            )
            alarm(
                f"{name}Throttles",
                function.metric_throttles(period=PERIOD, statistic="Sum"),
                1,
                f"{name} Lambda: throttled invocations",
            )
        # A failed Scheduler call after a task/profile write (backend/services/reminder_sync.py): that user's
        # reminders stay stale until the task is saved again, and nothing retries it, so one failure is worth an
        # alarm (1 of 1 period). The api emits it with {service}, the reminders Lambda with {service, kind}.
        alarm(
            "ReminderSyncFailed",
            cloudwatch.MathExpression(
                expression=business_insights_query("ReminderSyncFailed"), label="ReminderSyncFailed", period=PERIOD
            ),
            1,
            "Reminder schedules not updated after a write: re-save the task (docs/operations.md)",
            evaluation_periods=1,
            datapoints_to_alarm=1,
        )
        # Many accounts, each within its own SMS limits, could still spend the account-wide cap (issue 12 finding 3).
        # SNS publishes the month's total (Maximum) per region, without dimensions; between data points it holds,
        # so missing data keeps the alarm's state rather than reporting "OK".
        alarm(
            "SmsMonthToDateSpend",
            cloudwatch.Metric(
                namespace="AWS/SNS",
                metric_name="SMSMonthToDateSpentUSD",
                period=PERIOD,
                statistic="Maximum",
            ),
            sms_spend_alarm_threshold(sms_monthly_spend_limit),
            f"SMS spend this month >= {SMS_SPEND_ALARM_SHARE:.0%} of the SNS cap (${sms_monthly_spend_limit}): "
            "raise the cap or find who sends (docs/operations.md)",
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data=cloudwatch.TreatMissingData.IGNORE,
        )
        table_throttles: list[cloudwatch.IMetric] = []
        for name, table in tables if all_alarms else ():
            for kind in ("ReadThrottleEvents", "WriteThrottleEvents"):
                metric = cloudwatch.Metric(
                    namespace="AWS/DynamoDB",
                    metric_name=kind,
                    dimensions_map={"TableName": table.table_name},
                    period=PERIOD,
                    statistic="Sum",
                    label=f"{name} {kind}",
                )
                table_throttles.append(metric)
                alarm(f"{name}{kind}", metric, 1, f"{name} table: {kind}")
        dlq_depths: list[cloudwatch.IMetric] = [
            queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum", label=name)
            for name, queue in dead_letter_queues
        ]
        one_per_queue: list[tuple[str, cloudwatch.IMetric, float, str]] = [
            (f"{name}Depth", depth, 1, f"{name}: failed events waiting for a redrive")
            for (name, _), depth in zip(dead_letter_queues, dlq_depths, strict=True)
        ]
        for alarm_id, watched, threshold, description in (
            one_per_queue if all_alarms else _small_profile_alarms(dlq_depths)
        ):
            alarm(alarm_id, watched, threshold, description)

        reflex_metrics: list[cloudwatch.IMetric] = []
        if reflex is not None:
            target_5xx = reflex.alb.metrics.http_code_target(
                elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=PERIOD, statistic="Sum"
            )
            unhealthy = reflex.target_group.metrics.unhealthy_host_count(period=PERIOD, statistic="Maximum")
            memory = reflex.service.metric_memory_utilization(period=PERIOD, statistic="Average")
            cpu = reflex.service.metric_cpu_utilization(period=PERIOD, statistic="Average")
            alarm("ReflexTarget5xx", target_5xx, 10, "Reflex backend: >= 10 5xx responses in 5 minutes")
            alarm("ReflexUnhealthyTasks", unhealthy, 1, "Reflex backend: a task fails its /ping health check")
            alarm("ReflexMemory", memory, 85, "Reflex backend: memory >= 85 % (CPU autoscaling does not cover it)")
            reflex_metrics = [target_5xx, unhealthy, cpu, memory]

        self.dashboard: cloudwatch.Dashboard | None = None
        if all_alarms:  # the small profile has no dashboard ($3 a month)
            self._dashboard(
                stage,
                api={"requests": api_requests, "5xx": api_5xx, "5xx_rate": api_5xx_rate, "p95": api_p95},
                functions=functions,
                graphs={"tables": table_throttles, "queues": dlq_depths, "reflex": reflex_metrics},
            )
        self._budget(stage, budget_amount)
        CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn)
        if self.dashboard is not None:
            CfnOutput(self, "DashboardName", value=f"{SERVICE_NAME}-{stage}")

    def _dashboard(
        self,
        stage: str,
        *,
        api: dict[str, cloudwatch.IMetric],
        functions: Sequence[tuple[str, lambda_.IFunction]],
        graphs: dict[str, list[cloudwatch.IMetric]],
    ) -> None:
        api_requests, api_5xx, api_5xx_rate, api_p95 = api["requests"], api["5xx"], api["5xx_rate"], api["p95"]
        table_throttles, dlq_depths, reflex_metrics = graphs["tables"], graphs["queues"], graphs["reflex"]
        # Summed over every dimension set of the service: some emitters add their own dimension (reminders add
        # ``kind``), and a plain metric (or a {schema} search) only matches the exact set {service}.
        business = [
            cloudwatch.MathExpression(
                expression=business_search(metric_name),
                label=metric_name,
                period=Duration.hours(1),
            )
            for metric_name in BUSINESS_METRICS
        ]
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{SERVICE_NAME}-{stage}",
            default_interval=Duration.days(7),
            widgets=[
                [
                    cloudwatch.GraphWidget(title="Business (per hour)", left=business, width=24),
                ],
                [
                    cloudwatch.GraphWidget(title="API requests and 5xx", left=[api_requests, api_5xx], width=8),
                    cloudwatch.GraphWidget(title="API 5xx rate (%)", left=[api_5xx_rate], width=8),
                    cloudwatch.GraphWidget(title="API latency p95 (ms)", left=[api_p95], width=8),
                ],
                [
                    cloudwatch.GraphWidget(
                        title="Lambda errors",
                        left=[f.metric_errors(period=PERIOD, label=n) for n, f in functions],
                        width=8,
                    ),
                    cloudwatch.GraphWidget(
                        title="Lambda throttles",
                        left=[f.metric_throttles(period=PERIOD, label=n) for n, f in functions],
                        width=8,
                    ),
                    cloudwatch.GraphWidget(
                        title="Lambda duration p95",
                        left=[f.metric_duration(period=PERIOD, statistic="p95", label=n) for n, f in functions],
                        width=8,
                    ),
                ],
                [
                    cloudwatch.GraphWidget(title="DynamoDB throttles", left=table_throttles, width=12),
                    cloudwatch.GraphWidget(title="Dead-letter queues", left=dlq_depths, width=12),
                ],
                [
                    cloudwatch.GraphWidget(
                        title="Reflex backend (ALB 5xx, unhealthy, CPU %, memory %)", left=reflex_metrics, width=24
                    )
                ],
                [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24)],
            ],
        )

    def _budget(self, stage: str, budget_amount: float) -> None:
        budgets.CfnBudget(
            self,
            "MonthlyBudget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{SERVICE_NAME}-{stage}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=budget_amount, unit="USD"),
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=notification_type,
                        comparison_operator="GREATER_THAN",
                        threshold=threshold,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[
                        budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=self.topic.topic_arn)
                    ],
                )
                for notification_type, threshold in (("ACTUAL", 80), ("FORECASTED", 100))
            ],
        )
