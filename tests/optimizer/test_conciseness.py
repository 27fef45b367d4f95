"""``conciseness`` / ``token_efficiency`` compression and the encoder similarity behind it."""

from __future__ import annotations

import numpy as np
import pytest

from promptsentry.optimizer import similarity as sim_mod
from promptsentry.optimizer.compress import compress, rewrite_line
from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.engine import optimize_rules
from promptsentry.optimizer.goals import GoalContext, apply_goal
from promptsentry.optimizer.similarity import (
    aligned_similarity,
    clear_cache,
    lexical_similarity,
    similarity,
    split_units,
    unit_similarities,
    whole_text_similarity,
)
from promptsentry.optimizer.spans import missing_spans
from promptsentry.optimizer.tokens import count_tokens

VERBOSE = (
    "Hello! I want you to act as a senior data engineer. Your task is to review the "
    "following SQL query and make sure that it is fast.\n\n"
    "## Requirements\n"
    "- You should always explain the reasoning behind each change in a clear manner.\n"
    "- It is important to note that you must not change the column names.\n"
    "- In order to keep the review short, use at most five bullet points.\n"
    "- In order to keep the review short, use at most five bullet points.\n\n"
    "```sql\nSELECT * FROM the_table WHERE a = 1; -- please make sure that it is fast\n```\n\n"
    "Thank you so much in advance!")


def _ctx() -> GoalContext:
    return GoalContext(Lock.GENERAL, "general_assistant")


def test_conciseness_compresses_a_verbose_prompt_and_keeps_its_meaning():
    out, check = apply_goal("conciseness", VERBOSE, _ctx())
    assert check.applied and check.passed, check.evidence
    assert out.text == (
        "Act as a senior data engineer. Review this SQL query and ensure it is fast.\n\n"
        "## Requirements\n"
        "- Always explain the reasoning behind each change clearly.\n"
        "- Must not change the column names.\n"
        "- To keep the review short, use at most five bullet points.\n\n"
        "```sql\nSELECT * FROM the_table WHERE a = 1; -- please make sure that it is fast\n```")
    assert count_tokens(out.text) < 0.65 * count_tokens(VERBOSE)
    assert similarity(VERBOSE, out.text) >= 0.90
    assert [c.goal for c in out.changes] == ["conciseness"]
    assert "encoder similarity" in out.changes[0].why


def test_token_efficiency_goes_further_but_stays_above_the_floor():
    concise, _ = apply_goal("conciseness", VERBOSE, _ctx())
    efficient, check = apply_goal("token_efficiency", VERBOSE, _ctx())
    assert check.passed and check.applied
    assert count_tokens(efficient.text) < count_tokens(concise.text)
    assert "- Must not change column names." in efficient.text  # articles dropped
    assert similarity(VERBOSE, efficient.text) >= 0.90
    assert missing_spans(VERBOSE, efficient.text) == []


def test_code_blocks_and_code_like_lines_are_never_rewritten():
    text = ("Please make sure that the tests pass.\n"
            "    return the_value if the flag else a_default\n"
            "```\nPlease, in order to help, be very kind.\n```")
    out = compress(text, 3).text
    assert "```\nPlease, in order to help, be very kind.\n```" in out
    assert "    return the_value if the flag else a_default" in out
    assert out.startswith(("Ensure the tests pass.", "Ensure tests pass."))


def test_sentence_starts_are_recapitalised_even_before_a_negation():
    assert rewrite_line("Use tabs. Please do not use spaces.", 1) == "Use tabs. Do not use spaces."
    assert rewrite_line("Please write a haiku.", 1) == "Write a haiku."


def test_bold_markers_go_but_not_inside_protected_spans():
    assert rewrite_line("- **Role**: a careful reviewer", 1) == "- Role: a careful reviewer"
    line = 'Keep "**literal**" as is'
    assert rewrite_line(line, 3).endswith('"**literal**" as is')


def test_repeated_lines_are_dropped_unless_they_hold_protected_spans():
    text = "Keep answers short and direct.\nKeep answers short and direct.\nUse 3 bullets.\n" \
           "Use 3 bullets."
    out = compress(text, 2).text
    assert out.count("Keep answers short and direct.") == 1
    assert out.count("Use 3 bullets.") == 2  # the number is protected: it stays twice


class _Fixed:
    """A fake encoder: every text gets the same vector (any rewrite looks harmless)."""

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


class _Distinct:
    """A fake encoder that finds every distinct text unrelated to every other."""

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, sum(t.encode()) % 64] = 1.0
        return out


def test_lines_back_off_when_the_encoder_says_the_meaning_moved():
    text = "You should always explain the reasoning behind each change in a clear manner."
    harmless = compress(text, 3, embedder=_Fixed())
    assert harmless.text == "Always explain reasoning behind each change clearly."
    assert harmless.level_counts == {"telegraphic": 1}
    clear_cache()
    harmful = compress(text, 3, embedder=_Distinct())
    assert harmful.text == text  # no level kept the meaning: the line is left as it was


def test_encoder_similarity_is_the_default_and_reads_paraphrases():
    a, b = "Write a poem about the sea.", "Compose a verse on the ocean."
    assert lexical_similarity(a, b) < 0.2
    assert similarity(a, b) > 0.6
    assert similarity(a, "Fix the failing unit test in the parser.") < 0.3
    assert similarity(a, a) == 1.0


def test_similarity_falls_back_to_lexical_without_an_encoder(monkeypatch):
    monkeypatch.setattr(sim_mod, "default_embedder", lambda: None)
    a, b = "Summarise the report for the board.", "Summarise the report."
    assert similarity(a, b) == lexical_similarity(a, b)


def test_similarity_does_not_depend_on_the_cache():
    a = "Explain the trade-offs.\nUse a table.\n```\ncode here\n```"
    b = "Explain trade-offs.\nUse a table."
    first = similarity(a, b)
    clear_cache()
    assert similarity(a, b) == first
    assert split_units(a) == ["Explain the trade-offs.", "Use a table.", "```\ncode here\n```"]


@pytest.mark.parametrize("goal", ["conciseness", "token_efficiency"])
def test_engine_reports_encoder_similarity_and_fewer_tokens(goal):
    r = optimize_rules(VERBOSE, [goal], "general_assistant")
    assert r.tokens_after < r.tokens_before
    assert r.similarity == similarity(VERBOSE, r.optimized_prompt)
    assert r.similarity >= 0.90
    assert not r.warnings


class _Counting:
    """Wraps an encoder and records every text it was asked to embed."""

    def __init__(self, inner) -> None:
        self.inner, self.seen = inner, []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.embed(texts)


_LINES = [f"Step {n}: {task}." for n, task in enumerate(
    ["read the brief", "list the open questions", "draft an outline", "write the first section",
     "check every figure against its source", "cite each claim", "trim the introduction",
     "review the tone", "fix the formatting", "send it to the editor"], 1)]
_DOC = "\n".join(_LINES)


def test_aligned_similarity_of_an_unchanged_text_is_one_and_embeds_nothing():
    from promptsentry.encoders import sentence_encoder

    clear_cache()
    enc = _Counting(sentence_encoder())
    assert aligned_similarity(_DOC, _DOC + "\n", enc) == 1.0  # same units
    assert enc.seen == []


def test_a_recased_line_reads_the_same_to_the_uncased_encoder_and_is_not_embedded():
    from promptsentry.encoders import sentence_encoder

    clear_cache()
    inner = sentence_encoder()
    enc = _Counting(inner)
    enc.token_ids = inner.token_ids  # what the encoder reads, as its exact cache key
    recased = _DOC.replace("Step 4: write", "STEP 4: Write")
    assert aligned_similarity(_DOC, recased, enc) == 1.0
    assert unit_similarities([(_LINES[3], recased.split("\n")[3])], enc) == [1.0]
    assert enc.seen == []
    # a changed character the tokenizer does see is still embedded and costs something
    edited = _DOC.replace("Step 4: write", "Step 4: rewrite")
    assert aligned_similarity(_DOC, edited, enc) < 1.0
    assert sorted(enc.seen) == sorted([_LINES[3], edited.split("\n")[3]])
    # without ``token_ids`` the text itself is the key: the re-cased line is embedded
    plain = _Counting(inner)
    assert aligned_similarity(_DOC, recased, plain) == pytest.approx(1.0, abs=1e-6)
    assert len(plain.seen) == 2


def test_a_token_id_key_is_embedded_from_its_ids_with_the_vectors_text_would_give():
    from promptsentry.encoders import sentence_encoder

    clear_cache()
    inner = sentence_encoder()
    units = [_LINES[0], "A unit with numbers 42, punctuation (here) and \u00e9t\u00e9."]
    ids = inner.token_ids(units)
    for unit, unit_ids in zip(units, ids, strict=True):
        np.testing.assert_array_equal(inner.embed_ids([unit_ids]), inner.embed([unit]))

    class _ById(_Counting):
        """Exposes the encoder's ids path; ``seen`` only records the text path."""

        def __init__(self, inner) -> None:
            super().__init__(inner)
            self.token_ids, self.by_ids = inner.token_ids, []

        def embed_ids(self, rows):
            self.by_ids.extend(rows)
            return self.inner.embed_ids(rows)

    enc = _ById(inner)
    vecs = sim_mod.embed_units(units, enc)
    assert enc.seen == [] and enc.by_ids == ids  # tokenised once, for the key
    np.testing.assert_array_equal(vecs, np.concatenate([inner.embed([u]) for u in units]))


def test_one_changed_line_scores_its_own_cosine_weighted_by_its_share():
    from promptsentry.encoders import sentence_encoder

    clear_cache()
    enc = _Counting(sentence_encoder())
    old, new = _LINES[4], "Step 5: verify each number with the original data."
    got = aligned_similarity(_DOC, _DOC.replace(old, new), enc)
    assert sorted(set(enc.seen)) == sorted([old, new])  # only the changed line was embedded
    share = (len(old) + len(new)) / (2 * sum(map(len, _LINES)) - len(old) + len(new))
    [line_cos] = unit_similarities([(old, new)], enc)
    assert got == pytest.approx(1 - share * (1 - line_cos), abs=1e-6)
    assert line_cos < got < 1.0


def test_deleted_block_costs_by_its_share_and_its_meaning():
    kept = "\n".join(_LINES[:8])
    small = similarity(_DOC, kept + "\n" + _LINES[9])  # one short step gone
    large = similarity(_DOC, "\n".join(_LINES[:4] + _LINES[8:]))  # four steps gone
    assert 0.9 < small < 1.0
    assert large < small
    # a pure insertion is scored the same way, from the other side
    assert similarity(kept + "\n" + _LINES[9], _DOC) == small


def test_moved_and_repeated_lines_count_as_unchanged():
    enc = _Counting(_Distinct())
    reordered = "\n".join(_LINES[5:] + _LINES[:5])
    assert aligned_similarity(_DOC, reordered, enc) == 1.0
    assert aligned_similarity(_DOC + "\n" + _LINES[0], _DOC, enc) == 1.0  # a repeat dropped
    assert enc.seen == []


def test_a_wholesale_rewrite_falls_back_to_the_whole_text_cosine():
    rewritten = "\n".join(f"{line} Be brief." for line in _LINES[:7]) + "\n" + \
        "\n".join(_LINES[7:])
    assert similarity(_DOC, rewritten) == round(whole_text_similarity(_DOC, rewritten,
                                                                      sim_mod.default_embedder()),
                                                4)
    # with a fake encoder that finds every changed unit unrelated, the aligned score and the
    # whole-text one differ, so the fallback is observable
    enc = _Distinct()
    assert aligned_similarity(_DOC, rewritten, enc) == whole_text_similarity(_DOC, rewritten, enc)
    one = _DOC.replace(_LINES[0], _LINES[0] + " Be brief.")
    assert aligned_similarity(_DOC, one, enc) != whole_text_similarity(_DOC, one, enc)


def test_aligned_similarity_is_deterministic_and_cache_independent():
    b = _DOC.replace(_LINES[2], "Step 3: sketch a plan.").replace(_LINES[7], "")
    first = similarity(_DOC, b)
    clear_cache()
    similarity("unrelated warm-up text", "another one")
    assert similarity(_DOC, b) == first
    clear_cache()
    assert similarity(_DOC, b) == first
