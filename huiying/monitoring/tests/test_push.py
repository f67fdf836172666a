"""The vendor push endpoint through the Django test client: signatures, batches, idempotence."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from huiying.monitoring.collectors.vendor import sign
from huiying.monitoring.models import Evidence, Item, Source, SourceRun
from huiying.monitoring.services_sources import source_save

pytestmark = pytest.mark.django_db

SECRET = "vendor-secret-0123456789abcdef"


@pytest.fixture
def vendor() -> Source:
    return source_save(
        {
            "code": "vendor-a",
            "name": "某舆情监测厂商",
            "kind": "vendor_push",
            "platform": "专业监测",
            "secret": SECRET,
            "config": {"max_items": 3, "max_bytes": 4096},
        }
    ).source


def batch(*ids: str, **extra: Any) -> bytes:
    items = [
        {
            "id": i,
            "url": f"https://weibo.example.cn/status/{i}",
            "title": f"网友反映崇川区问题{i}",
            "text": f"第{i}条：濠河边夜间施工噪音扰民，希望有关部门处理。",
            "author": "网友",
            "published_at": "2024-05-04T10:20:31+08:00",
            "platform": "微博",
            "likes": 10,
            **extra,
        }
        for i in ids
    ]
    return json.dumps({"items": items}, ensure_ascii=False).encode()


def post(
    client: Client, body: bytes, *, secret: str = SECRET, code: str = "vendor-a", **headers: str
) -> Any:
    headers.setdefault("X-Huiying-Signature", sign(secret, body))
    return client.post(
        reverse("monitoring:push", args=[code]),
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)  # no CSRF token: the signature is the proof


def test_signed_batch_is_stored(client: Client, vendor: Source) -> None:
    response = post(client, batch("a1", "a2"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] and data["new"] == 2 and data["received"] == 2 and len(data["item_ids"]) == 2
    item = Item.objects.get(source=vendor, external_id="a1")
    assert item.platform == "微博" and item.likes == 10 and item.published_at is not None
    assert json.loads(bytes(Evidence.objects.get(item=item).body))["id"] == "a1"
    run = SourceRun.objects.get(source=vendor)
    assert run.ok and run.new_items == 2
    vendor.refresh_from_db()
    assert vendor.last_success_at is not None


def test_repushing_the_same_ids_adds_nothing(client: Client, vendor: Source) -> None:
    post(client, batch("a1", "a2"))
    again = post(client, batch("a1", "a2")).json()
    assert again["new"] == 0 and again["duplicates"] == 0 and again["unchanged"] == 2
    changed = post(client, batch("a1", likes=99)).json()
    assert changed["new"] == 0 and changed["updated"] == 1
    assert Item.objects.filter(source=vendor).count() == 2
    assert Item.objects.get(external_id="a1").likes == 99


def test_bad_signature_is_401(client: Client, vendor: Source) -> None:
    body = batch("a1")
    for headers in (
        {"X-Huiying-Signature": sign("wrong-secret-xxxxxxxx", body)},
        {"X-Huiying-Signature": "md5=abc"},
    ):
        response = post(client, body, **headers)
        assert response.status_code == 401 and not response.json()["ok"]
    assert "签名校验失败" in post(client, body, secret="x" * 20).json()["error"]
    missing = client.post(
        reverse("monitoring:push", args=["vendor-a"]), data=body, content_type="application/json"
    )
    assert missing.status_code == 401 and "X-Huiying-Signature" in missing.json()["error"]
    tampered = body.replace(b"a1", b"a9")
    assert post(client, tampered, **{"X-Huiying-Signature": sign(SECRET, body)}).status_code == 401
    assert not Item.objects.exists()


def test_timestamp_window(client: Client, vendor: Source) -> None:
    body = batch("t1")
    now = str(int(time.time()))
    assert post(client, body, **{"X-Huiying-Timestamp": now}).status_code == 200
    # Signing "<timestamp>." + body binds the batch to its time.
    assert (
        post(
            client,
            batch("t2"),
            **{"X-Huiying-Timestamp": now, "X-Huiying-Signature": sign(SECRET, batch("t2"), now)},
        ).status_code
        == 200
    )
    stale = str(int(time.time()) - 600)
    response = post(client, batch("t3"), **{"X-Huiying-Timestamp": stale})
    assert response.status_code == 401 and "5 分钟" in response.json()["error"]
    assert post(client, batch("t4"), **{"X-Huiying-Timestamp": "soon"}).status_code == 401


def test_malformed_json_is_400_with_a_clear_message(client: Client, vendor: Source) -> None:
    response = post(client, b'{"items": [ {"id": 1,')
    assert response.status_code == 400
    assert response.json()["error"].startswith("请求体不是有效的 JSON：第 1 行")
    assert (
        post(client, b'{"data": []}').json()["error"]
        == '请求体应为 {"items": [...]}，items 为条目列表'
    )
    no_id = json.dumps({"items": [{"title": "无编号"}]}).encode()
    assert "缺少厂商编号" in post(client, no_id).json()["error"]
    assert post(client, '{"items": []}'.encode("utf-16")).status_code == 400


def test_too_big_is_413(client: Client, vendor: Source) -> None:
    too_many = post(client, batch("1", "2", "3", "4"))
    assert too_many.status_code == 413 and "一批最多 3 条" in too_many.json()["error"]
    huge = batch("1", text="长" * 5000)
    response = post(client, huge)
    assert response.status_code == 413 and "请分批推送" in response.json()["error"]
    assert not Item.objects.exists()


def test_unknown_or_other_source_is_404(client: Client, vendor: Source) -> None:
    assert post(client, batch("1"), code="nope").status_code == 404
    source_save(
        {
            "code": "feedy",
            "name": "订阅",
            "kind": "feed",
            "platform": "新闻",
            "url": "https://n.example.cn/rss",
        }
    )
    assert post(client, batch("1"), code="feedy").status_code == 404
    Source.objects.filter(pk=vendor.pk).update(is_active=False)
    assert post(client, batch("1")).status_code == 404


def test_only_post(client: Client, vendor: Source) -> None:
    assert client.get(reverse("monitoring:push", args=["vendor-a"])).status_code == 405


def test_field_mapping_for_a_vendor_format(client: Client) -> None:
    source_save(
        {
            "code": "vendor-b",
            "name": "另一厂商",
            "kind": "vendor_push",
            "platform": "专业监测",
            "secret": SECRET,
            "config": {
                "fields": {
                    "id": "uuid",
                    "title": "headline",
                    "text": "body.content",
                    "url": "link",
                    "published": "ts",
                }
            },
        }
    )
    body = json.dumps(
        {
            "items": [
                {
                    "uuid": "u-1",
                    "headline": "海安夜市油烟",
                    "body": {"content": "夜市油烟很大"},
                    "link": "https://x.example.cn/1",
                    "ts": 1714789231,
                }
            ]
        },
        ensure_ascii=False,
    ).encode()
    response = post(client, body, code="vendor-b")
    assert response.status_code == 200 and response.json()["new"] == 1
    item = Item.objects.get(external_id="u-1")
    assert (
        item.title == "海安夜市油烟"
        and item.text == "夜市油烟很大"
        and item.published_at is not None
    )


def test_generated_secret() -> None:
    saved = source_save(
        {"code": "vendor-c", "name": "厂商C", "kind": "vendor_push", "platform": "专业监测"}
    )
    assert len(saved.new_secret) >= 32 and saved.source.secret == saved.new_secret
    again = source_save(
        {"code": "vendor-c", "name": "厂商C", "kind": "vendor_push", "platform": "专业监测"}
    )
    assert again.new_secret == "" and again.source.secret == saved.new_secret
