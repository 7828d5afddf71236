"""Every place a signature from outside is compared (issue 10): any text in it is an
invalid signature, never a crash. ``hmac.compare_digest`` raises ``TypeError`` on a
non-ASCII ``str``, which made ``/v1/files/...?signature=%C3%A9`` a 500."""

from __future__ import annotations

import time

import pytest

from reelforge.client import verify_webhook
from reelforge.service import callbacks
from reelforge.store.artifacts import LocalArtifacts
from reelforge.store.config import new_webhook_secret

HOSTILE = {"latin": "é", "long": "€" * 43, "astral": "a😀b", "surrogate": "\udcff"}
"""Signatures no server made."""


@pytest.mark.parametrize("signature", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_file_signature_with_any_text_is_invalid(tmp_path, signature):
    artifacts = LocalArtifacts(tmp_path, b"k" * 32, 60)
    expires = int(time.time()) + 60
    assert artifacts.verify("1/t/video.mp4", expires, artifacts.sign("1/t/video.mp4", expires))
    assert not artifacts.verify("1/t/video.mp4", expires, signature)


@pytest.mark.parametrize("signature", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_webhook_signature_with_any_text_is_invalid(signature):
    secret, body, stamp = new_webhook_secret(), b'{"task_id": "t"}', int(time.time())
    good = callbacks.sign(secret, "msg_1", stamp, body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(stamp)}
    assert callbacks.verify(secret, {**headers, "webhook-signature": good}, body)
    assert verify_webhook(secret, {**headers, "webhook-signature": good}, body)
    hostile = {**headers, "webhook-signature": f"v1,{signature}"}
    assert not callbacks.verify(secret, hostile, body)
    assert not verify_webhook(secret, hostile, body)


@pytest.mark.parametrize("stamp", ["", "soon", "١٢٣", "1e9"])
def test_a_webhook_with_a_timestamp_that_is_no_number_is_invalid(stamp):
    secret, body = new_webhook_secret(), b'{"task_id": "t"}'
    good = callbacks.sign(secret, "msg_1", int(time.time()), body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": stamp, "webhook-signature": good}
    assert not callbacks.verify(secret, headers, body)
    assert not callbacks.verify(secret, {"webhook-signature": good}, body)
