"""Settings of bench/bench_worker.py and its workers: the real ones plus a slow outbox consumer."""

from config.settings import *  # noqa: F403

HUIYING_OUTBOX_CONSUMERS = {
    "bench.slow_receiver": {
        "topics": ["bench.*"],
        "handler": "bench.bench_worker.deliver",
    },
}
HUIYING_OUTBOX_WAKE = ""
