"""The HTTP edge against a real server (issue 10): bodies refused while they stream and
before they are read when the caller is a stranger, the Host allow-list of ``--no-auth``,
signed file URLs with any text in them, and error messages without server paths."""

from __future__ import annotations

import base64
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reelforge.api.app import MAX_BODY_BYTES, OPEN_BODY_BYTES

from .harness import FileServer, Server
from .test_errors import assert_error, call

T2V = "/v1/videos/text2video"
HUGE_BODY_BYTES = 400 * 2**20
"""The attack's body: larger than the limit, sent chunked (no Content-Length)."""
CHUNK_BYTES = 2**20
STRANGER_RSS_GROWTH_BYTES = 64 * 2**20
"""How much a server may grow while a stranger streams HUGE_BODY_BYTES at it (nothing
of the body is kept; before the fix it grew by the whole body, twice)."""
ADMITTED_RSS_GROWTH_BYTES = MAX_BODY_BYTES + 48 * 2**20
"""How much it may grow while an account streams it: the body up to the limit, no more."""
RESPONSE_TIMEOUT_S = 60.0
ABSOLUTE_PATH = re.compile(r"(?:^|[\s'\"(=:])/[\w.-]+/[\w.-]+")


def rss_bytes(pid: int) -> int:
    """The resident memory of process ``pid`` (Linux's /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


class Streamed:
    """A chunked body of ``size`` bytes, made as it is sent, that samples the server's
    memory between chunks."""

    def __init__(self, pid: int, size: int) -> None:
        self.pid, self.size = pid, size
        self.baseline = rss_bytes(pid)
        self.peak = self.baseline

    def __iter__(self) -> Iterator[bytes]:
        chunk = b"a" * CHUNK_BYTES
        for _ in range(self.size // CHUNK_BYTES):
            self.peak = max(self.peak, rss_bytes(self.pid))
            yield chunk
        self.peak = max(self.peak, rss_bytes(self.pid))

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


@pytest.fixture
def fresh_server(make_server) -> Iterator[Server]:
    """A server of its own, so that no other test's memory use blurs the measurement."""
    server = make_server("sqlite")
    yield server
    server.stop()


def post_streamed(server: Server, path: str, body: Streamed, headers: dict[str, str]) -> dict:
    assert server.proc is not None
    response = httpx.post(
        server.url + path,
        content=iter(body),
        headers={"content-type": "application/json", **headers},
        timeout=RESPONSE_TIMEOUT_S,
    )
    return {"status": response.status_code, **response.json()}


# --- 1. bodies ------------------------------------------------------------------------


def raw_response(port: int, request: bytes) -> tuple[int, bytes]:
    """Send ``request`` as it is and read the answer, without sending anything more."""
    with socket.create_connection(("127.0.0.1", port), timeout=RESPONSE_TIMEOUT_S) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            part = sock.recv(65536)
            assert part, f"connection closed before an answer: {data!r}"
            data += part
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(rest) < length:
            part = sock.recv(65536)
            assert part, "connection closed mid-answer"
            rest += part
        return int(head.split()[1]), rest[:length]


def test_a_strangers_body_is_refused_before_a_byte_of_it_is_read(sqlite_server):
    """The headers of a chunked POST, and no body at all: the server answers 401 at once
    (before the fix it waited for the body, as FastAPI reads it before auth runs)."""
    head = (
        f"POST {T2V} HTTP/1.1\r\nHost: 127.0.0.1:{sqlite_server.port}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    status, body = raw_response(sqlite_server.port, head.encode())
    assert status == 401 and b'"code":1001' in body.replace(b" ", b""), body
    forged = head.replace("\r\n\r\n", "\r\nAuthorization: Bearer rfk_nope\r\n\r\n", 1)
    status, body = raw_response(sqlite_server.port, forged.encode())
    assert status == 401 and b'"code":1000' in body.replace(b" ", b""), body


def test_a_strangers_huge_chunked_body_leaves_the_servers_memory_flat(fresh_server):
    body = Streamed(fresh_server.proc.pid, HUGE_BODY_BYTES)
    answer = post_streamed(fresh_server, T2V, body, {})
    assert body.growth < STRANGER_RSS_GROWTH_BYTES, (
        f"the server grew by {body.growth / 2**20:.0f} MiB while a stranger streamed "
        f"{HUGE_BODY_BYTES / 2**20:.0f} MiB (bound {STRANGER_RSS_GROWTH_BYTES / 2**20:.0f} MiB)"
    )
    assert (answer["status"], answer["code"]) == (401, 1001), answer


def test_an_accounts_over_limit_chunked_body_is_refused_at_the_limit(fresh_server):
    alice = fresh_server.account("edge-alice")
    body = Streamed(fresh_server.proc.pid, HUGE_BODY_BYTES)
    answer = post_streamed(fresh_server, T2V, body, alice.headers())
    assert body.growth < ADMITTED_RSS_GROWTH_BYTES, (
        f"the server grew by {body.growth / 2**20:.0f} MiB for a body refused at "
        f"{MAX_BODY_BYTES / 2**20:.0f} MiB (bound {ADMITTED_RSS_GROWTH_BYTES / 2**20:.0f} MiB)"
    )
    assert (answer["status"], answer["code"]) == (413, 1200), answer
    assert str(MAX_BODY_BYTES) in answer["message"] and answer["request_id"], answer


def test_a_body_to_a_route_open_to_anyone_is_kept_small(sqlite_server):
    """The studio's estimate and lint need no account, so they take small bodies only."""
    size = OPEN_BODY_BYTES + CHUNK_BYTES
    chunked = httpx.post(
        sqlite_server.url + "/v1/studio/lint",
        content=iter([b"a" * CHUNK_BYTES] * (size // CHUNK_BYTES)),
        headers={"content-type": "application/json"},
        timeout=RESPONSE_TIMEOUT_S,
    )
    assert (chunked.status_code, chunked.json()["code"]) == (413, 1200), chunked.text
    assert str(OPEN_BODY_BYTES) in chunked.json()["message"]
    # a declared size is answered at once, without waiting for the bytes
    status, answer = raw_response(
        sqlite_server.port,
        f"POST /v1/studio/estimate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode(),
    )
    assert status == 413 and str(OPEN_BODY_BYTES).encode() in answer, answer
    ok = call(sqlite_server, "POST", "/v1/studio/lint", json={"prompt": "A fox runs."})
    assert ok[0] == 200, ok


# --- 8. the Host allow-list of --no-auth -----------------------------------------------


@pytest.fixture(scope="module")
def open_server(make_server) -> Iterator[Server]:
    server = make_server(
        "sqlite",
        args=("--no-auth", "--allowed-host", "studio.lan"),
        env={
            "REELFORGE_PUBLIC_URL": "https://videos.example.com:9443",
            "REELFORGE_ALLOWED_HOSTS": "render.lan,other.lan",
        },
    )
    yield server
    server.stop()


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1:{port}",
        "localhost:{port}",
        "[::1]:{port}",
        "studio.lan",
        "render.lan:{port}",
        "Other.LAN",
        "videos.example.com",
    ],
)
def test_no_auth_answers_loopback_and_the_configured_hosts(open_server, host):
    host = host.format(port=open_server.port)
    status, body = call(open_server, "GET", T2V, headers={"host": host})
    assert (status, body["code"]) == (200, 0), (host, body)


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:{port}", "127.0.0.1.nip.io"]
)
def test_no_auth_refuses_any_other_host(open_server, sqlite_server, host):
    """A DNS-rebinding page sends its own name as Host: refused while auth is off."""
    host = host.format(port=open_server.port)
    for method, path in [("GET", T2V), ("POST", T2V), ("GET", "/v1/tiers")]:
        answer = call(
            open_server, method, path, headers={"host": host}, json={"prompt": "x", "duration": "5"}
        )
        assert_error(answer, 1200, 400, host, "--allowed-host", "--no-auth")
    # nothing was submitted through the refused host
    assert call(open_server, "GET", T2V)[1]["data"] == []
    # with auth on, any name may be used (a proxy's, a LAN name's)
    status, body = call(sqlite_server, "GET", "/v1/tiers", headers={"host": host})
    assert (status, body["code"]) == (200, 0), body


# --- 4. signed file URLs with any text in them -------------------------------------------


@pytest.mark.parametrize("signature", ["%C3%A9", "%E2%82%AC" * 10, "a%F0%9F%98%80b"])
def test_a_file_url_with_a_non_ascii_signature_is_refused_not_a_crash(sqlite_server, signature):
    url = f"/v1/files/1/x/video.mp4?expires=9999999999&signature={signature}"
    assert_error(call(sqlite_server, "GET", url), 1000, 403, "invalid")


# --- 9. no server path in a message --------------------------------------------------------


def corrupt(kind: str) -> bytes:
    """Bytes that look like a file of ``kind`` (by their first bytes) but are not one."""
    junk = bytes(range(256)) * 8
    return {
        "image": b"\x89PNG\r\n\x1a\n" + junk,
        "audio": b"RIFF\x24\x00\x00\x00WAVEfmt " + junk,
        "video": b"\x00\x00\x00\x18ftypmp42" + junk,
    }[kind]


def assert_no_server_path(message: str, server: Server) -> None:
    for root in (str(server.home), str(server.home.resolve()), tempfile.gettempdir()):
        assert root not in message, message
    assert not ABSOLUTE_PATH.search(message), message


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def corrupt_files(tmp_path_factory) -> Iterator[FileServer]:
    root = tmp_path_factory.mktemp("corrupt")
    (root / "broken.png").write_bytes(corrupt("image"))
    served = FileServer(root)
    yield served
    served.close()


def test_a_corrupt_upload_is_refused_without_naming_server_paths(
    sqlite_server, media_dir, corrupt_files
):
    alice = sqlite_server.account("edge-paths")
    image = b64((media_dir / "start.jpg").read_bytes())
    cases = [
        ("image2video", {"image": b64(corrupt("image")), "duration": "5"}),
        ("image2video", {"image": corrupt_files.url("broken.png"), "duration": "5"}),
        ("avatar/image2video", {"image": image, "sound_file": b64(corrupt("audio"))}),
        ("motion-control", {"image_url": image, "video_url": b64(corrupt("video"))}),
    ]
    for endpoint, fields in cases:
        answer = call(
            sqlite_server,
            "POST",
            f"/v1/videos/{endpoint}",
            account=alice,
            json={"prompt": "A fox.", **fields},
        )
        body = assert_error(answer, 1201, 400, "readable")
        assert_no_server_path(body["message"], sqlite_server)
