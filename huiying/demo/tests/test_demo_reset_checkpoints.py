"""``huiying demo --reset`` moves the old demo's audit checkpoints aside, and only under var/."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from huiying.demo.management.commands.demo import Command


def test_reset_archives_checkpoints_under_var_only(settings: Any, tmp_path: Path) -> None:
    var, elsewhere = tmp_path / "var", tmp_path / "srv"
    var.mkdir()
    elsewhere.mkdir()
    command = Command(stdout=io.StringIO())

    settings.HUIYING_AUDIT_CHECKPOINT_FILE = elsewhere / "checkpoints.jsonl"
    (elsewhere / "checkpoints.jsonl").write_text("{}\n")
    command.archive_checkpoints({var})
    assert (elsewhere / "checkpoints.jsonl").exists()

    settings.HUIYING_AUDIT_CHECKPOINT_FILE = var / "checkpoints.jsonl"
    (var / "checkpoints.jsonl").write_text("{}\n")
    command.archive_checkpoints({var})
    assert not (var / "checkpoints.jsonl").exists()
    (archived,) = var.glob("checkpoints.jsonl.*.old")
    assert archived.read_text() == "{}\n"
    assert archived.name in command.stdout.getvalue()  # type: ignore[attr-defined]
