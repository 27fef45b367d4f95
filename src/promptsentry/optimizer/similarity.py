"""Similarity of a rewrite to its original, 0–1.

The service's bundled sentence encoder (:class:`promptsentry.detector.encoder.Encoder`) is
used when one is passed in (cosine of the mean-pooled embeddings). Without it the measure is a
deterministic lexical-semantic cosine: content words (stop words removed, light stemming)
weighted 2:1 against byte 4-grams, which tracks meaning-preserving edits such as filler
removal or reordering well and punishes dropped content.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Protocol

import numpy as np

from promptsentry.optimizer.features import byte_4gram_codes

__all__ = ["Embedder", "lexical_similarity", "similarity"]

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "then", "so", "to", "of", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "i", "you", "he", "she", "we", "they", "me", "my", "your", "our", "their", "please", "kindly", "just", "really", "very", "would", "could", "can", "will", "shall", "may", "might", "do", "does", "did", "have", "has", "had", "also", "some", "any", "there", "here", "what", "which", "who", "whom", "whose", "how", "when", "where", "why"])


class Embedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


def _stem(w: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(w) > len(suffix) + 3 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def _cos(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 1.0 if not a and not b else 0.0
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb)


def _gram_cos(a: str, b: str) -> float:
    ga, na = np.unique(byte_4gram_codes(a), return_counts=True)
    gb, nb = np.unique(byte_4gram_codes(b), return_counts=True)
    if ga.size == 0 or gb.size == 0:
        return 1.0 if ga.size == gb.size else 0.0
    _, ia, ib = np.intersect1d(ga, gb, assume_unique=True, return_indices=True)
    dot = float(np.dot(na[ia].astype(np.float64), nb[ib].astype(np.float64)))
    return dot / (float(np.linalg.norm(na.astype(np.float64)))
                  * float(np.linalg.norm(nb.astype(np.float64))))


def lexical_similarity(a: str, b: str) -> float:
    """Deterministic content-word + byte-4-gram cosine of ``a`` and ``b``."""
    wa = Counter(_stem(w) for w in _WORD.findall(a.lower()) if w not in _STOP)
    wb = Counter(_stem(w) for w in _WORD.findall(b.lower()) if w not in _STOP)
    sa = " ".join(_WORD.findall(a.lower()))
    sb = " ".join(_WORD.findall(b.lower()))
    return round((2 * _cos(wa, wb) + _gram_cos(sa, sb)) / 3, 4)


def similarity(a: str, b: str, embedder: Embedder | None = None) -> float:
    """Similarity of ``a`` and ``b``: encoder cosine when ``embedder`` is given, else lexical."""
    if a == b:
        return 1.0
    if embedder is not None:
        emb = embedder.embed([a, b])
        return round(float(np.clip(emb[0] @ emb[1], 0.0, 1.0)), 4)
    return lexical_similarity(a, b)
