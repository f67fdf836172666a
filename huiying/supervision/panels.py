"""What supervision adds to the form page (through ``settings.HUIYING_FORM_PANELS``) and the
words of its events on the form's timeline (``settings.HUIYING_EVENT_LABELS``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from huiying.accounts.roles import principal_for
from huiying.cases.models import Assignment
from huiying.supervision import abilities, selectors
from huiying.supervision.models import Step

EVENT_LABELS: dict[str, Any] = {
    "supervision.warning": _("到期预警"),
    "supervision.reminder": _("催办"),
    "supervision.escalation": _("提请督查室督办"),
    "supervision.order_issued": _("下达督办单"),
    "supervision.order_explain": _("提交督办书面说明"),
    "supervision.order_close": _("办结督办"),
    "supervision.order_refer": _("督办转移送问责"),
    "supervision.referred": _("移送问责"),
    "supervision.decided": _("登记问责处理结果"),
}


def form_panel(request: HttpRequest, form: Assignment) -> str:
    p = principal_for(request.user)
    steps = list(selectors.steps_of(form))
    orders = [o for o in selectors.orders_of(form) if abilities.may_see_order(p, o)]
    referrals = list(selectors.referrals_of(form))
    may_order = abilities.may_issue_order(p, form) and not any(
        o.status in ("issued", "explained") for o in orders
    )
    may_refer = abilities.may_refer(p, form) and not any(r.status == "pending" for r in referrals)
    if not (steps or orders or referrals or may_order or may_refer):
        return ""
    return render_to_string(
        "supervision/_form_panel.html",
        {
            "form": form,
            "reminders": [s for s in steps if s.kind == Step.Kind.REMINDER],
            "warnings": [s for s in steps if s.kind == Step.Kind.WARNING],
            "escalations": [s for s in steps if s.kind == Step.Kind.ESCALATION],
            "orders": orders,
            "referrals": referrals,
            "may_order": may_order,
            "may_refer": may_refer,
            "may_see_referral": p.is_inspection or p.is_cac or p.is_superuser,
        },
        request=request,
    )
