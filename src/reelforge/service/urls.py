"""The outbound-URL guard shared by input fetching (api) and callbacks (service).

A URL may name only a public address unless ``allow_private`` (config
``allow_private_urls``): an address is public when it is globally routable (ipaddress's
``is_global``, from the IANA special-purpose registries; and not multicast or site-local)
and so is every IPv4 address it embeds (IPv4-mapped, 6to4, Teredo, NAT64; the deprecated
IPv4-compatible form is refused outright), for every address the host name resolves to. Anything else (loopback, private, link-local, carrier-grade NAT with its
cloud metadata address 100.100.100.200, benchmarking, documentation, ...) is refused.

:func:`resolve_public` is the one resolver+guard: it returns the addresses it checked, and
:mod:`reelforge.service.outbound` connects to one of exactly those, so a DNS server that
answers differently the second time (rebinding) never gets a second question.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from ..errors import InputError

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
URL_MAX_CHARS = 8000
"""Longest URL accepted in any URL field (inputs, ``callback_url``). RFC 9110 §4.1 asks
every sender and recipient to support URIs of at least 8000 octets, so any URL a client can
rely on fits; 2048 (the old browser limit) would refuse presigned object-store URLs, whose
session tokens alone can run past a thousand characters. It bounds what a task stores and
copies into each of its callback deliveries."""
SHOWN_CHARS = 200
"""How much of a refused URL an error message repeats."""

NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
"""RFC 6052: the last 32 bits are the IPv4 address the NAT64 gateway connects to."""
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
"""RFC 8215 local-use NAT64 prefix: not globally reachable (IANA), whatever it embeds."""
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
"""RFC 4291 §2.5.5.1 deprecated IPv4-compatible addresses (``::a.b.c.d``): refused, no
public service is reached that way."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def shown(url: str) -> str:
    return url if len(url) <= SHOWN_CHARS else url[:SHOWN_CHARS] + "…"


def check_url(url: str, field: str, allow_private: bool, *, resolve: bool = True) -> str:
    """Return ``url`` if it may be fetched; raise :class:`InputError` naming ``field``.

    Checks the length, the scheme and the host; an address literal is checked always, a host
    name only with ``resolve`` (the connection itself checks it again, see
    :mod:`reelforge.service.outbound`).
    """
    if len(url) > URL_MAX_CHARS:
        raise InputError(
            field,
            len(url),
            URL_MAX_CHARS,
            f"the URL is {len(url)} characters long, more than the {URL_MAX_CHARS} allowed",
        )
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)  # the parser the request is built with (control characters, ...)
    except (ValueError, httpx.InvalidURL) as exc:
        raise InputError(
            field, shown(url), "an http(s) URL", f"{shown(url)!r} is not a valid URL ({exc})"
        ) from None
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise not_http(field, url)
    if allow_private:
        return url
    host = parts.hostname
    if resolve or literal_address(host) is not None:
        resolve_public(host, port or DEFAULT_PORTS[parts.scheme], field, url)
    return url


def not_http(field: str, url: str) -> InputError:
    return InputError(field, shown(url), "an http(s) URL", f"{shown(url)!r} is not an http(s) URL")


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an address when it is one (``[...]`` brackets and IPv6 zone removed)."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def resolve_public(host: str, port: int, field: str, url: str) -> list[IPAddress]:
    """Every address ``host`` resolves to, once, each of them public; else
    :class:`InputError` naming ``field``. Connect only to these (no second lookup)."""
    literal = literal_address(host)
    addresses: list[IPAddress | None]
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise InputError(
                field, shown(url), "a resolvable host", f"host {host!r} cannot be resolved ({exc})"
            ) from None
        addresses = list(dict.fromkeys(literal_address(str(info[4][0])) for info in infos))
        if not addresses:
            raise InputError(
                field, shown(url), "a resolvable host", f"host {host!r} has no address"
            )
    for address in addresses:
        if address is None or not is_public(address):
            raise InputError(
                field,
                shown(url),
                "public addresses only",
                f"{host} is a private, loopback, link-local or otherwise not globally "
                f"routable address ({address}); such URLs are refused unless the server "
                "allows them (allow_private_urls)",
            )
    return [a for a in addresses if a is not None]


def is_public(address: IPAddress) -> bool:
    """Globally routable, and so is every IPv4 address it embeds."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # only a notation for the IPv4 address
            return is_public(address.ipv4_mapped)
        if address.is_site_local or address in NAT64_LOCAL or address in IPV4_COMPATIBLE:
            return False
    if not address.is_global or address.is_multicast:
        return False
    return all(is_public(inner) for inner in embedded_ipv4(address))


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses a packet to ``address`` may end up at (6to4, Teredo, NAT64):
    each must be public too."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    out: list[ipaddress.IPv4Address] = []
    if address.sixtofour is not None:
        out.append(address.sixtofour)
    if address.teredo is not None:
        out.extend(address.teredo)
    if address in NAT64_WELL_KNOWN:
        out.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return out
