"""The client address of a request, as the per-address budgets count it.

The peer of the connection is the client, unless that peer is one of the reverse proxies named in
ANSINH_TRUSTED_PROXIES (default: none). Only then is X-Forwarded-For read, from the right: each
trusted proxy appends the peer it saw, so the right-most address that is not a trusted proxy is
the client, and whatever a client wrote into the header itself (to the left) is never believed.
A header from an untrusted peer is ignored: otherwise every request could name a new address and
start a new budget (issue 13, finding 7).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Proxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Proxies:
        """Addresses or networks (CIDR); ValueError names the first that is neither."""
        return cls(tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries))

    def trusts(self, address: str) -> bool:
        if not self.networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


@functools.lru_cache(maxsize=8)
def proxies_of(entries: tuple[str, ...]) -> Proxies:
    """The parsed form of Settings.trusted_proxies (validated when the settings were read)."""
    return Proxies.parse(entries)


def _forwarded_for(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    hops: list[str] = []
    for name, value in headers:
        if name.lower() == b"x-forwarded-for":
            hops.extend(part.strip() for part in value.decode("latin-1").split(","))
    return [hop for hop in hops if hop]


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_address(scope: Mapping[str, Any], proxies: Proxies) -> str:
    """The client of an ASGI scope (HTTP or WebSocket)."""
    peer = scope.get("client")
    if not peer:
        return UNKNOWN
    address = str(peer[0])
    if not proxies.trusts(address):
        return address
    for hop in reversed(_forwarded_for(scope.get("headers") or ())):
        parsed = _address(hop)
        if parsed is None:
            # Garbage in the chain: nothing to its left can be attributed; the last hop stands.
            return address
        if not proxies.trusts(parsed):
            return parsed
        address = parsed
    return address
