"""Powertools logger, tracer and metrics: one instance each, shared by every layer."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "taskmanager-pro"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="TaskManagerPro", service=SERVICE)
