"""Changes made behind the application's back, as the database's administrator would make them.

A PostgreSQL superuser can switch every trigger off for the session (the application's own role
cannot: README, "Security model"), so the append-only triggers do not stop these: what must find
them is ``huiying audit verify``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection


@contextmanager
def triggers_off() -> Iterator[None]:
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")


def as_db_admin(sql: str, *params: Any) -> None:
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(sql, params)
