from __future__ import annotations

from typing import Any

import pytest

from huiying.analysis.tests.support import standin


@pytest.fixture
def scores(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The deterministic stand-in for the models' scores (see support.py)."""
    monkeypatch.setattr("huiying.analysis.engine.analyze", standin)
    return standin


@pytest.fixture
def district_monitor(city: Any) -> Any:
    from huiying.orgs.models import Membership
    from huiying.orgs.services import membership_grant
    from huiying.orgs.tests.factories import UserFactory

    user = UserFactory(username="cc_monitor", full_name="崇川监测")
    membership_grant(user=user, unit=city.district, role=Membership.Role.MONITOR)
    return user
