from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huiying.notify.models import ChannelPreference

MOBILE = re.compile(r"^\+?\d{6,15}$")


class PreferenceForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ChannelPreference
        fields = ("email_enabled", "email", "sms_enabled", "mobile", "quiet_hours")

    def clean_mobile(self) -> str:
        mobile = str(self.cleaned_data.get("mobile") or "").replace(" ", "").replace("-", "")
        if mobile and not MOBILE.match(mobile):
            raise forms.ValidationError(_("手机号码格式不正确"))
        return mobile

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("email_enabled") and not data.get("email"):
            self.add_error("email", _("开启电子邮件通知需填写邮箱"))
        if data.get("sms_enabled") and not data.get("mobile"):
            self.add_error("mobile", _("开启短信通知需填写手机号码"))
        return data
