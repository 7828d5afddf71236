"""The callback sender: delivers queued webhook deliveries (one per task status change,
queued by the store in the same transaction as the change) to each task's
``callback_url``.

The body is the task as a query returns it. Requests are signed the Standard Webhooks
way: ``webhook-id``, ``webhook-timestamp`` (unix seconds) and ``webhook-signature:
v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed by the account's or the server's
``whsec_`` secret (the part after the prefix, base64-decoded). Failed deliveries are
retried with exponential backoff; after ``CALLBACK_MAX_ATTEMPTS`` the delivery is marked
``failed`` with its last error. Sending runs on its own small thread pool, so a slow or
unreachable receiver never holds up rendering or the queue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from ..errors import InputError
from ..store import Store
from ..store.config import WEBHOOK_SECRET_PREFIX
from ..store.models import WebhookDelivery, now_ms
from .urls import check_url

log = logging.getLogger("reelforge.callbacks")

CALLBACK_TIMEOUT_S = 10.0
CALLBACK_MAX_ATTEMPTS = 8
CALLBACK_BACKOFF_BASE_S = 2.0
"""Delay before retry ``n`` (1-based) is ``BASE * 2**(n-1)`` seconds, capped below."""
CALLBACK_BACKOFF_MAX_S = 600.0
CALLBACK_POLL_S = 0.5
CALLBACK_BATCH = 50
CALLBACK_CONCURRENCY = 4
USER_AGENT = "reelforge-webhooks/1"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``"{msg_id}.{timestamp}.{body}"`` (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Check a delivery as a receiver would (for tests and receivers written in Python)."""
    lower = {k.lower(): v for k, v in headers.items()}
    expected = sign(secret, lower["webhook-id"], int(lower["webhook-timestamp"]), body)
    # A header may hold any text; compare_digest refuses non-ASCII str, so compare bytes.
    return any(
        s.isascii() and hmac.compare_digest(expected.encode(), s.encode())
        for s in lower["webhook-signature"].split()
    )


def backoff_s(attempt: int) -> float:
    """Seconds before the next try after ``attempt`` failed tries."""
    return min(CALLBACK_BACKOFF_MAX_S, CALLBACK_BACKOFF_BASE_S * 2 ** max(0, attempt - 1))


class CallbackSender:
    def __init__(
        self,
        store: Store,
        *,
        allow_private: bool = False,
        transport: httpx.BaseTransport | None = None,
        poll_s: float = CALLBACK_POLL_S,
        max_attempts: int = CALLBACK_MAX_ATTEMPTS,
    ) -> None:
        self.store = store
        self.allow_private = allow_private
        self.poll_s = poll_s
        self.max_attempts = max_attempts
        self._client = httpx.Client(
            timeout=CALLBACK_TIMEOUT_S,
            transport=transport,
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
        )
        self._pool = ThreadPoolExecutor(
            CALLBACK_CONCURRENCY, thread_name_prefix="reelforge-callback"
        )
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="reelforge-callbacks", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.dispatch()
            except Exception:  # the database may be briefly unavailable; try again later
                log.exception("callback dispatch failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def dispatch(self) -> int:
        """Start sending every due delivery not in flight (one per task at a time, in order)."""
        started = 0
        for delivery in self.store.due_deliveries(CALLBACK_BATCH):
            with self._lock:
                if delivery.task_id in self._busy:
                    continue
                self._busy.add(delivery.task_id)
            self._pool.submit(self._send_guarded, delivery)
            started += 1
        return started

    def _send_guarded(self, delivery: WebhookDelivery) -> None:
        try:
            self.send(delivery)
        except Exception:
            log.exception("callback %s failed unexpectedly", delivery.id)
        finally:
            with self._lock:
                self._busy.discard(delivery.task_id)

    def send(self, delivery: WebhookDelivery) -> None:
        """One attempt; the outcome is recorded on the delivery."""
        try:
            check_url(delivery.url, "callback_url", self.allow_private)
        except InputError as exc:
            self.store.delivery_done(delivery.id, error=str(exc), retry_at=None)
            return
        body = json.dumps(delivery.body, separators=(",", ":"), ensure_ascii=False).encode()
        stamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(
                self.store.webhook_secret(delivery.account_id), delivery.id, stamp, body
            ),
        }
        error = ""
        try:
            response = self._client.post(delivery.url, content=body, headers=headers)
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" or type(exc).__name__
        if not error:
            self.store.delivery_done(delivery.id)
            return
        attempt = delivery.attempts + 1
        retry_at = (
            None if attempt >= self.max_attempts else now_ms() + int(backoff_s(attempt) * 1000)
        )
        if retry_at is None:
            log.warning(
                "callback %s to %s: giving up after %d attempts (%s)",
                delivery.id,
                delivery.url,
                attempt,
                error,
            )
        self.store.delivery_done(delivery.id, error=error, retry_at=retry_at)


def describe(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "url": delivery.url,
    }
