"""The real client address behind reverse proxies, believed only from configured trusted proxies.

A proxy appends the address it received the request from to ``X-Forwarded-For`` (or adds a
``for=`` element to RFC 7239 ``Forwarded``). Anyone can send those headers, so they mean something
only when the TCP peer is one of ``MOKE_TRUSTED_PROXIES``; then the chain is read from the right
(the hop nearest to us) and the first address that is not itself a trusted proxy is the client —
the rule of nginx's ``real_ip_recursive on``. From any other peer the headers are ignored and
``request.remote`` stays the TCP peer, so a guesser cannot forge an address to dodge the
per-address invite limit (``rooms.guard``), and a whole district behind one proxy is not one address.

A small middleware rather than aiohttp-remotes: its ``XForwardedStrict``/``ForwardedStrict`` answer
400 to any request from an untrusted peer (direct clients must still work here) and want a trusted
list per hop, and its ``Relaxed`` variants trust every peer.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from server.errors import ConfigError

log = logging.getLogger(__name__)

VIA_TRUSTED_PROXY: web.RequestKey[bool] = web.RequestKey("moke_via_trusted_proxy", bool)
"""Set on a request that came through a trusted proxy: its ``X-Request-Id`` is believed (``server.http``)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_trusted(value: str, setting: str = "MOKE_TRUSTED_PROXIES") -> tuple[Network, ...]:
    """``"10.0.0.5, 192.168.0.0/24, ::1"`` → networks; raises :class:`ConfigError` naming a bad entry."""
    networks: list[Network] = []
    for raw in (part.strip() for part in value.split(",")):
        if not raw:
            continue
        try:
            networks.append(ipaddress.ip_network(raw, strict=False))
        except ValueError:
            raise ConfigError(f"{setting}: {raw!r} is not an IP address or CIDR") from None
    return tuple(networks)


def parse_node(value: str) -> Address | None:
    """One hop as proxies write it: ``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:80``, ``2001:db8::1``.

    None for ``unknown``, obfuscated names (RFC 7239 ``_hidden``) and anything else that is not an IP.
    """
    text = value.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:10.0.0.5 from a dual-stack socket
    return any(address in n or (mapped is not None and mapped in n) for n in networks)


def client_address(peer: str, chain: Sequence[str], networks: Sequence[Network]) -> str:
    """The client's address, given the TCP ``peer`` and the forwarded ``chain`` (client first).

    Walks from the nearest hop while the hop so far is a trusted proxy; an entry that is not an IP
    address ends the walk at the last address we could vouch for.
    """
    current = parse_node(peer)
    if current is None or not _trusted(current, networks):
        return peer
    for hop in reversed(chain):
        address = parse_node(hop)
        if address is None:
            break
        current = address
        if not _trusted(address, networks):
            break
    return str(current)


def forwarded_chain(request: web.BaseRequest) -> list[str]:
    """The ``for=`` hops of ``Forwarded`` when present, else ``X-Forwarded-For`` (never a mix of both)."""
    if "Forwarded" in request.headers:
        return [str(element["for"]) for element in request.forwarded if "for" in element]
    hops: list[str] = []
    for header in request.headers.getall("X-Forwarded-For", []):
        hops.extend(part.strip() for part in header.split(",") if part.strip())
    return hops


def forwarded_scheme(request: web.BaseRequest) -> str | None:
    """``proto=`` of the nearest ``Forwarded`` element, else ``X-Forwarded-Proto``."""
    if "Forwarded" in request.headers:
        protos = [str(e["proto"]) for e in request.forwarded if "proto" in e]
        return protos[-1].lower() if protos else None
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    return proto or None


def trusted_proxy_middleware(networks: Sequence[Network]) -> Middleware:
    """A middleware that sets ``request.remote`` (and ``scheme``) from trusted proxies' headers."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer = request.remote
        if peer is None or not networks:
            return await handler(request)
        peer_address = parse_node(peer)
        if peer_address is None or not _trusted(peer_address, networks):
            return await handler(request)  # not a proxy of ours: its headers mean nothing
        remote = client_address(peer, forwarded_chain(request), networks)
        scheme = forwarded_scheme(request)
        changes: dict[str, str] = {"remote": remote}
        if scheme in ("http", "https"):
            changes["scheme"] = scheme
        if remote != peer:
            log.debug("client %s via trusted proxy %s", remote, peer)
        forwarded = request.clone(**changes)  # type: ignore[arg-type]
        forwarded[VIA_TRUSTED_PROXY] = True
        return await handler(forwarded)

    return middleware
