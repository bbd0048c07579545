"""The words of each notice and the e-mails that carry them, from the Jinja2 templates in
`people/templates` (HTML autoescaped).

A notice's title and plain text are written when the notice is made and kept (the inbox
shows them as sent); the greeting by name is added only to the e-mail, at send time.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from notifications.people.domain.notices import NoticeKind, pounds

TEMPLATES = Path(__file__).parents[1] / "templates"


@dataclass(frozen=True)
class Wording:
    title: str
    text: str


@dataclass(frozen=True)
class Told:
    """One notice as a digest lists it."""

    kind: NoticeKind
    facts: Mapping[str, Any]
    title: str
    text: str


class Letters:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                               autoescape=select_autoescape(["html"]), trim_blocks=True,
                               lstrip_blocks=True)
        self.env.filters.update(pounds=pounds, day=self._day, moment=self._moment,
                                names=_names, offer=_offer)

    def wording(self, kind: NoticeKind, facts: Mapping[str, Any]) -> Wording:
        """The title and plain text of a notice."""
        module = self.env.get_template("notices.txt").module
        title = str(getattr(module, f"{kind}_title")(facts)).strip()
        return Wording(" ".join(title.split()), str(getattr(module, kind)(facts)).strip())

    def html(self, kind: NoticeKind, facts: Mapping[str, Any]) -> Markup:
        """The body of a notice as HTML."""
        return Markup(getattr(self.env.get_template("notices.html").module, kind)(facts))

    def digest(self, frequency: str, told: Sequence[Told]) -> Wording:
        entries = [{"title": t.title, "text": t.text} for t in told]
        return self.wording(NoticeKind.DIGEST, {"frequency": frequency, "entries": entries})

    def digest_html(self, told: Sequence[Told]) -> Markup:
        entries = [{"title": t.title, "body": self.html(t.kind, t.facts)} for t in told]
        return Markup(self.env.get_template("digest.html").render(entries=entries))

    def email(self, *, sender: str, name: str, address: str, wording: Wording,
              html: Markup) -> EmailMessage:
        """The e-mail: plain text, with an HTML alternative. ValueError if the address is not
        one an e-mail can go to."""
        message = EmailMessage()
        message["From"] = sender
        try:
            message["To"] = Address(display_name=" ".join(name.split()), addr_spec=address)
        except HeaderParseError as error:
            raise ValueError(f"not an address an e-mail can go to: {error}") from error
        message["Subject"] = wording.title
        message["Message-ID"] = make_msgid(domain="chorus.localhost")
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(self.env.get_template("email.txt").render(
            name=name, body=wording.text))
        message.add_alternative(self.env.get_template("email.html").render(
            name=name, title=wording.title, body=html), subtype="html")
        return message

    def _local(self, value: str | datetime) -> datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(self.zone)

    def _day(self, value: str | datetime) -> str:
        """'Tuesday 14 May'."""
        local = self._local(value)
        return f"{local:%A} {local.day} {local:%B}"

    def _moment(self, value: str | datetime) -> str:
        """'Tuesday 14 May at 10:00'."""
        return f"{self._day(value)} at {self._local(value):%H:%M}"


def _offer(title: str | None) -> str:
    """An opportunity's title in quotes, or a plain phrase if it is not known yet."""
    return f"“{title}”" if title else "one of its opportunities"


def _names(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
