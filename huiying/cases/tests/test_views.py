"""Pages for every role: what each may open, where home sends them, what stays hidden."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from huiying.cases.models import Assignment, Status
from huiying.cases.tests.builders import draft, to_status

pytestmark = pytest.mark.django_db

ROLES = [
    "monitor",
    "reviewer",
    "inspector",
    "housing_handler",
    "housing_leader",
    "district_leader",
    "other_handler",
    "outsider",
]
UNIT_MEMBERS = {
    "housing_handler",
    "housing_leader",
    "other_handler",
    "district_leader",
}
# page name -> roles that may open it (everyone else: 403 with a Chinese reason)
PAGES = {
    # A unit's spokesperson acts for it. 督查室 oversees: it has no inbox of its own.
    "cases:inbox": UNIT_MEMBERS,
    "cases:queue": {"reviewer"},
    "cases:drafts": {"monitor", "reviewer"},
    "cases:all": {"monitor", "reviewer", "inspector"} | UNIT_MEMBERS,
    "cases:create": {"monitor", "reviewer"},
    "cases:phone": {"monitor", "reviewer"},
}


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", sorted(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_page_permissions(client: Client, city: Any, page: str, role: str) -> None:
    response = login(client, getattr(city, role)).get(reverse(page))
    if role in PAGES[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "无权操作" in response.content.decode()


def test_anonymous_is_sent_to_login_everywhere(client: Client, city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    urls = [reverse(name) for name in [*PAGES, "cases:home"]] + [
        reverse("cases:detail", args=[form.pk]),
        reverse("cases:action", args=[form.pk, "sign"]),
        reverse("cases:note", args=[form.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    client.post(reverse("cases:action", args=[form.pk, "sign"]))
    assert Assignment.objects.get(pk=form.pk).status == Status.ISSUED


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("reviewer", "cases:queue"),
        ("monitor", "cases:drafts"),
        ("housing_handler", "cases:inbox"),
        ("housing_leader", "cases:inbox"),
        ("district_leader", "cases:inbox"),
        ("inspector", "cases:all"),  # 督查室 oversees every unit
    ],
)
def test_home_redirects_by_role(client: Client, city: Any, role: str, target: str) -> None:
    response = login(client, getattr(city, role)).get("/")
    assert response.status_code == 302 and response["Location"] == reverse(target)


def test_someone_without_a_role_gets_a_friendly_page_and_nothing_else(
    client: Client, city: Any
) -> None:
    form = to_status(city, Status.ISSUED)
    login(client, city.outsider)
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "您尚未被分配角色，请联系管理员" in body
    assert form.title not in body and "收件箱" not in body
    assert client.get(reverse("cases:detail", args=[form.pk])).status_code == 404


@pytest.mark.parametrize(
    ("role", "status_code"),
    [
        ("housing_handler", 200),
        ("housing_leader", 200),
        ("reviewer", 200),
        ("monitor", 200),
        ("inspector", 200),
        ("district_leader", 404),
        ("other_handler", 404),
        ("outsider", 404),
    ],
)
def test_form_page_visibility(client: Client, city: Any, role: str, status_code: int) -> None:
    form = to_status(city, Status.ISSUED)
    response = login(client, getattr(city, role)).get(reverse("cases:detail", args=[form.pk]))
    assert response.status_code == status_code
    if status_code == 404:
        assert form.title not in response.content.decode()


def test_a_missing_form_and_a_hidden_one_look_the_same(client: Client, city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    login(client, city.other_handler)
    hidden = client.get(reverse("cases:detail", args=[form.pk]))
    missing = client.get(reverse("cases:detail", args=[form.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404


def test_district_leader_sees_the_subtree_but_not_drafts(client: Client, city: Any) -> None:
    issued = to_status(city, Status.ISSUED, unit=city.district_dept, title="崇川区城管占道经营投诉")
    pending = draft(city, unit=city.district_dept, title="崇川区待审草稿")
    elsewhere = to_status(city, Status.ISSUED, unit=city.other_district, title="海门区道路积水")
    login(client, city.district_leader)
    assert client.get(reverse("cases:detail", args=[issued.pk])).status_code == 200
    assert client.get(reverse("cases:detail", args=[pending.pk])).status_code == 404
    assert client.get(reverse("cases:detail", args=[elsewhere.pk])).status_code == 404
    listing = client.get(reverse("cases:all")).content.decode()
    assert issued.title in listing
    assert pending.title not in listing and elsewhere.title not in listing
    assert "辖区交办单" in listing


def test_handler_cannot_see_nor_sign_another_units_form(client: Client, city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    login(client, city.other_handler)
    assert form.title not in client.get(reverse("cases:inbox")).content.decode()
    assert form.title not in client.get(reverse("cases:all")).content.decode()
    for method in (client.get, client.post):
        response = method(reverse("cases:action", args=[form.pk, "sign"]))
        assert response.status_code == 404
    assert Assignment.objects.get(pk=form.pk).status == Status.ISSUED
    assert not Assignment.objects.get(pk=form.pk).signatures.exists()


def test_leader_who_may_view_but_not_act_gets_403_with_the_reason(
    client: Client, city: Any
) -> None:
    """A district leader sees a department's form in the subtree but does not sign for it."""
    form = to_status(city, Status.ISSUED, unit=city.district_dept)
    login(client, city.district_leader)
    page = client.get(reverse("cases:detail", args=[form.pk])).content.decode()
    assert f'action="/forms/{form.pk}/act/sign/"' not in page
    response = client.post(reverse("cases:action", args=[form.pk, "sign"]))
    assert response.status_code == 403
    assert "您没有权限" in response.content.decode() and "签收" in response.content.decode()
    assert Assignment.objects.get(pk=form.pk).status == Status.ISSUED


def test_unknown_action_is_404(client: Client, city: Any) -> None:
    form = to_status(city, Status.ISSUED)
    login(client, city.housing_handler)
    assert client.get(reverse("cases:action", args=[form.pk, "explode"])).status_code == 404
    assert (
        client.get(reverse("cases:action", args=[form.pk, "record_milestone"])).status_code == 404
    )


def test_top_bar_shows_name_roles_nav_and_a_post_logout(client: Client, city: Any) -> None:
    body = login(client, city.reviewer).get(reverse("cases:queue")).content.decode()
    assert "回应" in body and "南通市网络政务舆情交办督办系统" in body
    assert "李审核" in body and "市委网信办 · 审核人" in body
    for label in ("审核队列", "我的拟稿", "全部交办单", "紧急电话交办"):
        assert label in body, label
    assert 'method="post" action="/accounts/logout/"' in body
    handler = Client()
    body = login(handler, city.housing_handler).get(reverse("cases:inbox")).content.decode()
    assert "陈承办" in body and "承办人员" in body and "收件箱" in body
    assert "审核队列" not in body and "紧急电话交办" not in body


def test_logout_is_a_post(client: Client, city: Any) -> None:
    login(client, city.housing_handler)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("cases:inbox")).status_code == 302
