"""Inputs given by URL or as raw base64 (Kling's ``image``, ``image_tail``, ``image_url``,
``video_url``, ``sound_file``), written into the task's input folder.

URLs are fetched with httpx under a size limit per kind and a total time limit, following
at most ``MAX_REDIRECTS`` redirects, each hop checked by the URL guard
(:mod:`reelforge.service.urls`) and connected to the very address it checked
(:mod:`reelforge.service.outbound`). Base64 is decoded under the same size limit. The file's
extension is taken from its first bytes, so probing sees a familiar name.
"""

from __future__ import annotations

import base64
import binascii
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx

from ..errors import InputError
from ..request import limits
from ..service.outbound import PinnedTransport, network_transport
from ..service.urls import check_url

FETCH_TIMEOUT_S = 30.0
"""Whole download, connection included."""
CONNECT_TIMEOUT_S = 5.0
MAX_REDIRECTS = 3
CHUNK_BYTES = 256 * 1024
MAX_BYTES = {
    "image": limits.IMAGE_MAX_BYTES,
    "audio": limits.AUDIO_MAX_BYTES,
    "video": limits.VIDEO_MAX_BYTES,
}
BASE64_MAX_CHARS = {kind: (size * 4) // 3 + 4 for kind, size in MAX_BYTES.items()}
DEFAULT_SUFFIX = {"image": ".png", "audio": ".wav", "video": ".mp4"}


class InputFetcher:
    """Turns a URL or base64 value into a file in ``folder``."""

    def __init__(
        self,
        allow_private: bool = False,
        *,
        timeout_s: float = FETCH_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.timeout_s = timeout_s
        self.network = transport if transport is not None else network_transport()
        """Below the address guard: tests pass a fake network here."""

    def fetch(self, value: str, field: str, kind: str, folder: Path, name: str) -> Path:
        value = (value or "").strip()
        if not value:
            raise InputError(field, value, "a URL or base64", f"{field} is empty")
        folder.mkdir(parents=True, exist_ok=True)
        if value.lower().startswith(("http://", "https://")):
            data = self._download(value, field, kind)
        else:
            data = decode_base64(value, field, kind)
        path = folder / f"{name}{sniff_suffix(data, kind, value)}"
        path.write_bytes(data)
        return path

    def _download(self, url: str, field: str, kind: str) -> bytes:
        limit = MAX_BYTES[kind]
        deadline = time.monotonic() + self.timeout_s
        timeout = httpx.Timeout(self.timeout_s, connect=CONNECT_TIMEOUT_S)
        transport = PinnedTransport(field, self.allow_private, self.network)
        with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
            for _ in range(MAX_REDIRECTS + 1):
                check_url(url, field, self.allow_private, resolve=False)
                try:
                    with client.stream("GET", url) as response:
                        if response.is_redirect and "location" in response.headers:
                            url = urljoin(url, response.headers["location"])
                            continue
                        if response.status_code != 200:
                            raise InputError(
                                field,
                                url,
                                "HTTP 200",
                                f"fetching {url} answered HTTP {response.status_code}",
                            )
                        declared = int(response.headers.get("content-length") or 0)
                        if declared > limit:
                            raise _too_big(field, declared, limit)
                        data = bytearray()
                        for chunk in response.iter_bytes(CHUNK_BYTES):
                            data += chunk
                            if len(data) > limit:
                                raise _too_big(field, len(data), limit)
                            if time.monotonic() > deadline:
                                raise _too_slow(field, url, self.timeout_s)
                        return bytes(data)
                except httpx.TimeoutException:
                    raise _too_slow(field, url, self.timeout_s) from None
                except httpx.HTTPError as exc:
                    raise InputError(
                        field, url, "a reachable URL", f"fetching {url} failed ({exc})"
                    ) from None
        raise InputError(
            field,
            url,
            f"≤ {MAX_REDIRECTS} redirects",
            f"fetching {url}: more than {MAX_REDIRECTS} redirects",
        )


def decode_base64(value: str, field: str, kind: str) -> bytes:
    if value.startswith("data:") and "," in value:  # lenient: Kling wants raw base64
        value = value.split(",", 1)[1]
    limit = MAX_BYTES[kind]
    if len(value) > BASE64_MAX_CHARS[kind]:
        raise _too_big(field, len(value) * 3 // 4, limit)
    try:
        data = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        shown = value[:40] + ("…" if len(value) > 40 else "")
        raise InputError(
            field,
            shown,
            "an http(s) URL or base64",
            f"{shown!r} is neither an http(s) URL nor valid base64",
        ) from None
    if len(data) > limit:
        raise _too_big(field, len(data), limit)
    if not data:
        raise InputError(field, "", "a URL or base64", f"{field} is empty")
    return data


def sniff_suffix(data: bytes, kind: str, source: str = "") -> str:
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head.startswith(b"\x89PNG"):
        return ".png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return ".mp3"
    if head[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return ".aac"
    if head.startswith(b"fLaC"):
        return ".flac"
    if head.startswith(b"OggS"):
        return ".ogg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"qt"):
            return ".mov"
        return ".m4a" if kind == "audio" or brand.startswith(b"M4A") else ".mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm"
    suffix = Path(source.split("?", 1)[0]).suffix.lower() if source.startswith("http") else ""
    return suffix if 1 < len(suffix) <= 5 else DEFAULT_SUFFIX[kind]


def _too_big(field: str, size: int, limit: int) -> InputError:
    mb = 1024 * 1024
    return InputError(
        field, size, limit, f"{size / mb:.1f} MB is more than the {limit / mb:.0f} MB maximum"
    )


def _too_slow(field: str, url: str, seconds: float) -> InputError:
    return InputError(
        field, url, f"{seconds:g} s", f"fetching {url} took longer than {seconds:g} s"
    )
