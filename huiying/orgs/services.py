"""Writes to the unit directory. Every change keeps the materialised path right and is audited.

The path ("/1/5/17/") is what scoping filters on (accounts.roles), so nothing may save a unit
without it being recomputed for the unit and its whole subtree: go through these functions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from huiying.common.audit import record_event
from huiying.common.errors import InvalidInput
from huiying.orgs.models import DUTY_MEMBER_ROLES, DutyShift, Membership, Unit
from huiying.orgs.selectors import tree_ordered

# Fields a person (the admin, the directory file) may change; path and depth are derived.
UNIT_FIELDS = (
    "code",
    "name",
    "short_name",
    "kind",
    "office",
    "parent",
    "functions",
    "places",
    "phone",
    "sort_order",
    "is_active",
)


def _path_for(unit: Unit) -> tuple[str, int]:
    if unit.parent_id is None:
        return f"/{unit.pk}/", 0
    parent = Unit.objects.only("path", "depth").get(pk=unit.parent_id)
    return f"{parent.path}{unit.pk}/", parent.depth + 1


def _unit_snapshot(unit: Unit, fields: Iterable[str] = UNIT_FIELDS) -> dict[str, Any]:
    """What the audit log keeps of a unit: plain values, the parent by id."""
    return {f: unit.parent_id if f == "parent" else getattr(unit, f) for f in fields}


def is_text_list(value: object) -> bool:
    """functions and places are lists of non-empty strings; the JSON field takes any JSON."""
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _clean(unit: Unit) -> None:
    """Model validation, raised as a message for a person (InvalidInput), not a form error."""
    problems: list[str] = []
    try:
        unit.full_clean(exclude=["path", "depth"])
    except ValidationError as exc:
        problems = [f"{field}：{'；'.join(msgs)}" for field, msgs in exc.message_dict.items()]
    problems += [
        f"{f}：应为非空文本的列表"
        for f in ("functions", "places")
        if not is_text_list(getattr(unit, f))
    ]
    if problems:
        raise InvalidInput(f"单位“{unit.name or unit.code}”信息有误：" + "；".join(problems))


def _check_parent(unit: Unit, stored_path: str | None) -> None:
    """A unit cannot hang under an inactive unit, itself, or its own descendant (a cycle)."""
    if unit.parent_id is None:
        return
    parent = Unit.objects.only("path", "is_active", "name").get(pk=unit.parent_id)
    if stored_path and parent.path.startswith(stored_path):
        raise InvalidInput(f"不能把“{unit.name}”移到它自己或其下级单位“{parent.name}”之下。")
    if not parent.is_active and unit.is_active:
        raise InvalidInput(f"上级单位“{parent.name}”已停用，不能在其下启用单位。")


def _rebase_subtree(unit: Unit, old_path: str, old_depth: int) -> int:
    """After a move: the unit's new path, and every descendant's path rebased onto it.

    Descendants are found by the old prefix, so this is one read and one bulk write whatever
    the subtree's size. Returns how many descendants moved along.
    """
    unit.path, unit.depth = _path_for(unit)
    Unit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
    descendants = list(
        Unit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).only("path", "depth")
    )
    for d in descendants:
        d.path = unit.path + d.path[len(old_path) :]
        d.depth = d.depth - old_depth + unit.depth
    Unit.objects.bulk_update(descendants, ["path", "depth"], batch_size=500)
    return len(descendants)


@transaction.atomic
def unit_insert(*, unit: Unit, actor: Any | None = None) -> Unit:
    """Save a new, unsaved Unit (built by a form, e.g. the admin) with its path, audited."""
    _clean(unit)
    _check_parent(unit, None)
    unit.path, unit.depth = "", 0
    unit.save(force_insert=True)
    # The path holds the unit's own primary key, so it is only known after the insert.
    unit.path, unit.depth = _path_for(unit)
    unit.save(update_fields=["path", "depth"])
    record_event(
        actor=actor,
        action="unit.create",
        object_type="unit",
        object_id=unit.pk,
        after=_unit_snapshot(unit) | {"path": unit.path},
    )
    return unit


def unit_create(*, actor: Any | None = None, **fields: Any) -> Unit:
    """Create a unit under ``parent`` (a Unit or None) with its path, audited."""
    return unit_insert(unit=Unit(**fields), actor=actor)


@transaction.atomic
def unit_save_changes(*, unit: Unit, fields: Iterable[str], actor: Any | None = None) -> Unit:
    """Store the named fields already set on ``unit``; paths follow a parent change, audited.

    For forms that apply their values to the instance first (the admin). Fields whose value
    did not change are skipped; nothing changed means no write and no audit event.
    """
    stored = Unit.objects.select_for_update().get(pk=unit.pk)
    wanted = [f for f in UNIT_FIELDS if f in set(fields)]
    before = _unit_snapshot(stored, wanted)
    after = _unit_snapshot(unit, wanted)
    changed = [f for f in wanted if before[f] != after[f]]
    # Whatever the caller's instance says, the derived fields come from the database.
    unit.path, unit.depth = stored.path, stored.depth
    if not changed:
        return unit
    _clean(unit)
    if "parent" in changed or "is_active" in changed:
        _check_parent(unit, stored.path)
    if "is_active" in changed and not unit.is_active:
        _check_no_active_children(unit)
    unit.save(update_fields=changed)
    meta: dict[str, Any] = {}
    if "parent" in changed:
        meta["moved_descendants"] = _rebase_subtree(unit, stored.path, stored.depth)
        meta["path"] = {"before": stored.path, "after": unit.path}
    record_event(
        actor=actor,
        action="unit.move" if "parent" in changed else "unit.update",
        object_type="unit",
        object_id=unit.pk,
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
        meta=meta,
    )
    return unit


def unit_update(*, unit: Unit, actor: Any | None = None, **fields: Any) -> Unit:
    """Change a unit's fields (``parent`` a Unit or None); paths follow a move, audited."""
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise InvalidInput("不能修改的单位字段：" + "、".join(sorted(unknown)))
    previous = {name: getattr(unit, name) for name in fields}
    for name, value in fields.items():
        setattr(unit, name, value)
    try:
        return unit_save_changes(unit=unit, fields=fields, actor=actor)
    except InvalidInput:
        # The database rolled back; leave the caller's instance as it was, too.
        for name, value in previous.items():
            setattr(unit, name, value)
        raise


def unit_move(*, unit: Unit, parent: Unit | None, actor: Any | None = None) -> Unit:
    """Hang ``unit`` (with its whole subtree) under ``parent``."""
    return unit_update(unit=unit, parent=parent, actor=actor)


def _check_no_active_children(unit: Unit) -> None:
    # An active unit under an inactive one would vanish from exports and selects.
    names = list(unit.children.filter(is_active=True).values_list("name", flat=True)[:5])
    if names:
        raise InvalidInput(f"“{unit.name}”下仍有启用的单位（{'、'.join(names)}），请先停用或移走。")


def unit_deactivate(*, unit: Unit, actor: Any | None = None) -> Unit:
    """Take a unit out of use. Never deleted: forms and the audit trail point at it."""
    return unit_update(unit=unit, is_active=False, actor=actor)


@transaction.atomic
def refresh_unit_paths(*, unit: Unit, actor: Any | None = None) -> None:
    """Repair: recompute the paths of ``unit`` and its subtree from the parent links.

    For data written behind the services' back (raw SQL, a restored dump). Walks the tree by
    ``parent`` rather than by path, since it is the path that may be wrong.
    """
    before = unit.path
    pending = [unit]
    while pending:
        current = pending.pop()
        current.path, current.depth = _path_for(current)
        current.save(update_fields=["path", "depth"])
        pending.extend(current.children.all())
    record_event(
        actor=actor,
        action="unit.refresh_paths",
        object_type="unit",
        object_id=unit.pk,
        before={"path": before},
        after={"path": unit.path},
    )


# --- memberships -----------------------------------------------------------------------------


def _check_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise InvalidInput(f"未知角色：{role}")


@transaction.atomic
def membership_grant(*, user: Any, unit: Unit, role: str, actor: Any | None = None) -> Membership:
    """Give ``user`` the ``role`` in ``unit`` (or re-activate it), audited."""
    _check_role(role)
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if not created:
        if membership.is_active:
            return membership  # already held: nothing changed, nothing to log
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    record_event(
        actor=actor,
        action="membership.grant",
        object_type="membership",
        object_id=membership.pk,
        after={"user": user.pk, "unit": unit.pk, "role": role},
    )
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, actor: Any | None = None) -> Membership:
    """End a role; the row stays (is_active False) so the history still names the person."""
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        record_event(
            actor=actor,
            action="membership.revoke",
            object_type="membership",
            object_id=membership.pk,
            before={
                "user": membership.user_id,
                "unit": membership.unit_id,
                "role": membership.role,
            },
        )
    return membership


MEMBERSHIP_FIELDS = ("user", "unit", "role", "is_active")


def _membership_snapshot(m: Membership) -> dict[str, Any]:
    return {"user": m.user_id, "unit": m.unit_id, "role": m.role, "is_active": m.is_active}


@transaction.atomic
def membership_save(*, membership: Membership, actor: Any | None = None) -> Membership:
    """Store a membership edited in a form (new or changed), audited with before and after."""
    _check_role(membership.role)
    if membership.pk is None:
        membership.save(force_insert=True)
        record_event(
            actor=actor,
            action="membership.grant",
            object_type="membership",
            object_id=membership.pk,
            after=_membership_snapshot(membership),
        )
        return membership
    stored = Membership.objects.select_for_update().get(pk=membership.pk)
    before, after = _membership_snapshot(stored), _membership_snapshot(membership)
    changed = [f for f in MEMBERSHIP_FIELDS if before[f] != after[f]]
    if not changed:
        return membership
    membership.save(update_fields=changed)
    revoked = changed == ["is_active"] and not membership.is_active
    record_event(
        actor=actor,
        action="membership.revoke" if revoked else "membership.update",
        object_type="membership",
        object_id=membership.pk,
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
    )
    return membership


# --- the duty roster (值班表): who is alerted at once about an emergency ------------------------

MAX_SHIFT = dt.timedelta(days=7)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M")


def duty_shift_problems(shift: DutyShift) -> list[str]:
    """Why a shift cannot be stored (Chinese, for the person): none when it can.

    The admin's form and the roster page show these before saving; the services refuse the
    same shifts, so nothing that skips the forms stores a shift the rules forbid.
    """
    problems: list[str] = []
    if shift.role not in DutyShift.Role.values:
        problems.append(f"未知值班类别：{shift.role}")
    starts, ends = shift.starts_at, shift.ends_at
    if starts is None or ends is None:
        problems.append("请填写开始和结束时间。")
        return problems
    if timezone.is_naive(starts) or timezone.is_naive(ends):
        problems.append("开始和结束时间须带时区。")
        return problems
    if ends <= starts:
        problems.append("结束时间须晚于开始时间。")
    elif ends - starts > MAX_SHIFT:
        problems.append("一个班次不能超过 7 天，请分成多个班次。")
    if shift.user_id is None or shift.unit_id is None:
        problems.append("请选择值班人员和值班单位。")
        return problems
    roles = DUTY_MEMBER_ROLES.get(shift.role, ())
    holds = Membership.objects.filter(
        user_id=shift.user_id,
        unit_id=shift.unit_id,
        role__in=roles,
        is_active=True,
        user__is_active=True,
    ).exists()
    if roles and not holds:
        needed = "监测员" if shift.role == DutyShift.Role.MONITOR else "审核人"
        problems.append(
            f"{shift.user}不是{shift.unit}的{needed}，不能安排{shift.get_role_display()}。"
        )
    if ends > starts:
        clash = (
            DutyShift.objects.filter(user_id=shift.user_id, starts_at__lt=ends, ends_at__gt=starts)
            .exclude(pk=shift.pk)
            .order_by("starts_at")
            .first()
        )
        if clash is not None:
            problems.append(
                f"{shift.user}在 {_local(clash.starts_at)} 至 {_local(clash.ends_at)} "
                f"已有{clash.get_role_display()}班次，时间重叠。"
            )
    return problems


def _duty_snapshot(shift: DutyShift) -> dict[str, Any]:
    return {
        "user": shift.user_id,
        "unit": shift.unit_id,
        "role": shift.role,
        "starts_at": shift.starts_at.astimezone(dt.UTC).isoformat(),
        "ends_at": shift.ends_at.astimezone(dt.UTC).isoformat(),
        "note": shift.note,
    }


def _check_duty(shift: DutyShift) -> None:
    # One person's shifts are checked for overlap under a lock on that person, so two
    # schedulers adding overlapping shifts at once cannot both succeed.
    get_user_model().objects.select_for_update().filter(pk=shift.user_id).first()
    problems = duty_shift_problems(shift)
    if problems:
        raise InvalidInput("；".join(problems))


@transaction.atomic
def duty_shift_add(
    *,
    user: Any,
    unit: Unit,
    role: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    note: str = "",
    actor: Any | None = None,
) -> DutyShift:
    """Roster ``user`` for ``role`` duty of ``unit`` from ``starts_at`` to ``ends_at``."""
    shift = DutyShift(
        user=user,
        unit=unit,
        role=role,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip()[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _check_duty(shift)
    shift.save(force_insert=True)
    record_event(
        actor=actor,
        action="duty.add",
        object_type="duty_shift",
        object_id=shift.pk,
        after=_duty_snapshot(shift),
    )
    return shift


DUTY_FIELDS = ("user", "unit", "role", "starts_at", "ends_at", "note")


@transaction.atomic
def duty_shift_save(*, shift: DutyShift, actor: Any | None = None) -> DutyShift:
    """Store a shift edited in a form (the admin): new or changed, checked and audited."""
    if shift.pk is None:
        return duty_shift_add(
            user=shift.user,
            unit=shift.unit,
            role=shift.role,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
            note=shift.note,
            actor=actor,
        )
    stored = DutyShift.objects.select_for_update().get(pk=shift.pk)
    before, after = _duty_snapshot(stored), _duty_snapshot(shift)
    changed = [f for f in DUTY_FIELDS if before[f] != after[f]]
    if not changed:
        return shift
    _check_duty(shift)
    shift.save(update_fields=changed)
    record_event(
        actor=actor,
        action="duty.update",
        object_type="duty_shift",
        object_id=shift.pk,
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
    )
    return shift


@transaction.atomic
def duty_shift_remove(*, shift: DutyShift, actor: Any | None = None) -> None:
    """Take a shift off the roster; the audit log keeps what it was."""
    stored = DutyShift.objects.select_for_update().filter(pk=shift.pk).first()
    if stored is None:
        raise InvalidInput("该班次已被删除。")
    snapshot = _duty_snapshot(stored)
    pk = stored.pk
    stored.delete()
    record_event(
        actor=actor, action="duty.remove", object_type="duty_shift", object_id=pk, before=snapshot
    )


# --- the directory file (R12: another city replaces it without touching code) -----------------

# Optional fields of a directory entry and their defaults. sort_order defaults to the
# position in the file (see _normalise), so the file's order is the display order.
DEFAULTS: dict[str, Any] = {
    "parent": None,
    "short_name": "",
    "office": "",
    "functions": [],
    "places": [],
    "phone": "",
}
REQUIRED = ("code", "name", "kind")
ENTRY_KEYS = frozenset((*REQUIRED, *DEFAULTS, "sort_order"))
# What an entry sets on a unit besides code and parent.
DIRECTORY_FIELDS = (
    "name",
    "short_name",
    "kind",
    "office",
    "functions",
    "places",
    "phone",
    "sort_order",
)
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_LENGTHS = {"code": 64, "name": 100, "short_name": 50, "phone": 40}
SORT_STEP = 10


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    deactivated: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _text_problems(label: str, e: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for key, limit in MAX_LENGTHS.items():
        value = e.get(key)
        if key in REQUIRED and (value is None or (isinstance(value, str) and not value.strip())):
            problems.append(f"{label}：缺少 {key}")
        elif not isinstance(value, str):
            problems.append(f"{label}：{key} 应为文本")
        elif len(value) > limit:
            problems.append(f"{label}：{key} 超过 {limit} 个字符")
    if isinstance(e.get("code"), str) and e["code"] and not CODE_RE.match(e["code"]):
        problems.append(f"{label}：code 只能由字母、数字、- 和 _ 组成")
    for key in ("functions", "places"):
        if not is_text_list(e.get(key)):
            problems.append(f"{label}：{key} 应为非空文本的列表")
    return problems


def _entry_problems(label: str, e: Mapping[str, Any]) -> list[str]:
    problems = _text_problems(label, e)
    unknown = sorted(str(k) for k in set(e) - ENTRY_KEYS)
    if unknown:
        problems.append(f"{label}：未知字段 {'、'.join(unknown)}")
    if e.get("kind") and e.get("kind") not in Unit.Kind.values:
        problems.append(f"{label}：未知类型 kind={e.get('kind')!r}")
    if e.get("office") not in Unit.Office.values:
        problems.append(f"{label}：未知特殊职能 office={e.get('office')!r}")
    order = e.get("sort_order")
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        problems.append(f"{label}：sort_order 应为非负整数")
    parent = e.get("parent")
    if parent is not None and not isinstance(parent, str):
        problems.append(f"{label}：parent 应为上级单位的 code")
    elif parent is not None and parent == e.get("code"):
        problems.append(f"{label}：上级单位不能是自己")
    return problems


def _normalise(entries: list[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Defaults filled in, YAML's loose scalars tidied; plus the problems of single entries."""
    out: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(entries, start=1):
        if not isinstance(raw, Mapping):
            problems.append(f"第 {i} 项：应为一个单位（键值对）")
            continue
        # Fresh lists for every entry: a shared default list would be shared by the units.
        defaults = {k: list(v) if isinstance(v, list) else v for k, v in DEFAULTS.items()}
        e = defaults | {"sort_order": i * SORT_STEP} | dict(raw)
        # YAML reads an unquoted phone number as an int and an empty value as None.
        for key in ("office", "short_name", "phone"):
            if e[key] is None:
                e[key] = ""
            elif key == "phone" and isinstance(e[key], int) and not isinstance(e[key], bool):
                e[key] = str(e[key])
        for key in ("functions", "places"):
            if e[key] is None:
                e[key] = []
        code = e.get("code")
        label = f"第 {i} 项（{code}）" if code else f"第 {i} 项"
        problems += _entry_problems(label, e)
        if isinstance(code, str):
            if code in seen:
                problems.append(f"{label}：单位代码重复 {code}")
            seen.add(code)
        out.append(e)
    return out, problems


def _graph_problems(entries: list[dict[str, Any]], prune: bool) -> list[str]:
    """Parents exist and no cycles, judged on the tree as it will be after the import."""
    problems: list[str] = []
    listed = {e["code"]: e for e in entries if isinstance(e.get("code"), str)}
    stored = {
        code: (parent, active)
        for code, parent, active in Unit.objects.values_list("code", "parent__code", "is_active")
    }
    # The tree after the import: the file's links over the database's.
    parent_of: dict[str, str | None] = {c: p for c, (p, _) in stored.items()}
    parent_of |= {c: e.get("parent") for c, e in listed.items()}
    for code, e in listed.items():
        parent = e.get("parent")
        if not isinstance(parent, str) or parent == code:
            continue
        if parent not in listed:
            if parent not in stored:
                problems.append(f"{code}：上级单位 {parent} 不存在")
                continue
            if prune:
                problems.append(f"{code}：上级单位 {parent} 不在文件中，--prune 会停用它")
            elif not stored[parent][1]:
                problems.append(f"{code}：上级单位 {parent} 已停用")
        seen, cursor = {code}, parent_of.get(code)
        while cursor is not None:
            if cursor in seen:
                problems.append(f"{code}：上级关系成环（{code} → … → {cursor}）")
                break
            seen.add(cursor)
            cursor = parent_of.get(cursor)
    return problems


def validate_directory(data: Any, *, prune: bool = False) -> list[dict[str, Any]]:
    """The file's entries, normalised; or InvalidInput listing every bad entry at once."""
    if not isinstance(data, Mapping) or not isinstance(data.get("units"), list):
        raise InvalidInput("单位目录格式有误：应为含 units 列表的 YAML 文件。")
    extra = sorted(str(k) for k in set(data) - {"units"})
    entries, problems = _normalise(data["units"])
    if extra:
        problems.insert(0, f"未知的顶层字段：{'、'.join(extra)}")
    if not problems:
        problems = _graph_problems(entries, prune)
    if problems:
        raise InvalidInput("单位目录有误，未导入任何内容：\n" + "\n".join(problems))
    return entries


def _parents_first(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parents before children, whatever order the file has (cycles were refused before)."""
    by_code = {e["code"]: e for e in entries}
    done: set[str] = set()
    out: list[dict[str, Any]] = []
    for entry in entries:
        chain: list[dict[str, Any]] = []
        cursor: dict[str, Any] | None = entry
        while cursor is not None and cursor["code"] not in done:
            chain.append(cursor)
            done.add(cursor["code"])
            cursor = by_code.get(cursor["parent"]) if cursor["parent"] else None
        out.extend(reversed(chain))
    return out


def _apply_entry(e: dict[str, Any], actor: Any | None) -> str | None:
    """Create or update one unit from its entry; returns "created", "updated" or None."""
    parent = Unit.objects.get(code=e["parent"]) if e["parent"] else None
    values = {f: e[f] for f in DIRECTORY_FIELDS} | {"parent": parent, "is_active": True}
    unit = Unit.objects.filter(code=e["code"]).first()
    if unit is None:
        unit_create(actor=actor, code=e["code"], **values)
        return "created"
    before = _unit_snapshot(unit, values)
    unit_update(unit=unit, actor=actor, **values)
    return "updated" if _unit_snapshot(unit, values) != before else None


def _prune(listed: set[str], actor: Any | None) -> int:
    # Deepest first, so no unit is ever left active under an inactive parent.
    stale = Unit.objects.filter(is_active=True).exclude(code__in=listed).order_by("-depth", "pk")
    count = 0
    for unit in stale:
        unit_update(unit=unit, is_active=False, actor=actor)
        count += 1
    return count


@transaction.atomic
def directory_import(
    *, data: Mapping[str, Any], actor: Any | None = None, prune: bool = False
) -> ImportSummary:
    """Upsert the directory file's units by code, in one transaction; idempotent.

    A unit that moves takes its subtree along (paths recomputed). With ``prune``, active units
    missing from the file are deactivated. Any problem refuses the whole file
    (InvalidInput listing every bad entry) and nothing is written.
    """
    entries = validate_directory(data, prune=prune)
    counts = {"created": 0, "updated": 0}
    for entry in _parents_first(entries):
        outcome = _apply_entry(entry, actor)
        if outcome:
            counts[outcome] += 1
    deactivated = _prune({e["code"] for e in entries}, actor) if prune else 0
    summary = ImportSummary(counts["created"], counts["updated"], deactivated)
    record_event(
        actor=actor,
        action="directory.import",
        object_type="directory",
        object_id="units",
        after=summary.as_dict(),
        meta={"units_in_file": len(entries), "prune": prune},
    )
    return summary


def directory_export() -> dict[str, Any]:
    """The active directory in the file format, parents before children, siblings in order.

    directory_import(data=directory_export()) changes nothing, and a file written in this
    order with these sort_orders comes back unchanged.
    """
    units = Unit.objects.filter(is_active=True).select_related("parent")
    return {"units": [_export_row(u) for u in tree_ordered(units)]}


def _export_row(unit: Unit) -> dict[str, Any]:
    row: dict[str, Any] = {"code": unit.code, "parent": unit.parent.code if unit.parent else None}
    row |= {f: getattr(unit, f) for f in DIRECTORY_FIELDS}
    row["functions"], row["places"] = list(unit.functions), list(unit.places)
    return row
