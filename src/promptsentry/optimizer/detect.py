"""Context detection: which precision lock a prompt belongs to, with calibrated confidence.

Two multinomial logistic regressions, fused in logit space:

* a lexical one over :mod:`promptsentry.optimizer.features` (hashed word and byte n-grams plus
  the named signals: code fences, stack traces, file paths, SQL, dataframe words, image-style
  and camera/lighting vocabulary, citation requests, narrative words);
* a semantic one over the bundled sentence encoder's embedding of the prompt's head
  (:func:`~promptsentry.optimizer.features.embedding_input`, first 384 characters) plus the
  same signals.

Since issue 21 the semantic half also reads, per lock, the highest cosine of the embedding to
that lock's *label-description prototypes* (sentences written from the labelling guide,
``training/context/label_prototypes.py``; their embeddings ship in the artifact), so a register
no training source covered can still land near its description.

``logits = lexical + alpha * semantic``; ``alpha`` and a softmax temperature are fitted on a
held-out calibration split, so ``confidence`` ≈ the chance the top lock is right. The
*abstain band* answers ``general`` only when its probability reaches ``general_floor`` (fitted
on calibration; otherwise the most probable specific lock answers and ``general`` is the
runner-up): ``general`` is for what fits nowhere else, not the answer for "unsure". Both are
trained by ``python -m promptsentry.training.context.train_context`` and shipped in
``optimizer/artifacts/context_model.npz``; an artifact without the semantic half (or
``alpha == 0``) never loads the encoder.

The encoder is most of the cost of a detection (≈ 5 ms of ≈ 8 ms for a 2 KB prompt), so the
semantic half only runs when the lexical half alone is less than :data:`LEXICAL_SETTLE` sure
(its own softmax at the fitted temperature): on the 1,915 labelled rows of
``data/optimizer/contexts.jsonl`` outside the training split that settled 45 % of the dev
prompts and changed no decision (docs/BENCHMARKS.md, *Rules-engine latency*). Nor does it run
on a prompt the English encoder cannot read (less than ``encoder_min_latin`` of its letters
Latin: Chinese, Japanese, Russian…), which the lexical half scores alone, in training too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from promptsentry.optimizer.contexts import LOCK_DEFAULT_AI_CONTEXT, Lock, refine_ai_context
from promptsentry.optimizer.features import (
    EMBED_CHARS,
    HASH_DIM,
    SIGNALS,
    embedding_input,
    encoder_can_read,
    featurize,
)

__all__ = ["ARTIFACT", "LEXICAL_SETTLE", "PROTOTYPE_SCALE", "ContextDetection", "ContextDetector", "Embedder",
           "default_detector"]

ARTIFACT = Path(__file__).parent / "artifacts" / "context_model.npz"
#: The lexical half's confidence at which a detection skips the semantic half (1.0: never).
LEXICAL_SETTLE = 0.9
#: Scale of the label-prototype cosines in the semantic half's input (they sit next to
#: unit-length embedding components, so a larger scale lets the head lean on them with the
#: same regularisation).
PROTOTYPE_SCALE = 10.0

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
    #: The sentence encoder's vector of the prompt head (``embedding_input``) when the
    #: semantic half ran, else ``None``; reused as the saved template's search vector.
    embedding: np.ndarray | None = field(default=None, repr=False, compare=False)

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


class Embedder(Protocol):
    """Anything with the sentence encoder's ``embed`` (texts → unit-length rows)."""

    def embed(self, texts: list[str]) -> np.ndarray: ...


class ContextDetector:
    """Scores a prompt against the six locks with the fused lexical + semantic linear model.

    ``embed_weights`` (``[dim + len(SIGNALS), n_labels]``), ``embed_bias`` and ``alpha`` are the
    semantic half; leave them out for a lexical-only detector. ``encoder`` defaults to the
    bundled sentence encoder, loaded on first use.
    """

    def __init__(self, weights: np.ndarray, signal_weights: np.ndarray, bias: np.ndarray,
                 labels: list[str], temperature: float = 1.0,
                 metadata: dict | None = None, *, embed_weights: np.ndarray | None = None,
                 embed_bias: np.ndarray | None = None, alpha: float = 0.0,
                 embed_chars: int = EMBED_CHARS, encoder: Embedder | None = None,
                 lexical_settle: float = LEXICAL_SETTLE,
                 prototypes: np.ndarray | None = None,
                 prototype_labels: np.ndarray | None = None,
                 prototype_scale: float = PROTOTYPE_SCALE,
                 general_floor: float = 0.0, encoder_min_latin: float = 0.0) -> None:
        if weights.shape != (HASH_DIM, len(labels)):
            raise ValueError(f"weights shape {weights.shape} does not match "
                             f"({HASH_DIM}, {len(labels)})")
        if signal_weights.shape != (len(SIGNALS), len(labels)):
            raise ValueError("signal weights do not match the signal set of this version")
        extra = 0 if prototypes is None else len(labels)
        if embed_weights is not None and (embed_weights.ndim != 2
                                          or embed_weights.shape[1] != len(labels)
                                          or embed_weights.shape[0] <= len(SIGNALS) + extra):
            raise ValueError(f"embed weights shape {embed_weights.shape} does not match "
                             f"(dim + {len(SIGNALS)} + {extra}, {len(labels)})")
        if prototypes is not None and (prototype_labels is None
                                       or len(prototype_labels) != len(prototypes)):
            raise ValueError("every prototype needs the index of its label")
        if (prototypes is not None and embed_weights is not None
                and embed_weights.shape[0] != prototypes.shape[1] + len(SIGNALS) + extra):
            raise ValueError(f"embed weights shape {embed_weights.shape} does not match the "
                             f"prototypes' dimension {prototypes.shape[1]}")
        self._w = weights.astype(np.float32)
        self._s = signal_weights.astype(np.float32)
        self._b = bias.astype(np.float32)
        self._ew = None if embed_weights is None else embed_weights.astype(np.float32)
        self._eb = (np.zeros(len(labels), np.float32) if embed_bias is None
                    else embed_bias.astype(np.float32))
        self.alpha = float(alpha) if embed_weights is not None else 0.0
        self.embed_chars = int(embed_chars)
        self.lexical_settle = float(lexical_settle)
        self._encoder = encoder
        self.labels = [Lock(lab) for lab in labels]
        self._protos = None if prototypes is None else prototypes.astype(np.float32)
        self._proto_labels = (None if prototype_labels is None
                              else np.asarray(prototype_labels, dtype=np.int64))
        self.prototype_scale = float(prototype_scale)
        self.general_floor = float(general_floor)
        #: the encoder gate: a prompt whose letters are less than this share Latin is scored
        #: by the lexical half alone (the English encoder reads Chinese, Japanese or Russian as
        #: a few known characters, and its vote there pulled toward ``image_video``); 0 is off
        self.encoder_min_latin = float(encoder_min_latin)
        self._general = self.labels.index(Lock.GENERAL) if Lock.GENERAL in self.labels else -1
        self.temperature = float(temperature)
        self.metadata = metadata or {}

    @classmethod
    def load(cls, path: str | Path = ARTIFACT, *, encoder: Embedder | None = None
             ) -> ContextDetector:
        """Load a trained artifact (``.npz`` written by the training script)."""
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["metadata"]))
            semantic = "embed_weights" in z.files
            protos = "prototypes" in z.files
            return cls(z["weights"], z["signal_weights"], z["bias"], meta["labels"],
                       float(z["temperature"]), meta,
                       embed_weights=z["embed_weights"] if semantic else None,
                       embed_bias=z["embed_bias"] if semantic else None,
                       alpha=float(z["alpha"]) if semantic else 0.0,
                       embed_chars=int(meta.get("embed_chars", EMBED_CHARS)),
                       encoder=encoder,
                       lexical_settle=float(meta.get("lexical_settle", LEXICAL_SETTLE)),
                       prototypes=z["prototypes"] if protos else None,
                       prototype_labels=z["prototype_labels"] if protos else None,
                       prototype_scale=float(meta.get("prototype_scale", PROTOTYPE_SCALE)),
                       general_floor=float(meta.get("general_floor", 0.0)),
                       encoder_min_latin=float(meta.get("encoder_min_latin", 0.0)))

    @property
    def encoder(self) -> Embedder | None:
        """The sentence encoder once loaded (or injected), else ``None``."""
        return self._encoder

    @property
    def uses_encoder(self) -> bool:
        """Whether :meth:`detect` may run the sentence encoder (not for prompts the lexical
        half settles, see :data:`LEXICAL_SETTLE`)."""
        return self._ew is not None and self.alpha != 0.0

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._encoder is None:
            from promptsentry.encoders import sentence_encoder

            self._encoder = sentence_encoder()
        return self._encoder.embed([embedding_input(t, self.embed_chars) for t in texts])

    def lexical_logits(self, text: str) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """The lexical half's logits, the signal vector and the raw signal counts."""
        fv = featurize(text)
        z = fv.values @ self._w[fv.indices] + fv.signals @ self._s + self._b
        return z, fv.signals, fv.signal_counts

    def prototype_similarities(self, embedding: np.ndarray) -> np.ndarray:
        """Per label, the highest cosine of ``embedding`` to that label's description
        prototypes, times :attr:`prototype_scale` (empty without prototypes)."""
        if self._protos is None:
            return np.zeros(0, np.float32)
        cos = self._protos @ embedding
        out = np.full(len(self.labels), -1.0, np.float32)
        np.maximum.at(out, self._proto_labels, cos)
        return out * self.prototype_scale

    def semantic_features(self, embedding: np.ndarray, signals: np.ndarray) -> np.ndarray:
        """The semantic half's input: embedding, signals, prototype similarities."""
        return np.concatenate([embedding, signals, self.prototype_similarities(embedding)])

    def semantic_logits(self, embedding: np.ndarray, signals: np.ndarray) -> np.ndarray:
        """The semantic half's logits for one embedding and signal vector."""
        if self._ew is None:
            raise ValueError("this detector has no semantic half")
        return self.semantic_features(embedding, signals) @ self._ew + self._eb

    def encoder_reads(self, text: str) -> bool:
        """Whether the semantic half may score ``text`` (:attr:`encoder_min_latin`), read on
        the head the encoder embeds (:func:`embedding_input`), not the whole prompt."""
        return encoder_can_read(text, self.embed_chars, self.encoder_min_latin)

    def _fused(self, text: str) -> tuple[np.ndarray, dict[str, int], np.ndarray | None]:
        z, signals, counts = self.lexical_logits(text)
        embedding = None
        if (self.uses_encoder and self._softmax(z).max() < self.lexical_settle
                and self.encoder_reads(text)):
            embedding = self._embed([text])[0]
            z = z + self.alpha * self.semantic_logits(embedding, signals)
        return z, counts, embedding

    def logits(self, text: str) -> tuple[np.ndarray, dict[str, int]]:
        """Fused, uncalibrated logits (lexical + ``alpha`` × semantic) and the signal counts."""
        z, counts, _ = self._fused(text)
        return z, counts

    def _softmax(self, z: np.ndarray) -> np.ndarray:
        z = z / self.temperature
        p = np.exp(z - z.max())
        return p / p.sum()

    def detect(self, text: str) -> ContextDetection:
        """The lock of ``text`` with calibrated probabilities (and the head embedding when the
        semantic half ran)."""
        z, signals, embedding = self._fused(text)
        p = self._softmax(z)
        order = np.argsort(-p)
        if (self._general >= 0 and int(order[0]) == self._general
                and p[self._general] < self.general_floor):
            # the abstain band: not sure enough that the prompt is general, so the most
            # probable specific lock answers and general is the runner-up
            order = np.concatenate([order[1:2], order[:1], order[2:]])
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
            embedding=embedding,
        )


@lru_cache(maxsize=1)
def default_detector() -> ContextDetector:
    """The detector shipped inside the package, loaded once per process."""
    return ContextDetector.load(ARTIFACT)
