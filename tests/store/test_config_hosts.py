"""``allowed_hosts`` (issue 10): the extra ``Host`` names of a ``--no-auth`` server, as a
TOML list in ``config.toml`` or comma-separated in ``REELFORGE_ALLOWED_HOSTS``."""

from __future__ import annotations

import pytest

from reelforge.store.config import ConfigError, load_config


def test_allowed_hosts_from_the_config_file_and_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("REELFORGE_ALLOWED_HOSTS", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('allowed_hosts = ["studio.lan", " render.lan "]\n')
    assert load_config(home).allowed_hosts == ("studio.lan", "render.lan")
    monkeypatch.setenv("REELFORGE_ALLOWED_HOSTS", "a.lan, b.lan,,")
    assert load_config(home).allowed_hosts == ("a.lan", "b.lan")
    monkeypatch.delenv("REELFORGE_ALLOWED_HOSTS")
    (home / "config.toml").write_text("allowed_hosts = 3\n")
    with pytest.raises(ConfigError, match="allowed_hosts: 3 is not a list"):
        load_config(home)
