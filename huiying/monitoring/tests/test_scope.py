"""Sources and watches belong to a unit: people change only what their unit owns (网信办:
the city's), and the networks sources may reach are the installation's to decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from huiying.common.models import AuditEvent
from huiying.monitoring import egress
from huiying.monitoring.collectors.definition import DefinitionError
from huiying.monitoring.fetch import FetchError, FetchPolicy, HttpClient
from huiying.monitoring.models import Source, Watch
from huiying.monitoring.services_sources import collect_source, source_save
from huiying.monitoring.services_watch import watch_close, watch_open
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture
from huiying.orgs.models import Membership
from huiying.orgs.services import membership_grant
from huiying.orgs.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VENDOR = {
    "code": "vendor-city",
    "name": "市级舆情厂商推送",
    "kind": "vendor_push",
    "platform": "厂商推送",
    "secret": "city-secret-0123456789abcdef",
}


def district_monitor(city: Any, username: str = "cc_monitor", unit: Any = None) -> Any:
    user = UserFactory(username=username, full_name="区监测员")
    membership_grant(user=user, unit=unit or city.district, role=Membership.Role.MONITOR)
    return user


def test_a_district_monitor_cannot_change_a_city_source_or_its_secret(city: Any) -> None:
    source = source_save(VENDOR, actor=city.monitor).source
    assert source.owner_unit is None  # 网信办's, the city's
    intruder = district_monitor(city)
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied, match="全市"):
        source_save(VENDOR | {"secret": "attacker-secret-0123456789ab"}, actor=intruder)
    source.refresh_from_db()
    assert source.secret == VENDOR["secret"] and AuditEvent.objects.count() == events
    client = Client()
    client.force_login(intruder)
    page = client.get(reverse("monitoring:source_detail", args=[source.pk])).content.decode()
    assert reverse("monitoring:source_edit", args=[source.pk]) not in page  # no dead button
    edit = client.get(reverse("monitoring:source_edit", args=[source.pk]))
    assert edit.status_code == 403 and "网信办（全市）" in edit.content.decode()
    posted = client.post(
        reverse("monitoring:source_edit", args=[source.pk]),
        {"definition": "code: vendor-city\nname: x\nkind: vendor_push\nplatform: x\n"},
    )
    assert posted.status_code == 403


def test_a_district_monitors_source_is_his_districts(city: Any) -> None:
    mine = district_monitor(city)
    saved = source_save(VENDOR | {"code": "cc-vendor"}, actor=mine, mode="create").source
    assert saved.owner_unit == city.district
    # 网信办 may still change it; another district's monitor may not.
    source_save(VENDOR | {"code": "cc-vendor", "name": "崇川推送"}, actor=city.monitor)
    other = district_monitor(city, "hm_monitor", city.other_district)
    with pytest.raises(PermissionDenied, match="崇川区"):
        source_save(VENDOR | {"code": "cc-vendor", "name": "改名"}, actor=other)
    # Nor may a district hand its source to the city or to another unit.
    with pytest.raises(PermissionDenied):
        source_save(VENDOR | {"code": "cc-vendor", "owner_unit": "hm"}, actor=mine)


def test_a_district_cannot_close_the_cac_watch(city: Any) -> None:
    ends = timezone.now() + dt.timedelta(hours=24)
    cac_watch = watch_open(
        title="全市专项",
        expression="濠河",
        unit_ids=[],
        member_ids=[],
        ends_at=ends,
        actor=city.monitor,
    )
    intruder = district_monitor(city)
    with pytest.raises(PermissionDenied, match="全市"):
        watch_close(watch=cac_watch, actor=intruder, reason="我想关")
    assert Watch.objects.get(pk=cac_watch.pk).closed_at is None
    client = Client()
    client.force_login(intruder)
    page = client.get(reverse("monitoring:watch_detail", args=[cac_watch.pk])).content.decode()
    assert "close-watch" not in page
    refused = client.post(reverse("monitoring:watch_close", args=[cac_watch.pk]))
    assert refused.status_code == 403
    own = watch_open(
        title="崇川专项",
        expression="崇川",
        unit_ids=[],
        member_ids=[],
        ends_at=ends,
        actor=intruder,
    )
    assert own.owner_unit == city.district
    assert watch_close(watch=own, actor=intruder).closed_at is not None


# --- the networks sources may reach ----------------------------------------------------------


def test_addresses_outside_the_public_internet_are_refused_by_default(
    site: LocalSite, settings: Any
) -> None:
    site.page("/", "<html>内网</html>")
    settings.HUIYING_SOURCE_ALLOWED_NETWORKS = []
    for url in (site.url("/"), site.url("/").replace("127.0.0.1", "localhost")):
        client = HttpClient(FetchPolicy(timeout=3), [url])
        with pytest.raises(FetchError, match="内网或保留地址"):
            client.get(url)
    assert site.seen == []  # refused before connecting: the server heard nothing
    settings.HUIYING_SOURCE_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert "内网" in HttpClient(FetchPolicy(timeout=3), [site.url("/")]).get(site.url("/")).text()


def test_a_refused_source_records_why_and_stays_healthy_otherwise(
    site: LocalSite, settings: Any
) -> None:
    site.page("/rss", "<rss></rss>", content_type="text/xml")
    source = Source.objects.create(
        code="intranet", name="内网", kind="feed", platform="新闻", url=site.url("/rss")
    )
    settings.HUIYING_SOURCE_ALLOWED_NETWORKS = []
    collect_source(source_id=source.pk, force=True)
    source.refresh_from_db()
    assert "内网或保留地址" in source.last_error and source.consecutive_failures == 1


def test_a_private_address_is_named_when_the_source_is_saved(settings: Any) -> None:
    settings.HUIYING_SOURCE_ALLOWED_NETWORKS = []
    feed = {"code": "lan", "name": "内网", "kind": "feed", "platform": "新闻"}
    for url in ("http://10.1.2.3/rss", "http://169.254.169.254/latest/meta-data", "http://[::1]/"):
        with pytest.raises(DefinitionError) as exc:
            source_save(feed | {"url": url})
        assert "内网或保留地址" in str(exc.value.message_dict["url"])
    settings.HUIYING_SOURCE_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    assert source_save(feed | {"url": "http://10.1.2.3/rss"}).created


def test_what_counts_as_public() -> None:
    import ipaddress

    public = ["8.8.8.8", "223.5.5.5", "2400:3200::1"]
    private = ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "::1"]
    private += ["::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1", "fd00::1"]
    assert all(egress.is_public(ipaddress.ip_address(a)) for a in public)
    assert not any(egress.is_public(ipaddress.ip_address(a)) for a in private)
