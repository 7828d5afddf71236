"""A tiny stand-in for the Hugging Face Hub on 127.0.0.1, for ``HF_ENDPOINT``.

It serves folders on disk as model repositories through the few routes that
``huggingface_hub.snapshot_download`` uses: ``/api/models/{repo}/revision/{rev}``
(repository info with the commit), ``/api/models/{repo}/tree/{rev}`` (the file list)
and ``/{repo}/resolve/{rev}/{path}`` (HEAD and GET, with ``Range`` for resumed
downloads). It logs every file it sends, so a test can see what came down.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class FakeHub:
    """Repositories ``repo_id -> folder``; ``sent`` lists ``(repo_id, path)`` of every GET."""

    repos: dict[str, Path] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_after: dict[str, int] = field(default_factory=dict)
    """``path -> bytes``: send only that many bytes of the file once, then drop the connection."""
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def files(self, repo_id: str) -> dict[str, bytes]:
        root = self.repos[repo_id]
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    def start(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                return None

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _json(self, payload) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _missing(self) -> None:
                self.send_response(404)
                self.send_header("X-Error-Code", "RepoNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _serve(self, body: bool) -> None:
                path = unquote(urlparse(self.path).path)
                info = re.fullmatch(r"/api/models/([^/]+/[^/]+)/revision/([^/]+)", path)
                tree = re.fullmatch(r"/api/models/([^/]+/[^/]+)/tree/([^/]+)(/.*)?", path)
                resolve = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
                if info and info.group(1) in hub.repos:
                    repo = info.group(1)
                    siblings = [{"rfilename": name} for name in hub.files(repo)]
                    return self._json(
                        {"id": repo, "sha": COMMIT, "siblings": siblings, "private": False}
                    )
                if tree and tree.group(1) in hub.repos:
                    entries = [
                        {"type": "file", "path": name, "size": len(data), "oid": git_blob_id(data)}
                        for name, data in hub.files(tree.group(1)).items()
                    ]
                    return self._json(entries)
                if resolve and resolve.group(1) in hub.repos:
                    repo, name = resolve.group(1), resolve.group(3)
                    data = hub.files(repo).get(name)
                    if data is None:
                        self.send_response(404)
                        self.send_header("X-Error-Code", "EntryNotFound")
                        self.send_header("X-Repo-Commit", COMMIT)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return None
                    start = 0
                    ranged = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
                    if ranged:
                        start = int(ranged.group(1))
                    part = data[start:]
                    self.send_response(206 if ranged else 200)
                    self.send_header("X-Repo-Commit", COMMIT)
                    self.send_header("ETag", f'"{git_blob_id(data)}"')
                    self.send_header("Content-Length", str(len(part)))
                    if ranged:
                        self.send_header(
                            "Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"
                        )
                    self.end_headers()
                    if not body:
                        return None
                    hub.sent.append((repo, name))
                    cut = hub.fail_after.pop(name, None)
                    if cut is not None:
                        self.wfile.write(part[:cut])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return None
                    self.wfile.write(part)
                    return None
                return self._missing()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
