"""The e-mail that tells an organisation one of its webhook endpoints was disabled, from the
Jinja2 templates in `webhooks/templates` (plain text, and HTML autoescaped)."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from chorus.contracts.vocabulary import DisabledBecause
from notifications.webhooks.domain.telling import in_words

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, kw_only=True)
class DisabledEndpoint:
    """What the e-mail says: which endpoint, why it was disabled, what did not arrive."""

    organisation: str
    subscription_id: UUID
    url: str
    description: str | None
    because: DisabledBecause
    detail: str | None  # the last attempt's reason
    disabled_at: datetime
    undelivered: int  # deliveries that did not arrive: in its delivery log


class EndpointLetters:
    def __init__(self, zone: ZoneInfo, *, mail_from: str, failing_for: timedelta,
                 timeout: float) -> None:
        self.zone = zone
        self.mail_from = mail_from
        self.failing_for = in_words(failing_for)
        self.timeout = timeout
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                               autoescape=select_autoescape(["html"]), trim_blocks=True,
                               lstrip_blocks=True)
        self.env.filters["moment"] = self._moment

    def email(self, address: str, endpoint: DisabledEndpoint) -> EmailMessage:
        """The e-mail to `address`: plain text with an HTML alternative. ValueError if the
        address is not one an e-mail can go to."""
        facts = self._facts(endpoint)
        text: Any = self.env.get_template("endpoint_disabled.txt").module
        subject = " ".join(str(text.subject(facts)).split())
        message = EmailMessage()
        message["From"] = self.mail_from
        try:
            message["To"] = Address(display_name=facts["organisation"], addr_spec=address)
        except HeaderParseError as error:
            raise ValueError(f"not an address an e-mail can go to: {error}") from None
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="chorus.localhost")
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(str(text.body(facts)).strip() + "\n")
        message.add_alternative(self.env.get_template("endpoint_disabled.html").render(
            f=facts, title=subject), subtype="html")
        return message

    def _facts(self, endpoint: DisabledEndpoint) -> dict[str, Any]:
        return {**asdict(endpoint), "organisation": " ".join(endpoint.organisation.split()),
                "failing_for": self.failing_for, "timeout": f"{self.timeout:g}"}

    def _moment(self, value: datetime) -> str:
        """'Tuesday 14 May at 10:00'."""
        local = value.astimezone(self.zone)
        return f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"
