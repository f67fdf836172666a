"""The live part of the demo: local imitation sites that publish posts, and sources polling them.

The monitoring app ships the sites (huiying.monitoring.demo_sites) and their source
definitions (sources.yaml, with ``{base_url}`` where the sites' address goes). The sites start
on a free loopback port each time, so the sources are (re)loaded with that run's address;
saving a definition again updates the source with that code. The in-process worker's
periodic collection then polls them, and new posts show up while the demo runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from huiying.monitoring.demo_sites import start_demo_sites
from huiying.monitoring.services_sources import parse_definitions, source_save

logger = logging.getLogger("huiying.demo")

SOURCES_FILE = Path(__file__).resolve().parents[1] / "monitoring" / "demo_sites" / "sources.yaml"


@dataclass
class StartedSites:
    lines: list[str]  # what to tell the person running the demo
    stop: Callable[[], None]


def start_sites(host: str = "127.0.0.1") -> StartedSites:
    """Start the sites and load their sources."""
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
    """Save the demo source definitions with this run's address in them."""
    text = source_file.read_text(encoding="utf-8").replace("{base_url}", base_url)
    codes = [source_save(definition).source.code for definition in parse_definitions(text)]
    return (
        f"已载入演示监测源（{'、'.join(codes)}），采集结果见“舆情检索”和“监测源健康”页面，"
        "研判结果见“研判台”。"
    )
