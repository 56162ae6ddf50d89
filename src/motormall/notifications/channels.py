"""The ways out: e-mail through SMTP (stdlib smtplib) and text messages through a provider.

Each sender raises `DeliveryFailed` with a short reason the outbox keeps; the job retries.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger("motormall.notifications")


class DeliveryFailed(Exception):
    """The channel did not take the message; worth another try later."""


class Mailer:
    """SMTP from a URL: `smtp://[user:password@]host[:port][?starttls=true]` or `smtps://...`."""

    def __init__(self, url: str, sender: str, *, timeout: float = 20):
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("MOTORMALL_SMTP_URL must look like smtp://host:port")
        self.tls = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["false"])[0] in {"1", "true"}
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.timeout = timeout

    def send(self, *, to: str, subject: str, text: str, language: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="motormall")
        message.set_content(text)
        message["Content-Language"] = language  # after set_content, which drops Content-*
        try:
            if self.tls:
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # the kind of failure only: server replies may quote addresses
            raise DeliveryFailed(f"smtp: {type(exc).__name__}") from None


class SmsSender(Protocol):
    """A text-message provider: takes an E.164 number and the text, or raises DeliveryFailed."""

    def send(self, *, to: str, text: str) -> None: ...


class LoggingSms:
    """Writes text messages to the log instead of a carrier (development and demos)."""

    def send(self, *, to: str, text: str) -> None:
        log.info("sms to %s: %s", to, text)


def sms_sender(name: str) -> SmsSender | None:
    """The configured provider (`MOTORMALL_SMS_PROVIDER`); None switches text messages off."""
    if name == "log":
        return LoggingSms()
    if name in {"", "off"}:
        return None
    raise ValueError(f"unknown SMS provider {name!r}: use 'log' or 'off'")
