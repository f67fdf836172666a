"""`huiying analyze --in FILE --out FILE`: 研判 of JSON Lines, one output object per input line."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandParser

from huiying.analysis.pipeline import analyze_records

CHUNK = 2000
PROGRESS_EVERY = 10_000


def _parse(line: bytes) -> Any:
    """The record of one line, or an error object for a malformed one."""
    try:
        s = line.decode("utf-8")
    except UnicodeDecodeError:
        return {"__error__": "invalid UTF-8"}
    s = s.strip()
    if not s:
        return {"__error__": "empty line"}
    try:
        return json.loads(s)
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        return {"__error__": f"invalid JSON: {msg}"}


def _chunks(fh: IO[bytes]) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for line in fh:
        chunk.append(_parse(line))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(src: IO[bytes], dst: IO[bytes], err: IO[str] | None, *, quiet: bool = False) -> int:
    """Analyse ``src`` into ``dst``; returns the number of lines written."""
    n = 0
    t0 = time.monotonic()
    next_report = PROGRESS_EVERY
    for chunk in _chunks(src):
        results: list[dict[str, Any] | None] = [None] * len(chunk)
        todo = [i for i, r in enumerate(chunk) if not (isinstance(r, dict) and "__error__" in r)]
        for i, r in enumerate(chunk):
            if results[i] is None and i not in todo:
                results[i] = {"id": None, "error": r["__error__"]}
        for i, res in zip(todo, analyze_records([chunk[i] for i in todo]), strict=True):
            results[i] = res
        dst.write(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results).encode("utf-8")
        )
        n += len(chunk)
        if err is not None and not quiet and n >= next_report:
            rate = n / max(1e-9, time.monotonic() - t0)
            err.write(f"已研判 {n} 条（{rate:.0f} 条/秒）\n")
            err.flush()
            next_report = n + PROGRESS_EVERY
    dst.flush()
    if err is not None and not quiet and n >= PROGRESS_EVERY:
        err.write(f"完成：{n} 条，用时 {time.monotonic() - t0:.1f} 秒\n")
    return n


class Command(BaseCommand):
    help = "研判 JSON Lines items (id, content, optional title/url/platform/...) into JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--in", dest="src", required=True, help="input JSON Lines, - for stdin")
        parser.add_argument("--out", dest="dst", required=True, help="output, - for stdout")
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")

    def handle(self, *args: Any, **opts: Any) -> None:
        src = sys.stdin.buffer if opts["src"] == "-" else open(opts["src"], "rb")  # noqa: SIM115
        dst = sys.stdout.buffer if opts["dst"] == "-" else open(opts["dst"], "wb")  # noqa: SIM115
        try:
            run(src, dst, sys.stderr, quiet=opts["quiet"])
        finally:
            if src is not sys.stdin.buffer:
                src.close()
            if dst is not sys.stdout.buffer:
                dst.close()
