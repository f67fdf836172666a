from __future__ import annotations

import pytest

from config.env import env_str


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIYING_MEDIA_ROOT", "")
    assert env_str("HUIYING_MEDIA_ROOT", "/srv/media") == "/srv/media"
    monkeypatch.setenv("HUIYING_MEDIA_ROOT", "/data/media")
    assert env_str("HUIYING_MEDIA_ROOT", "/srv/media") == "/data/media"


def test_every_setting_read_from_the_environment_is_in_env_example() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    read = set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', (root / "config/settings.py").read_text()))
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    assert read, "no env_* calls found in config/settings.py"
    assert read - listed == set()
