"""SSRF refusals of the egress layer. Only loopback servers are ever contacted (allow-listed
where a call must succeed); "resolves to a private address" and DNS rebinding use a fake
resolver, and :class:`PinnedBackend` records every address a socket was opened to."""

from __future__ import annotations

import ipaddress
import ssl

import pytest

from judge.servers import FakeResolver, self_signed
from promptsentry.providers import ChatRequest, Endpoint, ProviderClient, ProviderError
from promptsentry.providers.egress import (
    EgressPolicy,
    UnsafeEndpoint,
    check_endpoint,
    forbidden_reason,
)

REFUSED = [
    ("127.0.0.1", "loopback"), ("127.9.9.9", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"), ("169.254.1.1", "link_local"), ("fe80::1", "link_local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::", "unspecified"), ("240.0.0.1", "reserved"), ("100.64.0.1", "shared_address_space"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"), ("192.0.2.10", "private"),
    # IPv4 inside IPv6: mapped, compatible, 6to4, NAT64 (well-known and local-use), Teredo
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:169.254.169.254", "metadata"),
    ("::10.0.0.1", "private"), ("2002:a9fe:a9fe::1", "metadata"),
    ("64:ff9b::a9fe:a9fe", "metadata"), ("64:ff9b:1::a00:1", "private"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),  # Teredo client 10.0.0.1
]


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_every_refused_address_class(address: str, reason: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "8.8.8.8",
                                     "::ffff:93.184.216.34"])
def test_global_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(("address", "reason"), REFUSED)
async def test_saving_refuses_each_class_without_connecting(address: str, reason: str) -> None:
    resolver = FakeResolver({"model.example": [address]})
    with pytest.raises(UnsafeEndpoint) as info:
        await check_endpoint("https://model.example/v1", EgressPolicy(), resolver)
    assert info.value.reason == reason


async def test_plain_http_needs_the_allow_list() -> None:
    resolver = FakeResolver({"api.example": ["93.184.216.34"]})
    with pytest.raises(UnsafeEndpoint) as info:
        await check_endpoint("http://api.example/v1", EgressPolicy(), resolver)
    assert info.value.reason == "http"
    allowed = EgressPolicy.from_entries(["api.example"])
    assert await check_endpoint("http://api.example/v1", allowed, resolver) == ["93.184.216.34"]


async def test_hostname_resolving_to_a_private_address_among_public_ones_is_refused() -> None:
    resolver = FakeResolver({"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(UnsafeEndpoint) as info:
        await check_endpoint("https://mixed.example/v1", EgressPolicy(), resolver)
    assert info.value.reason == "private"


@pytest.mark.parametrize("url", ["ftp://x.example/", "https://user:pw@x.example/", "https:///v1",
                                 "https://x.example:99999/"])
async def test_malformed_or_odd_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeEndpoint):
        await check_endpoint(url, EgressPolicy(), FakeResolver({"x.example": ["8.8.8.8"]}))


def test_allow_list_entries() -> None:
    policy = EgressPolicy.from_entries(["Ollama.internal.", "127.0.0.1", "10.8.0.0/16", "::1"])
    assert policy.host_allowed("ollama.internal") and policy.host_allowed("127.0.0.1")
    assert policy.address_allowed(ipaddress.ip_address("10.8.3.4"))
    assert policy.address_allowed(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert not policy.address_allowed(ipaddress.ip_address("10.9.0.1"))


def _client(url: str, policy: EgressPolicy, resolver: FakeResolver, **kw) -> ProviderClient:
    return ProviderClient(Endpoint("openai", url, "m"), purpose="judge", policy=policy,
                          resolver=resolver, retries=0, timeout_s=3, **kw)


async def test_a_name_resolving_to_private_is_never_connected(judges) -> None:
    fake = judges("openai")
    resolver = FakeResolver({"evil.example": ["10.0.0.5"]})
    client = _client(fake.base_for("evil.example").replace("http:", "https:"), EgressPolicy(),
                     resolver)
    with pytest.raises(ProviderError) as info:
        await client.complete(ChatRequest("s", "u"))
    assert "unsafe endpoint (private)" in str(info.value)
    assert client.last_transport.backend.connected == []
    assert fake.requests == []


async def test_dns_rebinding_connects_to_the_checked_address_only(judges, tmp_path) -> None:
    """The name is resolved once per connection and the socket goes to that checked address;
    the certificate is verified for the original name (SNI) and Host is the original name."""
    cert, key = self_signed(tmp_path, "judge.example")
    fake = judges("openai", tls=(cert, key))
    ctx = ssl.create_default_context(cafile=str(cert))
    # first answer: the (allow-listed) loopback server; any later answer: the metadata address
    resolver = FakeResolver({"judge.example": [["127.0.0.1"], ["169.254.169.254"]]})
    policy = EgressPolicy.from_entries(["127.0.0.1"])
    client = _client(fake.base_for("judge.example"), policy, resolver, verify=ctx)
    fake.default = ("prose", "hello")
    done = await client.complete(ChatRequest("s", "u"))
    assert done.text == "hello"
    assert resolver.asked == ["judge.example"]
    assert client.last_transport.backend.connected == ["127.0.0.1"]
    assert fake.requests[0]["headers"]["host"] == f"judge.example:{fake.port}"
    # the next connection asks again and gets the metadata address: refused, never connected
    with pytest.raises(ProviderError) as info:
        await client.complete(ChatRequest("s", "u"))
    assert "unsafe endpoint (metadata)" in str(info.value)
    assert client.last_transport.backend.connected == []
    assert len(fake.requests) == 1


async def test_saved_check_is_not_trusted_at_connect_time(judges) -> None:
    """Public at save time, private when the call is made: the call is refused."""
    resolver = FakeResolver({"flip.example": [["93.184.216.34"], ["10.0.0.9"]]})
    assert await check_endpoint("https://flip.example/v1", EgressPolicy(), resolver)
    client = _client("https://flip.example/v1", EgressPolicy(), resolver)
    with pytest.raises(ProviderError) as info:
        await client.complete(ChatRequest("s", "u"))
    assert "unsafe endpoint (private)" in str(info.value)
    assert client.last_transport.backend.connected == []


async def test_redirect_to_a_private_address_is_not_followed(judges) -> None:
    fake = judges("openai")
    fake.default = ("redirect", "http://169.254.169.254/latest/meta-data/")
    client = _client(fake.url, EgressPolicy.from_entries(["127.0.0.1"]), FakeResolver({}))
    with pytest.raises(ProviderError) as info:
        await client.complete(ChatRequest("s", "u"))
    assert info.value.status == 302 and not info.value.retryable
    assert client.last_transport.backend.connected == ["127.0.0.1"]
    assert len(fake.requests) == 1


async def test_answer_size_is_capped(judges) -> None:
    fake = judges("openai")
    fake.default = ("big", 300_000)
    client = _client(fake.url, EgressPolicy.from_entries(["127.0.0.1"]), FakeResolver({}),
                     max_response_bytes=64 * 1024)
    with pytest.raises(ProviderError) as info:
        await client.complete(ChatRequest("s", "u"))
    assert "larger than 65536 bytes" in str(info.value)


async def test_loopback_without_allow_list_is_refused_at_call_time(judges) -> None:
    fake = judges("openai")
    client = _client(fake.url.replace("http:", "https:"), EgressPolicy(), FakeResolver({}))
    with pytest.raises(ProviderError) as info:
        await client.complete(ChatRequest("s", "u"))
    assert "unsafe endpoint (loopback)" in str(info.value)
    assert fake.requests == []
