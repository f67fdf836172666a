"""Who may see notify's staff pages: 网信办 (any active role there) and superusers."""

from __future__ import annotations

from typing import Any

from huiying.orgs.models import Membership, Unit


def is_cac(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(
        user_id=user.pk, is_active=True, unit__is_active=True, unit__office=Unit.Office.CAC
    ).exists()
