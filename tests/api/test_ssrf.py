"""The outbound-URL guard closed as a class: every address that is not globally routable
(or embeds one that is not) is refused for inputs, their redirects and callbacks; the
connection goes to the address that was checked (no DNS rebinding), with the name kept for
``Host``, SNI and the certificate; and every URL field has a length limit."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from reelforge.api.inputs import InputFetcher
from reelforge.errors import InputError
from reelforge.service import urls
from reelforge.service.callbacks import CallbackSender
from reelforge.service.urls import check_url
from tests.service.harness import CallbackReceiver, FileServer

from ..store.conftest import make_store
from ..tasks import bare_task

PUBLIC_IP = "93.184.216.34"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64

NOT_PUBLIC = [
    "100.64.0.1",  # carrier-grade NAT (RFC 6598)
    "100.100.100.200",  # ... where a cloud keeps its metadata service
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:100.100.100.200",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::6464:64c8",  # NAT64 of 100.100.100.200
    "64:ff9b:1::808:808",  # local-use NAT64 (RFC 8215)
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
    "::a00:1",  # IPv4-compatible 10.0.0.1
    "::5db8:d822",  # IPv4-compatible, deprecated whatever it embeds
    "0.0.0.0",
    "198.18.0.1",  # benchmarking
    "192.0.0.1",  # IETF protocol assignments
    "192.0.2.1",  # documentation
    "240.0.0.1",
    "255.255.255.255",
    "224.0.0.1",  # multicast
    "ff0e::1",
    "fec0::1",  # site-local
    "127.0.0.2",
    "169.254.169.254",
    "::1",
    "fd00::1",
    "fe80::1",
]
PUBLIC = [
    PUBLIC_IP,
    "2606:4700::1111",
    "2002:5db8:d822::1",  # 6to4 of a public address
    "64:ff9b::5db8:d822",  # NAT64 of a public address
    "::ffff:93.184.216.34",
]


def literal_url(address: str, path: str = "/x.png", scheme: str = "http") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}{path}"


class FakeDNS:
    """``socket.getaddrinfo`` answering for made-up names: each name has a list of answers
    (comma-separated addresses), one per question, the last repeated; other hosts go to
    the real resolver."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[str]] = {}
        self.questions: list[str] = []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return self._real(host, port, family, type, proto, flags)
        self.questions.append(name)
        answers = self.answers[name]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, 0))
            if ":" in address
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))
            for address in answer.split(",")
        ]


@pytest.fixture
def dns(monkeypatch) -> FakeDNS:
    return FakeDNS(monkeypatch)


class Recorder(httpx.MockTransport):
    """A fake network: records where each request would be sent, answers ``answer``."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.sent: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            return answer(request) if answer else httpx.Response(200, content=PNG)

        super().__init__(handle)


@pytest.fixture
def connects(monkeypatch) -> list[tuple[str, int]]:
    """Every TCP connection opened (below httpx and httpcore); the public test address
    answers 'refused', as it would on a machine without a network."""
    made: list[tuple[str, int]] = []
    real = socket.create_connection

    def create_connection(address, *args, **kwargs):
        host, port = address[0], int(address[1])
        made.append((host, port))
        if host == PUBLIC_IP:
            raise ConnectionRefusedError(f"{host}:{port} (test: no network)")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return made


# --- the guard ------------------------------------------------------------------------


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_addresses_that_are_not_globally_routable_are_refused(address, dns):
    dns.answers["victim.test"] = [address]
    for url in (literal_url(address), "http://victim.test/x.png"):
        with pytest.raises(InputError) as info:
            check_url(url, "image_url", allow_private=False)
        assert info.value.field == "image_url" and "allow_private_urls" in info.value.message
        assert check_url(url, "image_url", allow_private=True) == url


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_and_those_embedding_one_pass(address, dns):
    dns.answers["public.test"] = [address]
    for url in (literal_url(address), "http://public.test/x.png"):
        assert check_url(url, "image_url", allow_private=False) == url


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_inputs_and_their_redirects_to_such_addresses_are_refused(address, dns, tmp_path):
    dns.answers["victim.test"] = [address]
    network = Recorder()
    fetcher = InputFetcher(allow_private=False, transport=network)
    with pytest.raises(InputError, match="allow_private_urls"):
        fetcher.fetch("http://victim.test/a.png", "image_url", "image", tmp_path, "image")
    assert network.sent == []
    for target in ("http://victim.test/secret", literal_url(address, "/secret")):
        hop = Recorder(lambda r, target=target: httpx.Response(302, headers={"location": target}))
        fetcher = InputFetcher(allow_private=False, transport=hop)
        with pytest.raises(InputError, match="allow_private_urls"):
            fetcher.fetch(f"http://{PUBLIC_IP}/a", "image_url", "image", tmp_path, "image")
        assert [str(r.url) for r in hop.sent] == [f"http://{PUBLIC_IP}/a"]


def queue_callback(store, url: str):
    """A task with a callback to ``url``: its first delivery, as the store holds it."""
    task = store.queue.submit(
        store.account("a"),
        bare_task(translated={}, callback_url=url),
        max_running=100,
    )
    return store.outbox.of_task(task.id)[0]


@pytest.fixture
def store(tmp_path, monkeypatch):
    s = make_store(tmp_path, "sqlite", monkeypatch)
    yield s
    s.db.dispose()


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_callbacks_to_such_addresses_are_refused(address, dns, store):
    dns.answers["victim.test"] = [address]
    network = Recorder()
    sender = CallbackSender(store, allow_private=False, transport=network)
    try:
        for url in ("http://victim.test/hook", literal_url(address, "/hook")):
            delivery = queue_callback(store, url)
            sender.send(delivery)
            (after,) = [d for d in store.outbox.of_task(delivery.task_id) if d.id == delivery.id]
            assert after.state == "failed" and "allow_private_urls" in after.last_error
    finally:
        sender.stop()
    assert network.sent == []


def test_a_callback_url_naming_such_an_address_is_refused_at_submit(make_service):
    service = make_service(allow_private_urls=False, run_workers=False)
    headers = service.headers()
    for address in NOT_PUBLIC:
        body = {"prompt": "A calm sea.", "callback_url": literal_url(address, "/hook")}
        answer = service.client.post("/v1/videos/text2video", json=body, headers=headers)
        assert answer.status_code == 400, address
        assert answer.json()["code"] == 1201
        assert answer.json()["message"].startswith("callback_url: "), answer.json()


# --- connecting to the checked address ------------------------------------------------


def test_the_request_goes_to_the_checked_address_with_the_name_kept(dns, tmp_path):
    dns.answers["media.test"] = [PUBLIC_IP, "127.0.0.1"]  # rebinding: public, then loopback
    network = Recorder()
    fetcher = InputFetcher(allow_private=False, transport=network)
    fetcher.fetch("https://media.test/a.png", "image_url", "image", tmp_path, "image")
    (sent,) = network.sent
    assert sent.url.host == PUBLIC_IP and str(sent.url) == f"https://{PUBLIC_IP}/a.png"
    assert sent.headers["host"] == "media.test"
    assert sent.extensions["sni_hostname"] == "media.test"
    assert dns.questions == ["media.test"]  # asked once: nothing left to rebind


def test_dns_rebinding_never_reaches_the_loopback_input_server(dns, connects, tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.png").write_bytes(PNG)
    local = FileServer(tmp_path / "files")
    try:
        port = local.httpd.server_address[1]
        dns.answers["rebind.test"] = [PUBLIC_IP, "127.0.0.1"]
        fetcher = InputFetcher(allow_private=False)
        with pytest.raises(InputError, match="failed"):
            fetcher.fetch(f"http://rebind.test:{port}/a.png", "image_url", "image", tmp_path, "i")
        assert local.requests == []
        assert connects == [(PUBLIC_IP, port)]
    finally:
        local.close()


def test_dns_rebinding_never_reaches_the_loopback_callback_receiver(dns, connects, store):
    receiver = CallbackReceiver()
    port = receiver.httpd.server_address[1]
    dns.answers["rebind.test"] = [PUBLIC_IP, "127.0.0.1"]
    sender = CallbackSender(store, allow_private=False)
    try:
        delivery = queue_callback(store, f"http://rebind.test:{port}/hook")
        sender.send(delivery)
        (after,) = [d for d in store.outbox.of_task(delivery.task_id) if d.id == delivery.id]
        assert "ConnectError" in after.last_error and after.state == "pending"
        assert receiver.deliveries == [] and receiver.refused == []
        assert connects == [(PUBLIC_IP, port)]
    finally:
        sender.stop()
        receiver.close()


def test_each_checked_address_is_tried_in_turn_while_connecting_fails(
    dns, connects, monkeypatch, tmp_path
):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.png").write_bytes(PNG)
    local = FileServer(tmp_path / "files")
    try:
        port = local.httpd.server_address[1]
        monkeypatch.setattr(urls, "is_public", lambda address: True)  # loopback stands in
        dns.answers["two.test"] = [f"{PUBLIC_IP},127.0.0.1"]
        fetcher = InputFetcher(allow_private=False)
        path = fetcher.fetch(f"http://two.test:{port}/a.png", "image_url", "image", tmp_path, "i")
        assert path.read_bytes() == PNG and local.requests == ["/a.png"]
        assert connects == [(PUBLIC_IP, port), ("127.0.0.1", port)]
    finally:
        local.close()


# --- TLS: SNI and the certificate stay on the name ------------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:
    """A throwaway CA and a certificate it signed for ``media.test`` only."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    root = tmp_path_factory.mktemp("tls")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=reelforge test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=root,
    )  # fmt: skip
    (root / "leaf.ext").write_text(
        "subjectAltName=DNS:media.test\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    _openssl(
        "req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=media.test", cwd=root
    )
    _openssl(
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "leaf.ext",
        cwd=root,
    )  # fmt: skip
    return root


@pytest.fixture
def tls_server(certificates) -> Iterator[tuple[int, list[str | None]]]:
    """An https server on loopback with the ``media.test`` certificate; records the SNI
    name of each handshake."""
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "leaf.pem", certificates / "leaf.key")
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("content-length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], names
    httpd.shutdown()
    httpd.server_close()


def test_tls_verifies_the_name_not_the_address_connected_to(
    tls_server, certificates, dns, monkeypatch, tmp_path
):
    port, names = tls_server
    loopback = ipaddress.ip_address("127.0.0.1")
    monkeypatch.setattr(urls, "is_public", lambda address: address == loopback)
    dns.answers["media.test"] = ["127.0.0.1"]
    dns.answers["other.test"] = ["127.0.0.1"]
    trust = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    fetcher = InputFetcher(allow_private=False, transport=httpx.HTTPTransport(verify=trust))
    got = fetcher.fetch(f"https://media.test:{port}/a.png", "image_url", "image", tmp_path, "a")
    assert got.read_bytes() == PNG and names == ["media.test"]
    with pytest.raises(InputError, match="certificate"):  # same address, another name
        fetcher.fetch(f"https://other.test:{port}/a.png", "image_url", "image", tmp_path, "b")
    assert names == ["media.test", "other.test"]


# --- length -----------------------------------------------------------------------------


def test_urls_longer_than_the_limit_are_refused_naming_field_length_and_limit():
    base = f"http://{PUBLIC_IP}/"
    fits = base + "a" * (urls.URL_MAX_CHARS - len(base))
    assert check_url(fits, "image_url", allow_private=False) == fits
    with pytest.raises(InputError) as info:
        check_url(fits + "a", "callback_url", allow_private=True)
    error = info.value
    assert (error.field, error.value, error.limit) == (
        "callback_url",
        urls.URL_MAX_CHARS + 1,
        urls.URL_MAX_CHARS,
    )
    assert str(urls.URL_MAX_CHARS + 1) in error.message and str(urls.URL_MAX_CHARS) in error.message


def test_a_huge_callback_or_input_url_is_refused_before_anything_is_stored(make_service):
    service = make_service(allow_private_urls=False, run_workers=False)
    headers = service.headers()
    huge = f"http://{PUBLIC_IP}/" + "a" * 5_000_000
    for endpoint, body, field in [
        ("text2video", {"prompt": "A calm sea.", "callback_url": huge}, "callback_url"),
        ("image2video", {"image": huge, "prompt": "A calm sea."}, "image"),
        (
            "motion-control",
            {"image_url": huge, "video_url": huge, "character_orientation": "image"},
            "image_url",
        ),
    ]:
        answer = service.client.post(f"/v1/videos/{endpoint}", json=body, headers=headers)
        assert answer.status_code == 400 and answer.json()["code"] == 1201, answer.json()
        message = answer.json()["message"]
        assert message.startswith(f"{field}: ") and f"{urls.URL_MAX_CHARS:,}" in message, message
    with service.store.db.read() as s:
        from reelforge.store.models import Task

        assert s.query(Task).count() == 0


def test_a_url_the_http_client_cannot_build_is_refused_as_invalid(tmp_path):
    fetcher = InputFetcher(allow_private=False, transport=Recorder())
    with pytest.raises(InputError, match="not a valid URL"):
        fetcher.fetch(f"http://{PUBLIC_IP}/a\x01.png", "image_url", "image", tmp_path, "a")
