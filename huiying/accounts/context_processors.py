from __future__ import annotations

from django.http import HttpRequest

from huiying.accounts.roles import principal_for


def roles(request: HttpRequest) -> dict[str, object]:
    return {"principal": principal_for(getattr(request, "user", None))}
