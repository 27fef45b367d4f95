"""Plain-text progress for long training steps (logs and CI, where a live bar shows nothing).

``decile_progress(emit)`` returns the ``(step, advance, total)`` callback the training code
takes (:data:`promptsentry.training.pipeline.Progress`); it calls ``emit(line)`` once each
time a step crosses another 10 % of its total.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["decile_progress"]


def decile_progress(
    emit: Callable[[str], None], prefix: str = ""
) -> Callable[[str, int, int], None]:
    state: dict[str, tuple[int, int]] = {}
    started = time.monotonic()

    def update(step: str, advance: int, total: int) -> None:
        done, last = state.get(step, (0, -1))
        done += advance
        decile = 10 * done // max(total, 1)
        if decile != last:
            emit(f"{prefix}[{time.monotonic() - started:7.0f}s] {step}: {done}/{total}")
        state[step] = (done, decile)

    return update
