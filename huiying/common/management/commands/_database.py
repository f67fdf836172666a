"""Whether the database is ready for a command, said in Chinese instead of a traceback.

A command run against a database that was never migrated (or is behind the code) would
otherwise die in the middle of its first query with "no such table". Each command that reads
or writes the database asks here first. (A leading underscore keeps Django from listing this
module as a command.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

MIGRATE_ADVICE = "请先运行 huiying migrate"


@dataclass(frozen=True)
class DatabaseProblem:
    what: str  # "数据库尚未初始化"
    advice: str  # what to do about it

    def __str__(self) -> str:
        return f"{self.what}；{self.advice}。"


def unapplied_migrations(database: str = DEFAULT_DB_ALIAS) -> int:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[database])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def database_problem(database: str = DEFAULT_DB_ALIAS) -> DatabaseProblem | None:
    """None when every migration is applied; else what is wrong and what to do."""
    from django.db.migrations.recorder import MigrationRecorder

    try:
        pending = unapplied_migrations(database)
        if not pending:
            return None
        applied = MigrationRecorder(connections[database]).applied_migrations()
    except DatabaseError as exc:
        return DatabaseProblem(f"无法连接数据库：{exc}".strip(), "请检查 DATABASE_URL 与数据库服务")
    if not applied:
        return DatabaseProblem("数据库尚未初始化", MIGRATE_ADVICE)
    return DatabaseProblem(f"数据库还有 {pending} 个迁移未执行", MIGRATE_ADVICE)


def require_database(database: str = DEFAULT_DB_ALIAS) -> None:
    """Stop the command with a clear message (exit status 1) unless the database is ready."""
    problem = database_problem(database)
    if problem is not None:
        raise CommandError(str(problem))
