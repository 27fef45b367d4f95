"""The signature prefilters (triggers, literal prefixes, the shared scan) never change a result,
and the normaliser's fast paths agree with the slow definitions they skip."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptsentry.pipeline.base import Finding, TextView
from promptsentry.pipeline.normalize import decoders, homoglyphs, unicode
from promptsentry.pipeline.rules import Rule, fold, load_rules
from promptsentry.pipeline.rules.prefilter import (
    SAFE_CHARS,
    anchored_search,
    build_index,
    literal_prefixes,
    prefix_scanner,
    trie_pattern,
    word_shapes,
    word_start_prefixes,
)
from promptsentry.pipeline.stages.normalize import NormalizeStage, _segments
from promptsentry.pipeline.stages.signatures import scan_views

RULES = load_rules()
TRAIN = Path(__file__).resolve().parents[2].parent / "shared/data/injection/train.jsonl"


def reference(rules: tuple[Rule, ...], views: list[TextView]) -> tuple[Finding, ...]:
    """Every rule's own ``pattern.search`` on every view — no triggers, no prefixes."""
    findings: dict[str, Finding] = {}
    for view in views:
        for rule in rules:
            if rule.id in findings:
                continue
            match = rule.pattern.search(view.text)
            if match is not None:
                span = view.span if view.span is not None else match.span()
                findings[rule.id] = Finding(rule.id, rule.category, rule.severity,
                                            view=view.origin, span=span)
    return tuple(findings.values())


def train_sample(n: int = 400) -> list[str]:
    if not TRAIN.exists():
        return []
    rows = [json.loads(line)["text"] for line in TRAIN.read_text("utf-8").splitlines() if line]
    return rows[:: max(1, len(rows) // n)][:n]


async def normalised_views(text: str) -> list[TextView]:
    from promptsentry.pipeline.base import PipelinePolicy, ScanState
    from promptsentry.schemas.request import ScanRequest

    state = ScanState.start(ScanRequest(prompt=text), PipelinePolicy())
    result = await NormalizeStage().run(state)
    return list(result.views)


# --------------------------------------------------------------------------- exactness

SAMPLES = [t for rule in RULES for t in rule.examples + rule.counter_examples]


async def test_prefilters_never_change_what_matches_on_examples_and_training_rows() -> None:
    texts = SAMPLES + train_sample()
    rows = len(texts) - len(SAMPLES)
    assert rows == 0 or rows >= 300
    for text in texts:
        for views in ([TextView("original", text)], await normalised_views(text)):
            assert scan_views(RULES, views) == reference(RULES, views), text[:120]


async def test_prefilters_never_change_what_matches_inside_long_documents() -> None:
    filler = "Quarterly revenue grew; the team shipped the new dashboard. " * 40
    rng = random.Random(7)
    for example in rng.sample(SAMPLES, 60):
        text = filler + example + " " + filler
        views = await normalised_views(text)
        assert scan_views(RULES, views) == reference(RULES, views), example


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SAMPLES), min_size=1, max_size=3),
       st.sampled_from(["", " ", "\n", "İ", "ſ", "K", "ı", "\u0307", "é"]), st.booleans())
def test_anchored_search_is_exactly_search(samples: list[str], sep: str, upper: bool) -> None:
    text = sep.join(samples)
    text = text.upper() if upper else text
    folded = fold(text)
    shapes = word_shapes(folded)
    for rule in RULES:
        expected = rule.pattern.search(text)
        for got in (rule.search(text, folded), rule.search(text, folded, shapes)):
            assert (got and got.span()) == (expected and expected.span()), rule.id


def test_every_example_match_starts_with_a_derived_prefix() -> None:
    derived = 0
    for rule in RULES:
        prefixes = literal_prefixes(rule.pattern)
        if prefixes is None:
            continue
        derived += 1
        for example in rule.examples:
            match = rule.pattern.search(example)
            assert match is not None
            assert fold(example)[match.start():].startswith(tuple(prefixes)), rule.id
    assert derived >= 0.8 * len(RULES)  # most rules are anchored


# --------------------------------------------------------------------------- derivation


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\b(?<!not\s)(?=[if])(?:ignore|forget)\s+all", {"ignore", "forget"}),
        (r"(?:please\s+)?tell\s+me", {"please", "tell"}),
        (r"ab(?:c|d)e", {"abce", "abde"}),
        (r"<\|\s*system", {"<|"}),
        (r"ab[xy]?z", {"abxz", "abyz", "abz"}),
        (r"Ünter", {"ünter"}),
        (r"\w+foo", None),
        (r"x|", None),
        (r"(?:a)*b", {"a", "b"}),
        (r"(?:\w)*b", None),
        (r"ſtop", None),  # a prefix must start with a safe character
    ],
)
def test_literal_prefixes(pattern: str, expected: set[str] | None) -> None:
    prefixes = literal_prefixes(re.compile(pattern, re.IGNORECASE))
    assert (None if prefixes is None else set(prefixes)) == expected


def test_shared_scan_finds_every_start_of_every_prefix() -> None:
    patterns = [re.compile(p, re.I) for p in (r"\bign\w+", r"\bignore\s+all", r"gnor", r"zz")]
    index = build_index(patterns)
    assert index.shared == {0, 1, 2, 3}
    positions = index.candidates("x ignore ign IGNORE", [0, 1, 2])
    assert positions == {0: [2, 9], 1: [2], 2: [3]}
    assert re.fullmatch(trie_pattern(["ign", "ignore", "x"]), "ignore")


def test_shared_scan_without_the_ascii_split_finds_the_same_starts() -> None:
    patterns = [re.compile(p, re.I) for p in (r"\bign\w+", r"\bignore\s+all", r"gnor", r"zz")]
    index = build_index(patterns)
    positions = index.candidates("é ignore ign ignore", [0, 1, 2])
    assert positions == {0: [2, 9, 13], 1: [2, 13], 2: [3, 14]}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\b(?:ignore|forget)\s", (b" forget", b" ignore")),
        (r"\b(?:ignore|oublie|ignoré)", (b" ignore", b" oublie")),
        (r"ignore", None),  # no \b: a match may start inside a word
        (r"\b(?:ignore|os\.)", None),  # "." is not a word character
        (r"\bx|y", None),
    ],
)
def test_word_start_prefixes(pattern: str, expected: tuple[bytes, ...] | None) -> None:
    assert word_start_prefixes(re.compile(pattern, re.I)) == expected


def test_word_shapes_mark_word_starts() -> None:
    assert word_shapes("a_b, (cd)") == b" a_b   cd "
    assert word_shapes("é") is None


def test_fold_agrees_with_ignorecase_for_every_safe_character() -> None:
    everything = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i < 0xE000)
    assert len(fold(everything)) == len(everything)
    for ch in SAFE_CHARS:
        for other in set(re.findall(re.escape(ch), everything, re.IGNORECASE)):
            assert fold(other) == ch, (hex(ord(ch)), hex(ord(other)))


def test_changed_length_falls_back_to_a_plain_search() -> None:
    pattern = re.compile(r"\bignore\b", re.I)
    text = "xx ignore"
    scanner = prefix_scanner(pattern)
    assert anchored_search(pattern, scanner, text, "shorter") is not None


# --------------------------------------------------------------------------- normaliser fast paths


def _random_texts(alphabet: str, n: int, seed: int, size: int = 14) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, size))) for _ in range(n)]


def test_segment_split_equals_the_look_behind_split() -> None:
    lookbehind = re.compile(r"(?<=[.?\n])\s+")
    for text in _random_texts("a.?\n \t\r\u2028\u00a0b", 20000, 1):
        assert _segments(text) == lookbehind.split(text), repr(text)


def test_leetspeak_fold_per_run_equals_the_whole_text_substitution() -> None:
    def whole(text: str) -> tuple[str, int]:
        changed = 0

        def fold_token(match: re.Match[str]) -> str:
            nonlocal changed
            token = match.group()
            if not homoglyphs._HAS_LEET.search(token) or not homoglyphs._HAS_LETTER.search(token):
                return token
            changed += 1
            return token.translate(homoglyphs._LEET_TABLE)

        if not homoglyphs._leet_next_to_letter(text):
            return text, 0
        return homoglyphs._LEET_TOKEN.sub(fold_token, text), changed

    for text in _random_texts("ab e1034@$€|!+_ .\n\u00e9\u0661x9Z-", 30000, 2):
        assert homoglyphs.fold_leetspeak(text) == whole(text), repr(text)


def test_leet_next_to_letter_ascii_shortcut() -> None:
    def slow(text: str) -> bool:
        return any(
            (i > 0 and homoglyphs._LETTER.match(text, i - 1))
            or (i + 1 < len(text) and homoglyphs._LETTER.match(text, i + 1))
            for i in (m.start() for m in homoglyphs._HAS_LEET.finditer(text))
        )

    for text in _random_texts("ab1 $@|!+.-_\n9", 20000, 3, size=6):
        assert homoglyphs._leet_next_to_letter(text) == slow(text), repr(text)


def test_clean_ascii_fast_path_matches_the_full_scan() -> None:
    for code in range(128):
        text = f"ab{chr(code)}cd"
        removed = unicode._INVISIBLE.search(text) is not None
        assert (unicode.clean(text).text != text) == removed, code


def test_run_shapes_never_hide_a_hex_or_base64_run() -> None:
    alphabet = "0123456789abcdefABCDEFxyzXYZ+/_-=: ,\n\\é"
    for text in _random_texts(alphabet, 20000, 4, size=40):
        hex_possible, base64_possible = decoders._runs_possible(text)
        if decoders._HEX_RUNS[0][1].search(text):
            assert hex_possible, repr(text)
        if decoders._BASE64_RUN.search(text):
            assert base64_possible, repr(text)


def test_rot13_segment_shortcut_agrees_with_the_ratio_rule() -> None:
    rng = random.Random(5)
    words = ["gur", "be", "or", "the", "vafgehpgvbaf", "ybir", "cat", "naq", "and", "lbh", "x"]
    for _ in range(5000):
        segment = " ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
        assert decoders._segment_reads_as_rot13(segment) == decoders._reads_as_rot13(
            *decoders._ratios(segment)
        ), segment


def test_rot13_runs_equal_the_unskipped_definition() -> None:
    def slow(text: str, max_runs: int = 16) -> list[tuple[int, int, str]]:
        whole = decoders.looks_like_rot13(text)
        if whole is not None:
            return [(0, len(text), whole)]
        found = []
        for i, match in enumerate(decoders._ROT13_SEGMENT.finditer(text)):
            if i >= decoders._MAX_ROT13_SEGMENTS or len(found) >= max_runs:
                break
            if decoders._reads_as_rot13(*decoders._ratios(match.group())):
                found.append((match.start(), match.end(), decoders.rot13(match.group())))
        return found

    rng = random.Random(6)
    words = ["gur", "vtaber", "nyy", "cerivbhf", "the", "cat", "sat", "be", "or", "on", "mat"]
    for _ in range(3000):
        parts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 8)))
                 for _ in range(rng.randint(1, 4))]
        text = rng.choice([". ", "! ", "\n", " 42 "]).join(parts)
        assert decoders.rot13_runs(text, max_runs=16) == slow(text), text
