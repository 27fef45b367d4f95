"""ONNX transformer stages: a sentence encoder and a fine-tuned sequence classifier.

CPU only, onnxruntime + tokenizers + numpy. The session is created once per object;
``onnxruntime.InferenceSession.run`` is thread-safe, and the tokenizer is used through
``encode_batch`` with a private truncation setting, so one object may serve concurrent callers.

* :class:`Encoder` — a graph with output ``last_hidden_state`` (``all-MiniLM-L6-v2``), mean
  pooled to unit-length 384-d vectors.
* :class:`SequenceClassifier` — a graph with output ``logits`` ``[batch]`` (the detector's
  fine-tuned stage, pooling and head inside the graph).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from promptsentry.detector.int8 import session_source

__all__ = ["Encoder", "SequenceClassifier", "WordVocabulary"]

_WORD = re.compile(r"[^\W\d_]+")  # a run of letters


class WordVocabulary:
    """The whole-word entries of a word-piece tokenizer's vocabulary, and the share of a text's
    words that are among them (after the tokenizer's normaliser: lower case, accents stripped
    for an uncased model); 1.0 for a text without words.

    An English sentence scores 0.8–1.0; a German, Spanish or Polish one 0.0–0.5 — the model
    reads it as fragments ("regeln" → "reg ##eln"). The detector's window option
    ``encoder_min_vocab`` reads this at run time, training (``TrainConfig.encoder_min_vocab``)
    the same way."""

    def __init__(self, tokenizer) -> None:  # type: ignore[no-untyped-def]
        self._words = frozenset(w for w in tokenizer.get_vocab() if not w.startswith("##"))
        self._norm = tokenizer.normalizer

    def share(self, text: str) -> float:
        words = _WORD.findall(text)
        if not words:
            return 1.0
        norm = self._norm
        hits = sum((norm.normalize_str(w) if norm is not None else w) in self._words
                   for w in words)
        return hits / len(words)


class _OnnxTextModel:
    def __init__(
        self,
        onnx_path: str | Path,
        tokenizer_path: str | Path,
        *,
        max_tokens: int = 256,
        intra_op_threads: int = 1,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(0, int(intra_op_threads))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # int8 graphs are loaded so that every CPU computes the same numbers (see ``int8``)
        self._session = ort.InferenceSession(
            session_source(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        tok = Tokenizer.from_file(str(tokenizer_path))
        tok.no_padding()
        tok.enable_truncation(max_length=max_tokens)
        self._tokenizer = tok
        self.max_tokens = max_tokens
        self._vocab: WordVocabulary | None = None  # built on first use

    def vocab_word_share(self, text: str) -> float:
        """:meth:`WordVocabulary.share` of ``text`` for this model's tokenizer."""
        if self._vocab is None:
            self._vocab = WordVocabulary(self._tokenizer)
        return self._vocab.share(text)

    def token_ids(self, texts: list[str]) -> list[tuple[int, ...]]:
        """The word-piece ids the model reads for each text (after truncation).

        Two texts with the same ids get the same output, so callers may use them as an exact
        cache key (an uncased tokenizer maps ``"Write"`` and ``"write"`` to one id).
        """
        return [tuple(e.ids) for e in self._tokenizer.encode_batch(texts)] if texts else []

    def _feeds(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Token ids and attention mask of ``texts`` as one right-padded batch."""
        return self._feeds_from_ids([e.ids for e in self._tokenizer.encode_batch(texts)])

    def _feeds_from_ids(self, rows: Sequence[Sequence[int]]) -> dict[str, np.ndarray]:
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for row, token_ids in enumerate(rows):
            n = len(token_ids)
            ids[row, :n] = token_ids
            mask[row, :n] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return feeds


class Encoder(_OnnxTextModel):
    """Embeds texts as unit-length 384-d mean-pooled MiniLM vectors."""

    def embed(self, texts: list[str]) -> np.ndarray:
        """``[len(texts), 384]`` float32 embeddings, one run per call (padded batch)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return self._pooled(self._feeds(texts))

    def embed_ids(self, rows: Sequence[Sequence[int]]) -> np.ndarray:
        """:meth:`embed` of texts already tokenised by :meth:`token_ids` (same vectors; saves
        tokenising a text twice when the ids were computed as a cache key)."""
        if not rows:
            return np.zeros((0, 384), dtype=np.float32)
        return self._pooled(self._feeds_from_ids(rows))

    def _pooled(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        m = feeds["attention_mask"][:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


class SequenceClassifier(_OnnxTextModel):
    """Scores texts with a fine-tuned classifier graph (one raw logit per text)."""

    def logits(self, texts: list[str]) -> np.ndarray:
        """``[len(texts)]`` float64 logits, one run per call (padded batch)."""
        if not texts:
            return np.zeros(0, dtype=np.float64)
        (z,) = self._session.run(["logits"], self._feeds(texts))
        return np.asarray(z, dtype=np.float64).reshape(-1)
