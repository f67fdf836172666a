"""WeCom (企业微信) group robot: a JSON ``markdown`` message posted to the robot's webhook URL."""

from __future__ import annotations

from huiying.notify.channels.base import Outgoing, Sent, Target, json_bytes, post, robot_errcode

WECOM_MAX = 4000  # the robot takes at most 4096 bytes of markdown


def _markdown(out: Outgoing) -> str:
    lines = [f"**{'【紧急】' if out.urgent else ''}{out.subject}**", "", out.body]
    if out.link:
        lines += ["", f"[打开查看]({out.link})"]
    text = "\n".join(lines)
    while len(text.encode("utf-8")) > WECOM_MAX:
        text = text[: int(len(text) * 0.9)]
    return text


def send(out: Outgoing, target: Target) -> Sent:
    payload = {"msgtype": "markdown", "markdown": {"content": _markdown(out)}}
    response = post(
        target.address,
        data=json_bytes(payload),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Huiying-Message-Id": out.message_key,
        },
    )
    robot_errcode(response)
    return Sent(code=response.status_code)
