"""When a partner's webhook endpoint is disabled, its organisation is told once, by e-mail to
the contact address it gave the registry: which endpoint, why, what did not arrive and how
to start again. Without an address it is not told, and the subscription says why.

The region runs in process with a real receiver and a real SMTP server on 127.0.0.1; the
notifications service asks the registry app in process for contact addresses."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from notifications.webhooks.application.telling import MAY_HAVE_GONE
from notifications.webhooks.domain.telling import LetterStatus
from notifications.webhooks.tables import letters
from tests.services.notifications.people_support import Mailbox, smtp_server
from tests.services.notifications.webhook_support import (
    Endpoint,
    Reply,
    WebhookRegion,
    eventually,
    webhook_region,
)

pytestmark = pytest.mark.timeout(60)

JOINED = "chorus.registry.ParticipantJoined.v1"
Headers = dict[str, str]


@asynccontextmanager
async def region_with_mail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           **options: Any) -> AsyncIterator[tuple[WebhookRegion, Mailbox]]:
    """The webhook region, an SMTP server, and the registry asked in process."""
    async with smtp_server(monkeypatch) as mail, \
            webhook_region(tmp_path, monkeypatch, **options) as region:
        registry_app: Any = region.registry.app
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app),
                                     base_url="http://registry") as contacts:
            service = region.notifications_app.state.service
            service.webhooks.telling.registry.http = contacts
            service.people.registry.http = contacts
            yield region, mail


@pytest.fixture
async def region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> AsyncIterator[tuple[WebhookRegion, Mailbox]]:
    async with region_with_mail(tmp_path, monkeypatch) as found:
        yield found


async def set_contact(region: WebhookRegion, organisation: str, staff: Headers,
                      email: str) -> None:
    answer = await region.registry.http.put(f"/v1/organisations/{organisation}/contact",
                                            json={"email": email}, headers=staff)
    assert answer.status_code == 200, answer.text


async def disabled_and_settled(region: WebhookRegion, staff: Headers,
                               subscription_id: str) -> dict[str, Any]:
    """The subscription once it is disabled and its organisation was told, or not."""
    async def read() -> dict[str, Any]:
        answer = await region.notifications.get(f"/v1/subscriptions/{subscription_id}",
                                                headers=staff)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def settled() -> bool:
        shown = await read()
        return shown["status"] == "disabled" and bool(
            shown["organisation_told_at"] or shown["organisation_not_told_because"])

    await eventually(settled, what="the subscription disabled and its organisation told")
    return await read()


def about(mail: Mailbox, endpoint: Endpoint) -> list[Any]:
    return [m for m in mail.received if endpoint.url in m.text]


async def test_an_endpoint_that_says_it_is_gone_is_told_once_to_its_organisation(
        region: tuple[WebhookRegion, Mailbox]) -> None:
    webhooks, mail = region
    trust, staff = await webhooks.organisation()
    await set_contact(webhooks, trust, staff, "digital@trust.example.org")
    gone = webhooks.receiver.endpoint("gone")
    gone.answer(then=Reply(410))
    subscription = await webhooks.subscribe(staff, gone, JOINED, description="Trust CRM")
    subscription_id = subscription["subscription_id"]
    await webhooks.person()

    shown = await disabled_and_settled(webhooks, staff, subscription_id)
    assert shown["disabled"]["because"] == "gone"
    assert shown["organisation_told_at"] is not None
    assert shown["organisation_not_told_because"] is None
    [letter] = mail.to("digital@trust.example.org")
    assert letter.recipients == ("digital@trust.example.org",)
    assert "Example Trust" in str(letter.message["To"])
    assert "stopped sending" in letter.subject
    text = letter.text
    assert gone.url in text and "Trust CRM" in text and subscription_id in text
    assert "410 Gone" in text and "the endpoint said it is gone" in text
    assert "1 delivery did not arrive" in text
    assert "POST /v1/subscriptions" in text and "delivery log" in text
    assert f"GET /v1/deliveries?subscription_id={subscription_id}" in text
    assert gone.url in letter.html and "the endpoint said it is gone" in letter.html

    await webhooks.person()  # nothing more is sent to it, nor said about it
    await asyncio.sleep(0.5)  # time enough to hear of the second person
    assert len(gone.requests) == 1
    assert mail.to("digital@trust.example.org") == [letter]
    assert "digital@trust.example.org" not in await webhooks.everything_stored()


async def test_an_organisation_without_an_address_is_not_told_and_the_subscription_says_why(
        region: tuple[WebhookRegion, Mailbox]) -> None:
    webhooks, mail = region
    _, staff = await webhooks.organisation("Example Carers", kind="charity")
    gone = webhooks.receiver.endpoint("carers")
    gone.answer(then=Reply(410))
    subscription = await webhooks.subscribe(staff, gone, JOINED)
    await webhooks.person()

    shown = await disabled_and_settled(webhooks, staff, subscription["subscription_id"])
    assert shown["organisation_told_at"] is None
    assert "no contact e-mail address" in shown["organisation_not_told_because"]
    assert about(mail, gone) == []


async def test_an_endpoint_failing_too_long_is_told_with_the_last_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHORUS_WEBHOOK_DISABLE_AFTER", "1")
    async with region_with_mail(tmp_path, monkeypatch, schedule="0,0.6,0.6,0.6") as (
            webhooks, mail):
        trust, staff = await webhooks.organisation()
        await set_contact(webhooks, trust, staff, "digital@trust.example.org")
        broken = webhooks.receiver.endpoint("broken")
        broken.answer(then=Reply(503))
        subscription = await webhooks.subscribe(staff, broken, JOINED)
        await webhooks.person()

        shown = await disabled_and_settled(webhooks, staff, subscription["subscription_id"])
        assert shown["disabled"]["because"] == "failing"
        [letter] = await mail.holds(1)
        assert broken.url in letter.text
        assert "failed for one second" in letter.text and "HTTP 503" in letter.text


async def test_an_email_left_sending_by_a_stopped_process_is_never_sent_again(
        region: tuple[WebhookRegion, Mailbox]) -> None:
    webhooks, mail = region
    trust, staff = await webhooks.organisation()
    await set_contact(webhooks, trust, staff, "digital@trust.example.org")
    telling = webhooks.notifications_app.state.service.webhooks.telling
    gone = webhooks.receiver.endpoint("gone")
    gone.answer(then=Reply(410))
    held = telling.mailer

    class Broken:
        async def send(self, message: Any) -> None:
            raise RuntimeError("the mail library broke")

    telling.mailer = Broken()
    subscription = await webhooks.subscribe(staff, gone, JOINED)
    await webhooks.person()
    shown = await disabled_and_settled(webhooks, staff, subscription["subscription_id"])
    assert "unexpected error" in shown["organisation_not_told_because"]  # and never again

    telling.mailer = held
    async with webhooks.notifications_app.state.runtime.db.transaction() as tx:
        await tx.conn.execute(update(letters).values(  # as a stopped process leaves it
            status=LetterStatus.SENDING, reason=None,
            claimed_until=telling.clock() - timedelta(seconds=1)))
    await telling.step()
    shown = await disabled_and_settled(webhooks, staff, subscription["subscription_id"])
    assert shown["organisation_not_told_because"] == MAY_HAVE_GONE
    assert mail.to("digital@trust.example.org") == []
