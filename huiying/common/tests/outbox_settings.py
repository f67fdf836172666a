"""Settings of a consumer process in the outbox tests: the real ones plus a test consumer."""

from config.settings import *  # noqa: F403

HUIYING_OUTBOX_CONSUMERS = {
    "test.record": {
        "topics": ["test.*"],
        "handler": "huiying.common.tests.outbox_consumers.record_slowly",
    },
}
HUIYING_OUTBOX_WAKE = ""
