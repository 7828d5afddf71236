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

Each attempt starts with a claim in the store's outbox
(:meth:`~reelforge.store.outbox.Outbox.claim`): the delivery is leased to this sender for
``CALLBACK_LEASE_S`` in the same transaction that finds it due, so across threads and
server processes a delivery is in flight at most once, a task's deliveries go out one at
a time in order, and a sender that dies mid-attempt only delays its deliveries until the
lease runs out. A sender claims no more than it has
free threads, so a lease starts when its attempt does. Requests go through
:class:`~reelforge.service.outbound.PinnedTransport`: only to the public address that was
checked.
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
from .outbound import PinnedTransport, network_transport

log = logging.getLogger("reelforge.callbacks")

CALLBACK_TIMEOUT_S = 10.0
CALLBACK_MAX_ATTEMPTS = 8
CALLBACK_BACKOFF_BASE_S = 2.0
"""Delay before retry ``n`` (1-based) is ``BASE * 2**(n-1)`` seconds, capped below."""
CALLBACK_BACKOFF_MAX_S = 600.0
CALLBACK_POLL_S = 0.5
CALLBACK_CONCURRENCY = 4
CALLBACK_LEASE_S = 300.0
"""How long a claimed delivery is this sender's: far longer than one attempt takes (name
resolution, then connect, write and read each within ``CALLBACK_TIMEOUT_S``; the answer's
body is not read), and how long a delivery whose sender died mid-attempt waits before it
is sent again. Only a receiver that trickles its status line and headers for longer than
this could see a webhook-id twice (Standard Webhooks receivers dedupe by it)."""
USER_AGENT = "reelforge-webhooks/1"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``"{msg_id}.{timestamp}.{body}"`` (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Check a delivery as a receiver would (for tests and receivers written in Python)."""
    lower = {k.lower(): v for k, v in headers.items()}
    stamp = lower.get("webhook-timestamp", "")
    if not (stamp.isascii() and stamp.isdigit()) or "webhook-id" not in lower:
        return False
    expected = sign(secret, lower["webhook-id"], int(stamp), body)
    # A header may hold any text; compare_digest refuses non-ASCII str, so compare bytes.
    return any(
        s.isascii() and hmac.compare_digest(expected.encode(), s.encode())
        for s in lower.get("webhook-signature", "").split()
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
        self._network = transport if transport is not None else network_transport()
        self._client = httpx.Client(
            timeout=CALLBACK_TIMEOUT_S,
            transport=PinnedTransport("callback_url", allow_private, self._network),
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
        )
        self._owns_network = transport is None
        self._pool = ThreadPoolExecutor(
            CALLBACK_CONCURRENCY, thread_name_prefix="reelforge-callback"
        )
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._in_flight = 0
        """Claimed deliveries not yet finished (or slots reserved for a claim)."""
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
        if self._owns_network:
            self._network.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.dispatch()
            except Exception:  # the database may be briefly unavailable; try again later
                log.exception("callback dispatch failed")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def dispatch(self) -> int:
        """Claim as many due deliveries as there are free sending threads and start them."""
        with self._lock:
            free = CALLBACK_CONCURRENCY - self._in_flight
            self._in_flight += max(0, free)  # reserved: concurrent calls claim no more
        if free <= 0:
            return 0
        claimed: list[WebhookDelivery] = []
        try:
            claimed = self.store.outbox.claim(free, int(CALLBACK_LEASE_S * 1000))
        finally:
            with self._lock:
                self._in_flight -= free - len(claimed)
        for delivery in claimed:
            self._pool.submit(self._send_guarded, delivery)
        return len(claimed)

    def _send_guarded(self, delivery: WebhookDelivery) -> None:
        try:
            self.send(delivery)
        except Exception as exc:
            log.exception("callback %s failed unexpectedly", delivery.id)
            try:  # retried after the usual backoff, not only when its lease runs out
                self._settle(delivery, f"internal error ({type(exc).__name__})")
            except Exception:  # the store is down too: the lease brings it back
                log.exception("callback %s: recording the failure failed", delivery.id)
        finally:
            with self._lock:
                self._in_flight -= 1
            self._wake.set()  # a thread is free, and the task's next delivery may be due

    def send(self, delivery: WebhookDelivery) -> None:
        """One attempt at a claimed delivery; the outcome is recorded on it."""
        if delivery.attempts > self.max_attempts:  # its senders kept dying mid-attempt
            self.store.outbox.done(
                delivery,
                error=f"gave up after {delivery.attempts - 1} attempts, the last interrupted",
            )
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
        try:  # the answer's body is never read: a receiver cannot make us hold it
            with self._client.stream(
                "POST", delivery.url, content=body, headers=headers
            ) as response:
                if not 200 <= response.status_code < 300:
                    error = f"HTTP {response.status_code}"
        except (InputError, httpx.InvalidURL) as exc:  # refused URL or address: no retry
            self.store.outbox.done(delivery, error=str(exc))
            return
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" or type(exc).__name__
        if not error:
            self.store.outbox.done(delivery)
            return
        self._settle(delivery, error)

    def _settle(self, delivery: WebhookDelivery, error: str) -> None:
        """A failed attempt: retry after the backoff, or give up after the last attempt."""
        retry_at = (
            None
            if delivery.attempts >= self.max_attempts
            else now_ms() + int(backoff_s(delivery.attempts) * 1000)
        )
        if retry_at is None:
            log.warning(
                "callback %s to %s: giving up after %d attempts (%s)",
                delivery.id,
                delivery.url,
                delivery.attempts,
                error,
            )
        self.store.outbox.done(delivery, error=error, retry_at=retry_at)


def describe(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "last_error": delivery.last_error,
        "url": delivery.url,
    }
