"""Real servers on 127.0.0.1 for the channel tests: an HTTP receiver and a small SMTP server.

The HTTP receiver records every request (path, query, headers, body) and answers according to
the path: ``/ok`` 200 {"errcode": 0}, ``/fail`` 500, ``/slow`` after ``slow_seconds``,
``/robot-error`` 200 {"errcode": 310000}. The SMTP server speaks enough of RFC 5321 for
smtplib (EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps what it got.
"""

from __future__ import annotations

import base64
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Receiver:
    base: str = ""
    seen: list[Request] = field(default_factory=list)
    slow_seconds: float = 2.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path

    def on(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.seen if r.path == path]


class _HTTPHandler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        receiver: Receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        with receiver.lock:
            receiver.seen.append(
                Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
            )
        if parts.path == "/fail":
            self._answer(500, {"error": "boom"})
        elif parts.path == "/slow":
            time.sleep(receiver.slow_seconds)
            self._answer(200, {"errcode": 0})
        elif parts.path == "/robot-error":
            self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
        elif parts.path == "/gone":
            self._answer(404, {"error": "no such hook"})
        else:
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

    do_POST = _handle
    do_GET = _handle
    do_PUT = _handle


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HTTPHandler)
    server.daemon_threads = True
    rec = Receiver(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.receiver = rec  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    host: str = "127.0.0.1"
    port: int = 0
    mails: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


class _SMTPHandler(socketserver.StreamRequestHandler):
    server: Any

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox
        sender, rcpts = "", list[str]()
        self._say("220 loopback ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-loopback\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
                self.wfile.flush()
            elif verb == "HELO":
                self._say("250 loopback")
            elif verb == "AUTH":
                parts = line.split()
                decoded = base64.b64decode(parts[2]).split(b"\0") if len(parts) > 2 else []
                if len(decoded) == 3:
                    box.logins.append((decoded[1].decode(), decoded[2].decode()))
                self._say("235 ok")
            elif verb == "MAIL":
                sender, rcpts = line.split(":", 1)[1].split()[0].strip("<>"), []
                self._say("250 ok")
            elif verb == "RCPT":
                address = line.split(":", 1)[1].split()[0].strip("<>")
                if address.startswith("nobody@"):
                    self._say("550 no such user")
                else:
                    rcpts.append(address)
                    self._say("250 ok")
            elif verb == "DATA":
                self._say("354 go ahead")
                data = b""
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    if chunk.startswith(b".."):
                        chunk = chunk[1:]
                    data += chunk
                mail = message_from_bytes(data, policy=policy.default)
                box.mails.append((sender, rcpts, mail))  # type: ignore[arg-type]
                self._say("250 queued")
            elif verb in ("RSET", "NOOP"):
                self._say("250 ok")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    box = Mailbox(port=server.server_address[1])
    server.mailbox = box  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        server.shutdown()
        server.server_close()
