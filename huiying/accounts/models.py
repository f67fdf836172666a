from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Roles live in orgs.Membership, one row per unit and role."""

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    # Every API token issued before this moment is dead, whichever way the password changed
    # (the page, the admin, `changepassword`, a shell): see save().
    password_changed_at = models.DateTimeField(
        _("密码修改时间"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # set_password() leaves the raw password in _password until the save. Django's rehash
        # on login (a stronger hasher, new parameters) clears it before saving, so only a new
        # password lands here, not the same password hashed anew.
        if getattr(self, "_password", None) is not None:
            self.password_changed_at = timezone.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "password" in update_fields:
                kwargs["update_fields"] = {*update_fields, "password_changed_at"}
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """A key for the API. Only its SHA-256 digest is stored; the key is shown once."""

    class Reason(models.TextChoices):
        OWNER = "owner", _("本人吊销")
        ADMIN = "admin", _("管理员吊销")
        PASSWORD = "password", _("密码已修改")
        LIMIT = "limit", _("超过每人令牌数量上限")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("名称"), max_length=50)
    # The key's first characters, enough for a person to tell his tokens apart; never the key.
    prefix = models.CharField(_("前缀"), max_length=12)
    digest = models.CharField(_("摘要"), max_length=64, unique=True, editable=False)
    # Issued after a one-time code: a person who must use two-factor sign-in may use only these.
    two_factor = models.BooleanField(_("经两步验证"), default=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_reason = models.CharField(
        _("吊销原因"), max_length=20, choices=Reason.choices, blank=True
    )

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_live")]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"


class TwoFactorDevice(models.Model):
    """A person's TOTP authenticator (RFC 6238), stored once enrolment is confirmed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="totp_device",
    )
    # Base32, as the authenticator app holds it: a TOTP check needs the secret itself.
    secret = models.CharField(_("密钥"), max_length=64)
    confirmed_at = models.DateTimeField(_("启用时间"), default=timezone.now)
    # The newest time step accepted: each code opens one sign-in only (RFC 6238 §5.2).
    last_step = models.BigIntegerField(_("最近使用的时间步"), default=0)

    class Meta:
        verbose_name = _("两步验证器")
        verbose_name_plural = _("两步验证器")

    def __str__(self) -> str:
        return str(self.user)


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost; stored hashed like a password."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("人员"),
        on_delete=models.CASCADE,
        related_name="recovery_codes",
    )
    code_hash = models.CharField(_("哈希"), max_length=128)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")

    def __str__(self) -> str:
        return f"{self.user} #{self.pk}"
