"""The shipped Chinese wording of every template code of the notify contract.

Seeded by a data migration (only codes not yet present, so 网信办's edits are kept).
"""

from __future__ import annotations

FALLBACK = ("{subject}", "{body}")

DEFAULT_TEMPLATES: dict[str, tuple[str, str, str]] = {
    # code: (name, subject, body)
    "supervision.warning": (
        "督办预警",
        "【督办预警】{subject}",
        "{body}\n\n交办单：{form_number} {form_title}\n承办单位：{unit_name}\n"
        "期限：{clock_label} {due_at}\n请抓紧办理，逾期将升级督办。",
    ),
    "supervision.reminder": (
        "督办提醒",
        "【督办提醒】{subject}",
        "{body}\n\n交办单：{form_number} {form_title}\n承办单位：{unit_name}\n"
        "{clock_label}已逾期：{overdue_text}\n请立即办理并回复。",
    ),
    "supervision.escalated": (
        "升级督办",
        "【升级督办】{subject}",
        "{body}\n\n交办单：{form_number} {form_title}\n承办单位：{unit_name}\n"
        "逾期：{overdue_text}\n已升级督办，请主要领导关注。",
    ),
    "supervision.order_issued": (
        "督办单下发",
        "【督办单】{subject}",
        "{body}\n\n督办单：{order_number}\n交办单：{form_number} {form_title}\n"
        "承办单位：{unit_name}\n办理期限：{due_at}",
    ),
    "supervision.order_reminder": (
        "督办单催办",
        "【督办单催办】{subject}",
        "{body}\n\n督办单：{order_number}\n承办单位：{unit_name}\n期限：{due_at}",
    ),
    "supervision.explanation_received": (
        "情况说明已收到",
        "【情况说明】{subject}",
        "{body}\n\n督办单：{order_number}\n交办单：{form_number}\n单位：{unit_name}",
    ),
    "accountability.referred": (
        "移送问责",
        "【移送问责】{subject}",
        "{body}\n\n交办单：{form_number} {form_title}\n单位：{unit_name}",
    ),
    "accountability.decided": (
        "问责决定",
        "【问责决定】{subject}",
        "{body}\n\n交办单：{form_number}\n单位：{unit_name}",
    ),
    "watch.matched": (
        "专项监测命中",
        "【专项监测】{subject}",
        "{body}\n\n专项：{watch_title}\n来源：{platform}\n标题：{item_title}",
    ),
    "triage.emergency": (
        "紧急舆情",
        "【紧急】{subject}",
        "{body}\n\n请立即处置。",
    ),
}
