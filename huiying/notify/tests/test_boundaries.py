"""notify depends on common and orgs only: senders reach it through the outbox contract."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1]
ALLOWED = {"huiying.common", "huiying.orgs", "huiying.notify"}


def test_notify_imports_no_other_app() -> None:
    found: list[str] = []
    for path in APP.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("huiying.") and not any(
                    name == a or name.startswith(a + ".") for a in ALLOWED
                ):
                    found.append(f"{path.name}: {name}")
    assert found == []
