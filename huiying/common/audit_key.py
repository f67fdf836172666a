"""The audit key: a secret kept outside the database that seals the chain and its checkpoints.

Every event's hash is an HMAC under a key derived from this one, and so is every checkpoint.
Someone who can write the database but cannot read this file can neither recompute the chain
after editing an event nor forge a checkpoint: ``huiying audit verify`` finds both. The file is
created on first use while the chain is still empty (a new installation, the demo); once the
chain has events a missing key is an error, never silently replaced, since a new key would make
the whole history unverifiable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32
_cache: dict[str, bytes] = {}


class AuditKeyMissing(ImproperlyConfigured):
    pass


def key_path() -> Path:
    return Path(settings.HUIYING_AUDIT_KEY_FILE)


def _parse(raw: str, path: Path) -> bytes:
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise ImproperlyConfigured(
            f"审计密钥文件 {path} 的内容无效：应为至少 {KEY_BYTES * 2} 位十六进制字符。"
        )
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        # O_EXCL: two processes starting at once agree on the first key written.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.write(fd, (secrets.token_hex(KEY_BYTES) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def audit_key(*, create: bool = False) -> bytes:
    """The key; ``create`` allows writing a new one when the file is missing (empty chain only)."""
    path = key_path()
    cached = _cache.get(str(path))
    if cached is not None:
        return cached
    if not path.exists():
        if not create:
            raise AuditKeyMissing(
                f"审计密钥文件 {path} 不存在，而审计链已有事件：没有它既不能续写也不能校验审计链。"
                "请从备份恢复该文件（设置 HUIYING_AUDIT_KEY_FILE），不要新建。"
            )
        _create(path)
    key = _parse(path.read_text(encoding="ascii", errors="replace"), path)
    _cache[str(path)] = key
    return key


def key_exists() -> bool:
    return str(key_path()) in _cache or key_path().exists()


def derived(key: bytes, purpose: str) -> bytes:
    """One key per use, so that a MAC made for one purpose is never valid for another."""
    return hmac.digest(key, f"huiying-audit/{purpose}".encode(), hashlib.sha256)


def key_id(key: bytes) -> str:
    """A short public name of the key, written into each checkpoint; reveals nothing of it."""
    return derived(key, "key-id").hex()[:16]
