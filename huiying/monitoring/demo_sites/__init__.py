"""Local imitations of the sites a city monitors, publishing realistic Nantong posts."""

from huiying.monitoring.demo_sites.server import (
    DemoSites,
    run_demo_sites,
    site_urls,
    start_demo_sites,
)

__all__ = ["DemoSites", "run_demo_sites", "site_urls", "start_demo_sites"]
