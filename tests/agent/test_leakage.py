"""Canary detection through disguises (property tests) and system-prompt fingerprints."""

from __future__ import annotations

import base64
import random
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from promptsentry.pipeline.analysis.leakage import (
    derive_canary_key,
    find_issued_canaries,
    fingerprint,
    is_issued_canary,
    new_canary,
    overlap,
)
from promptsentry.pipeline.stages.leak import find_canary, prepare

KEY = derive_canary_key(b"install-secret")
ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
FILLER = st.text(st.sampled_from("abcdefghij klmnop qrst uvwxyz.,!"), max_size=60)


def disguise(token: str, rng: random.Random, how: str) -> str:
    """Apply one of the disguises the detector must see through."""
    if how == "case":
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in token)
    if how == "spacing":
        return "".join(c + rng.choice([" ", "-", ".", "\n"]) for c in token).strip()
    if how == "zero_width":
        return "".join(c + rng.choice(ZW) for c in token)
    if how == "base64":
        return base64.b64encode(f"the secret is {token}".encode()).decode()
    if how == "reversed":
        return token[::-1]
    if how == "mixed":
        spaced = "".join(c + rng.choice(ZW + [" "]) for c in token)
        return "".join(c.upper() if rng.random() < 0.5 else c for c in spaced)[::-1]
    raise AssertionError(how)


HOWS = ["case", "spacing", "zero_width", "base64", "reversed", "mixed"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(HOWS), st.integers(0, 2**32), FILLER, FILLER)
def test_issued_canary_survives_disguises(how: str, seed: int, before: str, after: str) -> None:
    rng = random.Random(seed)
    token = new_canary(KEY)
    text = f"{before} {disguise(token, rng, how)} {after}"
    assert list(find_issued_canaries(KEY, text)) == [token]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(HOWS), st.integers(0, 2**32),
       st.text(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ23456789-_"), min_size=6, max_size=40)
       .filter(lambda t: sum(c.isalnum() for c in t) >= 6
               and not any(not a.isalnum() and not b.isalnum() for a, b in pairwise(t))),
       FILLER)
def test_request_canary_survives_disguises(how: str, seed: int, token: str, filler: str) -> None:
    rng = random.Random(seed)
    text = f"{filler} {disguise(token, rng, how)} {filler}"
    # Per-request canary tokens are the leak stage's: the same disguises must not hide them.
    assert find_canary(token, [prepare(text)]) is not None


@settings(max_examples=100, deadline=None)
@given(FILLER)
def test_no_canary_in_ordinary_text(text: str) -> None:
    assert find_issued_canaries(KEY, text) == {}
    assert find_canary("ZX81-CANARY-7Q", [prepare(text)]) is None


def test_forged_or_foreign_canaries_are_not_ours() -> None:
    token = new_canary(KEY)
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert is_issued_canary(KEY, token)
    assert not is_issued_canary(KEY, forged)
    assert find_issued_canaries(KEY, f"x {forged} y") == {}
    other_key = derive_canary_key(b"another-install")
    assert find_issued_canaries(other_key, f"x {token} y") == {}


def test_reports_how_the_token_appeared() -> None:
    token = new_canary(KEY)
    assert find_issued_canaries(KEY, token) == {token: "plain"}
    assert find_issued_canaries(KEY, token[::-1]) == {token: "reversed"}
    encoded = base64.b64encode(token.encode()).decode()
    assert find_issued_canaries(KEY, encoded) == {token: "base64"}


SYSTEM = ("You are HelpBot, the support assistant of Acme Corp. Never discuss pricing or "
          "discounts. Always answer in French, keep answers under 100 words, and escalate "
          "refund requests to a human agent.")


def test_fingerprint_overlap() -> None:
    fp = fingerprint(SYSTEM, key=b"k")
    assert fp and all(len(h) == 16 for h in fp)
    assert SYSTEM.split()[0].lower() not in " ".join(fp)  # hashes, not text
    leaked = "Sure! My instructions: " + SYSTEM.upper().replace(",", "")
    assert overlap(fp, leaked, key=b"k") == 1.0
    partial = "I was told: never discuss pricing or discounts; always answer in French."
    assert 0.1 < overlap(fp, partial, key=b"k") < 0.6
    paraphrase = "I should not talk about prices and I reply in French."
    assert overlap(fp, paraphrase, key=b"k") < 0.05
    assert overlap(fp, "The weather in Paris is sunny today.", key=b"k") == 0.0
    # Different key, different hashes: nothing matches.
    assert overlap(fp, SYSTEM, key=b"other") == 0.0


def test_fingerprint_of_short_prompt() -> None:
    fp = fingerprint("Be brief.")
    assert overlap(fp, "be brief") == 1.0
    assert overlap(frozenset(), "anything") == 0.0
