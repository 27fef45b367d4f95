"""Features of the context classifier: hashed word/char n-grams, named signals, and the input
of the sentence-embedding half (:func:`embedding_input`).

Pure and deterministic: the same text always gives the same sparse vector, in every process
(hashing uses CRC-32, not Python's salted ``hash``). Signals are counted with regular
expressions and enter the model as ``log1p(count)`` on dedicated columns, so the weight the
model learned for "has a stack trace" is readable in the artifact.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass

import numpy as np

from promptsentry.text import latin_enough

__all__ = ["EMBED_CHARS", "HASH_DIM", "SIGNALS", "FeatureVector", "detect_signals",
           "embedding_input", "encoder_can_read", "featurize"]

HASH_DIM = 1 << 17
#: Characters of the prompt the sentence encoder reads (≈ 85 MiniLM tokens of prose): the
#: encoder's cost grows with length, and the head of a prompt carries its task (384 scored
#: the same as 512 on dev and the external sets, 2–3 ms less per prompt; docs/BENCHMARKS.md).
EMBED_CHARS = 384
_WORD = re.compile(r"[a-z0-9_]+|[^\sa-z0-9_]", re.IGNORECASE)

#: Named signals: name → pattern. Counts are case-insensitive, multiline.
SIGNALS: dict[str, re.Pattern[str]] = {
    "code_fence": re.compile(r"^\s*```", re.MULTILINE),
    "stack_trace": re.compile(
        r"(Traceback \(most recent call last\)|^\s+at [\w.$<>]+\(.*\)$|File \"[^\"]+\", line \d+"
        r"|\b\w+(Error|Exception): )", re.MULTILINE),
    "file_path": re.compile(r"(?<![\w/])(?:\.{0,2}/)?(?:[\w.-]+/)+[\w.-]+\.[a-z]{1,5}\b"
                            r"|\b[\w-]+\.(?:py|js|ts|tsx|go|rs|java|rb|cpp|c|h|cs|php|sh|yaml|yml"
                            r"|toml|json)\b", re.IGNORECASE),
    "code_syntax": re.compile(r"(\bdef \w+\(|\bfunction\s+\w+\(|\bclass \w+[:({]|=>|\breturn\b"
                              r"|\bimport \w+|#include|\bconst \w+ =|;\s*$|\{\s*$)", re.MULTILINE),
    "sql": re.compile(r"\b(select\s+.+?\s+from|insert into|update \w+ set|group by|order by"
                      r"|left join|inner join|where \w+ ?=)\b", re.IGNORECASE),
    "dataframe": re.compile(r"\b(dataframe|pandas|csv|spreadsheet|excel|pivot|regression"
                            r"|correlation|mean|median|standard deviation|histogram|dataset"
                            r"|kpi|dashboard|visuali[sz]e|chart|statistic\w*)\b", re.IGNORECASE),
    "image_style": re.compile(r"\b(photorealistic|hyperrealistic|4k|8k|ultra[- ]detailed"
                              r"|octane render|unreal engine|--ar \d+:\d+|--v \d|aspect ratio"
                              r"|watercolou?r|oil painting|digital art|concept art|anime style"
                              r"|illustration|render(ed|ing)?|artstation)\b", re.IGNORECASE),
    "camera_lighting": re.compile(r"\b(\d{2,3}mm|f/\d(\.\d)?|bokeh|depth of field|close-up"
                                  r"|wide[- ]angle|golden hour|soft lighting|backlit|rim light"
                                  r"|cinematic lighting|shot on|lens|camera|dolly|tracking shot"
                                  r"|frame|composition)\b", re.IGNORECASE),
    "citation": re.compile(r"\b(cite|citations?|references?|peer[- ]reviewed|doi|apa|mla"
                           r"|bibliograph\w*|literature review|sources?|et al\.?|journal"
                           r"|hypothes[ie]s|methodology)\b", re.IGNORECASE),
    "narrative": re.compile(r"\b(story|poem|poetry|character|protagonist|plot|chapter|verse"
                            r"|stanza|rhyme|dialogue|narrat\w*|fiction|novel|tone|villain"
                            r"|scene)\b", re.IGNORECASE),
    "question": re.compile(r"\?\s*$", re.MULTILINE),
    "media_request": re.compile(
        r"\b(?:create|generate|make|draw|design|render|produce|paint|sketch|imagine)\s+(?:me\s+)?"
        r"(?:an?\s+|the\s+|some\s+|\d+\s+)?(?:[\w-]+\s+){0,3}?(?:image|picture|photo(?:graph)?"
        r"|illustration|drawing|portrait|logo|poster|wallpaper|icon|artwork|painting|video"
        r"|animation|clip|thumbnail)s?\b|\b(?:midjourney|stable diffusion|sdxl|dall[- ]?e|sora"
        r"|runway|text[- ]to[- ](?:image|video)|image prompt|video prompt|negative prompt)\b",
        re.IGNORECASE),
}
_SIGNAL_NAMES = tuple(SIGNALS)


@dataclass(frozen=True, slots=True)
class FeatureVector:
    """Sparse hashed n-gram columns with their weights, plus the dense signal counts."""

    indices: np.ndarray  # int64, unique
    values: np.ndarray  # float32, L2-normalised
    signals: np.ndarray  # float32, log1p(counts), aligned with SIGNALS
    signal_counts: dict[str, int]


def detect_signals(text: str) -> dict[str, int]:
    """How often each named signal occurs in ``text`` (capped at 50 matches each)."""
    counts: dict[str, int] = {}
    for name, pattern in SIGNALS.items():
        n = 0
        for _ in pattern.finditer(text):
            n += 1
            if n >= 50:
                break
        counts[name] = n
    return counts


def embedding_input(text: str, max_chars: int = EMBED_CHARS) -> str:
    """The part of ``text`` the sentence encoder reads: its first ``max_chars`` characters,
    whitespace collapsed (a cut mid-word is harmless to a WordPiece tokenizer)."""
    return " ".join(text[: max_chars * 2].split())[:max_chars]


def encoder_can_read(text: str, max_chars: int, min_latin: float) -> bool:
    """The encoder gate of context detection: at least ``min_latin`` of the letters of the
    head the encoder embeds (:func:`embedding_input`) are Latin (0: off). One function for
    run time (``ContextDetector.encoder_reads``) and training (``train_context``)."""
    return latin_enough(embedding_input(text, max_chars), min_latin)


def byte_4gram_codes(text: str) -> np.ndarray:
    """The exact 32-bit codes of every 4-byte window of ``text``'s UTF-8 bytes (vectorised)."""
    raw = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    if raw.size < 4:
        return np.zeros(0, dtype=np.uint64)
    a = raw.astype(np.uint64)
    return a[:-3] | (a[1:-2] << 8) | (a[2:-1] << 16) | (a[3:] << 24)


def _mix(codes: np.ndarray) -> np.ndarray:
    """A fixed 64-bit multiplicative mix (deterministic in every process)."""
    with np.errstate(over="ignore"):
        h = (codes + np.uint64(0x632BE59B)) * np.uint64(0x9E3779B97F4A7C15)
    return (h >> np.uint64(29)) % np.uint64(HASH_DIM)


def _h(token: str) -> int:
    return zlib.crc32(token.encode("utf-8", "surrogatepass")) % HASH_DIM


def featurize(text: str, *, max_chars: int = 4000) -> FeatureVector:
    """The features of ``text`` (only the first ``max_chars`` characters count)."""
    text = text[:max_chars]
    low = text.lower()
    words = _WORD.findall(low)
    counts: dict[int, float] = {}
    for i, w in enumerate(words):
        k = _h("w:" + w)
        counts[k] = counts.get(k, 0.0) + 1.0
        if i:
            k = _h("b:" + words[i - 1] + " " + w)
            counts[k] = counts.get(k, 0.0) + 1.0
    squashed = " ".join(words)
    grams = _mix(byte_4gram_codes(squashed))
    if grams.size:
        uniq, n = np.unique(grams, return_counts=True)
        for k, c in zip(uniq.tolist(), n.tolist()):
            counts[k] = counts.get(k, 0.0) + 0.5 * c
    if counts:
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        val = np.log1p(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        val /= float(np.linalg.norm(val)) or 1.0
    else:
        idx = np.zeros(0, dtype=np.int64)
        val = np.zeros(0, dtype=np.float32)
    sig_counts = detect_signals(text)
    sig = np.array([math.log1p(sig_counts[n]) for n in _SIGNAL_NAMES], dtype=np.float32)
    return FeatureVector(idx, val.astype(np.float32), sig, sig_counts)
