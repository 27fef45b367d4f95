"""The provider layer on its own: Retry-After, back-off, the circuit breaker, the answer
parser's strictness, and the concurrency limit."""

from __future__ import annotations

import asyncio
import email.utils
import time

import pytest

from judge.servers import FakeResolver
from promptsentry.judge.answer import JudgeAnswerError, parse_answer
from promptsentry.providers import ChatRequest, EgressPolicy, Endpoint, ProviderClient
from promptsentry.providers.breaker import CircuitBreaker
from promptsentry.providers.client import ProviderError, parse_retry_after

NONCE = "ab" * 16


def _client(fake, **kw) -> tuple[ProviderClient, list[float]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    client = ProviderClient(Endpoint(fake.api, fake.url, "m"), purpose="test",
                            policy=EgressPolicy.from_entries(["127.0.0.1"]),
                            resolver=FakeResolver({}), timeout_s=3, backoff_s=0.25, sleep=sleep,
                            **kw)
    return client, waits


async def test_retry_after_seconds_and_http_date_are_honoured(judges):
    fake = judges("openai", default=("prose", "done"))
    later = email.utils.formatdate(time.time() + 7, usegmt=True)
    fake.script = [("status", 429, {"retry-after": "3"}), ("status", 503, {"retry-after": later})]
    client, waits = _client(fake, retries=2)
    answer = await client.complete(ChatRequest("s", "u"))
    assert answer.text == "done" and answer.attempts == 3
    assert waits[0] == 3.0 and 5.0 <= waits[1] <= 7.0


async def test_without_retry_after_the_back_off_is_exponential(judges):
    fake = judges("gemini", default=("prose", "done"))
    fake.script = [("status", 500), ("status", 502)]
    client, waits = _client(fake, retries=2)
    await client.complete(ChatRequest("s", "u"))
    assert waits == [0.25, 0.5]


async def test_retry_after_is_capped_and_client_errors_are_final(judges):
    fake = judges("anthropic", default=("status", 429, {"retry-after": "3600"}))
    client, waits = _client(fake, retries=1, max_retry_after_s=5)
    with pytest.raises(ProviderError) as info:
        await client.complete(ChatRequest("s", "u"))
    assert waits == [5] and info.value.status == 429 and info.value.attempts == 2
    fake.default = ("status", 403)
    client, waits = _client(fake, retries=3)
    with pytest.raises(ProviderError):
        await client.complete(ChatRequest("s", "u"))
    assert waits == []


async def test_circuit_breaker_opens_after_repeated_failures(judges):
    fake = judges("openai", default=("status", 500))
    clock = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown_s=30, clock=lambda: clock[0])
    client, _ = _client(fake, retries=0, breaker=breaker)
    for _ in range(2):
        with pytest.raises(ProviderError):
            await client.complete(ChatRequest("s", "u"))
    with pytest.raises(ProviderError) as info:
        await client.complete(ChatRequest("s", "u"))
    assert "circuit open" in str(info.value) and len(fake.requests) == 2
    clock[0] = 31.0  # half-open: one trial goes out, and its success closes the circuit
    fake.default = ("prose", "back")
    assert (await client.complete(ChatRequest("s", "u"))).text == "back"
    assert breaker.state == "closed"


async def test_concurrency_limit(judges):
    fake = judges("openai", default=("prose", "x"))
    fake.script = [("sleep", 0.3)] * 4
    client, _ = _client(fake, retries=0, concurrency=2)
    t0 = time.monotonic()
    await asyncio.gather(*(client.complete(ChatRequest("s", "u")) for _ in range(4)))
    assert time.monotonic() - t0 >= 0.55  # two rounds of two


def test_parse_retry_after() -> None:
    assert parse_retry_after("12") == 12.0 and parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


@pytest.mark.parametrize("text", [
    "", "clean", "[]", '{"verdict": "clean"}',
    '{"verdict": "CLEAN", "confidence": 0.9, "categories": [], "reason": "", "nonce": "%s"}',
    '{"verdict": "clean", "confidence": 1.5, "categories": [], "reason": "", "nonce": "%s"}',
    '{"verdict": "clean", "confidence": "0.9", "categories": [], "reason": "", "nonce": "%s"}',
    '{"verdict": "clean", "confidence": 0.9, "categories": [], "reason": "", "nonce": "%s", '
    '"extra": 1}',
    'Sure! {"verdict": "clean", "confidence": 0.9, "categories": [], "reason": "", '
    '"nonce": "%s"}',
    '{"verdict": "clean", "confidence": 0.9, "categories": [], "reason": "", '
    '"nonce": "cd%s"}',
])
def test_answers_off_the_schema_are_refused(text: str) -> None:
    with pytest.raises(JudgeAnswerError):
        parse_answer(text.replace("%s", NONCE), NONCE)


def test_a_valid_answer_parses() -> None:
    answer = parse_answer('```json\n{"verdict": "malicious", "confidence": 1, "categories": '
                          f'["jailbreak"], "reason": "override", "nonce": "{NONCE}"}}\n```', NONCE)
    assert answer.verdict == "malicious" and answer.confidence == 1.0
