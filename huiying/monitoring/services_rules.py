"""Monitoring keyword rules (per unit or city-wide): validated on save, every change audited.

A rule applies to items stored after it is saved; ``rule_apply_recent`` back-fills matches
over recent items so a new rule is useful at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huiying.accounts.roles import principal_for
from huiying.common.audit import record_event
from huiying.monitoring import keywords
from huiying.monitoring.access import check_manage
from huiying.monitoring.models import Item, ItemRuleMatch, KeywordRule
from huiying.orgs.models import Unit

BACKFILL_DAYS = 7
BACKFILL_LIMIT = 20000


def _snapshot(rule: KeywordRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "unit": rule.unit_id,
        "expression": rule.expression,
        "is_active": rule.is_active,
    }


def _check(actor: Any, unit: Unit | None) -> None:
    # City-wide rules belong to 网信办; a district monitor keeps the rules of its own area.
    check_manage(actor, unit, _("关键词规则"))


def _validate(name: str, expression: str) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("请填写规则名称")
    if problem := keywords.validate(expression):
        errors["expression"] = problem
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rule_create(
    *, name: str, expression: str, unit: Unit | None, actor: Any, is_active: bool = True
) -> KeywordRule:
    _check(actor, unit)
    _validate(name, expression)
    rule = KeywordRule.objects.create(
        name=name.strip(), expression=expression.strip(), unit=unit, is_active=is_active
    )
    record_event(
        actor=actor,
        action="keyword_rule.create",
        object_type="keyword_rule",
        object_id=rule.pk,
        after=_snapshot(rule),
    )
    return rule


@transaction.atomic
def rule_update(
    *,
    rule: KeywordRule,
    actor: Any,
    name: str | None = None,
    expression: str | None = None,
    is_active: bool | None = None,
) -> KeywordRule:
    rule = KeywordRule.objects.select_for_update().get(pk=rule.pk)
    _check(actor, rule.unit)
    before = _snapshot(rule)
    if name is not None:
        rule.name = name.strip()
    if expression is not None:
        rule.expression = expression.strip()
    if is_active is not None:
        rule.is_active = is_active
    _validate(rule.name, rule.expression)
    after = _snapshot(rule)
    if after == before:
        return rule
    rule.save(update_fields=["name", "expression", "is_active"])
    record_event(
        actor=actor,
        action="keyword_rule.update",
        object_type="keyword_rule",
        object_id=rule.pk,
        before=before,
        after=after,
    )
    return rule


def rule_apply_recent(
    rule: KeywordRule, *, days: int = BACKFILL_DAYS, now: dt.datetime | None = None
) -> int:
    """Match ``rule`` against the items of the last ``days`` days; returns the matches added."""
    if not rule.is_active:
        return 0
    node = keywords.compile_rule(rule.expression)
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    rows = []
    items = (
        Item.objects.filter(captured_at__gte=since)
        .order_by("-captured_at")
        .values_list("pk", "title", "text_simplified")[:BACKFILL_LIMIT]
    )
    for pk, title, text in items:
        if keywords.evaluate(node, keywords.fold(f"{title}\n{text}")):
            rows.append(ItemRuleMatch(item_id=pk, rule=rule, matched_at=now))
    before = ItemRuleMatch.objects.filter(rule=rule).count()
    ItemRuleMatch.objects.bulk_create(rows, ignore_conflicts=True)
    return ItemRuleMatch.objects.filter(rule=rule).count() - before


def rules_visible_to(user: Any) -> list[KeywordRule]:
    """City-wide rules and the rules of units this person sees."""
    principal = principal_for(user)
    rules = KeywordRule.objects.select_related("unit").order_by("unit__path", "name")
    return [r for r in rules if r.unit is None or principal.sees_unit(r.unit)]
