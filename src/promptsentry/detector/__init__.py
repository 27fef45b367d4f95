"""The local prompt-injection detector: a two-stage cascade over text windows — a hashed
n-gram logistic regression settles the clear cases, a fine-tuned MiniLM classifier the rest
(:mod:`promptsentry.detector.model`; features in :mod:`.features`, the ONNX runners in
:mod:`.encoder`, which load int8 graphs so that every CPU computes the same numbers:
:mod:`.int8`).

Usage::

    detector = load_detector()          # the artifacts shipped in the package
    result = detector.score(text)
    if result.probability >= detector.threshold:
        ...
"""

from promptsentry.detector.model import (
    ARTIFACTS_DIR,
    Detection,
    Detector,
    DetectorError,
    head_logits,
    load_detector,
    segment_spans,
    window_spans,
)

__all__ = ["ARTIFACTS_DIR", "Detection", "Detector", "DetectorError", "head_logits",
           "load_detector", "segment_spans", "window_spans"]
