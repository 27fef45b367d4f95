"""The local prompt-injection detector: a two-stage cascade over text windows.

Stage ``fast`` is a logistic regression over hashed character and word n-grams (pure numpy);
it scores every window of the text in well under a millisecond each and settles the clear
cases. Texts it cannot settle go to stage ``encoder``: a fine-tuned ``all-MiniLM-L6-v2``
classifier (6 layers since model 2.3, 3 in 2.0–2.2; int8 ONNX, logits out of the graph; 1.x
models: the frozen encoder plus a small head), stacked with the fast stage's logit. Both
stages end in a logistic calibration fitted on held-out data, so
:attr:`Detection.probability` is a probability of attack.

Texts longer than ``window.whole`` characters (512 since model 2.1, about the encoder's 128
tokens) are cut into sentence-sized units (see :func:`segment_spans`; over-long sentences into
overlapping character windows). The fast stage scores every unit;
the encoder only the ``encoder_windows`` most suspicious ones — since 2.3 the riskiest alone
first and the next only when they may still matter (see ``Detector._score_gated``) — so a
50 KB prompt costs one or two encoder runs, not hundreds. A text's probability is the
highest unit probability, corrected for the number of units (see ``Detector._aggregate``) —
an injection anywhere in a document makes the document an attack — and ``span`` points at
that unit.

Usage::

    detector = load_detector()          # the artifacts shipped in the package
    result = detector.score(text)
    if result.probability >= detector.threshold:
        ...

Runtime dependencies are numpy, onnxruntime and tokenizers only.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from promptsentry.detector.features import FeatureConfig, batch_logits
from promptsentry.text import latin_enough, latin_share

__all__ = ["ARTIFACTS_DIR", "Detection", "Detector", "DetectorError", "encoder_can_read",
           "latin_share", "load_detector"]

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
_SPEC_FILE = "model.json"


class DetectorError(RuntimeError):
    """Artifacts missing or malformed."""


@dataclass(frozen=True, slots=True)
class Detection:
    """The detector's answer for one text."""

    probability: float  # calibrated P(attack) in [0, 1]
    span: tuple[int, int] | None  # char span of the highest-scoring window; None when 1 window
    stage: str  # the cascade stage that settled it: "fast" or "encoder"
    windows: int  # how many windows were scored


def _sigmoid(z: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))


def window_spans(length: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Overlapping ``[start, end)`` character windows covering ``range(length)``.

    One window when the text fits; otherwise windows of ``size`` every ``stride`` chars, the
    last one aligned to the end so the tail is scored with full context.
    """
    if length <= size:
        return [(0, length)]
    starts = list(range(0, length - size, stride))
    starts.append(length - size)
    return [(s, s + size) for s in starts]


_BREAK = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=[.!?;][\"')\]}])\s*")


# A line this long that does not end a sentence, followed by a line that goes on in lower
# case (after any "> " quote marks), is one sentence wrapped at a fixed width.
_WRAP_MIN_LINE = 30
_SENTENCE_END = ".!?:;"
# ... and the next line starts with a lower-case word (not ``key:``, ``name_x =`` or code).
_GOES_ON = re.compile(r"\(?(?=[^\W\d_])[^\W\d_]+(?:['’-][^\W\d_]+)*(?=[\s,.;!?)]|$)(?!\s*[=:(\[])")


def _soft_wrap(text: str, newline: int) -> bool:
    """Whether the single line break at ``newline`` only wraps a sentence (e-mails, READMEs
    and plain-text documents are often hard-wrapped at 72–80 columns)."""
    after = text[newline + 1:newline + 81].lstrip(" \t>|")
    first = after[1:2] if after[:1] == "(" else after[:1]
    if not first.islower():  # also a blank line (a paragraph ends) or the end of the text
        return False
    start = text.rfind("\n", 0, newline) + 1
    if newline - start < _WRAP_MIN_LINE:
        return False
    before = text[start:newline].rstrip()
    if len(before) < _WRAP_MIN_LINE or before[-1] in _SENTENCE_END:
        return False
    return _GOES_ON.match(after) is not None


def segment_spans(
    text: str, size: int, stride: int, min_chars: int = 48, whole: int | None = None,
    *, join_wrapped: bool = False,
) -> list[tuple[int, int]]:
    """The units a text is scored in: the whole text, or sentence-sized pieces of it.

    A text of at most ``whole`` (default ``size``) characters is one unit. A longer one is cut
    at sentence ends
    and line breaks; pieces shorter than ``min_chars`` are merged with the next one, and a
    piece longer than ``size`` is covered by overlapping ``size``-character windows every
    ``stride`` characters. Scoring sentence-sized units keeps an injected instruction from
    being diluted by the benign document around it.

    With ``join_wrapped`` (model 3.4.1's window), a line break that only wraps a sentence
    (:func:`_soft_wrap`) is not a cut: a hard-wrapped e-mail is scored in sentences, not in
    line fragments such as "contact IT.  Create a very limited protocol that ONLY", which
    read like commands out of context.
    """
    n = len(text)
    if n <= (size if whole is None else max(whole, size)):
        return [(0, n)]
    cuts = [0]
    for m in _BREAK.finditer(text):
        if join_wrapped and m.group() == "\n" and _soft_wrap(text, m.start()):
            continue
        if m.end() > cuts[-1]:
            cuts.append(m.end())
    if cuts[-1] != n:
        cuts.append(n)
    units: list[tuple[int, int]] = []
    start = 0
    for end in cuts[1:]:
        if end - start < min_chars and end != n:
            continue
        units.append((start, end))
        start = end
    if start < n:  # a short tail joins the previous unit
        if units:
            units[-1] = (units[-1][0], n)
        else:
            units.append((start, n))
    out: list[tuple[int, int]] = []
    for s, e in units:
        if e - s <= size:
            out.append((s, e))
        else:
            out.extend((s + a, s + b) for a, b in window_spans(e - s, size, stride))
    return out


class Detector:
    """A loaded cascade. Thread-safe: ``score`` keeps no state between calls."""

    def __init__(
        self,
        model_dir: Path,
        spec: dict,
        *,
        intra_op_threads: int = 1,
        encoder: object | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.name: str = spec["name"]
        self.version: str = spec["version"]
        self.threshold: float = float(spec["threshold"])
        # Operating points for texts whose request says what they are (3.0: "document",
        # "tool_return", "system_prompt"); absent in older models.
        self.context_thresholds: dict[str, float] = {
            str(k): float(v) for k, v in spec.get("context_thresholds", {}).items()}
        win = spec["window"]
        self.window_chars = int(win["chars"])
        self.window_stride = int(win["stride"])
        self.whole_chars = int(win.get("whole", self.window_chars))
        self.encoder_windows = int(win.get("encoder_windows", 4))
        # Hard-wrapped lines are joined into their sentence before cutting (model 3.4.1).
        self.join_wrapped = bool(win.get("join_wrapped", False))
        # Units after the riskiest one reach the encoder only when the fast stage gives them
        # at least ``encoder_min_fast`` and the riskiest unit scored below ``encoder_stop``
        # (defaults 0 and 1: always, in one batch — the behaviour before model 2.3).
        self.encoder_min_fast = float(win.get("encoder_min_fast", 0.0))
        self.encoder_stop = float(win.get("encoder_stop", 1.0))
        # Multiple-comparison correction of the max over units (see ``_aggregate``).
        self.unit_penalty = float(win.get("unit_penalty", 0.0))
        self.unit_penalty_cap = int(win.get("unit_penalty_cap", 16))
        # Units whose letters are less than this share Latin are scored by the fast stage
        # alone: the encoder's word pieces are English ones (0: every unit is encoded).
        self.encoder_min_latin = float(win.get("encoder_min_latin", 0.0))
        # ... and so are units in Latin script whose words are less than this share whole words
        # of the encoder's (English) vocabulary: German, Spanish, Polish … (0: off).
        self.encoder_min_vocab = float(win.get("encoder_min_vocab", 0.0))

        fast = spec["fast"]
        self.features = FeatureConfig.from_dict(fast["features"])
        with np.load(model_dir / fast["file"]) as npz:
            self._fast_w = npz["w"].astype(np.float32)
            self._fast_b = float(npz["b"])
        if self._fast_w.shape != (self.features.dim,):
            raise DetectorError("fast weights do not match the feature dimension")
        self._fast_cal = tuple(float(v) for v in fast["calibration"])  # (a, b): a*z + b
        self.settle_low = float(fast.get("settle_low", 0.0))
        self.settle_high = float(fast.get("settle_high", 1.0))

        self._encoder = None
        self._head: dict[str, np.ndarray] | None = None
        self.encoder_kind: str | None = None  # "classifier", "embedding", or None (fast only)
        enc = spec.get("encoder")
        if enc:
            # "classifier": a fine-tuned graph that outputs logits itself; "embedding" (the
            # 1.x models): a frozen sentence encoder plus a head stored in ``head.npz``.
            self.encoder_kind = str(enc.get("kind", "embedding"))
            if self.encoder_kind not in ("classifier", "embedding"):
                raise DetectorError(f"unknown encoder kind {self.encoder_kind!r}")
            if encoder is None:
                from promptsentry.detector.encoder import Encoder, SequenceClassifier

                cls = SequenceClassifier if self.encoder_kind == "classifier" else Encoder
                encoder = cls(
                    model_dir / enc["onnx"],
                    model_dir / enc["tokenizer"],
                    max_tokens=int(enc.get("max_tokens", 256)),
                    intra_op_threads=intra_op_threads,
                )
            # anything with ``logits(list[str])`` resp. ``embed(list[str])`` (training injects
            # its own)
            self._encoder = encoder
            if self.encoder_kind == "embedding":
                with np.load(model_dir / enc["head"]) as npz:
                    self._head = {k: npz[k].astype(np.float32) for k in npz.files}
            # stacked calibration: sigmoid(c[0] * z_encoder + c[1] * z_fast + c[2])
            self._stack = tuple(float(v) for v in enc["stack"])

    # --- stages ---------------------------------------------------------------------------
    def fast_logits(self, texts: list[str]) -> np.ndarray:
        """Raw (uncalibrated) fast-stage logits of each text."""
        return batch_logits(texts, self.features, self._fast_w, float(self._fast_b))

    def encoder_logits(self, texts: list[str]) -> np.ndarray:
        """Raw logits of the encoder stage (requires one)."""
        if self._encoder is None:
            raise DetectorError("this model has no encoder stage")
        if self._head is None:
            return np.asarray(self._encoder.logits(texts), dtype=np.float64)  # type: ignore[attr-defined]
        return head_logits(self._head, self._encoder.embed(texts))  # type: ignore[attr-defined]

    def _fast_prob(self, z: np.ndarray) -> np.ndarray:
        a, b = self._fast_cal
        return _sigmoid(a * z + b)  # type: ignore[return-value]

    def _aggregate(self, p_max: float, units: int) -> float:
        """The text's probability from its riskiest unit's.

        Units are calibrated one by one, so the maximum over ``n`` benign units is biased
        upwards: a long benign document gets ``n`` chances at a false positive. The max is
        corrected in log-odds by ``unit_penalty * ln(min(n, unit_penalty_cap))`` — a soft,
        capped Bonferroni correction. ``n = 1`` is untouched, so short prompts keep their
        calibration; the cap keeps an injection in a 50 KB document (hundreds of units)
        detectable. The two numbers are not fitted on document-level labels: the cap was set
        on synthetic documents, the penalty (0.8 since model 3.3) chosen on the traffic-mix dev
        set and ``long_documents.jsonl`` (see docs/MODEL.md).
        """
        if units <= 1 or self.unit_penalty <= 0.0:
            return p_max
        p = min(max(p_max, 1e-9), 1 - 1e-9)
        n = min(units, max(self.unit_penalty_cap, 1))
        z = float(np.log(p / (1 - p))) - self.unit_penalty * float(np.log(n))
        return float(_sigmoid(z))

    # --- public API -----------------------------------------------------------------------
    @property
    def has_encoder(self) -> bool:
        return self._encoder is not None

    def score(self, text: str) -> Detection:
        """Calibrated probability that ``text`` is (or contains) a prompt injection."""
        spans = segment_spans(
            text, self.window_chars, self.window_stride, whole=self.whole_chars,
            join_wrapped=self.join_wrapped,
        )
        pieces = [text[s:e] for s, e in spans]
        z_fast = self.fast_logits(pieces)
        p_fast = self._fast_prob(z_fast)
        best = int(np.argmax(p_fast))
        p_max = float(p_fast[best])
        if self._encoder is None or p_max < self.settle_low or p_max > self.settle_high:
            return Detection(
                probability=self._aggregate(p_max, len(spans)),
                span=spans[best] if len(spans) > 1 else None,
                stage="fast",
                windows=len(spans),
            )
        k = min(self.encoder_windows, len(spans))
        chosen = np.argsort(-z_fast, kind="stable")[:k]
        if k == 1 or (self.encoder_min_fast <= 0.0 and self.encoder_stop >= 1.0):
            p = self._stacked(pieces, chosen, z_fast)
        else:
            chosen, p = self._score_gated(pieces, chosen, z_fast, p_fast)
        j = int(np.argmax(p))
        return Detection(
            probability=self._aggregate(float(p[j]), len(spans)),
            span=spans[int(chosen[j])] if len(spans) > 1 else None,
            stage="encoder",
            windows=len(spans),
        )

    def _score_gated(self, pieces: list[str], chosen: np.ndarray, z_fast: np.ndarray,
                     p_fast: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The units of ``chosen`` the encoder scores and their encoder-stage probabilities.

        The riskiest unit is always scored, on its own. The next ones follow only when it
        scored below ``encoder_stop`` (that unit alone already makes the text an attack; more
        units could only raise the maximum) and only those the fast stage gives at least
        ``encoder_min_fast``: a benign document's second-riskiest sentence is usually an
        ordinary one, and the encoder is most of the cost of a long text. Units left out do
        not count towards the maximum (as units outside the top ``encoder_windows`` do not).
        """
        first = chosen[:1]
        p = self._stacked(pieces, first, z_fast)
        rest = chosen[1:]
        rest = rest[p_fast[rest] >= self.encoder_min_fast] if p[0] < self.encoder_stop \
            else rest[:0]
        if rest.size == 0:
            return first, p
        return (np.concatenate([first, rest]),
                np.concatenate([p, self._stacked(pieces, rest, z_fast)]))

    def _stacked(self, pieces: list[str], units: np.ndarray, z_fast: np.ndarray) -> np.ndarray:
        """Encoder-stage probabilities of ``units`` (one encoder call, one padded batch); a
        unit the encoder cannot read (:meth:`_readable`) keeps its fast-stage probability."""
        if self.encoder_min_latin > 0.0 or self.encoder_min_vocab > 0.0:
            readable = np.array([self._readable(pieces[int(i)]) for i in units], dtype=bool)
            if not readable.all():
                p = self._fast_prob(z_fast[units])
                if readable.any():
                    p[readable] = self._stacked_all(pieces, units[readable], z_fast)
                return p
        return self._stacked_all(pieces, units, z_fast)

    def _readable(self, piece: str) -> bool:
        """Whether the encoder can read ``piece``: its script (``encoder_min_latin``) and its
        words (``encoder_min_vocab``, the share that are whole words of its vocabulary)."""
        return encoder_can_read(piece, self.encoder_min_latin, self.encoder_min_vocab,
                                getattr(self._encoder, "vocab_word_share", None))

    def _stacked_all(self, pieces: list[str], units: np.ndarray, z_fast: np.ndarray
                     ) -> np.ndarray:
        """The stacked probabilities of ``units``, every one of them encoded."""
        c_enc, c_fast, c0 = self._stack
        z_enc = self.encoder_logits([pieces[int(i)] for i in units])
        return _sigmoid(c_enc * z_enc + c_fast * z_fast[units] + c0)  # type: ignore[return-value]


def encoder_can_read(text: str, min_latin: float, min_vocab: float,
                     vocab_share: Callable[[str], float] | None) -> bool:
    """The encoder gate: ``text``'s letters are at least ``min_latin`` Latin and its words at
    least ``min_vocab`` whole words of the encoder's vocabulary (``vocab_share``; not checked
    without one). A bound of 0 is off. The detector applies it per unit at run time, training
    (``promptsentry train --encoder-min-latin/--encoder-min-vocab``) per row."""
    if not latin_enough(text, min_latin):
        return False
    return not (min_vocab > 0.0 and vocab_share is not None and vocab_share(text) < min_vocab)



def head_logits(head: dict[str, np.ndarray], emb: np.ndarray) -> np.ndarray:
    """Logits of the encoder head: a one-hidden-layer ReLU MLP, or a linear model."""
    x = emb.astype(np.float32)
    if "W1" in head:
        h = np.maximum(x @ head["W1"] + head["b1"], 0.0)
        return (h @ head["W2"] + head["b2"]).reshape(-1).astype(np.float64)
    return (x @ head["w"] + head["b"]).reshape(-1).astype(np.float64)


_CACHE: dict[tuple[str, int], Detector] = {}
_LOCK = threading.Lock()


def _threads_default() -> int:
    try:
        return max(0, int(os.environ.get("PROMPTSENTRY_DETECTOR_THREADS", "1")))
    except ValueError:
        return 1


def load_detector(
    model_dir: str | Path | None = None, *, intra_op_threads: int | None = None
) -> Detector:
    """The detector in ``model_dir`` (default: the artifacts shipped in the package).

    Cached per resolved path and thread count, so repeated calls are free. ``intra_op_threads``
    (default ``PROMPTSENTRY_DETECTOR_THREADS`` or 1) is onnxruntime's per-call thread count.
    """
    path = Path(model_dir) if model_dir is not None else ARTIFACTS_DIR
    path = path.expanduser().resolve()
    threads = _threads_default() if intra_op_threads is None else intra_op_threads
    key = (str(path), threads)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            return hit
        spec_path = path / _SPEC_FILE
        try:
            spec = json.loads(spec_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise DetectorError(f"no detector artifacts at {path} (missing {_SPEC_FILE})") from exc
        except json.JSONDecodeError as exc:
            raise DetectorError(f"{spec_path} is not valid JSON: {exc}") from exc
        try:
            det = Detector(path, spec, intra_op_threads=threads)
        except (KeyError, ValueError, OSError) as exc:
            raise DetectorError(f"cannot load detector artifacts at {path}: {exc}") from exc
        _CACHE[key] = det
        return det


