"""Everything the printed form shows, gathered in one place so the renderers only format."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from huiying.cases import selectors
from huiying.cases.models import Assignment, Status
from huiying.cases.permissions import CAC_ONLY_STATES
from huiying.orgs.models import Unit

# A source's text is quoted, not reproduced: the full post stays in the system.
SOURCE_EXCERPT_CHARS = 300
# Siblings that no longer carry the matter are not named as its units.
GONE_STATES = {Status.WITHDRAWN, Status.REASSIGNED}
# Characters XML 1.0 forbids (python-docx would refuse them) and other controls a post may carry.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean_text(value: str | None) -> str:
    """Untrusted text made safe to place in a document as plain text (never as markup)."""
    if not value:
        return ""
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROL.sub("", text).strip()


@dataclass(frozen=True)
class UnitLine:
    name: str
    is_lead: bool


@dataclass(frozen=True)
class Deadline:
    label: str
    due_at: dt.datetime | None
    # Set when the deadline was moved (an extension): the printed form shows both.
    original_due_at: dt.datetime | None = None


@dataclass(frozen=True)
class Source:
    platform: str
    url: str
    title: str
    excerpt: str
    author: str
    published_at: dt.datetime | None


@dataclass(frozen=True)
class SignatureInfo:
    signer: str
    signed_at: dt.datetime
    content_hash: str
    content_version: int
    changed_after: bool


@dataclass(frozen=True)
class PhoneInfo:
    called_at: dt.datetime
    caller: str
    callee: str
    callee_phone: str


@dataclass(frozen=True)
class FormDocument:
    pk: int
    city_name: str
    issuer: str
    number: str | None
    number_text: str
    status_label: str
    is_draft: bool
    banner: str
    title: str
    unit: UnitLine
    other_units: list[UnitLine]
    category: str
    severity: str
    reply_channel: str
    sign: Deadline
    reply: Deadline
    feedback: Deadline
    other_deadlines: list[Deadline]
    sources: list[Source]
    summary: str
    opinion: str
    attachments: list[str]
    drafter: str
    reviewer: str
    issued_at: dt.datetime | None
    signature: SignatureInfo | None
    phone: PhoneInfo | None
    version: int
    generated_at: dt.datetime

    @property
    def filename_stem(self) -> str:
        return _("交办单-%(n)s") % {"n": self.number or _("草稿%(pk)s") % {"pk": self.pk}}


def _person(user: Any) -> str:
    if user is None:
        return ""
    return clean_text(user.full_name) or user.username


def _reviewer(form: Assignment) -> str:
    phone = getattr(form, "phone_assignment", None)
    if form.reviewer is None and phone is not None and phone.backfilled_at is not None:
        return str(_("（补填后即交办，尚未复核）"))
    return _person(form.reviewer)


def _issuer(city_name: str) -> str:
    """The issuing office: the directory's 网信办, named with the city (市委网信办 → 南通市委网信办)."""
    cac = Unit.objects.filter(office=Unit.Office.CAC).order_by("pk").first()
    name = cac.name if cac else _("市委网信办")
    if name.startswith("市") and city_name.endswith("市"):
        return city_name[:-1] + name
    return name


def _number_text(form: Assignment) -> str:
    if form.number:
        return form.number
    if getattr(form, "phone_assignment", None) is not None:
        return _("（电话交办，待补填编号）")
    if form.status in CAC_ONLY_STATES:
        return _("（未交办）")
    return _("（未编号）")


def _banner(form: Assignment) -> str:
    if form.status in CAC_ONLY_STATES:
        return _("草稿（未经审核交办，不作为办理依据）")
    if form.status == Status.WITHDRAWN:
        return _("本交办单已撤回")
    if form.status == Status.REASSIGNED:
        return _("本交办单已改派")
    return ""


def _deadlines(form: Assignment) -> tuple[dict[str, Deadline], list[Deadline]]:
    """Deadlines come only from the clocks, so the document agrees with the form page."""
    main: dict[str, Deadline] = {}
    others: list[Deadline] = []
    for c in selectors.clocks_of(form):  # in round order: a later round replaces an earlier
        row = Deadline(
            label=str(c.label),
            due_at=c.due_at,
            original_due_at=c.original_due_at if c.extended else None,
        )
        if c.kind in ("sign", "reply", "feedback"):
            main[c.kind] = row
        else:
            others.append(row)
    return main, others


def _other_units(form: Assignment) -> list[UnitLine]:
    siblings = (
        Assignment.objects.filter(thread_id=form.thread_id)
        .exclude(pk=form.pk)
        .exclude(status__in=GONE_STATES)
        .select_related("unit")
        .order_by("-is_lead", "pk")
    )
    return [UnitLine(s.unit.name, s.is_lead) for s in siblings if s.unit_id != form.unit_id]


def _signature(form: Assignment) -> SignatureInfo | None:
    sig, changed = selectors.signature_state(form)
    if sig is None:
        return None
    return SignatureInfo(
        signer=_person(getattr(sig, "signed_by", None)),
        signed_at=sig.signed_at,  # type: ignore[attr-defined]
        content_hash=sig.content_hash,  # type: ignore[attr-defined]
        content_version=sig.content_version,  # type: ignore[attr-defined]
        changed_after=changed,
    )


def _phone(form: Assignment) -> PhoneInfo | None:
    call = getattr(form, "phone_assignment", None)
    if call is None:
        return None
    return PhoneInfo(
        called_at=call.called_at,
        caller=_person(call.caller),
        callee=clean_text(call.callee_name),
        callee_phone=clean_text(call.callee_phone),
    )


def _excerpt(text: str) -> str:
    # An excerpt is one paragraph: a post's line breaks would only stretch the table.
    text = " ".join(clean_text(text).split())
    return text if len(text) <= SOURCE_EXCERPT_CHARS else text[:SOURCE_EXCERPT_CHARS] + "……"


def form_document_data(form: Assignment) -> FormDocument:
    city_name = settings.HUIYING_CITY_NAME
    main, others = _deadlines(form)
    unset = Deadline(label="", due_at=None)
    return FormDocument(
        pk=form.pk,
        city_name=city_name,
        issuer=_issuer(city_name),
        number=form.number or None,
        number_text=_number_text(form),
        status_label=str(form.get_status_display()),
        is_draft=form.status in CAC_ONLY_STATES,
        banner=_banner(form),
        title=clean_text(form.title),
        unit=UnitLine(form.unit.name, form.is_lead),
        other_units=_other_units(form),
        category=str(form.get_category_display()),
        severity=str(form.get_severity_display()),
        reply_channel=str(form.get_reply_channel_display()),
        sign=main.get("sign", unset),
        reply=main.get("reply", unset),
        feedback=main.get("feedback", unset),
        other_deadlines=others,
        sources=[
            Source(
                platform=clean_text(s.platform),
                url=clean_text(s.url),
                title=clean_text(s.title),
                excerpt=_excerpt(s.text),
                author=clean_text(s.author),
                published_at=s.published_at,
            )
            for s in form.source_items.order_by("pk")
        ],
        summary=clean_text(form.summary),
        opinion=clean_text(form.cac_opinion),
        attachments=[
            clean_text(a.name)
            for a in form.attachments.filter(response__isnull=True, feedback__isnull=True).order_by(
                "pk"
            )
        ],
        drafter=_person(form.drafter),
        reviewer=_reviewer(form),
        issued_at=form.issued_at,
        signature=_signature(form),
        phone=_phone(form),
        version=form.version,
        generated_at=timezone.now(),
    )
