from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from huiying.notify.access import is_cac
from huiying.notify.selectors import unread_count


def unread(request: HttpRequest) -> dict[str, object]:
    """``notify_unread`` (the person's unread messages) and ``notify_is_cac``, computed lazily."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notify_unread": 0, "notify_is_cac": False}
    return {
        "notify_unread": SimpleLazyObject(lambda: unread_count(user)),
        "notify_is_cac": SimpleLazyObject(lambda: is_cac(user)),
    }
