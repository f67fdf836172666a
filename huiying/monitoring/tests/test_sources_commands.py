"""`huiying sources add/list/show`, `huiying collect --once` and `huiying import-items`."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from huiying.common.models import AuditEvent
from huiying.monitoring.collectors.definition import DefinitionError, normalise_definition
from huiying.monitoring.models import Evidence, Item, Source, SourceRun
from huiying.monitoring.services_sources import parse_definitions
from huiying.monitoring.tests.support_http import LocalSite, site_fixture  # noqa: F401 - fixture
from huiying.monitoring.timeparse import SHANGHAI

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- sources add / list / show ----------------------------------------------------------


def test_add_every_kind_from_yaml_and_again(city: Any) -> None:
    out = run("sources", "add", str(FIXTURES / "sources.yaml"))
    assert "已新增：t-board  南通市地方领导留言板" in out and "共 7 个监测源" in out
    assert "推送密钥（只显示这一次" in out  # the vendor source got a generated secret
    board = Source.objects.get(code="t-board")
    assert board.kind == "html" and board.owner_unit == city.cac
    assert board.config["list"]["link"] == "a.title@href"
    # Alias field names are stored under their canonical names.
    assert board.config["detail"]["published_at"] == ".meta .time"
    assert board.config["detail"]["board_reply"] == ".reply-content"
    assert board.config["list"]["published_at"] == ".time"
    assert board.watch_interval_seconds == 60 and board.interval_seconds == 300
    assert Source.objects.get(code="t-vendor").secret
    again = run("sources", "add", str(FIXTURES / "sources.yaml"))
    assert again.count("未变化") == 7 and "推送密钥" not in again
    assert AuditEvent.objects.filter(action="source.create").count() == 7
    assert not AuditEvent.objects.filter(action="source.update").exists()


def test_add_updates_by_code_from_json(tmp_path: Path, city: Any) -> None:
    run("sources", "add", str(FIXTURES / "sources.yaml"))
    board = Source.objects.get(code="t-board")
    Source.objects.filter(pk=board.pk).update(
        etag='"old"', next_due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    )
    definition = yaml.safe_load((FIXTURES / "sources.yaml").read_text(encoding="utf-8"))["sources"][
        1
    ]
    definition["config"]["list"]["max_pages"] = 5
    definition.pop("owner_unit")
    path = tmp_path / "board.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    assert "已更新：t-board" in run("sources", "add", str(path))
    board.refresh_from_db()
    assert board.config["list"]["max_pages"] == 5
    assert board.etag == "" and board.next_due_at is None  # a new definition is read afresh
    assert AuditEvent.objects.filter(action="source.update").count() == 1


def test_add_refuses_a_file_with_any_bad_definition(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        """
- code: ok-one
  name: 好的
  kind: feed
  platform: 新闻
  url: https://a.example.cn/rss
- code: bad one
  name: 坏的
  kind: html
  platform: 论坛
  url: ftp://x
  interval_seconds: 1
  config:
    list: {item: "li[", netx_page: a.next}
    detail: {title: "xpath://h1[", mood: .x}
""",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as info:
        run("sources", "add", str(path))
    message = str(info.value)
    assert "未保存任何监测源" in message
    for expected in (
        "code: 代码必填",
        "url: 不是有效的 http(s) 地址",
        "interval_seconds: 应在 5 到 604800 之间",
        "config.list.item: CSS 选择器语法错误",
        "config.list.netx_page: 未知字段",
        "config.list.link: 必须提供条目链接选择器 link",
        "config.detail.title: XPath 语法错误",
        "config.detail.mood: 未知字段",
    ):
        assert expected in message, expected
    assert not Source.objects.exists()


def test_definition_checks() -> None:
    with pytest.raises(DefinitionError) as info:
        normalise_definition(
            {
                "code": "s",
                "name": "搜",
                "kind": "search",
                "platform": "搜索",
                "url": "https://s.example.cn/?q=x",
                "config": {"list": {"link": "a@href"}},
            }
        )
    assert "搜索地址模板必须包含 {keyword}" in str(info.value.message_dict["url"])
    with pytest.raises(DefinitionError) as info:
        normalise_definition(
            {
                "code": "j",
                "name": "接口",
                "kind": "json_api",
                "platform": "微博",
                "url": "https://a.example.cn/",
                "config": {"fields": {"likes": "n"}, "colour": 1},
            }
        )
    assert "至少要映射 title 或 text" in str(info.value.message_dict["config.fields"])
    assert "此类型不支持该键" in str(info.value.message_dict["config.colour"])
    ok = normalise_definition(
        {
            "code": "f",
            "name": "订阅",
            "kind": "feed",
            "platform": "新闻",
            "url": "https://a.example.cn/rss",
        }
    )
    assert ok["config"]["timeout_seconds"] == 10 and ok["config"]["max_bytes"] == 5 * 1024 * 1024
    assert ok["watch_interval_seconds"] == 60
    with pytest.raises(DefinitionError):
        parse_definitions("sources: [")
    assert len(parse_definitions('[{"code": "a"}, {"code": "b"}]')) == 2


def test_list_and_show(city: Any) -> None:
    assert "还没有监测源" in run("sources", "list")
    run("sources", "add", str(FIXTURES / "sources.yaml"))
    Source.objects.filter(code="t-feed").update(
        consecutive_failures=2, last_error="站点服务器出错（HTTP 500）"
    )
    listing = run("sources", "list")
    assert "t-feed" in listing and "异常" in listing and "站点服务器出错（HTTP 500）" in listing
    shown = yaml.safe_load(run("sources", "show", "t-vendor"))
    assert shown["kind"] == "vendor_push" and "secret" not in shown
    board = yaml.safe_load(run("sources", "show", "t-board"))
    assert normalise_definition(board)["config"] == Source.objects.get(code="t-board").config
    with pytest.raises(CommandError, match="监测源不存在"):
        run("sources", "show", "nope")


# --- collect --once -----------------------------------------------------------------------


def test_collect_once_named_sources(site: LocalSite) -> None:
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>海门区农民工工资被拖欠</title><link>{site.url('/n/1')}</link></item></channel></rss>"
    )
    site.page("/rss", rss, content_type="text/xml")
    feed = {
        "code": "c-feed",
        "name": "订阅",
        "kind": "feed",
        "platform": "新闻",
        "url": site.url("/rss"),
        "is_active": False,
    }
    push = {"code": "c-push", "name": "推送", "kind": "vendor_push", "platform": "厂商"}
    call_command("sources", "add", "-", stdin=StringIO(json.dumps([feed, push])), stdout=StringIO())
    assert run("collect", "--once") == "没有到期的监测源。\n"  # the only polled one is inactive
    out = run("collect", "--once", "c-feed")  # named: collected even though inactive
    assert out.startswith("c-feed: 成功，读取 1 条，新增 1 条")
    with pytest.raises(CommandError, match="无需采集：c-push"):
        run("collect", "--once", "c-push")
    with pytest.raises(CommandError, match="监测源不存在：nope"):
        run("collect", "--once", "nope")
    with pytest.raises(CommandError, match="请加 --once"):
        run("collect")


# --- import-items -------------------------------------------------------------------------


@pytest.fixture
def importer_source(city: Any) -> Source:
    run("sources", "add", str(FIXTURES / "sources.yaml"))
    return Source.objects.get(code="t-import")


def test_import_board_messages_csv(importer_source: Source) -> None:
    out = run("import-items", str(FIXTURES / "board_messages.csv"), "--source", "t-import")
    assert "导入完成：3 行；新增 3 条" in out
    item = Item.objects.get(external_id="188006")
    assert item.author == "A000102948" and item.title == "崇川区某小区楼下烧烤店油烟扰民"
    assert (
        item.text.startswith("小区楼下烧烤店每天营业到凌晨两点") and "\n多次反映未果" in item.text
    )
    assert item.published_at == dt.datetime(2019, 2, 28, 11, 25, 5, tzinfo=SHANGHAI)
    assert item.likes == 12 and item.extra == {"dislikes": "0"}
    old = Item.objects.get(external_id="188031")
    assert old.published_at == dt.datetime(2017, 6, 8, 17, 31, 20, tzinfo=SHANGHAI)
    assert '"包工头"' in old.text
    evidence = Evidence.objects.get(item=item)
    assert json.loads(bytes(evidence.body))["留言编号"] == "188006"
    assert evidence.url == "导入文件 board_messages.csv 第 1 行"
    run_row = SourceRun.objects.get(source=importer_source)
    assert run_row.ok and run_row.fetched == 3 and run_row.new_items == 3
    again = run("import-items", str(FIXTURES / "board_messages.csv"), "--source", "t-import")
    assert "新增 0 条" in again and "未变化 3 条" in again
    assert Item.objects.count() == 3


def test_import_shows_progress_batch_by_batch(importer_source: Source) -> None:
    err = StringIO()
    call_command(
        "import-items",
        str(FIXTURES / "board_messages.csv"),
        "--source",
        "t-import",
        "--batch",
        "1",
        stdout=StringIO(),
        stderr=err,
    )
    lines = err.getvalue().split("\r")
    assert "已读 1 行：新增 1，重复 0，有误 0" in lines
    assert lines[-1].startswith("已读 3 行：新增 3")
    assert Item.objects.count() == 3


def test_import_board_replies_csv(importer_source: Source) -> None:
    out = run("import-items", str(FIXTURES / "board_replies.csv"), "--source", "t-import")
    assert "新增 2 条" in out
    item = Item.objects.get(external_id="2549")
    assert item.board_reply.startswith("网友：您好！留言已收悉")  # as published
    assert item.board_replied_at == dt.datetime(2019, 5, 9, 9, 49, 10, tzinfo=SHANGHAI)
    assert item.board_status == "已答复"


def test_import_jsonl_with_a_bad_line(importer_source: Source) -> None:
    err = StringIO()
    out = StringIO()
    call_command(
        "import-items",
        str(FIXTURES / "items.jsonl"),
        "--source",
        "t-import",
        stdout=out,
        stderr=err,
    )
    assert "导入完成：4 行；新增 3 条" in out.getvalue() and "有误 1 行" in out.getvalue()
    assert "第 4 行：不是有效的 JSON" in err.getvalue()
    assert Item.objects.get(external_id="j-1").url == "https://bbs.example.cn/t/1"
    traditional = Item.objects.get(external_id="j-2")
    assert traditional.text.startswith("週末小洋口景區")  # the original is kept
    assert traditional.text_simplified.startswith("周末小洋口景区")  # folded for analysis
    assert traditional.extra == {"tag": "交通"}
    assert Item.objects.get(external_id="j-3").title == "通州湾示范区海边垃圾无人清理"
    run_row = SourceRun.objects.get(source=importer_source)
    assert "第 4 行" in run_row.error


def test_import_xlsx_with_a_column_map(importer_source: Source, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["编号", "标题", "内容", "发布时间", "阅读量", "备注"])
    sheet.append(
        [
            101,
            "崇川区路灯不亮",
            "某路段路灯坏了一个月",
            dt.datetime(2024, 5, 3, 10, 20),
            300,
            "内部",
        ]
    )
    sheet.append([None, None, None, None, None, None])
    sheet.append([102, "通州区垃圾清运不及时", "垃圾堆了三天", "2024/5/4 8:00", 20, ""])
    workbook.save(path)
    out = run(
        "import-items",
        str(path),
        "--source",
        "t-import",
        "--map",
        "阅读量=extra.views",
        "--map",
        "备注=-",
    )
    assert "导入完成：2 行；新增 2 条" in out
    item = Item.objects.get(external_id="101")
    assert item.published_at == dt.datetime(2024, 5, 3, 10, 20, tzinfo=SHANGHAI)
    assert item.extra == {"views": 300}


def test_import_problems(importer_source: Source, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="文件不存在"):
        run("import-items", str(tmp_path / "none.csv"), "--source", "t-import")
    with pytest.raises(CommandError, match="监测源不存在"):
        run("import-items", str(FIXTURES / "board_messages.csv"), "--source", "nope")
    with pytest.raises(CommandError, match="无法从扩展名判断文件格式"):
        run("import-items", str(FIXTURES / "sources.yaml"), "--source", "t-import")
    with pytest.raises(CommandError, match="列映射的目标字段无效：留言主题=subject"):
        run(
            "import-items",
            str(FIXTURES / "board_messages.csv"),
            "--source",
            "t-import",
            "--map",
            "留言主题=subject",
        )
    with pytest.raises(CommandError, match="列名=字段"):
        run(
            "import-items",
            str(FIXTURES / "board_messages.csv"),
            "--source",
            "t-import",
            "--map",
            "oops",
        )
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="无法读取 XLSX 文件"):
        run("import-items", str(broken), "--source", "t-import")
    assert "检查完成：3 行" in run(
        "import-items", str(FIXTURES / "board_messages.csv"), "--source", "t-import", "--dry-run"
    )
    assert not Item.objects.exists()


def test_gbk_csv(importer_source: Source, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes((FIXTURES / "board_messages.csv").read_text(encoding="utf-8").encode("gbk"))
    assert "新增 3 条" in run("import-items", str(path), "--source", "t-import")
    assert Item.objects.filter(title="崇川区某小区楼下烧烤店油烟扰民").exists()


def test_every_example_in_the_format_guide_is_valid() -> None:
    guide = (Path(__file__).resolve().parents[1] / "SOURCES_FORMAT.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in guide.split("```yaml\n")[1:]]
    examples = [yaml.safe_load(b) for b in blocks if b.startswith("code:")]
    assert {e["kind"] for e in examples} == {
        "feed",
        "html",
        "json_api",
        "search",
        "vendor_push",
        "import",
        "manual",
    }
    for example in examples:
        normalise_definition(example)
