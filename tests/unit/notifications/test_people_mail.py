"""The e-mail and registry adapters: without an SMTP host mail goes to a Maildir in the data
directory; which SMTP failures are worth trying again; and contact details fetched with a
service token that is kept until shortly before it expires."""

import mailbox
import socket
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

import aiosmtplib
import httpx
import pytest

from notifications.people.adapters.mail import (
    MaildirMailer,
    MailFailed,
    SmtpMailer,
    _failure,
    mailer_for,
)
from notifications.people.adapters.registry import (
    RegistryContacts,
    RegistryUnavailable,
    Unreachable,
)
from notifications.settings import NotificationSettings


def message() -> EmailMessage:
    letter = EmailMessage()
    letter["From"] = "Chorus <no-reply@chorus.localhost>"
    letter["To"] = "Sam Example <sam@example.org>"
    letter["Subject"] = "Your expenses have been paid"
    letter.set_content("Hello Sam,\n\nCarers Leeds has paid your expenses of £12.50.\n")
    return letter


async def test_without_an_smtp_host_mail_is_kept_in_a_maildir(tmp_path: Path) -> None:
    mailer = mailer_for(NotificationSettings(smtp_host=None), tmp_path)
    assert isinstance(mailer, MaildirMailer) and mailer.directory == tmp_path / "mail"
    await mailer.send(message())
    await mailer.send(message())
    kept = list(mailbox.Maildir(tmp_path / "mail", create=False))
    assert len(kept) == 2
    assert kept[0]["Subject"] == "Your expenses have been paid"
    body = kept[0].get_payload(decode=True)
    assert isinstance(body, bytes) and "£12.50" in body.decode()


def test_with_an_smtp_host_mail_goes_by_smtp(tmp_path: Path) -> None:
    settings = NotificationSettings(smtp_host="127.0.0.1", smtp_port=2525)
    assert isinstance(mailer_for(settings, tmp_path), SmtpMailer)


@pytest.mark.parametrize(("error", "temporary"), [
    (aiosmtplib.SMTPConnectError("refused"), True),
    (aiosmtplib.SMTPResponseException(451, "try later"), True),
    (aiosmtplib.SMTPResponseException(554, "no"), False),
    (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "busy", "a@b")]),
     True),
    (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no such", "a@b")]),
     False),
    (aiosmtplib.SMTPReadTimeoutError("slow"), False),  # may have arrived: never again
    (aiosmtplib.SMTPServerDisconnected("gone"), False),
])
def test_only_failures_that_certainly_sent_nothing_are_tried_again(
        error: aiosmtplib.SMTPException, temporary: bool) -> None:
    assert _failure(error).temporary is temporary


async def test_an_unreachable_smtp_server_is_a_temporary_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: the connection is refused
        mailer = SmtpMailer(NotificationSettings(smtp_host="127.0.0.1", smtp_port=port,
                                                 smtp_starttls=False))
        with pytest.raises(MailFailed) as failed:
            await mailer.send(message())
    assert failed.value.temporary


class FakeRegistry:
    def __init__(self, contact_status: int = 200) -> None:
        self.exchanges = 0
        self.contact_status = contact_status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/token":
            self.exchanges += 1
            return httpx.Response(200, json={"access_token": f"t{self.exchanges}",
                                             "expires_in": 900})
        assert request.headers["authorization"] == f"Bearer t{self.exchanges}"
        if self.contact_status == 200:
            return httpx.Response(200, json={
                "participant_id": str(uuid4()), "name": "Sam Example",
                "email": "sam@example.org", "phone": None, "channels": ["email"],
                "fetched_at": "2024-01-01T00:00:00Z"})
        return httpx.Response(self.contact_status, json={
            "detail": "participant is paused: they must not be contacted"})


async def test_contact_details_come_with_a_kept_service_token() -> None:
    fake = FakeRegistry()
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        contacts = RegistryContacts("http://registry", "chorus_service_key", http=http)
        first = await contacts.contact(uuid4())
        await contacts.contact(uuid4())
    assert first.email == "sam@example.org" and first.channels == {"email"}
    assert fake.exchanges == 1


@pytest.mark.parametrize("status", [404, 410])
async def test_someone_the_registry_will_not_give_out_is_unreachable(status: int) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(FakeRegistry(status))) as http:
        with pytest.raises(Unreachable, match="paused"):
            await RegistryContacts("http://registry", "key", http=http).contact(uuid4())


async def test_a_registry_in_trouble_means_try_later() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(FakeRegistry(503))) as http:
        with pytest.raises(RegistryUnavailable):
            await RegistryContacts("http://registry", "key", http=http).contact(uuid4())
    with pytest.raises(RegistryUnavailable):
        await RegistryContacts("http://registry", None).contact(uuid4())


class FakeOrganisations:
    """The registry's organisation contact route: answers `statuses` in turn, then 200."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.exchanges = 0
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/token":
            self.exchanges += 1
            return httpx.Response(200, json={"access_token": f"t{self.exchanges}",
                                             "expires_in": 900})
        self.asked.append(request.url.path)
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            assert request.headers["authorization"] == f"Bearer t{self.exchanges}"
            return httpx.Response(200, json={"organisation_id": str(uuid4()),
                                             "name": "Example Trust",
                                             "email": "digital@trust.example.org"})
        return httpx.Response(status, json={"detail": "organisation x has no contact e-mail "
                                                      "address"})


async def test_an_organisations_address_comes_with_the_kept_service_token() -> None:
    fake = FakeOrganisations()
    organisation_id = uuid4()
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        contacts = RegistryContacts("http://registry/", "chorus_service_key", http=http)
        first = await contacts.organisation_contact(organisation_id)
        await contacts.organisation_contact(uuid4())
    assert (first.name, first.email) == ("Example Trust", "digital@trust.example.org")
    assert fake.asked[0] == f"/internal/v1/organisations/{organisation_id}/contact"
    assert fake.exchanges == 1


async def test_a_refused_token_is_renewed_once() -> None:
    fake = FakeOrganisations(401)
    async with httpx.AsyncClient(transport=httpx.MockTransport(fake)) as http:
        contact = await RegistryContacts("http://registry", "key", http=http
                                         ).organisation_contact(uuid4())
    assert contact.email == "digital@trust.example.org" and fake.exchanges == 2


async def test_an_organisation_without_an_address_is_unreachable() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(FakeOrganisations(404))) as http:
        with pytest.raises(Unreachable, match="no contact e-mail address"):
            await RegistryContacts("http://registry", "key", http=http).organisation_contact(
                uuid4())


@pytest.mark.parametrize("statuses", [(503,), (401, 401)])
async def test_a_registry_that_cannot_say_means_try_later(statuses: tuple[int, ...]) -> None:
    transport = httpx.MockTransport(FakeOrganisations(*statuses))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(RegistryUnavailable):
            await RegistryContacts("http://registry", "key", http=http).organisation_contact(
                uuid4())


async def test_an_odd_answer_means_try_later() -> None:
    def odd(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})
        return httpx.Response(200, content=b"<html>not json</html>")

    async with httpx.AsyncClient(transport=httpx.MockTransport(odd)) as http:
        with pytest.raises(RegistryUnavailable, match="unexpected"):
            await RegistryContacts("http://registry", "key", http=http).organisation_contact(
                uuid4())
