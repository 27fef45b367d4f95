"""IP addresses and networks in one canonical form, wherever an IP is a key.

An IPv4-mapped IPv6 address (``::ffff:192.0.2.7``) is the IPv4 address: a dual-stack socket
reports IPv4 peers that way, and a client may write it so on purpose. Keyed as text, the two
spellings were two addresses — a manual block of ``192.0.2.7`` did not hold for
``::ffff:192.0.2.7``, and the per-IP limit counted the two separately. Every place that keys,
stores or compares an address uses these helpers.
"""

from __future__ import annotations

import ipaddress

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def ip_address(value: str) -> IpAddress:
    """The address in ``value`` (IPv4-mapped IPv6 → IPv4); raises ``ValueError``."""
    address = ipaddress.ip_address(value.strip())
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def ip_network(value: str) -> IpNetwork:
    """The network in ``value`` (host bits dropped; an IPv4-mapped IPv6 network of prefix 96
    or longer → the IPv4 network); raises ``ValueError``."""
    network = ipaddress.ip_network(value.strip(), strict=False)
    if (isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96
            and network.subnet_of(_MAPPED)):
        v4 = ipaddress.IPv4Address(int(network.network_address) & 0xFFFFFFFF)
        return ipaddress.IPv4Network((v4, network.prefixlen - 96))
    return network


def canonical_ip(value: str) -> str:
    """The canonical text of an address; raises ``ValueError``."""
    return str(ip_address(value))


def canonical_ip_or_network(value: str) -> str:
    """Canonical address, or canonical CIDR network when ``value`` has a ``/``."""
    return str(ip_network(value)) if "/" in value else canonical_ip(value)
