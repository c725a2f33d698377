"""Powertools logger, tracer and metrics: one instance each, shared by every layer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

SERVICE = "taskmanager-pro"


class _EmfProvider(AmazonCloudWatchEMFProvider):
    """Powertools' EMF provider, silent when ``POWERTOOLS_METRICS_DISABLED`` is set. Powertools checks that variable
    only when flushing at the end of an invocation, and a disabled flush leaves the values in place; ``add_metric``
    prints the whole set by itself once a metric holds 100 values, without checking it. So a long local run (the
    bench, ``make run``) printed an EMF line every 100 values anyway, plus a "no metrics" warning per invocation."""

    def add_metric(self, *args: Any, **kwargs: Any) -> None:
        if not is_metrics_disabled():
            super().add_metric(*args, **kwargs)

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if is_metrics_disabled():
            self.clear_metrics()
            return
        super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)


logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
# The facade's class-level sets, as Metrics() would pass them to its own provider (instances share them).
metrics = Metrics(
    provider=_EmfProvider(
        namespace="TaskManagerPro",
        service=SERVICE,
        metric_set=Metrics._metrics,
        dimension_set=Metrics._dimensions,
        metadata_set=Metrics._metadata,
        default_dimensions=Metrics._default_dimensions,
    )
)
