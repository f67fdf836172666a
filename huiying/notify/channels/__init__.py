"""Outside channels; each module has ``send(out, target) -> Sent`` raising ``SendError``."""

from __future__ import annotations

from collections.abc import Callable

from huiying.notify.channels import dingtalk, email, sms, webhook, wecom
from huiying.notify.channels.base import Outgoing, SendError, Sent, Target

Sender = Callable[[Outgoing, Target], Sent]

SENDERS: dict[str, Sender] = {
    "email": email.send,
    "sms": sms.send,
    "wecom": wecom.send,
    "dingtalk": dingtalk.send,
    "webhook": webhook.send,
}

__all__ = ["SENDERS", "Outgoing", "SendError", "Sent", "Target"]
