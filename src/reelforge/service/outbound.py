"""The httpx transport for every outbound request (input fetching, callbacks): it connects
only to an address the guard checked.

Checking a host name and then letting httpx resolve it again when connecting leaves DNS
rebinding open (the first answer public, the second 127.0.0.1). :class:`PinnedTransport`
resolves once with :func:`~reelforge.service.urls.resolve_public` and sends the request to the
checked address itself: the URL's host is replaced by that address, while the ``Host``
header keeps the name and, for https, the ``sni_hostname`` request extension (honoured by
httpcore) makes TLS send the name as SNI and verify the certificate against the name.

Connections are pooled by the address connected to, so a TLS connection verified for one
name could carry a request for another name served from the same address: the network
transport made here keeps no connection alive, each request gets its own handshake.
"""

from __future__ import annotations

import httpx

from .urls import ALLOWED_SCHEMES, DEFAULT_PORTS, literal_address, not_http, resolve_public

NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)


def network_transport() -> httpx.HTTPTransport:
    """The real network below :class:`PinnedTransport` (no connection kept alive)."""
    return httpx.HTTPTransport(limits=NO_KEEPALIVE)


class PinnedTransport(httpx.BaseTransport):
    """Sends each request to an address :func:`resolve_public` checked, trying them in
    order while connecting fails; refuses (``InputError`` naming ``field``) a URL whose
    host is not public unless ``allow_private``.

    ``network`` (default :func:`network_transport`) does the sending; tests pass a fake
    one to see where a request would go. It belongs to the caller: :meth:`close` leaves it
    open.
    """

    def __init__(
        self, field: str, allow_private: bool, network: httpx.BaseTransport | None = None
    ) -> None:
        self.field = field
        self.allow_private = allow_private
        self.network = network if network is not None else network_transport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ALLOWED_SCHEMES or not url.host:
            raise not_http(self.field, str(url))
        if self.allow_private:
            return self.network.handle_request(request)
        host = url.raw_host.decode("ascii")
        port = url.port or DEFAULT_PORTS[url.scheme]
        addresses = resolve_public(host, port, self.field, str(url))
        extensions = dict(request.extensions)
        if url.scheme == "https" and literal_address(host) is None:
            extensions["sni_hostname"] = host
        failed: httpx.TransportError | None = None
        for address in addresses:
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=str(address)),
                headers=request.headers,  # keeps Host: the name, not the address
                stream=request.stream,
                extensions=extensions,
            )
            try:
                return self.network.handle_request(pinned)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failed = exc  # nothing was sent: the next checked address may answer
        assert failed is not None  # resolve_public returns at least one address
        raise failed

    def close(self) -> None:
        """The network transport is the caller's to close."""
