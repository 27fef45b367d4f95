"""One provider endpoint: every outbound LLM call (judge, escalation, optimizer) goes here.

Raw ``httpx`` rather than the official OpenAI / Anthropic / Google SDKs: the three formats are
one POST each, and one transport we control is what makes BYOM safe — the SSRF-pinned
connection (:mod:`promptsentry.providers.egress`), no redirects, no proxies from the
environment, a response size cap — and lets an OpenAI-compatible local server (Ollama, vLLM,
llama.cpp) be called exactly like OpenAI. Around the POST:

* retries with ``tenacity`` on timeouts, connection errors, 408/409/425/429 and 5xx, waiting
  what ``Retry-After`` asks (seconds or HTTP date, capped) or an exponential back-off, and
  never past the caller's deadline;
* a per-endpoint concurrency limit and a :class:`~promptsentry.providers.breaker.CircuitBreaker`;
* with a :class:`~promptsentry.providers.pool.ClientPool`, kept-alive connections shared by
  every call to the same origin (the judge's); without one, a client per call;
* token and cost accounting (:mod:`promptsentry.providers.usage`).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from promptsentry.providers import usage, wire
from promptsentry.providers.breaker import CircuitBreaker
from promptsentry.providers.egress import EgressPolicy, Resolver, pinned_transport, system_resolver
from promptsentry.providers.pool import ClientPool

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and what to call. ``api_key`` is plaintext in memory only (never logged)."""

    api: str
    url: str
    model: str
    api_key: str | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"{self.api}:{self.model}"


class ProviderError(RuntimeError):
    """A call failed; ``retryable`` says whether trying again could help."""

    def __init__(self, message: str, *, retryable: bool = False,
                 retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.attempts = 1


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    attempts: int
    cost_usd: float = 0.0


def _no_cookies() -> CookieJar:
    """A cookie jar that accepts no cookie (no domain is allowed). Handed to httpx as the
    jar itself: an ``httpx.Cookies`` would be copied into a jar with the default policy."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


class ProviderClient:
    """Calls one :class:`Endpoint` with retries, a deadline, a concurrency limit and a
    circuit breaker. ``policy`` is the egress (SSRF) policy; a trusted policy is for
    endpoints only the operator configures (the optimizer's)."""

    def __init__(self, endpoint: Endpoint, *, purpose: str, policy: EgressPolicy,
                 resolver: Resolver = system_resolver, verify: ssl.SSLContext | bool = True,
                 timeout_s: float = 30.0, retries: int = 2, backoff_s: float = 0.25,
                 max_retry_after_s: float = 30.0, max_response_bytes: int = 1 << 20,
                 concurrency: int = 16, breaker: CircuitBreaker | None = None,
                 price: tuple[float, float] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 pool: ClientPool | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if endpoint.api not in wire.APIS:
            raise ValueError(f"unknown LLM provider {endpoint.api!r}")
        self.endpoint = endpoint
        self.purpose = purpose
        self.policy = policy
        self.resolver = resolver
        self.verify = verify
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.max_response_bytes = max_response_bytes
        self.concurrency = concurrency
        self.breaker = breaker or CircuitBreaker()
        self.price = price
        self._transport = transport
        self._pool = pool
        self._sleep = sleep
        self._limits: dict[int, asyncio.Semaphore] = {}
        self.last_transport: httpx.AsyncBaseTransport | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        # asyncio primitives belong to one event loop; tests run one loop per test.
        loop_id = id(asyncio.get_running_loop())
        sem = self._limits.get(loop_id)
        if sem is None:
            self._limits = {loop_id: (sem := asyncio.Semaphore(self.concurrency))}
        return sem

    def _client(self, timeout: float, limits: httpx.Limits | None = None) -> httpx.AsyncClient:
        transport = self._transport
        if transport is None and not self.policy.trusted:
            transport = pinned_transport(self.policy, resolver=self.resolver, verify=self.verify,
                                         limits=limits)
        self.last_transport = transport
        extra: dict[str, Any] = {} if transport is not None else {"verify": self.verify}
        if limits is not None and transport is None:
            extra["limits"] = limits
        # No cookie jar: a pooled client serves every caller of an origin (several tenants'
        # keys), so nothing one answer sets may ride along with another caller's request.
        return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False,
                                 trust_env=False, cookies=_no_cookies(), **extra)

    def pool_key(self) -> tuple[Any, ...]:
        """What a pooled client is shared by: the endpoint's origin and the transport (the
        egress policy, resolver and TLS verification that the pinned connection uses)."""
        parts = urlsplit(self.endpoint.url)
        verify = self.verify if isinstance(self.verify, bool) else id(self.verify)
        return (parts.scheme, (parts.hostname or "").lower(), parts.port, self.policy,
                self.resolver, verify)

    @asynccontextmanager
    async def _lease(self, timeout: float) -> AsyncIterator[httpx.AsyncClient]:
        """The pool's client for this endpoint, else (no pool, or a transport given by the
        caller) a client for this one call."""
        if self._pool is None or self._transport is not None:
            async with self._client(timeout) as client:
                yield client
            return
        pool = self._pool
        async with pool.lease(self.pool_key(),
                              lambda: self._client(timeout, pool.limits)) as client:
            self.last_transport = client._transport  # noqa: SLF001 - for tests and debugging
            yield client

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, ProviderError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after_s)
        return self.backoff_s * (2 ** (state.attempt_number - 1))

    async def complete(self, req: wire.ChatRequest, *,
                       deadline_s: float | None = None) -> Completion:
        """One answer; raises :class:`ProviderError` (``attempts`` set) on failure."""
        ep = self.endpoint
        if not self.breaker.allow():
            usage.record(self.purpose, ep.api, ep.model, "error")
            raise ProviderError("circuit open: the endpoint failed repeatedly; not called")
        url, headers, body = wire.build(ep.api, ep.url, ep.model, ep.api_key, req)
        started = time.monotonic()
        budget = deadline_s if deadline_s is not None else float("inf")
        stop = stop_after_attempt(self.retries + 1)
        if deadline_s is not None:
            stop = stop | stop_before_delay(deadline_s)
        attempts = 0
        try:
            async with self._semaphore():
                async for attempt in AsyncRetrying(
                        stop=stop, wait=self._wait, reraise=True, sleep=self._sleep,
                        retry=retry_if_exception(
                            lambda e: isinstance(e, ProviderError) and e.retryable)):
                    with attempt:
                        attempts = attempt.retry_state.attempt_number
                        left = budget - (time.monotonic() - started)
                        if left <= 0:
                            raise ProviderError("deadline passed before the call")
                        parsed = await self._once(url, headers, body,
                                                  min(self.timeout_s, left))
        except ProviderError as exc:
            exc.attempts = max(attempts, 1)
            if exc.retryable or exc.status is None:
                self.breaker.failure()
            usage.record(self.purpose, ep.api, ep.model, "error")
            raise
        self.breaker.success()
        cost = usage.cost_usd(self.price, parsed.input_tokens, parsed.output_tokens)
        usage.record(self.purpose, ep.api, ep.model, "ok", parsed.input_tokens,
                     parsed.output_tokens, cost)
        return Completion(parsed.text, parsed.input_tokens, parsed.output_tokens, attempts,
                          cost)

    async def _once(self, url: str, headers: dict[str, str], body: dict[str, Any],
                    timeout: float) -> wire.Parsed:
        raw = bytearray()
        try:
            async with self._lease(timeout) as client, client.stream(
                    "POST", url, headers=headers, json=body, timeout=timeout) as resp:
                if resp.status_code != 200:
                    status = resp.status_code
                    raise ProviderError(
                        f"HTTP {status}", status=status,
                        retryable=status in RETRYABLE_STATUS or status >= 500,
                        retry_after=parse_retry_after(resp.headers.get("retry-after")))
                async for chunk in resp.aiter_bytes():
                    raw += chunk
                    if len(raw) > self.max_response_bytes:
                        raise ProviderError(
                            f"answer larger than {self.max_response_bytes} bytes; refused")
        except httpx.TimeoutException as exc:
            raise ProviderError(type(exc).__name__, retryable=True) from exc
        except httpx.TransportError as exc:
            unsafe = "unsafe endpoint" in str(exc)
            raise ProviderError(str(exc)[:200] if unsafe else type(exc).__name__,
                                retryable=not unsafe) from exc
        try:
            data = json.loads(bytes(raw))
        except ValueError as exc:
            raise ProviderError("provider answered non-JSON") from exc
        try:
            return wire.parse(self.endpoint.api, data)
        except wire.WireError as exc:
            raise ProviderError(str(exc)) from exc
