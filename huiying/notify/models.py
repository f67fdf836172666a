"""Messages to people: the in-app inbox, and their delivery on outside channels (the log).

A ``Message`` is one person's copy of one notice (unique per ``dedupe_key`` and person), kept
in the app whatever happens outside. A ``Delivery`` is that notice on one outside channel:
e-mail and SMS to the person, or a unit's group robot / webhook (one delivery per unit, hung on
the message of one of the unit's recipients). Deliveries move pending -> sending (claimed with
a lease) -> sent | failed; ``held`` waits for office hours.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huiying.common.choices import ChoiceLabelsMixin
from huiying.orgs.models import Unit


class Channel(models.TextChoices):
    INAPP = "inapp", _("站内消息")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    WEBHOOK = "webhook", _("通用 Webhook")


PERSON_CHANNELS = (Channel.EMAIL, Channel.SMS)
UNIT_CHANNELS = (Channel.WECOM, Channel.DINGTALK, Channel.WEBHOOK)


class MessageTemplate(models.Model):
    """The Chinese wording of one kind of notice; ``{name}`` placeholders, nothing more."""

    code = models.CharField(_("模板代码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    subject = models.CharField(
        _("标题"), max_length=200, help_text=_("可用占位符如 {form_number}、{subject}")
    )
    body = models.TextField(_("正文"), help_text=_("纯文本；可用占位符如 {body}、{due_at}"))
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        ordering: ClassVar[list[str]] = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Message(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="notify_messages",
    )
    template = models.CharField(_("模板代码"), max_length=64)
    subject = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("正文"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    dedupe_key = models.CharField(_("去重键"), max_length=200)
    event_id = models.BigIntegerField(_("事件"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["dedupe_key", "user"], name="notify_message_once"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notify_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class Delivery(ChoiceLabelsMixin, models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已送达")
        FAILED = "failed", _("失败")
        HELD = "held", _("静默暂缓")

    message = models.ForeignKey(
        Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("单位的群机器人或 Webhook；个人渠道为空"),
    )
    # "user:<id>" or "unit:<id>": one delivery per notice, channel and receiver.
    recipient_key = models.CharField(_("接收方"), max_length=40)
    dedupe_key = models.CharField(_("去重键"), max_length=200)
    address = models.CharField(_("地址"), max_length=500, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"))
    lease_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    claim = models.CharField(_("占用标记"), max_length=40, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    response_code = models.IntegerField(_("响应码"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["dedupe_key", "channel", "recipient_key"], name="notify_delivery_once"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "next_attempt_at"], name="notify_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address or self.recipient_key}"


class ChannelPreference(models.Model):
    """Which outside channels a person or a unit receives on, and where (one of user/unit)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_preference",
    )
    unit = models.OneToOneField(
        Unit,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notify_preference",
    )
    email_enabled = models.BooleanField(_("接收电子邮件"), default=False)
    email = models.EmailField(_("电子邮箱"), blank=True)
    sms_enabled = models.BooleanField(_("接收短信"), default=False)
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True)
    wecom_enabled = models.BooleanField(_("企业微信群机器人"), default=False)
    wecom_url = models.URLField(_("企业微信机器人地址"), max_length=500, blank=True)
    dingtalk_enabled = models.BooleanField(_("钉钉群机器人"), default=False)
    dingtalk_url = models.URLField(_("钉钉机器人地址"), max_length=500, blank=True)
    dingtalk_secret = models.CharField(
        _("钉钉加签密钥"), max_length=200, blank=True, help_text=_("SEC 开头的字符串")
    )
    webhook_enabled = models.BooleanField(_("通用 Webhook"), default=False)
    webhook_url = models.URLField(_("Webhook 地址"), max_length=500, blank=True)
    webhook_secret = models.CharField(_("Webhook 签名密钥"), max_length=200, blank=True)
    quiet_hours = models.BooleanField(
        _("非办公时间暂缓"),
        default=True,
        help_text=_("非紧急消息在非办公时间不发往站外渠道，待上班时再发"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知渠道设置")
        verbose_name_plural = _("通知渠道设置")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, unit__isnull=True)
                | Q(user__isnull=True, unit__isnull=False),
                name="notify_preference_owner",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user or self.unit)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        needed = {
            "email": (self.email_enabled, self.email, _("开启电子邮件通知需填写邮箱")),
            "mobile": (self.sms_enabled, self.mobile, _("开启短信通知需填写手机号码")),
            "wecom_url": (self.wecom_enabled, self.wecom_url, _("请填写企业微信机器人地址")),
            "dingtalk_url": (self.dingtalk_enabled, self.dingtalk_url, _("请填写钉钉机器人地址")),
            "webhook_url": (self.webhook_enabled, self.webhook_url, _("请填写 Webhook 地址")),
        }
        errors = {field: text for field, (on, value, text) in needed.items() if on and not value}
        if errors:
            raise ValidationError(errors)

    def channels(self) -> list[tuple[str, str]]:
        """(channel, address) for each enabled channel that has an address."""
        pairs = [
            (Channel.EMAIL, self.email_enabled, self.email),
            (Channel.SMS, self.sms_enabled, self.mobile),
            (Channel.WECOM, self.wecom_enabled, self.wecom_url),
            (Channel.DINGTALK, self.dingtalk_enabled, self.dingtalk_url),
            (Channel.WEBHOOK, self.webhook_enabled, self.webhook_url),
        ]
        return [(str(ch), addr) for ch, on, addr in pairs if on and addr]
