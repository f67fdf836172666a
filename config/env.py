"""Settings come only from environment variables; these helpers parse them."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


def env_str(name: str, default: str = "") -> str:
    # An empty value means "not set": HUIYING_MEDIA_ROOT= must not become the current directory.
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else int(raw)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def database_from_url(url: str, base_dir: Path) -> dict[str, object]:
    """Turn sqlite:///path or postgres://user:pass@host:port/name into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/to/repo.sqlite3 or sqlite:////absolute/path.sqlite3
        raw = unquote(parsed.path)
        name = Path(raw[1:]) if raw.startswith("//") else base_dir / raw.lstrip("/")
        if raw.startswith("//"):
            name = Path("/" + raw.lstrip("/"))
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(name),
            # IMMEDIATE makes a writer take the lock at BEGIN, so two concurrent transitions
            # of one form serialise instead of failing with "database is locked" at commit.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not :memory:, so that threads in concurrency tests share one database.
            "TEST": {"NAME": str(name.with_name(f"test-{name.name}"))},
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
            "OPTIONS": options,
        }
    raise ValueError(f"DATABASE_URL has an unsupported scheme: {parsed.scheme!r}")


def syslog_handler(spec: str) -> dict[str, object]:
    """A logging handler entry for syslog: /dev/log (a local socket), host:port (UDP) or
    tcp://host:port, so that a copy of what is written goes to another machine."""
    import socket

    entry: dict[str, object] = {
        "class": "logging.handlers.SysLogHandler",
        "formatter": "plain",
        "facility": "local0",
    }
    if spec.startswith("/"):
        entry["address"] = spec
        return entry
    tcp = spec.startswith("tcp://")
    host, _, port = spec.removeprefix("tcp://").removeprefix("udp://").rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(
            f"HUIYING_AUDIT_SYSLOG must be /path, host:port or tcp://host:port: {spec!r}"
        )
    entry["address"] = (host.strip("[]"), int(port))
    entry["socktype"] = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    return entry


# A Redis that restarts or a machine that vanishes must not hang a web request that enqueues,
# nor a worker: connect and read timeouts, and a ping before reusing an idle connection.
# (Huey's blocking read waits 1 s, under the read timeout.) A value in the URL wins.
REDIS_URL_DEFAULTS = {
    "socket_connect_timeout": "5",
    "socket_timeout": "10",
    "health_check_interval": "30",
}


def redis_url_with_defaults(url: str) -> str:
    if not url:
        return url
    given = parse_qs(urlparse(url).query)
    extra = "&".join(f"{k}={v}" for k, v in REDIS_URL_DEFAULTS.items() if k not in given)
    if not extra:
        return url
    return f"{url}{'&' if '?' in url else '?'}{extra}"
