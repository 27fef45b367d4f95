"""A small circuit breaker: after ``threshold`` consecutive failed calls the endpoint is not
called for ``cooldown_s`` seconds; then one trial call decides (half-open).

Hand-written on purpose: it is twenty lines of state, and the maintained libraries
(``pybreaker``, ``aiobreaker``) are either sync/tornado-based or unmaintained since 2021.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, threshold: int = 5, cooldown_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self.cooldown_s else "open"

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open state: one trial at a time)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial:
            self._trial = True
            return True
        return False

    def success(self) -> None:
        self._failures, self._opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        self._failures += 1
        self._trial = False
        if self._failures >= self.threshold or self._opened_at is not None:
            self._opened_at = self._clock()
