"""`huiying analyze --in FILE --out FILE`: 研判 of JSON Lines, one output object per input line."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from functools import partial
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from huiying.analysis.pipeline import analyze_records, parse_time

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


def _line_chunks(fh: IO[bytes]) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    for line in fh:
        chunk.append(line)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def analyze_lines(lines: list[bytes], now: dt.datetime | None = None) -> bytes:
    """Output lines (UTF-8 JSON, newline-terminated) for input lines, in order; growth (heat)
    is counted up to ``now``."""
    parsed = [_parse(line) for line in lines]
    results: list[dict[str, Any]] = []
    todo = [r for r in parsed if not (isinstance(r, dict) and "__error__" in r)]
    done = iter(analyze_records(todo, now=now)) if todo else iter(())
    for r in parsed:
        if isinstance(r, dict) and "__error__" in r:
            results.append({"id": None, "error": r["__error__"]})
        else:
            results.append(next(done))
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results).encode("utf-8")


def _warm() -> None:
    """Load models and the routing directory once, before worker processes fork."""
    from huiying.analysis.nlp.models import default_models

    default_models()
    analyze_records([{"id": "warm", "content": "南通市崇川区"}])
    # Children must not share the parent's database sockets (they open their own).
    if not any(c.in_atomic_block for c in connections.all()):
        connections.close_all()


def run(
    src: IO[bytes],
    dst: IO[bytes],
    err: IO[str] | None,
    *,
    quiet: bool = False,
    jobs: int = 1,
    now: dt.datetime | None = None,
) -> int:
    """Analyse ``src`` into ``dst`` with ``jobs`` processes; returns the lines written.

    Chunks of CHUNK lines go to worker processes (forked after the models are loaded, so
    their memory is shared) and come back in input order. One chunk runs in-process. The
    run fixes ``now`` once (default: when it starts), so every line's growth counts to it.
    """
    work = partial(analyze_lines, now=now or dt.datetime.now(dt.UTC))
    n = 0
    t0 = time.monotonic()
    next_report = PROGRESS_EVERY
    chunks = _line_chunks(src)
    first = next(chunks, None)
    second = next(chunks, None) if first is not None else None
    pool = None
    if first is None:
        results: Iterator[bytes] = iter(())
    elif second is None or jobs <= 1:
        rest = itertools.chain([first], [second] if second else [], chunks)
        results = map(work, rest)
    else:
        _warm()
        pool = multiprocessing.get_context("fork").Pool(jobs)
        results = pool.imap(work, itertools.chain([first, second], chunks))
    try:
        for block in results:
            dst.write(block)
            n += block.count(b"\n")
            if err is not None and not quiet and n >= next_report:
                rate = n / max(1e-9, time.monotonic() - t0)
                err.write(f"已研判 {n} 条（{rate:.0f} 条/秒）\n")
                err.flush()
                next_report = n + PROGRESS_EVERY
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    dst.flush()
    if err is not None and not quiet and n >= PROGRESS_EVERY:
        err.write(f"完成：{n} 条，用时 {time.monotonic() - t0:.1f} 秒\n")
    return n


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class Command(BaseCommand):
    help = "研判 JSON Lines items (id, content, optional title/url/platform/...) into JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--in", dest="src", required=True, help="input JSON Lines, - for stdin")
        parser.add_argument("--out", dest="dst", required=True, help="output, - for stdout")
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
        parser.add_argument(
            "--jobs",
            type=int,
            default=default_jobs(),
            help="worker processes (default: CPUs, at most 4)",
        )
        parser.add_argument(
            "--now",
            default=None,
            help="count growth (heat) up to this ISO 8601 time instead of the run's start, "
            "e.g. to analyse history as it stood then",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        now = parse_time(opts["now"]) if opts["now"] else None
        if opts["now"] and now is None:
            raise CommandError(f"--now: not an ISO 8601 time: {opts['now']}")
        try:
            src = sys.stdin.buffer if opts["src"] == "-" else open(opts["src"], "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {opts['src']}: {exc.strerror}") from exc
        try:
            dst = sys.stdout.buffer if opts["dst"] == "-" else open(opts["dst"], "wb")  # noqa: SIM115
        except OSError as exc:
            src.close()
            raise CommandError(f"cannot write {opts['dst']}: {exc.strerror}") from exc
        try:
            run(src, dst, sys.stderr, quiet=opts["quiet"], jobs=max(1, opts["jobs"]), now=now)
        finally:
            if src is not sys.stdin.buffer:
                src.close()
            if dst is not sys.stdout.buffer:
                dst.close()
