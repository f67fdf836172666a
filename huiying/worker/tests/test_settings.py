"""The queue is configured by environment variables only; Redis gets timeouts by default."""

from __future__ import annotations

from huey import RedisHuey

from config.env import redis_url_with_defaults


def test_a_redis_url_gets_timeouts_unless_it_names_its_own() -> None:
    url = redis_url_with_defaults("redis://10.0.0.5:6379/3")
    assert url.startswith("redis://10.0.0.5:6379/3?")
    kwargs = RedisHuey("t", url=url).storage.pool.connection_kwargs
    assert kwargs["socket_connect_timeout"] == 5.0
    assert kwargs["socket_timeout"] == 10.0 and kwargs["health_check_interval"] == 30
    own = redis_url_with_defaults("redis://h:6379/0?socket_timeout=3")
    assert "socket_timeout=3" in own and own.count("socket_timeout") == 1
    assert redis_url_with_defaults("") == ""
