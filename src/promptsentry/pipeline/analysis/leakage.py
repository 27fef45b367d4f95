"""Response-side leak detection: server-issued canaries and system-prompt fingerprints.

**Canaries.** :func:`new_canary` issues a token to plant in a system prompt. It carries its own
check digits (an HMAC of its id under the install's secret), so the server recognises its
canaries without storing them: :func:`find_issued_canaries` looks for the token shape in a
response and verifies the MAC, through the usual disguises — changed case, spaces or
punctuation between characters, zero-width characters, base64 and reversed text.
(Per-request ``canary_tokens`` are the leak stage's: :mod:`promptsentry.pipeline.stages.leak`.)

**Fingerprints.** :func:`fingerprint` reduces a system prompt to a set of keyed hashes of its
word shingles; :func:`overlap` says what fraction of those shingles a response reproduces.
Only the hashes are kept, never the prompt text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator

CANARY_PREFIX = "ps-canary"
_ID_HEX = 12
_MAC_HEX = 8
_COMPACT_PREFIX = "pscanary"
_COMPACT_CANARY = re.compile(_COMPACT_PREFIX + rf"([0-9a-f]{{{_ID_HEX}}})([0-9a-f]{{{_MAC_HEX}}})")
_NON_WORD = re.compile(r"[\W_]+")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_MAX_BASE64_RUNS = 256
_MIN_CANARY_BASE64 = 40
"""A canary is 31 characters, so its base64 (alone or in a sentence) is at least 40."""


def compact(text: str) -> str:
    """Case-folded ``text`` with everything but letters and digits removed (spaces,
    punctuation, zero-width and other invisible characters)."""
    return _NON_WORD.sub("", text.casefold())


def _mac(secret: bytes, canary_id: str) -> str:
    return hmac.new(secret, b"canary:" + canary_id.encode(), hashlib.sha256).hexdigest()[:_MAC_HEX]


def new_canary(secret: bytes) -> str:
    """A fresh canary token, e.g. ``ps-canary-5f0c2a9e71d4-8b03c6aa``.

    Plant it in a system prompt; a response containing it (in any disguise
    :func:`contains_token` undoes) is a system-prompt leak.
    """
    canary_id = secrets.token_hex(_ID_HEX // 2)
    return f"{CANARY_PREFIX}-{canary_id}-{_mac(secret, canary_id)}"


def is_issued_canary(secret: bytes, token: str) -> bool:
    """Whether ``token`` (in any case or spacing) is a canary this install issued."""
    m = _COMPACT_CANARY.fullmatch(compact(token))
    return bool(m) and hmac.compare_digest(m.group(2), _mac(secret, m.group(1)))


def _readings(text: str, *, min_run: int = 8) -> Iterator[tuple[str, str]]:
    """``(how, compacted text)`` for the text, its reversal, and its decoded base64 runs
    (runs of at least ``min_run`` characters)."""
    plain = compact(text)
    yield "plain", plain
    yield "reversed", plain[::-1]
    for i, m in enumerate(_BASE64_RUN.finditer(text)):
        if i >= _MAX_BASE64_RUNS:
            break
        if len(m.group(0)) < min_run:
            continue
        decoded = _b64(m.group(0))
        if decoded:
            reading = compact(decoded)
            yield "base64", reading
            yield "base64_reversed", reading[::-1]


def _b64(run: str) -> str | None:
    body = run.rstrip("=")
    if len(body) % 4 == 1:
        return None
    body += "=" * (-len(body) % 4)
    try:
        raw = base64.b64decode(body, altchars=b"-_" if ("-" in body or "_" in body) else None,
                               validate=True)
    except (binascii.Error, ValueError):
        return None
    text = raw.decode("utf-8", "ignore")
    return text if text else None


def find_issued_canaries(secret: bytes, text: str) -> dict[str, str]:
    """``{canary: how}`` for every canary issued under ``secret`` that appears in ``text``."""
    found: dict[str, str] = {}
    plain = compact(text)
    maybe_base64 = any(len(m.group(0)) >= _MIN_CANARY_BASE64 for m in _BASE64_RUN.finditer(text))
    if _COMPACT_PREFIX not in plain and _COMPACT_PREFIX[::-1] not in plain and not maybe_base64:
        return found
    for how, reading in _readings(text, min_run=_MIN_CANARY_BASE64):
        for m in _COMPACT_CANARY.finditer(reading):
            canary_id, mac = m.group(1), m.group(2)
            if hmac.compare_digest(mac, _mac(secret, canary_id)):
                found.setdefault(f"{CANARY_PREFIX}-{canary_id}-{mac}", how)
    return found


# --------------------------------------------------------------------------- fingerprints

SHINGLE_WORDS = 5
_WORD = re.compile(r"\w+")


def _shingles(text: str, k: int) -> Iterator[str]:
    words = _WORD.findall(text.casefold())
    if not words:
        return
    k = max(1, min(k, len(words)))
    for i in range(len(words) - k + 1):
        yield " ".join(words[i:i + k])


def _hash(key: bytes, shingle: str) -> str:
    return hashlib.blake2b(shingle.encode(), digest_size=8, key=key[:64]).hexdigest()


def fingerprint(system_prompt: str, *, key: bytes = b"", k: int = SHINGLE_WORDS) -> frozenset[str]:
    """Keyed hashes of the prompt's ``k``-word shingles (case and punctuation ignored).

    Store the result, not the prompt: with a secret ``key`` the hashes reveal nothing that
    can be checked against guesses without the key.
    """
    return frozenset(_hash(key, s) for s in _shingles(system_prompt, k))


def overlap(fp: frozenset[str] | set[str], text: str, *, key: bytes = b"",
            k: int = SHINGLE_WORDS) -> float:
    """Fraction (0–1) of the fingerprinted prompt's shingles that ``text`` reproduces."""
    if not fp:
        return 0.0
    seen = {_hash(key, s) for s in _shingles(text, k)}
    return len(seen & fp) / len(fp)


def derive_canary_key(install_secret: bytes) -> bytes:
    """The key canaries are signed with, derived from the install's secret (the audit salt),
    so every worker of an install recognises every canary it issued."""
    return hmac.new(install_secret, b"promptsentry/canary/v1", hashlib.sha256).digest()


def derive_fingerprint_key(install_secret: bytes) -> bytes:
    """The key system-prompt shingles are hashed with, derived from the install's secret
    (separate from the canary key), so stored fingerprints cannot be checked against
    guessed phrases by anyone without the secret."""
    return hmac.new(install_secret, b"promptsentry/system-prompt/v1", hashlib.sha256).digest()


def fingerprint_key_id(key: bytes) -> str:
    """A short public identifier of a fingerprint key: a stored fingerprint whose id no longer
    matches the install's key (the secret changed) cannot match anything and is ignored."""
    return hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:16]
