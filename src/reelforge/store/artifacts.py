"""Where task files live and how their URLs are signed.

Files are kept under ``$REELFORGE_HOME/artifacts/<account_id>/<task_id>/`` (inputs in
``inputs/``, the render beside them). A file is served at
``/v1/files/<account_id>/<task_id>/<name>?expires=<unix s>&signature=<b64 HMAC>``: the
HMAC-SHA256, under the server secret, of the path and the expiry, so a URL can be neither
altered nor extended. The path starts with the owner's account, so a valid URL of one
account never names another's file.

Seam for an S3-compatible bucket: :class:`LocalArtifacts` is the only implementation; a
bucket store would implement ``publish`` (upload the finished files) and ``url`` (a
presigned GET) with the same signatures, chosen by config.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import time
from pathlib import Path, PurePosixPath

FILES_ROUTE = "/v1/files"
INPUTS_DIR = "inputs"


class LocalArtifacts:
    def __init__(self, root: Path, secret: bytes, ttl_seconds: int) -> None:
        self.root = root
        self.secret = secret
        self.ttl_seconds = ttl_seconds

    def task_dir(self, account_id: int, task_id: str) -> Path:
        return self.root / str(account_id) / task_id

    def inputs_dir(self, account_id: int, task_id: str) -> Path:
        return self.task_dir(account_id, task_id) / INPUTS_DIR

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root.resolve()).as_posix()

    def remove_task(self, account_id: int, task_id: str) -> None:
        shutil.rmtree(self.task_dir(account_id, task_id), ignore_errors=True)

    def url(self, relpath: str, base_url: str, now: float | None = None) -> str:
        """An absolute, signed URL for ``relpath`` that expires after ``ttl_seconds``."""
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        sig = self.sign(relpath, expires)
        return f"{base_url.rstrip('/')}{FILES_ROUTE}/{relpath}?expires={expires}&signature={sig}"

    def sign(self, relpath: str, expires: int) -> str:
        mac = hmac.new(self.secret, f"{relpath}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def verify(self, relpath: str, expires: int, signature: str, now: float | None = None) -> bool:
        """Whether ``signature`` is this server's for ``relpath`` until ``expires``.

        The signature comes from the URL, so it may be any text: a signature is
        URL-safe base64, so anything else is simply invalid (``compare_digest`` refuses
        non-ASCII ``str``; it is given bytes).
        """
        if expires < (now if now is not None else time.time()) or not signature.isascii():
            return False
        return hmac.compare_digest(self.sign(relpath, expires).encode(), signature.encode())

    def resolve(self, relpath: str) -> Path | None:
        """The file for a signed path, or ``None`` (missing, or outside the artifacts dir)."""
        parts = PurePosixPath(relpath).parts
        if len(parts) < 3 or any(p in ("..", ".", "") or p.startswith("/") for p in parts):
            return None
        path = (self.root / Path(*parts)).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            return None
        return path

    def sidecar(self, video: dict) -> Path | None:
        """The JSON sidecar beside a task's video (a ``videos`` entry), or ``None``."""
        return self.resolve(PurePosixPath(video["path"]).with_suffix(".json").as_posix())

    @staticmethod
    def owner(relpath: str) -> int | None:
        """The account id a file path belongs to."""
        head = PurePosixPath(relpath).parts[:1]
        return int(head[0]) if head and head[0].isdigit() else None
