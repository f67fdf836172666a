"""The back office reads in Chinese: app and model names, django-axes, the user and group forms.

A superuser opens the index, every app's page, every model's list and a change page of each,
and the user and group forms; no English word the admin or axes would otherwise show is left
in the visible text. (Codes such as audit actions, user names and hashes are data, not words
of the interface, and are not in the list.)
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from huiying.accounts.admin_permissions import permission_label
from huiying.accounts.tokens import token_issue
from huiying.cases.models import Assignment, Status
from huiying.cases.tests.builders import to_status
from huiying.common.models import AuditEvent

pytestmark = pytest.mark.django_db

# What the admin and axes showed before (Django's catalog lacks some newer strings, axes ships
# none, Django stores permission names in English, apps without a verbose name show their label).
ENGLISH = [
    "Add", "Change", "Save", "Delete", "View", "Home", "History", "Search", "Filter",
    "Users", "User", "Groups", "Username", "Password", "Permissions", "Personal info",
    "First name", "Last name", "Email address", "Staff status", "Superuser status",
    "Important dates", "Date joined", "Last login", "After you",
    "Model name", "Add link", "Change or view list link",
    "Can add", "Can change", "Can delete", "Can view",
    "Axes", "Accounts", "Cases", "Orgs", "Monitoring", "Common", "Api", "Django",
    "Access attempts", "Access attempt", "Access logs", "Access failures", "access attempt",
    "access log", "access failure", "Access lock out", "Attempt Time", "User Agent",
    "IP Address", "HTTP Accept", "Path", "Failed Logins", "Logout Time", "Locked Out",
    "Meta Data", "Form Data", "Status", "Expiration", "Not set",
    "Unit", "Depth", "Year", "Last", "Thread", "Number year", "Number seq",
    "Issued content hash", "Prev hash", "Hash", "item rule match", "watch match",
]  # fmt: skip
ENGLISH_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(map(re.escape, ENGLISH)) + r")(?![A-Za-z])")


class VisibleText(HTMLParser):
    """The text a person reads: page text, the title, and labels given as attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label") and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and ("type", "submit") in attrs and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def english_on(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = VisibleText()
    parser.feed(response.content.decode())
    return sorted(set(ENGLISH_RE.findall(" ".join(parser.parts))))


@pytest.fixture
def superuser_client(city: Any, admin_user: Any) -> Client:
    # Through the login form, so that axes records it; then a wrong password elsewhere (after
    # the success, which would clear the failure count).
    # As headless chromium asks: the answer is Chinese all the same.
    # The admin signs in through the site's login page (the admin's own form is not used).
    client = Client(headers={"Accept-Language": "en-US,en;q=0.9"})
    response = client.post(reverse("accounts:login"), {"username": "admin", "password": "password"})
    assert response.status_code == 302
    Client().post(reverse("accounts:login"), {"username": "admin", "password": "wrong-1"})
    # A token, so that the token pages have a record to show.
    token_issue(user=admin_user, name="对接测试", two_factor=False, actor=admin_user, via="page")
    # Axes writes this log only when AXES_ENABLE_ACCESS_FAILURE_LOG is on; its page still shows.
    AccessFailureLog.objects.create(
        username="admin", ip_address="127.0.0.1", user_agent="", http_accept="", path_info="/"
    )
    to_status(city, Status.ISSUED)  # an issued form, its number sequence, audit events
    return client


def admin_pages() -> list[str]:
    pages = [reverse("admin:index"), reverse("admin:accounts_user_add")]
    pages.append(reverse("admin:auth_group_add"))
    labels = sorted({model._meta.app_label for model in admin.site._registry})
    pages += [reverse("admin:app_list", args=[label]) for label in labels]
    for model in admin.site._registry:
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            name = f"admin:{opts.app_label}_{opts.model_name}_change"
            pages.append(reverse(name, args=[first.pk]))
    return pages


def test_every_admin_page_reads_in_chinese(superuser_client: Client, city: Any) -> None:
    # Rows exist, so that the lists and change pages have records to name.
    for model in (AccessAttempt, AccessFailureLog, AccessLog, Assignment, AuditEvent):
        assert model.objects.exists(), model
    pages = admin_pages()
    pages.append(reverse("admin:accounts_user_change", args=[city.reviewer.pk]))
    left = {url: words for url in pages if (words := english_on(superuser_client, url))}
    assert left == {}


def test_app_names_are_chinese_on_the_index(superuser_client: Client) -> None:
    html = superuser_client.get(reverse("admin:index")).content.decode()
    for name in (
        "回应 · 后台管理",
        "账号",
        "交办单",
        "单位与人员角色",
        "登录保护",
        "公共（审计与工作日历）",
    ):
        assert name in html
    for name in ("登录失败累计", "登录失败记录", "登录日志"):
        assert name in html


def test_the_user_form_has_one_name_and_chinese_permissions(
    superuser_client: Client, city: Any
) -> None:
    url = reverse("admin:accounts_user_change", args=[city.reviewer.pk])
    html = superuser_client.get(url).content.decode()
    assert "姓名与联系方式" in html and "重要日期" in html and "权限" in html
    assert 'name="first_name"' not in html and 'name="last_name"' not in html
    assert "单位与人员角色 | 单位 | 修改" in html and "账号 | 用户 | 查看" in html


def test_permission_labels_come_from_the_code_and_the_models_names() -> None:
    change_unit = Permission.objects.get(codename="change_unit")
    assert change_unit.name == "Can change 单位"  # as Django stored it
    assert permission_label(change_unit) == "单位与人员角色 | 单位 | 修改"
    add_log = Permission.objects.get(codename="add_accesslog")
    assert permission_label(add_log) == "登录保护 | 登录日志 | 增加"


def test_axes_counter_status_and_its_records_described_in_chinese(
    superuser_client: Client,
) -> None:
    html = superuser_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "还可尝试 4 次" in html and "状态" in html
    entry = AccessLog.objects.get()
    url = reverse("admin:axes_accesslog_change", args=[entry.pk])
    log = superuser_client.get(url).content.decode()
    assert "admin 的登录" in log and "Access Log for" not in log


def test_the_admins_javascript_speaks_chinese(superuser_client: Client) -> None:
    script = superuser_client.get(reverse("admin:jsi18n")).content.decode()
    for chinese in ("全部选择%s", "选中要添加的%s，再点击“选择”箭头。"):
        assert json.dumps(chinese) in script  # the catalog is JSON, non-ASCII escaped


def test_favicon_is_public(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/huiying/favicon.ico"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon.getvalue()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert 'rel="icon" href="/static/huiying/favicon.svg"' in login_page
