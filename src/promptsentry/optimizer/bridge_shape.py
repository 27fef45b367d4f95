"""The optimizer answers in the shapes the reference npm MCP bridge reads (pure functions).

Used by the bridge routes (:mod:`promptsentry.api.routes.optimizer_bridge`) and by the
in-process MCP tools (:mod:`promptsentry.optimizer.local_client`), so both answer alike.
The reasons for each shape are at the top of the bridge routes' module.
"""

from __future__ import annotations

from typing import Any

__all__ = ["bridge_detection", "bridge_optimization"]


def bridge_detection(answer: dict[str, Any]) -> dict[str, Any]:
    """``detected_parameters`` as a list of ``{name, count}`` (in place; also returned)."""
    params = answer.get("detected_parameters") or {}
    if isinstance(params, dict):
        answer["detected_parameters"] = [{"name": name, "count": count}
                                         for name, count in params.items()]
    return answer


def bridge_optimization(answer: dict[str, Any]) -> None:
    """The optimize answer as the bridge reads it (in place): ``rules_based`` false (the
    answer is the server's, not the bridge's local fallback), ``quota_limit`` /
    ``quota_remaining`` null when unlimited, and the two improvement metrics it prints
    (fractions of the 20-point rubric dimension, after minus before) beside our others."""
    answer["rules_based"] = False
    for key in ("quota_limit", "quota_remaining"):
        if answer.get(key) == -1:
            answer[key] = None
    before, after = answer.get("quality_before"), answer.get("quality_after")
    metrics = (answer.get("optimization_insights") or {}).get("improvement_metrics")
    if not isinstance(before, dict) or not isinstance(after, dict) or metrics is None:
        return
    for dim in ("clarity", "specificity"):
        if isinstance(before.get(dim), int) and isinstance(after.get(dim), int):
            metrics[f"{dim}_improvement"] = round((after[dim] - before[dim]) / 20.0, 4)
