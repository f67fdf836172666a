"""Preparing collected items for storage: CPU only, so it may run in worker processes.

What ingestion does to each item before it touches the database (the text kept as published
with whitespace tidied, its folded form, the canonical URL, the de-duplication features, the
search words) costs about 0.3 ms of one core per item, as much as storing it. A large batch
(a vendor's push during a major event, a history import) is therefore cut into chunks that
a small pool of processes prepares while this process stores the previous batch
(``ingest.ingest_batches``), so that ingestion uses every core.

The pool is started on first use with the ``spawn`` method: a web or worker process has
threads (the in-process task worker, database connections) that ``fork`` would copy in an
undefined state. Its workers import only this module's pure-Python dependencies (no Django,
no database). If the pool breaks (a worker killed), the batch is prepared here instead and a
new pool is started next time: preparation never loses an item.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from huiying.monitoring import dedup, normalize, segment

log = logging.getLogger("huiying.monitoring.ingest")

# A batch smaller than this is prepared in this process: shipping it costs more than it saves.
PARALLEL_FROM = 200
CHUNK = 250  # items per task sent to a worker


@dataclass(slots=True)
class Texts:
    """An item's texts as stored, and what matching and search derive from them."""

    title: str
    text: str
    title_folded: str
    simplified: str  # the folded text (Item.text_simplified)
    canonical: str
    feats: dedup.Features
    tokens: str


Input = tuple[str, str, str]  # title, text, url as collected


def _cut(value: str, length: int) -> str:
    return value[:length] if len(value) > length else value


def prepare_texts(title_raw: str, text_raw: str, url: str, words: bool = True) -> Texts | None:
    """None when there is nothing to keep (no title, text or link). ``words``: also the
    search words (a large batch leaves them to the search indexer)."""
    title = _cut(normalize.tidy_line(title_raw), 500)
    text = normalize.tidy_text(text_raw)
    if not (title or text or url.strip()):
        return None
    title_folded = normalize.fold(title)
    folded = normalize.fold(text)
    return Texts(
        title=title,
        text=text,
        title_folded=title_folded,
        simplified=folded,
        canonical=_cut(normalize.canonical_url(url), 1000),
        feats=dedup.features(title, text, folded_title=title_folded, folded_text=folded),
        tokens=segment.index_tokens(f"{title_folded}\n{folded}") if words else "",
    )


def _prepare_chunk(inputs: list[Input], words: bool) -> list[Texts | None]:
    return [prepare_texts(*one, words=words) for one in inputs]


# --- the pool ---------------------------------------------------------------------------------

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0


def processes() -> int:
    """Worker processes for preparation (``HUIYING_INGEST_PROCESSES``; 0 = one per core, at
    most 4; 1 = prepare in the calling process)."""
    from django.conf import settings

    configured = int(getattr(settings, "HUIYING_INGEST_PROCESSES", 0) or 0)
    if configured > 0:
        return configured
    return max(1, min(4, os.cpu_count() or 1))


def _get_pool() -> ProcessPoolExecutor | None:
    global _pool, _pool_size
    size = processes()
    if size < 2:
        return None
    with _lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            _pool = ProcessPoolExecutor(
                max_workers=size, mp_context=multiprocessing.get_context("spawn")
            )
            _pool_size = size
        return _pool


def _drop_pool() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


atexit.register(_drop_pool)


class Pending:
    """Texts being prepared for a batch: in the pool's workers, or here if the pool is off."""

    def __init__(self, inputs: list[Input], *, words: bool) -> None:
        self._inputs = inputs
        self.words = words
        self._futures: list[Future[list[Texts | None]]] = []
        pool = _get_pool() if len(inputs) >= PARALLEL_FROM else None
        if pool is None:
            return
        try:
            self._futures = [
                pool.submit(_prepare_chunk, inputs[i : i + CHUNK], words)
                for i in range(0, len(inputs), CHUNK)
            ]
        except (BrokenProcessPool, RuntimeError) as exc:
            log.warning("preparation pool unavailable (%s): preparing in this process", exc)
            _drop_pool()
            self._futures = []

    def result(self) -> list[Texts | None]:
        if self._futures:
            try:
                out: list[Texts | None] = []
                for future in self._futures:
                    out.extend(future.result())
                return out
            except BrokenProcessPool as exc:
                # A worker died (killed, out of memory): nothing was stored yet, so the whole
                # batch is simply prepared here.
                log.warning("preparation pool broke (%s): preparing in this process", exc)
                _drop_pool()
        return _prepare_chunk(self._inputs, self.words)
