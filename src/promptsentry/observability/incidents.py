"""Degraded-mode bookkeeping: log a store outage once per incident, and its recovery.

Every failing call reports :meth:`Incidents.failed`; only the first failure of an incident
logs (``store_unavailable``), and the first success afterwards logs ``store_recovered`` with
the outage's length. ``/ready`` reads :meth:`Incidents.snapshot`. State is per process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from prometheus_client import Counter

from promptsentry.observability.logging import get_logger

log = get_logger("promptsentry.state")

STORE_INCIDENTS = Counter(
    "promptsentry_store_incidents_total", "Store outages seen, by component.", ["component"],
)


@dataclass(slots=True)
class _Incident:
    since: float
    error: str
    failures: int = 1


class Incidents:
    """Tracks which components (``sql``, ``hot_store``) are down in this process."""

    def __init__(self) -> None:
        self._open: dict[str, _Incident] = {}

    def failed(self, component: str, error: BaseException | str) -> None:
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        reason = reason[:200]
        incident = self._open.get(component)
        if incident is not None:
            incident.failures += 1
            return
        self._open[component] = _Incident(time.monotonic(), reason)
        STORE_INCIDENTS.labels(component).inc()
        log.warning("store_unavailable", component=component, error=reason,
                    degraded=True)

    def ok(self, component: str) -> None:
        incident = self._open.pop(component, None)
        if incident is not None:
            log.info("store_recovered", component=component,
                     down_seconds=round(time.monotonic() - incident.since, 3),
                     failed_calls=incident.failures)

    def snapshot(self) -> dict[str, dict[str, object]]:
        now = time.monotonic()
        return {name: {"since_seconds": round(now - i.since, 3), "error": i.error,
                       "failed_calls": i.failures} for name, i in self._open.items()}
