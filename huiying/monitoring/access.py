"""Who may use the monitoring pages: 网信办 staff, or anyone with a monitor membership."""

from __future__ import annotations

from typing import Any

from huiying.accounts.roles import principal_for
from huiying.orgs.models import Membership


def is_monitor(user: Any) -> bool:
    principal = principal_for(user)
    if principal.is_superuser or principal.is_cac:
        return True
    if principal.user_id is None:
        return False
    # Designated monitoring staff of districts and departments (R2.1).
    return Membership.objects.filter(
        user_id=principal.user_id,
        role=Membership.Role.MONITOR,
        is_active=True,
        unit__is_active=True,
    ).exists()
