"""Sending e-mail: through an SMTP relay (aiosmtplib), or, when no relay is set (development,
`make run`), into a Maildir in the data directory that a developer can read
(`python -m mailbox` or any mail reader).

Whether a failure may be tried again: only when the mail server certainly did not take the
message (it could not be reached, or it answered with a 4xx "try later"). A timeout or a
dropped connection after the message was handed over is not retried, since it may have
arrived.
"""

import asyncio
import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

from notifications.settings import NotificationSettings

TIMEOUT = 30.0


class MailFailed(Exception):
    """The message did not go; `temporary` says whether trying again later may help."""

    def __init__(self, reason: str, *, temporary: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand the message over; MailFailed if it did not go."""
        ...


class SmtpMailer:
    def __init__(self, settings: NotificationSettings) -> None:
        assert settings.smtp_host
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                message, hostname=s.smtp_host, port=s.smtp_port, username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                start_tls=s.smtp_starttls, timeout=TIMEOUT)
        except aiosmtplib.SMTPException as error:
            raise _failure(error) from error
        except OSError as error:
            raise MailFailed(f"mail server unreachable: {type(error).__name__}",
                             temporary=True) from error


def _failure(error: aiosmtplib.SMTPException) -> MailFailed:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in error.recipients]
        return MailFailed(f"recipient refused ({', '.join(map(str, codes))})",
                          temporary=all(400 <= code < 500 for code in codes))
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return MailFailed(f"mail server answered {error.code}",
                          temporary=400 <= error.code < 500)
    if isinstance(error, aiosmtplib.SMTPConnectError):  # includes a connect timeout
        return MailFailed("mail server unreachable", temporary=True)
    if isinstance(error, aiosmtplib.SMTPTimeoutError):
        return MailFailed("mail server timed out", temporary=False)
    return MailFailed(f"mail server error: {type(error).__name__}", temporary=False)


class MaildirMailer:
    """Keeps each message in a Maildir instead of sending it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._keep, message)

    def _keep(self, message: EmailMessage) -> None:
        for folder in ("tmp", "new", "cur"):
            (self.directory / folder).mkdir(parents=True, exist_ok=True)
        box = mailbox.Maildir(self.directory, create=False)
        try:
            box.add(message)
        finally:
            box.close()


def mailer_for(settings: NotificationSettings, data_dir: Path) -> Mailer:
    """SMTP when a relay is set; else the Maildir `<data_dir>/mail`."""
    if settings.smtp_host:
        return SmtpMailer(settings)
    return MaildirMailer(data_dir / "mail")
