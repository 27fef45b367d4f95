"""Similarity of a rewrite to its original, 0–1.

By default the measure is semantic: the bundled sentence encoder
(:func:`promptsentry.encoders.sentence_encoder`, MiniLM, unit-length mean-pooled vectors).
The encoder reads at most 256 word pieces, so a text is embedded *unit by unit* — its lines,
and the sentences of long lines (a fenced code block is one unit) — and the text's vector is
the length-weighted mean of its unit vectors, renormalised; the similarity is the cosine of
the two text vectors (:func:`whole_text_similarity`). Units are embedded one per encoder call,
so a unit's vector depends on its own text only (the int8 model quantises activations per
batch) and can be cached, and the result never depends on what ran before.

:func:`similarity` embeds only what changed (:func:`aligned_similarity`): the two unit lists
are aligned (:class:`difflib.SequenceMatcher`) on what the encoder reads of them
(:func:`unit_keys`: word-piece ids, so a re-cased line is unchanged to an uncased model);
units common to both texts — unchanged, moved or repeated — score 1 and are never embedded;
each changed region scores the encoder cosine of its two sides (a pure deletion or
insertion is compared together with its neighbouring units, so dropping a pleasantry costs
little and dropping an instruction a lot), and the score is ``1 - Σ share·(1 - cosine)``
over the changed regions, where a region's share is its characters in both texts over all
characters. When more than half of the characters changed (a wholesale restructure) it is
:func:`whole_text_similarity` instead.

:func:`unit_similarities` exposes the per-unit cosines, which is what the ``conciseness``
goal uses to check each rewritten sentence on its own.

When the encoder cannot be loaded (a stripped install) the measure falls back to a
deterministic lexical-semantic cosine, :func:`lexical_similarity`: content words (stop words
removed, light stemming) weighted 2:1 against byte 4-grams.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Hashable, Sequence
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Protocol

import numpy as np

from promptsentry.optimizer.features import byte_4gram_codes

__all__ = [
    "Embedder",
    "aligned_similarity",
    "clear_cache",
    "default_embedder",
    "embed_units",
    "lexical_similarity",
    "similarity",
    "split_units",
    "text_vector",
    "unit_keys",
    "unit_similarities",
    "whole_text_similarity",
]

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "then", "so", "to", "of", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "i", "you", "he", "she", "we", "they", "me", "my", "your", "our", "their", "please", "kindly", "just", "really", "very", "would", "could", "can", "will", "shall", "may", "might", "do", "does", "did", "have", "has", "had", "also", "some", "any", "there", "here", "what", "which", "who", "whom", "whose", "how", "when", "where", "why"])


class Embedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


# --------------------------------------------------------------------------- encoder

@lru_cache(maxsize=1)
def default_embedder() -> Embedder | None:
    """The bundled sentence encoder, or ``None`` when it cannot be loaded (never raises)."""
    try:
        from promptsentry.encoders import sentence_encoder

        return sentence_encoder()
    except Exception:  # noqa: BLE001 - missing artifact or runtime: fall back to lexical
        return None


_FENCE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.DOTALL)
_SENTENCE_CUT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(*`\[])")
_LONG_LINE = 400  # characters; longer lines are cut into sentences


def split_units(text: str) -> list[str]:
    """The embedding units of ``text``: fenced code blocks whole, other lines, and the
    sentences of lines longer than 400 characters; blank pieces are dropped."""
    units: list[str] = []
    pos = 0
    for m in [*_FENCE.finditer(text), None]:
        chunk = text[pos:m.start()] if m else text[pos:]
        for line in chunk.split("\n"):
            parts = _SENTENCE_CUT.split(line) if len(line) > _LONG_LINE else [line]
            units.extend(p.strip() for p in parts if p.strip())
        if m:
            units.append(m.group())
            pos = m.end()
    return units


_CACHE_SIZE = 8192
_cache: OrderedDict[tuple[int, Hashable], np.ndarray] = OrderedDict()  # unit key → vector
_keys: OrderedDict[tuple[int, str], Hashable] = OrderedDict()  # unit text → unit key
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget cached unit vectors and keys (benchmarks call this to time cold requests)."""
    with _cache_lock:
        _cache.clear()
        _keys.clear()


def _recall(store: OrderedDict, key: tuple) -> object | None:
    with _cache_lock:
        value = store.get(key)
        if value is not None:
            store.move_to_end(key)
        return value


def _remember(store: OrderedDict, key: tuple, value: object) -> None:
    with _cache_lock:
        store[key] = value
        while len(store) > _CACHE_SIZE:
            store.popitem(last=False)


def unit_keys(units: Sequence[str], embedder: Embedder) -> list[Hashable]:
    """What the encoder reads of each unit: its word-piece ids when ``embedder`` exposes
    ``token_ids`` (so ``"Write it."`` and ``"write it."`` are one unit to an uncased model and
    share a vector exactly), else the text itself. Keys are cached like the vectors."""
    ids = getattr(embedder, "token_ids", None)
    if ids is None or not units:
        return list(units)
    base = id(embedder)
    known = {u: _recall(_keys, (base, u)) for u in set(units)}
    todo = sorted(u for u, k in known.items() if k is None)
    for unit, key in zip(todo, ids(todo) if todo else [], strict=True):
        known[unit] = key
        _remember(_keys, (base, unit), key)
    return [known[u] for u in units]


def embed_units(units: Sequence[str], embedder: Embedder,
                keys: Sequence[Hashable] | None = None) -> np.ndarray:
    """``[len(units), d]`` unit-length vectors, one encoder call per unit, cached by
    :func:`unit_keys` (pass ``keys`` when already computed)."""
    out: list[np.ndarray] = []
    base = id(embedder)
    by_ids = getattr(embedder, "embed_ids", None)
    for unit, unit_key in zip(units, unit_keys(units, embedder) if keys is None else keys,
                              strict=True):
        vec = _recall(_cache, (base, unit_key))
        if vec is None:
            # a token-id key is exactly what the encoder reads: embed it without re-tokenising
            one = by_ids([unit_key]) if by_ids is not None and isinstance(unit_key, tuple) \
                else embedder.embed([unit])
            vec = np.asarray(one[0], dtype=np.float32)
            _remember(_cache, (base, unit_key), vec)
        out.append(vec)
    if not out:
        return np.zeros((0, 1), dtype=np.float32)
    return np.stack(out)


def text_vector(text: str, embedder: Embedder) -> np.ndarray | None:
    """Length-weighted mean of the unit vectors of ``text``, unit length (``None``: empty)."""
    units = split_units(text)
    if not units:
        return None
    vecs = embed_units(units, embedder).astype(np.float64)
    weights = np.array([len(u) for u in units], dtype=np.float64)
    mean = (vecs * weights[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def unit_similarities(pairs: Sequence[tuple[str, str]], embedder: Embedder) -> list[float]:
    """Encoder cosine of each ``(original, rewrite)`` pair (1.0 when the encoder reads both
    the same, see :func:`unit_keys`)."""
    distinct = sorted({t for pair in pairs if pair[0] != pair[1] for t in pair})
    keys = dict(zip(distinct, unit_keys(distinct, embedder), strict=True))
    same = [a == b or keys[a] == keys[b] for a, b in pairs]
    todo = sorted({t for pair, s in zip(pairs, same, strict=True) if not s for t in pair})
    vecs = dict(zip(todo, embed_units(todo, embedder, [keys[t] for t in todo]), strict=True)) \
        if todo else {}
    return [1.0 if s else float(np.clip(vecs[a] @ vecs[b], 0.0, 1.0))
            for (a, b), s in zip(pairs, same, strict=True)]


# --------------------------------------------------------------------------- lexical

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


# --------------------------------------------------------------------------- public

#: Above this share of changed characters :func:`aligned_similarity` is the whole-text cosine.
RESTRUCTURE_SHARE = 0.5


def whole_text_similarity(a: str, b: str, embedder: Embedder) -> float:
    """Cosine of the two text vectors (:func:`text_vector`), clipped to 0–1, unrounded."""
    va, vb = text_vector(a, embedder), text_vector(b, embedder)
    if va is None or vb is None:
        return 1.0 if va is None and vb is None else 0.0
    return float(np.clip(va @ vb, 0.0, 1.0))


def _mean_cosine(xs: Sequence[str], ys: Sequence[str], embedder: Embedder) -> float:
    """Cosine of the length-weighted mean unit vectors of ``xs`` and ``ys`` (0 if one is empty)."""
    if not xs or not ys:
        return 0.0
    means = []
    for units in (xs, ys):
        vecs = embed_units(units, embedder).astype(np.float64)
        means.append((vecs * np.array([len(u) for u in units], dtype=np.float64)[:, None]
                      ).sum(axis=0))
    norm = float(np.linalg.norm(means[0]) * np.linalg.norm(means[1]))
    return float(np.clip(means[0] @ means[1] / norm, 0.0, 1.0)) if norm > 0 else 0.0


def _alignment_keys(ua: list[str], ub: list[str], embedder: Embedder
                    ) -> tuple[list[Hashable], list[Hashable]]:
    """Keys to align two unit lists on: a unit found verbatim in the other list is its own
    key; only the rest are tokenised (:func:`unit_keys`), so a re-cased unit still matches."""
    sa, sb = set(ua), set(ub)
    odd = sorted({u for u in ua if u not in sb} | {u for u in ub if u not in sa})
    keyed: dict[str, Hashable] = dict(zip(odd, unit_keys(odd, embedder), strict=True))
    return [keyed.get(u, u) for u in ua], [keyed.get(u, u) for u in ub]


def aligned_similarity(a: str, b: str, embedder: Embedder) -> float:
    """Encoder similarity of ``a`` and ``b`` that embeds only the changed units, unrounded.

    An unchanged text scores 1.0; a text with one changed line scores ``1 - share·(1 -
    cosine)`` of that line; a deleted or inserted block is compared with its neighbouring
    units included and weighted by its share. Past :data:`RESTRUCTURE_SHARE` changed
    characters it is :func:`whole_text_similarity`.
    """
    ua, ub = split_units(a), split_units(b)
    total = sum(map(len, ua)) + sum(map(len, ub))
    if total == 0:
        return 1.0
    ka, kb = _alignment_keys(ua, ub, embedder)
    in_a, in_b = set(ka), set(kb)
    regions: list[tuple[list[str], list[str], list[str]]] = []  # (a side, b side, context)
    changed = 0
    matcher = SequenceMatcher(None, ka, kb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        # a unit the other text still holds somewhere (moved, repeated, or only re-cased
        # for an uncased encoder) reads the same to the encoder: unchanged
        xs = [u for u, k in zip(ua[i1:i2], ka[i1:i2], strict=True) if k not in in_b]
        ys = [u for u, k in zip(ub[j1:j2], kb[j1:j2], strict=True) if k not in in_a]
        if not xs and not ys:
            continue
        changed += sum(map(len, xs)) + sum(map(len, ys))
        context = [*ua[max(i1 - 1, 0):i1], *ua[i2:i2 + 1]] if not xs or not ys else []
        regions.append((xs, ys, context))
    if changed > RESTRUCTURE_SHARE * total:
        return whole_text_similarity(a, b, embedder)
    loss = 0.0
    for xs, ys, context in regions:
        cos = _mean_cosine([*context, *xs], [*context, *ys], embedder) if context else \
            _mean_cosine(xs, ys, embedder)
        loss += (sum(map(len, xs)) + sum(map(len, ys))) * (1.0 - cos)
    return max(0.0, 1.0 - loss / total)


def similarity(a: str, b: str, embedder: Embedder | None = None) -> float:
    """Similarity of ``a`` and ``b``, rounded to 4 places.

    Encoder similarity (``embedder``, else the bundled encoder) of the changed units,
    :func:`aligned_similarity`; the lexical measure only when no encoder can be loaded.
    """
    if a == b:
        return 1.0
    enc = embedder if embedder is not None else default_embedder()
    if enc is None:
        return lexical_similarity(a, b)
    return round(aligned_similarity(a, b, enc), 4)
