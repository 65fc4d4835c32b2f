"""Which network addresses the archiver may connect to (SSRF protection).

Checked three times: on the URL's host before a request, spelled exactly as aiohttp will connect to it
(yarl's IDNA/UTS-46 mapping, which turns `①②⑦.0.0.1` or `１２７。０。０。１` into 127.0.0.1); on the resolved
addresses (so DNS rebinding cannot slip through); and on the address of every socket about to connect,
which also covers IP literals that never go through the resolver. The fetcher checks every redirect hop.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import ResolveResult
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from aggregator.urls import normalize_url

# getaddrinfo()'s tuple: family, type, proto, canonname, sockaddr (aiohappyeyeballs' AddrInfoType)
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]

# Ranges that `ipaddress`'s is_private/is_global flags do not settle on their own.
_EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64, embeds IPv4
    ipaddress.ip_network("64:ff9b:1::/48"),
]


class BlockedAddressError(OSError):
    """The target resolves to an address the settings do not allow."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(value: str) -> bool:
    """True only for globally routable unicast addresses (embedded IPv4 checked too)."""
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    if any(address in network for network in _EXTRA_BLOCKED if network.version == address.version):
        return False
    return address.is_global and not address.is_multicast


def parse_ip_literal(host: str) -> str | None:
    """The canonical address if `host` is an IP literal in any form browsers accept, else None.

    inet_aton accepts the octal ("0177.0.0.1"), hex ("0x7f.1") and decimal ("2130706433") forms
    that have been used to slip past string checks.
    """
    host = host.strip("[]")
    # "127.0.0.1." is the same address as a resolver reads it, and URL canonicalisation drops every trailing dot
    host = host.rstrip(".")
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    if host and all(ch in "0123456789abcdefxABCDEFX." for ch in host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """Which addresses may be connected to: public ones, plus all (allow_private) or listed networks."""

    allow_private: bool = False
    allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_settings(cls, allow_private: bool, networks: Iterable[str] = ()) -> NetworkPolicy:
        return cls(allow_private, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def permits(self, value: str) -> bool:
        if self.allow_private or is_public_address(value):
            return True
        try:
            address = ipaddress.ip_address(value.split("%", 1)[0])
        except ValueError:
            return False
        return any(address.version == net.version and address in net for net in self.allowed_networks)


def check_host(host: str, policy: NetworkPolicy) -> None:
    """Raise BlockedAddressError for an IP-literal (or localhost) host the policy does not permit.

    Names are checked again after resolution, at connect time, by GuardedResolver.
    """
    if policy.allow_private:
        return
    literal = parse_ip_literal(host)
    if literal is not None and not policy.permits(literal):
        raise BlockedAddressError(f"refused to connect to non-public address {literal}")
    name = host.lower().rstrip(".")
    if literal is None and not policy.allowed_networks and (name == "localhost" or name.endswith(".localhost")):
        raise BlockedAddressError(f"refused to connect to {host}")


def connect_host(url: str) -> str:
    """The host aiohttp connects to for `url`: yarl's parse of it (aiohttp builds `URL(url)` from a str), with
    its NFKC/IDNA mapping of Unicode digits and full stops. Raises ValueError (or UnicodeError) as yarl does."""
    return URL(url).raw_host or ""


def check_url(url: str, policy: NetworkPolicy) -> None:
    """check_host() on the host as written, the host the HTTP client will really connect to, and the host of the
    canonical URL (so every spelling of one address gets the canonical spelling's decision)."""
    if policy.allow_private:
        return
    check_host(urlsplit(url).hostname or "", policy)
    check_host(connect_host(url), policy)
    canonical = normalize_url(url)
    if canonical is not None:
        check_host(urlsplit(canonical).hostname or "", policy)


def guarded_socket_factory(policy: NetworkPolicy) -> Callable[[AddrInfo], socket.socket] | None:
    """A socket factory for aiohttp.TCPConnector that refuses to open a socket towards an address the policy does
    not permit: the last check, on the very address connected to, whether or not it came from the resolver."""
    if policy.allow_private:
        return None

    def factory(addr_info: AddrInfo) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        address = str(sockaddr[0])
        if not policy.permits(address):
            raise BlockedAddressError(f"refused to connect to non-public address {address}")
        return socket.socket(family=family, type=type_, proto=proto)

    return factory


class GuardedResolver(ThreadedResolver):
    """Resolver that drops addresses the policy does not permit, so DNS rebinding cannot slip through."""

    def __init__(self, policy: NetworkPolicy, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await super().resolve(host, port, family)
        if self._policy.allow_private:
            return results
        allowed = [r for r in results if self._policy.permits(r["host"])]
        if not allowed:
            addresses = ", ".join(sorted({r["host"] for r in results}))
            raise BlockedAddressError(f"refused: {host} resolves to non-public address {addresses}")
        return allowed
