"""Token and cost accounting of every outbound LLM call.

Each call adds to the Prometheus counters (``/metrics``: ``promptsentry_llm_calls_total``,
``promptsentry_llm_tokens_total``, ``promptsentry_llm_cost_usd_total``) and to this
process's running totals, which ``GET /api/stats`` answers as ``llm_usage`` (admin token).
The judge also counts its calls per tenant in the hot store (:func:`tenant_fields`, shared
by every worker), answered as ``tenant_llm_usage`` (:func:`tenant_rows`). Cost is
``tokens × price`` with the operator's prices per million tokens
(``PROMPTSENTRY_LLM_PRICES``); a model without a price costs 0.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from promptsentry.observability import prometheus

_lock = threading.Lock()
_totals: dict[tuple[str, str, str], dict[str, float]] = {}


def cost_usd(price: Sequence[float] | None, input_tokens: int, output_tokens: int) -> float:
    """Dollars for a call at ``price`` = (input, output) dollars per million tokens."""
    if not price:
        return 0.0
    return (input_tokens * float(price[0]) + output_tokens * float(price[1])) / 1_000_000


def price_for(prices: Mapping[str, Sequence[float]], api: str, model: str
              ) -> Sequence[float] | None:
    """The price of ``model`` (``"api:model"`` first, then ``"model"``)."""
    return prices.get(f"{api}:{model}") or prices.get(model)


def record(purpose: str, api: str, model: str, outcome: str, input_tokens: int = 0,
           output_tokens: int = 0, cost: float = 0.0) -> None:
    """Count one call (``outcome``: ``ok`` or ``error``) and its tokens and cost."""
    prometheus.LLM_CALLS.labels(purpose, api, model, outcome).inc()
    if input_tokens:
        prometheus.LLM_TOKENS.labels(purpose, api, model, "input").inc(input_tokens)
    if output_tokens:
        prometheus.LLM_TOKENS.labels(purpose, api, model, "output").inc(output_tokens)
    if cost:
        prometheus.LLM_COST.labels(purpose, api, model).inc(cost)
    with _lock:
        row = _totals.setdefault((purpose, api, model), {
            "calls": 0, "errors": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0})
        row["calls"] += 1
        row["errors"] += outcome != "ok"
        row["input_tokens"] += input_tokens
        row["output_tokens"] += output_tokens
        row["cost_usd"] += cost


def snapshot() -> list[dict[str, object]]:
    """This process's totals, one row per purpose/API/model."""
    with _lock:
        return [{"purpose": p, "api": a, "model": m, **{k: (round(v, 6) if k == "cost_usd"
                                                              else int(v)) for k, v in row.items()}}
                for (p, a, m), row in sorted(_totals.items())]


METRICS = ("calls", "errors", "input_tokens", "output_tokens", "cost_usd")


def tenant_fields(purpose: str, api: str, model: str, *, error: bool, input_tokens: int = 0,
                  output_tokens: int = 0, cost: float = 0.0) -> dict[str, float]:
    """One call as hot-store usage counters: ``"<purpose>|<api>|<model>|<metric>" -> n``
    (integers, the cost a float; zero counters left out)."""
    values: dict[str, float] = {"calls": 1, "errors": int(error),
                                "input_tokens": int(input_tokens),
                                "output_tokens": int(output_tokens), "cost_usd": float(cost)}
    return {f"{purpose}|{api}|{model}|{k}": v for k, v in values.items()
            if v or k == "calls"}


def tenant_rows(tenant_id: str, by_hour: Mapping[int, Mapping[str, float]]
                ) -> list[dict[str, object]]:
    """The counters of :func:`tenant_fields` summed over the hours: one row per
    purpose/API/model."""
    rows: dict[tuple[str, str, str], dict[str, float]] = {}
    for counts in by_hour.values():
        for name, value in counts.items():
            head, _, metric = name.rpartition("|")
            parts = head.split("|", 2)
            if metric not in METRICS or len(parts) != 3:
                continue
            row = rows.setdefault((parts[0], parts[1], parts[2]), dict.fromkeys(METRICS, 0))
            row[metric] += value
    return [{"tenant_id": tenant_id, "purpose": p, "api": a, "model": m,
             **{k: (round(float(v), 6) if k == "cost_usd" else int(v)) for k, v in row.items()}}
            for (p, a, m), row in sorted(rows.items())]
