"""E-mail over SMTP (HUIYING_SMTP_HOST/PORT/USER/PASSWORD/TLS/FROM)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from django.conf import settings

from huiying.notify.channels.base import Outgoing, SendError, Sent, Target, timeout


def send(out: Outgoing, target: Target) -> Sent:
    host = getattr(settings, "HUIYING_SMTP_HOST", "")
    if not host:
        raise SendError("HUIYING_SMTP_HOST is not set", retry=False)
    port = int(getattr(settings, "HUIYING_SMTP_PORT", 25))
    tls = str(getattr(settings, "HUIYING_SMTP_TLS", "")).lower()  # "", "starttls", "ssl"
    sender = getattr(settings, "HUIYING_SMTP_FROM", "") or f"huiying@{host}"
    mail = EmailMessage()
    mail["Subject"] = out.subject
    mail["From"] = sender
    mail["To"] = target.address
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(idstring=out.message_key.replace(":", "."), domain="huiying")
    mail["X-Huiying-Message-Id"] = out.message_key
    if out.urgent:
        mail["X-Priority"] = "1"
    mail.set_content("\n\n".join(p for p in (out.body, out.link) if p) or out.subject)
    try:
        if tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout(), context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=timeout())
        with client:
            if tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            user = getattr(settings, "HUIYING_SMTP_USER", "")
            if user:
                client.login(user, getattr(settings, "HUIYING_SMTP_PASSWORD", ""))
            refused = client.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(f"recipient refused: {exc.recipients}", retry=False) from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
            code=exc.smtp_code,
            retry=exc.smtp_code >= 400 and exc.smtp_code < 500,
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from None
    if refused:
        raise SendError(f"recipient refused: {refused}", retry=False)
    return Sent(code=250)
