"""Prometheus metrics. With several workers set ``PROMETHEUS_MULTIPROC_DIR`` (the ``serve``
command does) so ``/metrics`` aggregates every worker."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

SCANS = Counter(
    "promptsentry_scans_total", "Scans by verdict, action and scan type.",
    ["verdict", "action", "scan_type"],
)
STAGE_SECONDS = Histogram(
    "promptsentry_stage_duration_seconds", "Time spent in each pipeline stage.", ["stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
STAGE_ERRORS = Counter(
    "promptsentry_stage_errors_total", "Stage crashes by stage and failure mode.",
    ["stage", "failure_mode"],
)
SCAN_SECONDS = Histogram(
    "promptsentry_scan_duration_seconds", "End-to-end scan latency inside the service.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
HTTP_ERRORS = Counter(
    "promptsentry_http_errors_total", "Error responses by status and code.", ["status", "code"],
)

LLM_CALLS = Counter(
    "promptsentry_llm_calls_total", "Outbound LLM calls (judge, optimizer) by outcome.",
    ["purpose", "api", "model", "outcome"],
)
LLM_TOKENS = Counter(
    "promptsentry_llm_tokens_total", "Tokens of outbound LLM calls as the provider reported.",
    ["purpose", "api", "model", "direction"],
)
LLM_COST = Counter(
    "promptsentry_llm_cost_usd_total", "Cost of outbound LLM calls at the configured prices.",
    ["purpose", "api", "model"],
)
JUDGE_OUTCOMES = Counter(
    "promptsentry_judge_total", "Judge stage outcomes (judged, cached, failed, quota, …).",
    ["outcome"],
)


def render_latest() -> tuple[bytes, str]:
    """The exposition text for ``/metrics``."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
