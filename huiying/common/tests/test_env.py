from __future__ import annotations

import pytest

from config.env import env_str


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIYING_MEDIA_ROOT", "")
    assert env_str("HUIYING_MEDIA_ROOT", "/srv/media") == "/srv/media"
    monkeypatch.setenv("HUIYING_MEDIA_ROOT", "/data/media")
    assert env_str("HUIYING_MEDIA_ROOT", "/srv/media") == "/data/media"
