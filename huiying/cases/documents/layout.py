"""The rows of the printed form, in order: both renderers draw exactly these, so they agree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from huiying.cases.documents.data import Deadline, FormDocument

DOCUMENT_TITLE = "网络政务舆情处置交办单"


class Mono(str):
    """A line best set in a fixed-width face (a hash), so it can be read and compared."""

    __slots__ = ()


@dataclass(frozen=True)
class Row:
    label: str
    lines: list[str]


def when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def day(value: dt.datetime | None) -> str:
    if value is None:
        # Left blank to be written by hand beside the stamp.
        return "　　　　年　　月　　日"
    local = timezone.localtime(value)
    return f"{local.year}年{local.month}月{local.day}日"


def _deadline(d: Deadline) -> str:
    if d.due_at is None:
        return _("未设定")
    if d.original_due_at is not None:
        return _("原时限 %(old)s，已延期至 %(new)s") % {
            "old": when(d.original_due_at),
            "new": when(d.due_at),
        }
    return when(d.due_at)


def _role(is_lead: bool) -> str:
    return _("牵头") if is_lead else _("协办")


def _units(doc: FormDocument) -> list[str]:
    lines = [f"{doc.unit.name}（{_role(doc.unit.is_lead)}）"]
    leads = [u.name for u in doc.other_units if u.is_lead]
    co = [u.name for u in doc.other_units if not u.is_lead]
    if leads:
        lines.append(_("牵头单位：%(u)s") % {"u": "、".join(leads)})
    if co:
        label = _("其他协办单位：%(u)s") if not doc.unit.is_lead else _("协办单位：%(u)s")
        lines.append(label % {"u": "、".join(co)})
    return lines


def _sources(doc: FormDocument) -> list[str]:
    if not doc.sources:
        return [_("（无）")]
    lines: list[str] = []
    for i, s in enumerate(doc.sources, start=1):
        head = f"{i}. 【{s.platform}】{s.title or _('（无标题）')}"
        lines.append(head)
        meta = "　".join(x for x in (s.author, when(s.published_at)) if x)
        if meta:
            lines.append(_("发帖：%(m)s") % {"m": meta})
        if s.url:
            lines.append(_("链接：%(u)s") % {"u": s.url})
        if s.excerpt:
            lines.append(_("摘录：%(t)s") % {"t": s.excerpt})
    return lines


def _signature(doc: FormDocument) -> list[str]:
    sig = doc.signature
    if sig is None:
        return [_("尚未签收")]
    lines = [
        _("签收人：%(p)s") % {"p": sig.signer},
        _("签收时间：%(t)s") % {"t": when(sig.signed_at)},
        _("签收内容：第 %(v)s 版；内容摘要（SHA-256）：") % {"v": sig.content_version},
        Mono(sig.content_hash),
    ]
    if sig.changed_after:
        lines.append(
            _("注意：签收后交办内容已修改（现为第 %(v)s 版），签收对应修改前的内容。")
            % {"v": doc.version}
        )
    return lines


def rows(doc: FormDocument) -> list[Row]:
    out = [
        Row(_("标题"), [doc.title]),
        Row(_("承办单位"), _units(doc)),
        Row(_("舆情类别"), [doc.category]),
        Row(_("等级"), [doc.severity]),
        Row(_("答复形式"), [doc.reply_channel]),
        Row(_("答复时限"), [_deadline(doc.reply)]),
        Row(_("反馈时限"), [_deadline(doc.feedback)]),
        Row(_("签收时限"), [_deadline(doc.sign)]),
    ]
    if doc.other_deadlines:
        out.append(Row(_("其他时限"), [f"{d.label}：{_deadline(d)}" for d in doc.other_deadlines]))
    out += [
        Row(_("舆情信息"), _sources(doc)),
        Row(_("舆情摘要"), doc.summary.split("\n") if doc.summary else [""]),
        Row(_("交办意见"), doc.opinion.split("\n") if doc.opinion else [_("（无）")]),
    ]
    if doc.phone is not None:
        p = doc.phone
        callee = p.callee + (f"（{p.callee_phone}）" if p.callee_phone else "")
        out.append(
            Row(
                _("电话交办"),
                [
                    _("通话时间：%(t)s") % {"t": when(p.called_at)},
                    _("交办人：%(a)s　接听人：%(b)s") % {"a": p.caller, "b": callee},
                ],
            )
        )
    if doc.attachments:
        out.append(Row(_("附件"), [f"{i}. {n}" for i, n in enumerate(doc.attachments, 1)]))
    out += [
        Row(_("拟稿人"), [doc.drafter]),
        Row(_("审核人"), [doc.reviewer or "—"]),
        Row(_("交办时间"), [when(doc.issued_at) or "—"]),
        Row(_("签收"), _signature(doc)),
    ]
    return out


def number_line(doc: FormDocument) -> str:
    return _("编号：%(n)s") % {"n": doc.number_text}


def issuer_line(doc: FormDocument) -> str:
    return _("交办单位：%(u)s") % {"u": doc.issuer}


def stamp_lines(doc: FormDocument) -> list[str]:
    return [_("（盖章）"), day(doc.issued_at)]


def footer_line(doc: FormDocument) -> str:
    return _("%(city)s网络政务舆情交办督办系统生成　%(t)s") % {
        "city": doc.city_name,
        "t": when(doc.generated_at),
    }
