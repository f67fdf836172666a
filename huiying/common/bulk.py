"""Many rows in one statement: ``INSERT … VALUES (…), (…) [ON CONFLICT …] RETURNING …``.

Django's bulk_create on PostgreSQL sends each column as one array (UNNEST); psycopg escapes
every element of a text array in Python, which for JSON-heavy rows (audit events, outbox
payloads) costs more than the insert itself. Here each value is its own parameter, prepared by
its model field exactly as save() would, in batches that stay under the drivers' limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

MAX_PARAMS = 30_000  # PostgreSQL allows 65,535; SQLite 32,766 since 3.32


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: str = "",
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in ``columns`` order, field names or ``attname``s) into
    ``model``'s table; ``conflict`` is the SQL after ON CONFLICT (e.g. ``(clock_id, kind, n)
    DO NOTHING``); returns the ``returning`` columns of the rows written, in order."""
    if not rows:
        return []
    meta = model._meta
    fields = [meta.get_field(c) for c in columns]
    if connection.vendor == "postgresql":
        if not conflict:
            return _copy(model, fields, rows, returning)
        return _copy_then_insert(model, fields, rows, conflict, returning)
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)  # type: ignore[union-attr]
    tail = f" ON CONFLICT {conflict}" if conflict else ""
    if returning:
        tail += " RETURNING " + ", ".join(connection.ops.quote_name(c) for c in returning)
    per = max(1, MAX_PARAMS // len(fields))
    out: list[tuple[Any, ...]] = []
    with connection.cursor() as cur:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            params: list[Any] = []
            for row in chunk:
                params.extend(
                    f.get_db_prep_save(v, connection)  # type: ignore[union-attr]
                    for f, v in zip(fields, row, strict=True)
                )
            one = "(" + ", ".join(["%s"] * len(fields)) + ")"
            cur.execute(
                f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({names}) "  # noqa: S608
                f"VALUES {', '.join([one] * len(chunk))}{tail}",
                params,
            )
            if returning:
                out.extend(tuple(r) for r in cur.fetchall())
    return out


def _copy(
    model: type[models.Model],
    fields: list[Any],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """PostgreSQL: COPY, the fastest way in; ids asked for are taken from the table's sequence
    first (``returning`` may only be the primary key here)."""
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    ids: list[tuple[Any, ...]] = []
    if returning:
        if list(returning) != [pk.column]:
            raise ValueError("COPY can only return the primary key")
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(rows)],
            )
            ids = [tuple(r) for r in cur.fetchall()]
        fields = [pk, *fields]
        rows = [[i[0], *row] for i, row in zip(ids, rows, strict=True)]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    _copy_rows(connection.ops.quote_name(meta.db_table), names, fields, rows)
    return ids


def _copy_then_insert(
    model: type[models.Model],
    fields: list[Any],
    rows: Sequence[Sequence[Any]],
    conflict: str,
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """PostgreSQL with ON CONFLICT: COPY into a temporary table, then one INSERT … SELECT."""
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    names = ", ".join(q(f.column) for f in fields)
    scratch = q(f"bulk_{model._meta.db_table}")
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {scratch}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
    _copy_rows(scratch, names, fields, rows)
    tail = f" ON CONFLICT {conflict}"
    if returning:
        tail += " RETURNING " + ", ".join(q(c) for c in returning)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch}{tail}")  # noqa: S608
        out = [tuple(r) for r in cur.fetchall()] if returning else []
        cur.execute(f"DROP TABLE {scratch}")
    return out


def _copy_rows(table: str, names: str, fields: list[Any], rows: Sequence[Sequence[Any]]) -> None:
    import json

    is_json = [isinstance(f, models.JSONField) for f in fields]
    with (
        connection.cursor() as cur,
        cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [
                    json.dumps(v, ensure_ascii=False) if j else v
                    for v, j in zip(row, is_json, strict=True)
                ]
            )
