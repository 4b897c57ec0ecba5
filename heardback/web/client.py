"""The client's address: one answer, used by every limit and throttle.

Behind a reverse proxy every request arrives from the proxy, so counting by REMOTE_ADDR
would give all visitors one shared budget. `TRUSTED_PROXIES` (CIDRs) names the proxies
whose `X-Forwarded-For` we believe. The header is read from the right: each trusted hop
is skipped, and the first address that is not a trusted proxy is the client. Anything a
client writes into the header itself sits further left, behind that address, and is never
reached; from an untrusted REMOTE_ADDR the header is ignored entirely.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"
_ATTRIBUTE = "_heardback_client_address"


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES takes addresses or networks such as 10.0.0.0/8: {error}"
        ) from error


def trusted_proxies() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def parse_address(text: str) -> Address | None:
    """An address as proxies write it: bare, `[v6]:port` or `v4:port`; None if it isn't one."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4 with a port (a v6 address has two colons or more)
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # one client, one spelling
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address of whoever sent `request`, as text ("unknown" when there is none)."""
    known: str | None = getattr(request, _ATTRIBUTE, None)
    if known is not None:
        return known
    address = _find(request)
    setattr(request, _ATTRIBUTE, address)
    return address


def _find(request: HttpRequest) -> str:
    peer = parse_address(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return UNKNOWN
    networks = trusted_proxies()
    if not _is_trusted(peer, networks):
        return str(peer)
    client = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = parse_address(hop)
        if address is None:
            break  # a trusted proxy never writes this: stop at the last hop we could read
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


def client_key(request: HttpRequest) -> str:
    """What limits count by: the address, or its /64 for IPv6.

    One IPv6 subscriber usually holds a whole /64, so counting single v6 addresses would
    give them 2**64 budgets.
    """
    address = parse_address(client_address(request))
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address) if address is not None else UNKNOWN
