"""The outbound-URL guard shared by input fetching (api) and callbacks (jobs).

A URL may name only a public address unless ``allow_private`` (config
``allow_private_urls``): loopback, private, link-local, multicast, reserved and
unspecified addresses are refused, for every address the host name resolves to.
Caveat: the name is resolved again when connecting, so a DNS server that answers
differently the second time (rebinding) is not stopped here.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ..errors import InputError

ALLOWED_SCHEMES = ("http", "https")


def check_url(url: str, field: str, allow_private: bool, *, resolve: bool = True) -> str:
    """Return ``url`` if it may be fetched; raise :class:`InputError` naming ``field``."""
    shown = url if len(url) <= 200 else url[:200] + "…"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(
            field, shown, "an http(s) URL", f"{shown!r} is not a valid URL ({exc})"
        ) from None
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise InputError(field, shown, "an http(s) URL", f"{shown!r} is not an http(s) URL")
    if allow_private:
        return url
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if not resolve:
            return url
        try:
            infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise InputError(
                field, shown, "a resolvable host", f"host {host!r} cannot be resolved ({exc})"
            ) from None
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if is_private(address):
            raise InputError(
                field,
                shown,
                "public addresses only",
                f"{host} is a private, loopback or link-local address ({address}); "
                "such URLs are refused unless the server allows them (allow_private_urls)",
            )
    return url


def is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
