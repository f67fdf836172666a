"""The polite client against a real server on 127.0.0.1: limits, redirects, encodings."""

from __future__ import annotations

import contextlib
import gzip
import time

import pytest

from huiying.monitoring.collectors.encoding import decode_document
from huiying.monitoring.fetch import USER_AGENT, FetchError, FetchPolicy, HttpClient
from huiying.monitoring.tests.support_http import LocalSite, Page, site_fixture  # noqa: F401 - fixture

CHINESE = "南通市崇川区濠河边烧烤店油烟扰民，居民反映多次未果。王喆、李堃留言。"


def client(site: LocalSite, **policy: float | int) -> HttpClient:
    return HttpClient(FetchPolicy(**policy), [site.base_url])  # type: ignore[arg-type]


def test_get_sends_our_user_agent_and_decodes(site: LocalSite) -> None:
    site.page("/a", f"<html><body>{CHINESE}</body></html>")
    response = client(site).get(site.url("/a"))
    assert response.status == 200 and CHINESE in response.text()
    assert site.seen[0].headers["user-agent"] == USER_AGENT
    assert "huiying" in USER_AGENT


def test_conditional_get_gives_304(site: LocalSite) -> None:
    site.page(
        "/feed", "<rss/>", etag='"abc"', headers={"Last-Modified": "Sat, 04 May 2024 02:00:00 GMT"}
    )
    c = client(site)
    first = c.get(site.url("/feed"))
    assert first.etag == '"abc"' and first.last_modified.startswith("Sat, 04 May")
    again = c.get(site.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.body == b""
    assert site.seen[1].headers["if-none-match"] == '"abc"'
    assert site.seen[1].headers["if-modified-since"] == first.last_modified


def test_server_error_is_a_clear_error(site: LocalSite) -> None:
    site.page("/boom", "oops", status=500)
    with pytest.raises(FetchError, match=r"站点服务器出错（HTTP 500）") as info:
        client(site).get(site.url("/boom"))
    assert info.value.status == 500
    with pytest.raises(FetchError, match="页面不存在"):
        client(site).get(site.url("/missing"))


def test_redirects_are_followed_up_to_five(site: LocalSite) -> None:
    for n in range(5):
        site.page(f"/r{n}", "", status=302, headers={"Location": f"/r{n + 1}"})
    site.page("/r5", "终点")
    response = client(site).get(site.url("/r0"))
    assert response.url == site.url("/r5") and response.text() == "终点"
    site.page("/r5", "", status=301, headers={"Location": "/r6"})
    site.page("/r6", "太远")
    with pytest.raises(FetchError, match="重定向次数超过 5 次"):
        client(site).get(site.url("/r0"))


def test_redirect_loop_is_named(site: LocalSite) -> None:
    site.page("/a", "", status=302, headers={"Location": "/b"})
    site.page("/b", "", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="重定向循环") as info:
        client(site).get(site.url("/a"))
    assert "/a → " in str(info.value)
    assert site.paths() == ["/a", "/b"]


def test_never_leaves_the_configured_site(site: LocalSite) -> None:
    site.page("/away", "", status=302, headers={"Location": "http://127.0.0.2:9/steal"})
    with pytest.raises(FetchError, match="不在本监测源允许访问的站点范围内"):
        client(site).get(site.url("/away"))
    with pytest.raises(FetchError, match="不在本监测源允许访问的站点范围内"):
        client(site).get("file:///etc/passwd")
    other_port = HttpClient(FetchPolicy(), ["http://127.0.0.1:1/"])
    with pytest.raises(FetchError, match="允许访问"):
        other_port.get(site.url("/away"))
    assert site.paths() == ["/away"]


def test_declared_fifty_megabytes_fails_before_reading(site: LocalSite) -> None:
    written: list[int] = []

    def huge(handler: object) -> None:
        h = handler  # the server claims 50 MB and tries to send them
        h.send_response(200)  # type: ignore[attr-defined]
        h.send_header("Content-Type", "text/html")  # type: ignore[attr-defined]
        h.send_header("Content-Length", str(50 * 1024 * 1024))  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        chunk = b"x" * 65536
        try:
            for _ in range(800):
                h.wfile.write(chunk)  # type: ignore[attr-defined]
                written.append(len(chunk))
        except OSError:
            pass

    site.route("/huge", huge)
    with pytest.raises(FetchError, match=r"页面超过大小上限 5\.0 MB（声明大小 50\.0 MB）"):
        client(site).get(site.url("/huge"))


def test_streamed_fifty_megabytes_stops_at_the_limit(site: LocalSite) -> None:
    written: list[int] = []

    def endless(handler: object) -> None:
        h = handler  # no Content-Length: the body only ends when the connection closes
        h.send_response(200)  # type: ignore[attr-defined]
        h.send_header("Content-Type", "text/html")  # type: ignore[attr-defined]
        h.send_header("Connection", "close")  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        chunk = b"y" * 65536
        try:
            for _ in range(800):  # 50 MB
                h.wfile.write(chunk)  # type: ignore[attr-defined]
                written.append(len(chunk))
        except OSError:
            pass
        h.close_connection = True  # type: ignore[attr-defined]

    site.route("/endless", endless)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"页面超过大小上限 5\.0 MB，已中止读取"):
        client(site).get(site.url("/endless"))
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    # The server could push at most what the socket buffers held beyond our 5 MB.
    assert sum(written) < 20 * 1024 * 1024


def test_gzip_bomb_is_bounded(site: LocalSite) -> None:
    bomb = gzip.compress(b"\0" * (8 * 1024 * 1024))
    site.page("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="页面超过大小上限"):
        client(site, max_bytes=1024 * 1024).get(site.url("/bomb"))
    site.page("/small", gzip.compress(CHINESE.encode()), headers={"Content-Encoding": "gzip"})
    assert client(site).get(site.url("/small")).text() == CHINESE
    assert site.seen[-1].headers["accept-encoding"] == "gzip"


def test_slow_server_times_out(site: LocalSite) -> None:
    def slow(handler: object) -> None:
        time.sleep(1.5)  # answers, but long after the client's deadline
        with contextlib.suppress(OSError):
            handler.send(Page(b"late"))  # type: ignore[attr-defined]

    site.route("/slow", slow)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"连接或读取超时（超过 0\.3 秒）"):
        client(site, timeout=0.3).get(site.url("/slow"))
    assert time.monotonic() - started < 1.2


def test_dripping_server_hits_the_total_deadline(site: LocalSite) -> None:
    def drip(handler: object) -> None:
        h = handler
        h.send_response(200)  # type: ignore[attr-defined]
        h.send_header("Content-Length", "100")  # type: ignore[attr-defined]
        h.end_headers()  # type: ignore[attr-defined]
        try:
            for _ in range(100):
                h.wfile.write(b"x")  # type: ignore[attr-defined]
                h.wfile.flush()  # type: ignore[attr-defined]
                time.sleep(0.05)
        except OSError:
            pass

    site.route("/drip", drip)
    started = time.monotonic()
    with pytest.raises(FetchError, match="超时"):
        client(site, timeout=0.5).get(site.url("/drip"))
    assert time.monotonic() - started < 1.5  # each byte came in time; the whole did not


def test_connection_refused_is_clear() -> None:
    c = HttpClient(FetchPolicy(timeout=2), ["http://127.0.0.1:9/"])
    with pytest.raises(FetchError, match="连接被拒绝|网络连接出错"):
        c.get("http://127.0.0.1:9/")


def test_delay_between_requests(site: LocalSite) -> None:
    site.page("/p", "x")
    c = client(site, delay=0.2)
    started = time.monotonic()
    for _ in range(3):
        c.get(site.url("/p"))
    assert time.monotonic() - started >= 0.4 and c.requests == 3


# --- encodings ----------------------------------------------------------------------------


def test_page_that_says_utf8_but_is_gbk(site: LocalSite) -> None:
    html = f'<html><head><meta charset="utf-8"></head><body>{CHINESE}</body></html>'
    site.page("/liar", html.encode("gbk"), content_type="text/html; charset=utf-8")
    assert CHINESE in client(site).get(site.url("/liar")).text()


def test_gb2312_is_read_as_gb18030(site: LocalSite) -> None:
    # 喆 and 堃 are not in GB2312; boards that say gb2312 use them all the same.
    html = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>{CHINESE}</body></html>'
    site.page("/old", html.encode("gb18030"), content_type="text/html")
    text = client(site).get(site.url("/old")).text()
    assert CHINESE in text and "\ufffd" not in text


def test_meta_charset_without_http_charset(site: LocalSite) -> None:
    html = f'<html><head><meta charset="GBK"></head><body>{CHINESE}</body></html>'
    site.page("/meta", html.encode("gbk"), content_type="text/html")
    assert CHINESE in client(site).get(site.url("/meta")).text()


def test_http_charset_beats_meta(site: LocalSite) -> None:
    html = f'<html><head><meta charset="utf-8"></head><body>{CHINESE}</body></html>'
    site.page("/hdr", html.encode("gb18030"), content_type="text/html; charset=GB18030")
    assert CHINESE in client(site).get(site.url("/hdr")).text()


@pytest.mark.parametrize("declared", [[], ["iso-8859-1"], ["no-such-charset"], ["utf-8"]])
def test_undeclared_or_wrong_gbk_is_detected(declared: list[str]) -> None:
    body = f"<html><body><p>{CHINESE}</p></body></html>".encode("gbk")
    decoded = decode_document(body, declared)
    assert CHINESE in decoded.text and decoded.encoding == "gb18030"


def test_declared_gbk_but_utf8() -> None:
    body = f'<html><head><meta charset="gbk"></head><body>{CHINESE}</body></html>'.encode()
    decoded = decode_document(body)
    assert CHINESE in decoded.text and decoded.encoding == "utf-8" and decoded.declared_wrong


def test_bom_wins() -> None:
    body = "\ufeff".encode() + CHINESE.encode()
    assert decode_document(body, ["gbk"]).text == CHINESE
