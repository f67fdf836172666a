"""Which networks collectors may reach: the installation decides, checked at connect time.

A source's URL is typed by a monitor; without this, anyone allowed to add a source could make
the server fetch an intranet address (a router's admin page, a database's HTTP port, the cloud
metadata service) and read the answer back through search. So every connection a collector
opens (the first one and the one after each redirect) resolves the host itself, refuses
loopback, private, link-local, multicast and reserved addresses unless the installation allows
their network (``HUIYING_SOURCE_ALLOWED_NETWORKS``, e.g. the intranet of the city's own
government sites), and connects to exactly the address it checked, so a name that resolves
differently a moment later (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class EgressRefused(OSError):
    """The address is one this installation does not let collectors reach."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(
            f"{host} 解析到内网或保留地址 {address}，按本系统设置不允许监测源访问"
            "（如确需采集内网站点，请管理员在 HUIYING_SOURCE_ALLOWED_NETWORKS 中加入该网段）"
        )
        self.host = host
        self.address = address


@lru_cache(maxsize=8)
def _parse(networks: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip())


def allowed_networks() -> tuple[Network, ...]:
    configured: Sequence[str] = getattr(settings, "HUIYING_SOURCE_ALLOWED_NETWORKS", ())
    return _parse(tuple(configured))


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def may_reach(ip: IPAddress) -> bool:
    if any(ip in net for net in allowed_networks() if net.version == ip.version):
        return True
    return is_public(ip)


def guarded_create_connection(
    address: tuple[str, int],
    timeout: float | None = None,
    source_address: tuple[str, int] | None = None,
    **_kwargs: object,
) -> socket.socket:
    """``socket.create_connection`` that refuses addresses the installation does not allow."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # Every address the name resolves to must be allowed: one bad one refuses the host.
    for *_rest, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not may_reach(ip):
            raise EgressRefused(host, str(ip))
    last: OSError | None = None
    for family, socktype, proto, _canon, sockaddr in infos:
        sock = socket.socket(family, socktype, proto)
        try:
            if isinstance(timeout, int | float):  # http.client may pass its "default" sentinel
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            last = exc
            sock.close()
    raise last or OSError(f"无法连接 {host}:{port}")


def guarded_connection(url: str, *, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection to ``url``'s host that connects only where the policy allows, and the
    request target (path and query). Every connection, the one after each redirect too, is made
    here, to the very address that was checked."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if parts.scheme.lower() == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    conn._create_connection = guarded_create_connection  # type: ignore[attr-defined]
    return conn, target
