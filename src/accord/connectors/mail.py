"""Outbound email over SMTP, with the host and credentials from settings."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from accord.errors import SetupError
from accord.settings import Settings


class Mailer:
    """Sends one email at a time through the configured SMTP server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, to: str, subject: str, body: str, *, headers: dict[str, str] | None = None) -> str:
        """Send a plain-text email; returns its Message-ID. SMTP failures become one SetupError line."""
        settings = self.settings
        if settings.smtp_host is None:
            raise SetupError("email cannot be sent: ACCORD_SMTP_HOST is not set")
        # Long headers such as List-Unsubscribe must stay readable URLs, not RFC 2047 encoded-words.
        message = EmailMessage(policy=SMTP.clone(max_line_length=998))
        message["From"] = settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = message_id = make_msgid(domain="accord.local")
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise SetupError(f"email to {to} was not sent: SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from None
        return message_id
