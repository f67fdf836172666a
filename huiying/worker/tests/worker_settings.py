"""Settings of a `huiying worker` process in the worker tests: the real ones (the queue chosen by
the environment, as in production) plus a test outbox consumer and a test periodic job."""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "huiying.worker.tests.jobs"]  # noqa: F405
HUIYING_OUTBOX_CONSUMERS = {
    "test.record": {
        "topics": ["test.*"],
        "handler": "huiying.worker.tests.consumers.record_with_pid",
    },
}
HUIYING_OUTBOX_WAKE = ""
