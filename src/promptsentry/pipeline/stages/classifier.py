"""The local classifier stage: the shipped detection model scores the text.

It scores the normalised text and every decoded payload the normaliser surfaced, and keeps
the highest probability (an attack hidden in a base64 blob is still an attack). Long texts
are windowed inside the detector, which reports the span of the riskiest window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from promptsentry.pipeline.base import FailureMode, ScanState, StageResult, TextView

# Views that are alternative readings of the whole text rather than new content: the
# classifier scores "normalized" (or "original" without a normaliser) and decoded payloads.
_SKIPPED_ORIGINS = frozenset({"original", "deleet"})
_INLINE_LIMIT_CHARS = 4096
"""Texts up to this size are scored on the event loop; longer ones in a worker thread."""


class ClassifierStage:
    """Runs a detector (``score(text) -> Detection``) over the text's views."""

    name = "classifier"

    def __init__(self, detector_factory: Callable[[], object], *, failure_mode: FailureMode =
                 FailureMode.CLOSED) -> None:
        self._factory = detector_factory
        self._detector: object | None = None
        self.failure_mode = failure_mode

    @property
    def detector(self):
        if self._detector is None:
            self._detector = self._factory()
        return self._detector

    def _views(self, state: ScanState) -> list[TextView]:
        views = [v for v in state.views if v.origin not in _SKIPPED_ORIGINS]
        if not any(v.origin == "normalized" for v in views):
            views.insert(0, state.views[0])
        return views

    async def run(self, state: ScanState) -> StageResult:
        detector = self.detector
        best = None
        best_view: TextView | None = None
        for view in self._views(state):
            if len(view.text) > _INLINE_LIMIT_CHARS:
                detection = await asyncio.to_thread(detector.score, view.text)
            else:
                detection = detector.score(view.text)
            if best is None or detection.probability > best.probability:
                best, best_view = detection, view
        assert best is not None and best_view is not None
        span = best.span
        if best_view.span is not None:
            # A decoded payload: report where the payload sits in the original text.
            span = best_view.span
        return StageResult(
            name=self.name,
            score=float(best.probability),
            details={
                "model": f"{detector.name}@{detector.version}",
                "view": best_view.origin,
                "span": list(span) if span else None,
                "cascade_stage": best.stage,
                "windows": best.windows,
            },
        )
