"""The bundled general-purpose sentence encoder (``all-MiniLM-L6-v2``, int8 ONNX).

One place to get it, so the optimizer (similarity, context detection) does not reach into
the detector's artifacts: the detector is free to ship a fine-tuned encoder of its own.

    enc = sentence_encoder()           # loaded once per process, thread-safe
    vecs = enc.embed(["a", "b"])        # [2, 384] float32, unit length
"""

from __future__ import annotations

import threading
from pathlib import Path

from promptsentry.detector.encoder import Encoder

__all__ = ["SENTENCE_ENCODER_DIR", "sentence_encoder"]

SENTENCE_ENCODER_DIR = Path(__file__).resolve().parent / "minilm"

_LOCK = threading.Lock()
_ENCODER: Encoder | None = None


def sentence_encoder(*, max_tokens: int = 256) -> Encoder:
    """The process-wide generic sentence encoder (one onnxruntime thread per call)."""
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            _ENCODER = Encoder(
                SENTENCE_ENCODER_DIR / "encoder.int8.onnx",
                SENTENCE_ENCODER_DIR / "tokenizer.json",
                max_tokens=max_tokens,
                intra_op_threads=1,
            )
        return _ENCODER
