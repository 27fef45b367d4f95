"""Outbound requests that cannot be turned against us (SSRF).

A tenant's own model endpoint ("BYOM") is a URL someone else chose. Every call to such a URL
goes through :func:`pinned_transport`:

* ``https`` only; plain ``http`` only for a host the operator allow-lists
  (``PROMPTSENTRY_EGRESS_ALLOWLIST``, e.g. a local Ollama);
* the host name is resolved **once per connection**, every answer is checked, and the socket
  connects to the checked address — httpcore never resolves the name again, so a DNS answer
  that changes between check and connect (rebinding) cannot redirect it. TLS still verifies
  the certificate of the original name (SNI) and ``Host`` is the original name;
* refused: loopback, private (RFC 1918, ULA), link-local, multicast, unspecified, reserved,
  shared address space (CGNAT, 100.64.0.0/10), every other non-global range, and the cloud
  metadata addresses — in IPv4 and IPv6, IPv4 embedded in IPv6 included (mapped ``::ffff:``,
  compatible ``::a.b.c.d``, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``,
  Teredo ``2001::/32``);
* an allow-listed host name or address (or network) is exempt;
* no proxies from the environment, no redirects (the client sets ``follow_redirects=False``).

:func:`check_endpoint` is the same check without connecting, for saving an endpoint.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore
import httpx

from promptsentry.netaddr import IpAddress, IpNetwork

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``await resolver(host, port)`` → the addresses the name resolves to (text)."""

METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, …
    "169.254.170.2",    # AWS ECS task metadata
    "169.254.169.123",  # AWS time sync
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",      # Oracle Cloud (classic)
    "fd00:ec2::254",    # AWS IMDS over IPv6
    "fd00:ec2::23",     # AWS DNS over IPv6
))
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_COMPAT = ipaddress.IPv6Network("::/96")


class UnsafeEndpoint(ValueError):
    """An endpoint we refuse to call; ``reason`` is a stable word (``loopback``, ``http``…)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def embedded_ipv4(address: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's (obfuscated-back) address
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _COMPAT and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: IpAddress) -> str | None:
    """Why ``address`` may not be called (``None``: a global unicast address)."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = forbidden_reason(inner)
        if reason is not None or address.teredo is None:  # type: ignore[union-attr]
            return reason  # the packets go to the embedded IPv4 address
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "shared_address_space"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "not_global"
    return None


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """The operator's allow-list: host names (exact, case-insensitive) and addresses or
    networks. ``trusted`` turns every check off (endpoints only the operator configures)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IpNetwork, ...] = ()
    trusted: bool = False

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> EgressPolicy:
        hosts, networks = set(), []
        for raw in entries:
            entry = raw.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def host_allowed(self, host: str) -> bool:
        host = host.lower().strip("[]").rstrip(".")
        if host in self.hosts:
            return True
        try:
            return self.address_allowed(ipaddress.ip_address(host))
        except ValueError:
            return False

    def address_allowed(self, address: IpAddress) -> bool:
        candidates = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        return any(a.version == n.version and a in n for a in candidates for n in self.networks)


def split_url(url: str, policy: EgressPolicy) -> tuple[str, int]:
    """The host and port of ``url``; raises :class:`UnsafeEndpoint` for a scheme or shape we
    refuse (checked without any network access)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeEndpoint("malformed", f"not a valid URL: {exc}") from None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeEndpoint("scheme", "the endpoint must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise UnsafeEndpoint("userinfo", "credentials in the URL are not accepted; use api_key")
    if parts.scheme == "http" and not (policy.trusted or policy.host_allowed(host)):
        raise UnsafeEndpoint("http", "plain http is allowed only for hosts on the egress "
                                     "allow-list (PROMPTSENTRY_EGRESS_ALLOWLIST); use https")
    return host, port or (443 if parts.scheme == "https" else 80)


def check_addresses(host: str, addresses: Sequence[str], policy: EgressPolicy) -> list[str]:
    """The addresses of ``host`` that may be called, in order; raises
    :class:`UnsafeEndpoint` when any of them is refused (a name that resolves to a private
    address among public ones is refused as a whole) or there are none."""
    if not addresses:
        raise UnsafeEndpoint("unresolvable", f"{host!r} does not resolve")
    if policy.trusted or host.lower() in policy.hosts:
        return list(addresses)
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = forbidden_reason(address)
        if reason is not None and not policy.address_allowed(address):
            raise UnsafeEndpoint(reason, f"{host!r} resolves to a {reason.replace('_', ' ')} "
                                         "address; refused (SSRF protection)")
    return list(addresses)


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer for ``host`` (literal addresses are returned as is)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_endpoint(url: str, policy: EgressPolicy,
                         resolver: Resolver = system_resolver) -> list[str]:
    """Check ``url`` and what its host resolves to, without connecting; the addresses."""
    host, port = split_url(url, policy)
    return check_addresses(host, await resolver(host, port), policy)


@dataclass
class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend that resolves and checks the host itself and connects to
    the checked address; ``connected`` records every address it connected to."""

    policy: EgressPolicy
    resolver: Resolver = system_resolver
    inner: httpcore.AsyncNetworkBackend = field(default_factory=httpcore.AnyIOBackend)
    connected: list[str] = field(default_factory=list)

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[object] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = check_addresses(host, await self.resolver(host, port), self.policy)
        except UnsafeEndpoint as exc:
            raise httpcore.ConnectError(f"unsafe endpoint ({exc.reason}): {exc}") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                stream = await self.inner.connect_tcp(address, port, timeout=timeout,
                                                      local_address=local_address,
                                                      socket_options=socket_options)
            except httpcore.ConnectError as exc:
                last = exc
                continue
            self.connected.append(address)
            return stream
        raise last or httpcore.ConnectError(f"cannot connect to {host!r}")

    async def connect_unix_socket(self, *args: object, **kwargs: object
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for egress")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """``httpx`` transport over :class:`PinnedBackend` (no proxies from the environment)."""

    def __init__(self, backend: PinnedBackend, *, verify: ssl.SSLContext | bool = True,
                 limits: httpx.Limits | None = None) -> None:
        super().__init__(verify=verify, trust_env=False)
        ctx = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(
            verify=verify, trust_env=False)
        limits = limits or httpx.Limits()
        self.backend = backend
        # Every new connection of this pool goes through ``backend.connect_tcp``: resolved
        # and checked again; kept-alive connections stay on their checked address.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ctx, network_backend=backend, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry)


def pinned_transport(policy: EgressPolicy, *, resolver: Resolver = system_resolver,
                     verify: ssl.SSLContext | bool = True,
                     limits: httpx.Limits | None = None) -> PinnedTransport:
    return PinnedTransport(PinnedBackend(policy, resolver), verify=verify, limits=limits)
