from __future__ import annotations

from typing import Any

import pytest

from huiying.notify.tests.support import receiver, smtp_server  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _notify_settings(settings: Any) -> None:
    settings.HUIYING_NOTIFY_WAKE = ""  # tests deliver by calling the service
    settings.HUIYING_NOTIFY_QUIET_HOURS = False  # the quiet-hours tests turn it on
    settings.HUIYING_NOTIFY_HTTP_TIMEOUT = 1
    settings.HUIYING_NOTIFY_BACKOFF_SECONDS = 30
    settings.HUIYING_NOTIFY_MAX_ATTEMPTS = 3
