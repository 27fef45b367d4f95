"""Context detection: which precision lock a prompt belongs to, with calibrated confidence.

The model is a multinomial logistic regression over :mod:`promptsentry.optimizer.features`
(hashed n-grams + named signals), trained by
``python -m promptsentry.optimizer.training.train_context`` and shipped as
``optimizer/artifacts/context_model.npz``. Probabilities are temperature-scaled on a held-out
calibration split, so ``confidence`` ≈ the chance the top lock is right.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from promptsentry.optimizer.contexts import LOCK_DEFAULT_AI_CONTEXT, Lock, refine_ai_context
from promptsentry.optimizer.features import HASH_DIM, SIGNALS, featurize

__all__ = ["ARTIFACT", "ContextDetection", "ContextDetector", "default_detector"]

ARTIFACT = Path(__file__).parent / "artifacts" / "context_model.npz"

# Signals surfaced as `detected_parameters` (name → human label).
_PARAMETER_NAMES = {
    "code_fence": "code_blocks", "stack_trace": "stack_traces", "file_path": "file_paths",
    "code_syntax": "code_syntax", "sql": "sql", "dataframe": "data_terms",
    "image_style": "image_style_terms", "camera_lighting": "camera_lighting_terms",
    "citation": "citation_requests", "narrative": "narrative_terms",
}


@dataclass(frozen=True, slots=True)
class ContextDetection:
    """The detected lock, its calibrated confidence and the runner-up."""

    category: Lock
    confidence: float
    runner_up: Lock
    runner_up_confidence: float
    ai_context: str
    probabilities: dict[str, float]
    signals: dict[str, int] = field(default_factory=dict)

    def context_object(self) -> dict[str, object]:
        """Our ``context`` object: ``{category, confidence, runner_up}``."""
        return {
            "category": self.category.value,
            "confidence": round(self.confidence, 4),
            "runner_up": {"category": self.runner_up.value,
                          "confidence": round(self.runner_up_confidence, 4)},
        }

    def secondary_contexts(self, floor: float = 0.10) -> list[str]:
        """Reference ``ai_context`` names of other locks with probability ≥ ``floor``."""
        ranked = sorted(self.probabilities.items(), key=lambda kv: -kv[1])
        return [LOCK_DEFAULT_AI_CONTEXT[Lock(k)] for k, p in ranked[1:] if p >= floor]

    def detected_parameters(self) -> dict[str, int]:
        """Signals present in the prompt, by readable name."""
        return {_PARAMETER_NAMES[k]: v for k, v in self.signals.items()
                if v and k in _PARAMETER_NAMES}


class ContextDetector:
    """Scores a prompt against the six locks with a trained linear model."""

    def __init__(self, weights: np.ndarray, signal_weights: np.ndarray, bias: np.ndarray,
                 labels: list[str], temperature: float = 1.0,
                 metadata: dict | None = None) -> None:
        if weights.shape != (HASH_DIM, len(labels)):
            raise ValueError(f"weights shape {weights.shape} does not match "
                             f"({HASH_DIM}, {len(labels)})")
        if signal_weights.shape != (len(SIGNALS), len(labels)):
            raise ValueError("signal weights do not match the signal set of this version")
        self._w = weights.astype(np.float32)
        self._s = signal_weights.astype(np.float32)
        self._b = bias.astype(np.float32)
        self.labels = [Lock(lab) for lab in labels]
        self.temperature = float(temperature)
        self.metadata = metadata or {}

    @classmethod
    def load(cls, path: str | Path = ARTIFACT) -> ContextDetector:
        """Load a trained artifact (``.npz`` written by the training script)."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["metadata"]))
            return cls(z["weights"], z["signal_weights"], z["bias"], meta["labels"],
                       float(z["temperature"]), meta)

    def logits(self, text: str) -> tuple[np.ndarray, dict[str, int]]:
        fv = featurize(text)
        z = fv.values @ self._w[fv.indices] + fv.signals @ self._s + self._b
        return z, fv.signal_counts

    def detect(self, text: str) -> ContextDetection:
        """The lock of ``text`` with calibrated probabilities."""
        z, signals = self.logits(text)
        z = z / self.temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        order = np.argsort(-p)
        top, second = int(order[0]), int(order[1])
        lock = self.labels[top]
        return ContextDetection(
            category=lock,
            confidence=float(p[top]),
            runner_up=self.labels[second],
            runner_up_confidence=float(p[second]),
            ai_context=refine_ai_context(lock, text),
            probabilities={lab.value: float(pi) for lab, pi in zip(self.labels, p)},
            signals=signals,
        )


@lru_cache(maxsize=1)
def default_detector() -> ContextDetector:
    """The detector shipped inside the package, loaded once per process."""
    return ContextDetector.load(ARTIFACT)
