"""The evidence of a referral (问责, R6.4, R9.2), assembled from the record and frozen.

``collect`` reads the form, every clock with its due and done times, every step of the ladder,
every 督办单 and the form's audit trail into plain JSON, stored on the referral with its
SHA-256 when it is made; the PDF and the zip are drawn from that frozen copy, so what 监委
downloads next month is what was referred, and the zip adds the form's files as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from typing import Any

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from huiying.cases import clocks
from huiying.cases.documents.fonts import pdf_font
from huiying.cases.models import Assignment, Attachment
from huiying.cases.views_common import event_label
from huiying.common.models import AuditEvent
from huiying.supervision.models import Step, SupervisionOrder

ACTION_WORDS = {
    "supervision.warning": "到期预警",
    "supervision.reminder": "催办",
    "supervision.escalation": "提请督办",
    "supervision.order_issued": "下达督办单",
    "supervision.order_explain": "提交督办说明",
    "supervision.order_close": "办结督办",
    "supervision.order_refer": "督办转问责",
    "supervision.referred": "移送问责",
    "supervision.decided": "登记问责结果",
}


def _t(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def collect(form: Assignment, *, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    form = Assignment.objects.select_related("unit", "drafter", "reviewer").get(pk=form.pk)
    clock_rows = [
        {
            "id": c.id,
            "label": c.label,
            "owner": c.owner,
            "started_at": _t(c.started_at),
            "due_at": _t(c.due_at),
            "original_due_at": _t(c.original_due_at),
            "done_at": _t(c.done_at),
            "stopped_at": _t(c.stopped_at),
            "stop_reason": c.stop_reason,
            "state": c.state_label,
        }
        for c in clocks.for_form(form, now)
    ]
    labels = {c["id"]: c["label"] for c in clock_rows}
    steps = [
        {
            "kind": s.get_kind_display(),
            "n": s.n,
            "number": s.number,
            "clock": labels.get(s.clock_id, ""),
            "clock_due_at": _t(s.clock_due_at),
            "planned_at": _t(s.planned_at),
            "happened_at": _t(s.happened_at),
        }
        for s in Step.objects.filter(assignment=form).order_by("planned_at", "pk")
    ]
    orders = [
        {
            "number": o.number,
            "addressee": o.addressee,
            "requirements": o.requirements,
            "issued_at": _t(o.issued_at),
            "due_at": _t(o.due_at),
            "status": o.get_status_display(),
            "explanation": o.explanation,
            "explained_at": _t(o.explained_at),
            "closing_note": o.closing_note,
            "closed_at": _t(o.closed_at),
        }
        for o in SupervisionOrder.objects.filter(assignment=form).order_by("issued_at")
    ]
    audit = [
        {
            "seq": e.seq,
            "at": _t(e.created_at),
            "actor": e.actor_label,
            "action": e.action,
            "what": ACTION_WORDS.get(e.action) or event_label(e.action),
            "reason": e.reason,
            "hash": e.hash,
        }
        for e in AuditEvent.objects.filter(
            object_type="assignment", object_id=str(form.pk)
        ).order_by("seq")
    ]
    return {
        "assembled_at": _t(now),
        "form": {
            "id": form.pk,
            "number": form.number or "",
            "title": form.title,
            "unit": form.unit.name,
            "category": form.get_category_display(),
            "severity": form.get_severity_display(),
            "status": form.get_status_display(),
            "summary": form.summary,
            "cac_opinion": form.cac_opinion,
            "issued_at": _t(form.issued_at),
            "signed_at": _t(form.signed_at),
            "responded_at": _t(form.responded_at),
            "feedback_at": _t(form.feedback_at),
            "closed_at": _t(form.closed_at),
            "reply_deadline": _t(form.reply_deadline),
            "feedback_deadline": _t(form.feedback_deadline),
        },
        "clocks": clock_rows,
        "steps": steps,
        "orders": orders,
        "responses": [
            {"platform": r.platform, "url": r.url, "text": r.text, "at": _t(r.responded_at)}
            for r in form.responses.order_by("responded_at")
        ],
        "feedbacks": [
            {"kind": f.get_kind_display(), "text": f.text, "at": _t(f.filed_at)}
            for f in form.feedbacks.order_by("filed_at")
        ],
        "attachments": [
            {"id": a.pk, "name": a.name, "sha256": a.sha256, "size": a.size}
            for a in form.attachments.order_by("pk")
        ],
        "audit": audit,
    }


# --- the PDF ---------------------------------------------------------------------------------


class EvidencePdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.font_info = pdf_font()
        self.add_font(
            "cjk", "", str(self.font_info.path), collection_font_number=self.font_info.index
        )
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_lang("zh-CN")
        self.set_creator("huiying")

    def safe(self, text: str) -> str:
        mark = "〓" if self.font_info.covers("〓") else "?"
        return "".join(ch if ch == "\n" or self.font_info.covers(ch) else mark for ch in text)

    def para(self, text: str, size: float = 10.5, h: float = 5.6) -> None:
        self.set_font("cjk", size=size)
        self.multi_cell(0, h, self.safe(text), markdown=False, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.para(text, size=13, h=8)


def render_pdf(number: str, reason: str, record: dict[str, Any], digest: str) -> bytes:
    pdf = EvidencePdf()
    pdf.set_title(pdf.safe(f"问责移送证据材料 {number}"))
    pdf.add_page()
    f = record["form"]
    pdf.para("问责移送证据材料", size=18, h=10)
    pdf.para(f"移送编号：{number}    汇总时间：{record['assembled_at']}")
    pdf.para(f"证据摘要（SHA-256）：{digest}", size=8, h=4.5)
    pdf.para(f"移送理由：{reason}")
    pdf.heading("一、交办单")
    for label, key in (
        ("编号", "number"),
        ("标题", "title"),
        ("承办单位", "unit"),
        ("类别", "category"),
        ("等级", "severity"),
        ("状态", "status"),
        ("交办时间", "issued_at"),
        ("签收时间", "signed_at"),
        ("首次回应", "responded_at"),
        ("反馈时间", "feedback_at"),
        ("舆情摘要", "summary"),
        ("交办意见", "cac_opinion"),
    ):
        pdf.para(f"{label}：{f.get(key) or '—'}")
    pdf.heading("二、办理时限")
    for c in record["clocks"]:
        end = (
            c["done_at"] and f"完成 {c['done_at']}" or c["stopped_at"] and f"停止 {c['stopped_at']}"
        )
        pdf.para(
            f"{c['label']}：开始 {c['started_at']}，时限 {c['due_at']}"
            f"{'（原定 ' + c['original_due_at'] + '）' if c['original_due_at'] != c['due_at'] else ''}，"
            f"{end or '未完成'}；{c['state']}"
        )
    pdf.heading("三、预警、催办与提请督办")
    if not record["steps"]:
        pdf.para("无。")
    for s in record["steps"]:
        pdf.para(
            f"{s['happened_at']}  {s['kind']}（第{s['n']}次）{s['number']}  {s['clock']}，"
            f"时限 {s['clock_due_at']}"
        )
    pdf.heading("四、督办单")
    if not record["orders"]:
        pdf.para("无。")
    for o in record["orders"]:
        pdf.para(
            f"{o['number']}（{o['status']}）主送：{o['addressee']}；下达 {o['issued_at']}，"
            f"说明时限 {o['due_at']}"
        )
        pdf.para(f"督办要求：{o['requirements']}")
        pdf.para(f"书面说明（{o['explained_at'] or '未提交'}）：{o['explanation'] or '—'}")
        if o["closing_note"]:
            pdf.para(f"审查意见（{o['closed_at']}）：{o['closing_note']}")
    pdf.heading("五、回应与反馈")
    for r in record["responses"]:
        pdf.para(f"回应 {r['at']} {r['platform']} {r['url']}：{r['text']}")
    for fb in record["feedbacks"]:
        pdf.para(f"反馈 {fb['at']}（{fb['kind']}）：{fb['text']}")
    if not record["responses"] and not record["feedbacks"]:
        pdf.para("无。")
    pdf.heading("六、审计轨迹")
    for e in record["audit"]:
        pdf.para(
            f"#{e['seq']} {e['at']} {e['actor']} {e['what']}"
            f"{'：' + e['reason'] if e['reason'] else ''}",
            size=9,
            h=4.8,
        )
    return bytes(pdf.output())


# --- the zip ---------------------------------------------------------------------------------


def _csv(rows: list[dict[str, Any]]) -> bytes:
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode()


def render_zip(number: str, reason: str, record: dict[str, Any], digest: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("evidence.pdf", render_pdf(number, reason, record, digest))
        z.writestr(
            "record.json",
            json.dumps(
                {"number": number, "reason": reason, "sha256": digest, "record": record},
                ensure_ascii=False,
                indent=2,
            ),
        )
        z.writestr("clocks.csv", _csv(record["clocks"]))
        z.writestr("steps.csv", _csv(record["steps"]))
        z.writestr("orders.csv", _csv(record["orders"]))
        z.writestr("audit.csv", _csv(record["audit"]))
        ids = [a["id"] for a in record["attachments"]]
        for a in Attachment.objects.filter(pk__in=ids).order_by("pk"):
            try:
                with a.file.open("rb") as fh:
                    z.writestr(f"attachments/{a.pk}-{a.name}", fh.read())
            except OSError:
                z.writestr(f"attachments/{a.pk}-{a.name}.missing.txt", "文件缺失")
    return buf.getvalue()
