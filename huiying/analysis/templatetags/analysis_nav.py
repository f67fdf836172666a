"""The navigation link to the triage desk, for those who may use it."""

from __future__ import annotations

from typing import Any

from django import template

from huiying.accounts.roles import principal_for

register = template.Library()


@register.simple_tag(takes_context=True)
def may_triage(context: dict[str, Any]) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    principal = principal_for(user)
    if principal.is_superuser or principal.is_cac_drafter:
        return True
    if not principal.subtree_paths or principal.is_cac:
        return False  # monitors see a subtree: without one, no query needed
    from huiying.analysis.selectors import may_triage as check

    return check(user)


@register.simple_tag(takes_context=True)
def triage_item_link(context: dict[str, Any], item: Any) -> str:
    """The address of an item's triage page when this person may open it, else ""."""
    from django.urls import reverse

    from huiying.analysis.models import ItemAnalysis
    from huiying.analysis.selectors import may_view_item

    request = context.get("request")
    analysis = ItemAnalysis.objects.filter(item_id=item.pk).first()
    if analysis is None or not may_view_item(getattr(request, "user", None), analysis):
        return ""
    return reverse("analysis:item", args=[item.pk])
