"""The live part of the demo: local imitation sites that publish posts, and sources polling them.

The monitoring app ships the sites (huiying.monitoring.demo_sites) and their source
definitions (sources.yaml, with ``{base_url}`` where the sites' address goes). The sites start
on a free loopback port each time, so the sources are (re)loaded with that run's address;
`huiying sources add` updates sources that already exist. The in-process worker's periodic
collection then polls them, and new posts show up while the demo runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands

logger = logging.getLogger("huiying.demo")

SOURCES_FILE = Path(__file__).resolve().parents[2] / "monitoring" / "demo_sites" / "sources.yaml"


@dataclass
class StartedSites:
    lines: list[str]  # what to tell the person running the demo
    stop: Callable[[], None]


def start_sites(host: str = "127.0.0.1") -> StartedSites | None:
    """Start the sites and load their sources; None when the monitoring app has no sites."""
    try:
        from huiying.monitoring.demo_sites import start_demo_sites
    except ImportError:
        return None
    urls, stop = start_demo_sites(host, 0)
    base_url = urls["base_url"]
    lines = [f"本地模拟站点（每隔几秒发布一条南通本地帖子）：{base_url}/"]
    lines += [f"  {name:8} {url}" for name, url in urls.items() if name != "base_url"]
    try:
        lines.append(load_sources(base_url))
    except Exception as exc:  # the demo still serves; say why collection is not live
        logger.exception("demo sources could not be loaded")
        lines.append(f"演示监测源未能载入：{exc}")
    return StartedSites(lines=lines, stop=stop)


def load_sources(base_url: str, source_file: Path = SOURCES_FILE) -> str:
    """Write sources.yaml with this run's address under var/ and add it with `huiying sources`."""
    if not source_file.exists():
        return "尚无演示监测源定义（sources.yaml），模拟站点只供浏览。"
    if "sources" not in get_commands():
        return "尚无 `huiying sources` 命令，模拟站点只供浏览。"
    text = source_file.read_text(encoding="utf-8").replace("{base_url}", base_url)
    target = Path(settings.VAR_DIR) / "demo-sources.yaml"
    target.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("sources", "add", str(target), stdout=out)
    return f"已载入演示监测源（{target.name}），采集结果见“舆情信息”页面。"
