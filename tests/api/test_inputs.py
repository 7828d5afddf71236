"""Inputs by URL or base64: the address guard, redirects, size and time limits."""

from __future__ import annotations

import base64

import httpx
import pytest

from reelforge.api import inputs
from reelforge.api.inputs import InputFetcher, decode_base64, sniff_suffix
from reelforge.errors import InputError
from reelforge.service.urls import check_url

from .conftest import serving

PUBLIC = "http://93.184.216.34"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.png",
        "http://localhost/x.png",
        "http://10.1.2.3/x",
        "http://192.168.0.9/x",
        "http://172.16.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
        "http://[fe80::1]/x",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(url):
    with pytest.raises(InputError) as info:
        check_url(url, "image", allow_private=False)
    assert info.value.field == "image" and "allow_private_urls" in info.value.message
    assert check_url(url, "image", allow_private=True) == url


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http://", "not a url", "http://h:99999/x"]
)
def test_only_http_urls(url):
    with pytest.raises(InputError):
        check_url(url, "image", allow_private=True)


def test_public_addresses_pass():
    assert check_url(f"{PUBLIC}/x.png", "image", allow_private=False)


def test_fetch_writes_the_file_with_a_sniffed_suffix(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    fetcher = InputFetcher(transport=serving({f"{PUBLIC}/a": png}))
    path = fetcher.fetch(f"{PUBLIC}/a", "image", "image", tmp_path, "image")
    assert path.name == "image.png" and path.read_bytes() == png


def test_a_redirect_to_a_private_address_is_refused(tmp_path):
    fetcher = InputFetcher(
        transport=serving({f"{PUBLIC}/a": (302, {"location": "http://127.0.0.1/secret"}, b"")})
    )
    with pytest.raises(InputError, match="private"):
        fetcher.fetch(f"{PUBLIC}/a", "image", "image", tmp_path, "image")


def test_redirect_loops_and_http_errors(tmp_path):
    loop = InputFetcher(transport=serving({f"{PUBLIC}/a": (302, {"location": f"{PUBLIC}/a"}, b"")}))
    with pytest.raises(InputError, match="redirects"):
        loop.fetch(f"{PUBLIC}/a", "image", "image", tmp_path, "image")
    with pytest.raises(InputError, match="HTTP 404"):
        InputFetcher(transport=serving({})).fetch(
            f"{PUBLIC}/b", "image", "image", tmp_path, "image"
        )


def test_size_limits_by_declared_and_streamed_length(tmp_path, monkeypatch):
    monkeypatch.setitem(inputs.MAX_BYTES, "image", 1000)
    big = b"\xff\xd8\xff" + b"0" * 2000
    fetcher = InputFetcher(transport=serving({f"{PUBLIC}/big": big}))
    with pytest.raises(InputError, match="maximum"):
        fetcher.fetch(f"{PUBLIC}/big", "image", "image", tmp_path, "image")

    def chunked(request):
        return httpx.Response(200, content=iter([b"0" * 600, b"0" * 600]))

    with pytest.raises(InputError, match="maximum"):
        InputFetcher(transport=httpx.MockTransport(chunked)).fetch(
            f"{PUBLIC}/c", "image", "image", tmp_path, "image"
        )


def test_timeouts_are_reported(tmp_path):
    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(InputError, match="longer than"):
        InputFetcher(transport=httpx.MockTransport(slow)).fetch(
            f"{PUBLIC}/s", "video", "video", tmp_path, "video"
        )


def test_base64_decoding_and_limits(monkeypatch):
    raw = b"RIFF\x00\x00\x00\x00WAVEfmt "
    assert decode_base64(base64.b64encode(raw).decode(), "sound_file", "audio") == raw
    assert (
        decode_base64(
            "data:audio/wav;base64," + base64.b64encode(raw).decode(), "sound_file", "audio"
        )
        == raw
    )
    with pytest.raises(InputError, match="neither"):
        decode_base64("not base64!", "image", "image")
    monkeypatch.setitem(inputs.MAX_BYTES, "image", 10)
    monkeypatch.setitem(inputs.BASE64_MAX_CHARS, "image", 1000)
    with pytest.raises(InputError, match="maximum"):
        decode_base64(base64.b64encode(b"0" * 20).decode(), "image", "image")
    monkeypatch.setitem(inputs.BASE64_MAX_CHARS, "image", 8)
    with pytest.raises(InputError, match="maximum"):
        decode_base64(base64.b64encode(b"0" * 20).decode(), "image", "image")


def test_sniffed_suffixes():
    assert sniff_suffix(b"\x00\x00\x00\x20ftypM4A ", "audio") == ".m4a"
    assert sniff_suffix(b"\x00\x00\x00\x20ftypisom", "video") == ".mp4"
    assert sniff_suffix(b"\x00\x00\x00\x20ftypqt  ", "video") == ".mov"
    assert sniff_suffix(b"ID3\x04", "audio") == ".mp3"
    assert sniff_suffix(b"\x1a\x45\xdf\xa3", "video") == ".webm"
    assert sniff_suffix(b"????", "audio", "http://h/x.flac?a=1") == ".flac"
