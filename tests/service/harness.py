"""The black-box harness: a real ``reelforge serve`` subprocess, the CLI, loopback servers
for URL inputs and callbacks, and small input files.

Nothing here imports the reelforge server: the service is driven through its command
line and its HTTP API only, as a user would (the one exception is :meth:`Server.db_rows`,
which reads the task table to prove that no task ran twice).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import httpx
import jwt
import numpy as np
from PIL import Image, ImageDraw

from reelforge.client import Client
from tests.wav import write_pcm16

READY_TIMEOUT_S = 90.0
CLI_TIMEOUT_S = 120.0
CALLBACK_SECRET = (
    "whsec_" + "c2VydmljZS10ZXN0cy1jYWxsYmFjay1zZWNyZXQtMzJi"
)  # base64 of a fixed 32-byte key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kling_jwt(
    access_key: str,
    secret_key: str,
    *,
    now: float | None = None,
    exp_in: int = 1800,
    nbf_ago: int = 5,
) -> str:
    """A token built by hand with PyJWT, exactly as Kling's docs show it."""
    now = int(time.time() if now is None else now)
    return jwt.encode(
        {"iss": access_key, "exp": now + exp_in, "nbf": now - nbf_ago},
        secret_key,
        algorithm="HS256",
        headers={"alg": "HS256", "typ": "JWT"},
    )


@dataclass(frozen=True)
class Account:
    name: str
    access_key: str
    secret_key: str

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {kling_jwt(self.access_key, self.secret_key)}"}


class Server:
    """One ``reelforge serve`` process (``--previz`` unless ``previz=False``) on a free
    loopback port, its data dir and its log."""

    def __init__(
        self,
        home: Path,
        *,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        database_url: str | None = None,
        previz: bool = True,
    ) -> None:
        self.home = home
        self.args = ("--previz", *args) if previz else args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "REELFORGE_HOME": str(home),
            "REELFORGE_ALLOW_PRIVATE_URLS": "1",
            "REELFORGE_CALLBACK_SECRET": CALLBACK_SECRET,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.env.pop("REELFORGE_DATABASE_URL", None)
        if database_url:
            self.env["REELFORGE_DATABASE_URL"] = database_url
        self.database_url = database_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._accounts: dict[str, Account] = {}
        home.mkdir(parents=True, exist_ok=True)

    # --- process -----------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.home.parent / f"{self.home.name}-serve-{self.starts}.log"

    def logs(self) -> str:
        out = []
        for i in range(1, self.starts + 1):
            path = self.home.parent / f"{self.home.name}-serve-{i}.log"
            if path.exists():
                out.append(path.read_text(errors="replace"))
        return "\n".join(out)

    def start(self) -> Server:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        cmd = [
            sys.executable,
            "-m",
            "reelforge",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.args,
        ]
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Poll ``/openapi.json`` until it answers; fail early if the process died."""
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"reelforge serve exited with {self.proc.returncode}:\n{self.logs()[-4000:]}"
                )
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"reelforge serve not answering after {timeout} s:\n{self.logs()[-4000:]}"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)
        except ProcessLookupError:
            pass

    # --- CLI ---------------------------------------------------------------------
    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "reelforge", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"reelforge {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def account(self, name: str, credits: int | None = 100_000) -> Account:
        """An account with a fresh key pair (and ``credits`` granted), made via the CLI once."""
        if name not in self._accounts:
            out = self.cli("keys", "create", "--account", name, "--json").stdout
            keys = json.loads(out[out.index("{") : out.rindex("}") + 1])
            if credits:
                self.cli("credits", "grant", str(credits), "--account", name)
            self._accounts[name] = Account(name, keys["access_key"], keys["secret_key"])
        return self._accounts[name]

    def balance(self, name: str) -> int:
        out = self.cli("credits", "balance", "--account", name).stdout
        numbers = re.findall(r"-?\d+", out.replace(",", ""))
        assert numbers, f"no number in `credits balance` output: {out!r}"
        return int(numbers[-1])

    def client(self, account: Account, **kwargs: Any) -> Client:
        return Client(self.url, account.access_key, account.secret_key, **kwargs)

    # --- the store, read directly (only to prove "never ran twice") ---------------
    def db_rows(self, sql: str) -> list[tuple]:
        if self.database_url:
            import psycopg

            with psycopg.connect(
                self.database_url.replace("postgresql+psycopg://", "postgresql://")
            ) as conn:
                return list(conn.execute(sql).fetchall())
        import sqlite3

        conn = sqlite3.connect(f"file:{self.home / 'reelforge.db'}?mode=ro", uri=True, timeout=30)
        try:
            return list(conn.execute(sql).fetchall())
        finally:
            conn.close()


# --- loopback helpers --------------------------------------------------------------


class _Quiet:
    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass


class FileServer:
    """``http.server`` on loopback serving one folder, for URL inputs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        outer = self

        class Handler(_Quiet, SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.requests.append(self.path)
                super().do_GET()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class CallbackReceiver:
    """Records POSTs; ``fail_first`` answers 500 to that many, to exercise retries; with
    ``hold``, each POST is recorded, then answered only once ``hold`` is set."""

    def __init__(self, fail_first: int = 0, hold: threading.Event | None = None) -> None:
        self.deliveries: list[Delivery] = []
        self.refused: list[Delivery] = []
        self.fail_first = fail_first
        self.hold = hold
        self.cond = threading.Condition()
        outer = self

        class Handler(_Quiet, BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                item = Delivery(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
                with outer.cond:
                    if outer.fail_first > 0:
                        outer.fail_first -= 1
                        outer.refused.append(item)
                        status = 500
                    else:
                        outer.deliveries.append(item)
                        status = 200
                    outer.cond.notify_all()
                if outer.hold is not None:
                    outer.hold.wait()
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def wait_for(
        self, predicate: Callable[[list[Delivery]], bool], timeout: float = 60
    ) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate(self.deliveries):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"callbacks seen: {[d.json().get('data', {}).get('task_status') for d in self.deliveries]}"
                    )
                self.cond.wait(left)
            return list(self.deliveries)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_until(
    predicate: Callable[[], Any], timeout: float, poll: float = 0.2, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached in {timeout} s")
        time.sleep(poll)


# --- input files ------------------------------------------------------------------


def write_image(
    path: Path, size: tuple[int, int] = (640, 360), color: tuple[int, int, int] = (40, 90, 160)
) -> Path:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w // 3, h // 4, 2 * w // 3, 3 * h // 4), fill=(230, 200, 80))
    draw.rectangle((0, 3 * h // 4, w, h), fill=(30, 60, 40))
    image.save(path)
    return path


def write_wav(path: Path, seconds: float = 3.0, rate: int = 16000) -> Path:
    t = np.arange(round(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * 220 * t) * 0.3 * np.sin(2 * np.pi * 3 * t) * 32000).astype("<i2")
    return write_pcm16(path, samples, rate)


def write_video(
    path: Path,
    seconds: float = 3.0,
    size: tuple[int, int] = (320, 320),
    fps: int = 8,
    audio: bool = True,
) -> Path:
    """A small moving-gradient H.264 MP4 (with an AAC tone when ``audio``)."""
    w, h = size
    frames = round(seconds * fps)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        a_stream = out.add_stream("aac", rate=48000, layout="mono") if audio else None
        y, x = np.mgrid[0:h, 0:w]
        for i in range(frames):
            img = np.zeros((h, w, 3), np.uint8)
            img[..., 0] = (x * 255 // w + i * 8) % 256
            img[..., 1] = y * 255 // h
            img[..., 2] = (i * 20) % 256
            for packet in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        out.mux(vs.encode(None))
        if a_stream is not None:
            rate = 48000
            size_ = a_stream.codec_context.frame_size or 1024
            total = round(seconds * rate)
            t = np.arange(total) / rate
            wave_ = (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)
            for start in range(0, total, size_):
                chunk = wave_[start : start + size_]
                if len(chunk) < size_:
                    chunk = np.pad(chunk, (0, size_ - len(chunk)))
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                frame.sample_rate = rate
                frame.pts = start
                frame.time_base = Fraction(1, rate)
                for packet in a_stream.encode(frame):
                    out.mux(packet)
            out.mux(a_stream.encode(None))
    return path
