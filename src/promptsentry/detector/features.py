"""Hashed character and word n-gram features — the cheap first stage's input.

Pure functions of the text, shared by training and inference so both see the same
features. Everything is numpy: a text becomes the sorted unique bucket indices of its hashed
n-grams and a log-scaled, L2-normalised value per bucket. No Python ``hash()`` (it is salted
per process), so buckets are stable across runs and machines.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["FeatureConfig", "batch_logits", "hashed_features", "normalize"]

# Latin look-alikes used to dodge keyword filters (Cyrillic/Greek homoglyphs, a few symbols).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ɡ": "g", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "€": "e", "@": "a", "$": "s",
    }
)
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_PRIME = np.uint64(0x100000001B3)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Which n-grams are hashed and into how many buckets (``2 ** bits``)."""

    bits: int = 19
    char_ngrams: tuple[int, ...] = (3, 4, 5)
    word_ngrams: tuple[int, ...] = (1, 2)

    @property
    def dim(self) -> int:
        return 1 << self.bits

    def to_dict(self) -> dict[str, object]:
        return {
            "bits": self.bits,
            "char_ngrams": list(self.char_ngrams),
            "word_ngrams": list(self.word_ngrams),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FeatureConfig:
        return cls(
            bits=int(data["bits"]),  # type: ignore[arg-type]
            char_ngrams=tuple(int(n) for n in data["char_ngrams"]),  # type: ignore[union-attr]
            word_ngrams=tuple(int(n) for n in data["word_ngrams"]),  # type: ignore[union-attr]
        )


def normalize(text: str) -> str:
    """NFKC, case-fold, map common homoglyphs to Latin, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_CONFUSABLES)
    return _SPACE.sub(" ", text).strip()


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (vectorised, wraps modulo 2**64)."""
    h = h ^ (h >> _S30)
    h = h * _M1
    h = h ^ (h >> _S27)
    h = h * _M2
    return h ^ (h >> _S31)


def _ngram_hashes(base: np.ndarray, orders: tuple[int, ...], seed: int, offset: int
                  ) -> list[np.ndarray]:
    """Mixed polynomial hashes of every n-gram of ``base`` for each order ``n``; the order
    is folded in as ``(n + offset) * seed`` so the orders (and char vs word grams) differ."""
    out = []
    for n in orders:
        m = base.size - n + 1
        if m <= 0:
            continue
        h = np.zeros(m, dtype=np.uint64)
        for k in range(n):
            h = h * _PRIME + base[k : k + m]
        out.append(_mix(h + np.uint64((n + offset) * seed % (1 << 64))))
    return out


def _char_hashes(norm: str, orders: tuple[int, ...]) -> list[np.ndarray]:
    cps = np.frombuffer((" " + norm + " ").encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    return _ngram_hashes(cps, orders, 0x9E3779B97F4A7C15, 0)


def _word_hashes(norm: str, orders: tuple[int, ...]) -> list[np.ndarray]:
    words = _WORD.findall(norm)
    if not words:
        return []
    base = np.fromiter(
        (zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words)
    )
    return _ngram_hashes(base, orders, 0xD1B54A32D192ED03, 101)


def hashed_features(text: str, config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, values)`` of ``text``'s sparse feature vector.

    ``indices`` are sorted unique buckets (int64), ``values`` are ``1 + log(count)``
    scaled to unit L2 norm (float32). An empty text gives two empty arrays.
    """
    norm = normalize(text)
    parts = _char_hashes(norm, config.char_ngrams) + _word_hashes(norm, config.word_ngrams)
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    buckets = (np.concatenate(parts) & np.uint64(config.dim - 1)).astype(np.int64)
    idx, counts = np.unique(buckets, return_counts=True)
    vals = (1.0 + np.log(counts)).astype(np.float32)
    vals /= np.float32(np.sqrt(np.dot(vals, vals)))
    return idx, vals


def _grouped_hashes(base: np.ndarray, owner: np.ndarray, orders: tuple[int, ...], seed: int,
                    offset: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`_ngram_hashes` over many texts' symbols laid end to end: ``owner[i]`` is the
    text of symbol ``i``; n-grams that straddle two texts are dropped, so every text gets
    exactly the hashes it would get alone. Returns ``(hashes, owners)`` per order."""
    hashes, owners = [], []
    for h in _ngram_hashes(base, orders, seed, offset):
        n = base.size - h.size + 1
        start = owner[: h.size]
        inside = start == owner[n - 1 :]
        hashes.append(h[inside])
        owners.append(start[inside])
    return hashes, owners


def batch_logits(texts: list[str], config: FeatureConfig, weights: np.ndarray,
                 bias: float) -> np.ndarray:
    """``w · hashed_features(t) + b`` for every text at once.

    The same features as :func:`hashed_features`, but the n-grams of all texts are hashed in
    one pass over their symbols laid end to end, and counted with one ``np.unique`` keyed by
    text and bucket: per-call numpy overhead, not arithmetic, dominates for the short units a
    long prompt is cut into.
    """
    out = np.full(len(texts), bias, dtype=np.float64)
    if not texts:
        return out
    norms = [normalize(t) for t in texts]
    ids = np.arange(len(texts), dtype=np.int64)
    padded = [f" {n} " for n in norms]
    cps = np.frombuffer("".join(padded).encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    char_owner = np.repeat(ids, [len(p) for p in padded])
    hashes, owners = _grouped_hashes(cps, char_owner, config.char_ngrams,
                                     0x9E3779B97F4A7C15, 0)
    words = [_WORD.findall(n) for n in norms]
    flat = [w for ws in words for w in ws]
    if flat:
        base = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in flat), dtype=np.uint64,
                           count=len(flat))
        word_owner = np.repeat(ids, [len(ws) for ws in words])
        wh, wo = _grouped_hashes(base, word_owner, config.word_ngrams, 0xD1B54A32D192ED03, 101)
        hashes += wh
        owners += wo
    if not hashes or sum(h.size for h in hashes) == 0:
        return out
    mask = np.uint64(config.dim - 1)
    keys = (np.concatenate(hashes) & mask).astype(np.int64) + (
        np.concatenate(owners) << config.bits)
    uniq, counts = np.unique(keys, return_counts=True)
    owner = uniq >> config.bits
    bucket = uniq & (config.dim - 1)
    vals = (1.0 + np.log(counts)).astype(np.float32)
    norms2 = np.sqrt(np.bincount(owner, weights=vals.astype(np.float64) ** 2,
                                 minlength=len(texts)))
    contrib = weights[bucket].astype(np.float64) * vals / norms2[owner]
    out += np.bincount(owner, weights=contrib, minlength=len(texts))
    return out
