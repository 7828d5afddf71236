"""The service's CLI: keys, credits and serve, as the other tools call them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from reelforge.cli import app

from .conftest import token


def run(home, *args):
    result = CliRunner().invoke(
        app, list(args), env={"REELFORGE_HOME": str(home), "REELFORGE_DATABASE_URL": ""}
    )
    return result


def test_keys_and_credits(tmp_path):
    home = tmp_path / "home"
    created = run(home, "keys", "create", "--json")
    assert created.exit_code == 0, created.output
    keys = json.loads(created.stdout)
    assert set(keys) == {"access_key", "secret_key"}
    assert json.loads(
        run(home, "keys", "create", "--account", "bob", "--api-key", "--json").stdout
    )["api_key"].startswith("rfk_")
    listed = json.loads(run(home, "keys", "list", "--json").stdout)
    assert [(k["account"], k["kind"], k["revoked"]) for k in listed] == [
        ("default", "pair", False),
        ("bob", "api_key", False),
    ]
    assert run(home, "keys", "revoke", keys["access_key"]).exit_code == 0
    assert run(home, "keys", "revoke", keys["access_key"]).exit_code == 1
    assert json.loads(run(home, "keys", "list", "--json").stdout)[0]["revoked"] is True
    assert run(home, "credits", "grant", "250").stdout.strip() == "250"
    assert run(home, "credits", "grant", "5", "--account", "bob").stdout.strip() == "5"
    assert run(home, "credits", "balance").stdout.strip() == "250"
    assert run(home, "credits", "balance", "--account", "nobody").stdout.strip() == "0"
    assert run(home, "credits", "grant", "0").exit_code == 2
    assert (home / "reelforge.db").exists() and (home / "server_secret").exists()


def test_no_auth_is_refused_off_loopback(tmp_path):
    result = run(tmp_path / "home", "serve", "--host", "0.0.0.0", "--no-auth")
    assert result.exit_code == 2 and "--no-auth" in result.output


def test_bad_config_is_reported(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("no_such_key = 1\n")
    result = run(home, "credits", "balance")
    assert result.exit_code == 1 and "no_such_key" in result.output


def test_serve_prints_where_it_listens_and_answers(tmp_path):
    home = tmp_path / "home"
    keys = json.loads(run(home, "keys", "create", "--json").stdout)
    env = {**os.environ, "REELFORGE_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge", "serve", "--port", "0", "--previz"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline().strip()
        second = proc.stdout.readline().strip()
        assert first.startswith("reelforge listening on http://127.0.0.1:"), first
        assert second == f"data: {home.resolve()}"
        base = first.rsplit(" ", 1)[1]
        headers = {"Authorization": "Bearer " + token(keys["access_key"], keys["secret_key"])}
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"{base}/v1/videos/text2video", headers=headers)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert response.json()["code"] == 0
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stdout.close()  # the pipe is ours to close (else a ResourceWarning, an error here)
