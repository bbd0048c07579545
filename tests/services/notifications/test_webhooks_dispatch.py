"""The dispatcher's claim, against SQLite and PostgreSQL: two instances never lease the same
attempt, each subscription's deliveries about one aggregate go one at a time and in order,
and an attempt whose instance died is made again once its lease runs out."""

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select

from chorus.auth import Principal, Role
from chorus.crypto import KeyRing, MasterKey
from chorus.envelope import Envelope
from chorus.migrations import upgrade
from chorus.store import Database, EventStore
from notifications.bootstrap import service as notifications
from notifications.messaging import to_public
from notifications.webhooks.addresses import AddressPolicy
from notifications.webhooks.application.claims import Claimed, Claims
from notifications.webhooks.application.dispatcher import Dispatcher
from notifications.webhooks.application.fanout import FanOut
from notifications.webhooks.application.recording import Attempts, Rules
from notifications.webhooks.application.subscriptions import NewSubscription, Subscriptions
from notifications.webhooks.domain.delivery import Outcome, RetrySchedule
from notifications.webhooks.outbound import Outbound
from notifications.webhooks.tables import deliveries

pytestmark = pytest.mark.timeout(60)

PAUSED = "chorus.registry.ParticipantPaused.v1"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Setting:
    db: Database
    clock: Clock
    network_id: str
    dispatcher: Callable[[], Dispatcher]
    fan_out: FanOut


@pytest.fixture
async def setting(database_url: str) -> AsyncIterator[Setting]:
    db = Database(database_url)
    await upgrade(db, [notifications.migrations])
    store = EventStore(db, service="notifications", topic="chorus.notifications.events",
                       to_public=to_public)
    keys, clock = KeyRing(MasterKey(bytes(32))), Clock()
    outbound = Outbound(AddressPolicy(allow_loopback_http=True))
    subscriptions = Subscriptions(db, store, keys, outbound, clock)
    schedule = RetrySchedule((0.0, 1.0))
    attempts = Attempts(db, store, subscriptions, Rules(schedule, timedelta(days=5)), clock,
                        random.random)
    network_id, organisation_id = uuid4(), uuid4()
    staff = Principal(subject="staff", role=Role.ORG_STAFF, org_id=organisation_id,
                      network_id=network_id)
    for name in ("a", "b"):
        await subscriptions.create(NewSubscription(f"http://127.0.0.1:9/{name}", (PAUSED,)),
                                   staff)

    def dispatcher() -> Dispatcher:
        claims = Claims(db, keys, lease=Dispatcher.lease_for(1.0), per_subscription=10)
        return Dispatcher(claims, attempts, outbound, timeout=1.0, poll_interval=0.05,
                          clock=clock)

    fan_out = FanOut(subscriptions, schedule, clock, random.random, dispatcher().wake)
    yield Setting(db, clock, str(network_id), dispatcher, fan_out)
    await outbound.aclose()
    await db.dispose()


async def hear(setting: Setting, *subjects: str) -> None:
    async with setting.db.transaction() as tx:
        for sequence, subject in enumerate(subjects, start=1):
            await setting.fan_out.heard(tx, Envelope(
                type=PAUSED, source="/chorus/registry", subject=subject, sequence=sequence,
                data={"network_id": setting.network_id}))


def keys(claimed: list[Claimed]) -> list[tuple[str, str]]:
    return [(str(c.subscription_id), c.event_id) for c in claimed]


async def test_two_instances_never_lease_the_same_attempt(setting: Setting) -> None:
    await hear(setting, "person-1", "person-1", "person-2", "person-3")
    first, second = setting.dispatcher(), setting.dispatcher()
    claims = await asyncio.gather(first.claim(), second.claim())
    claimed = [c for batch in claims for c in batch]
    ids = [c.delivery_id for c in claimed]
    assert len(ids) == len(set(ids)) == 6  # two subscriptions x three aggregates
    assert all(c.secrets and c.secrets[0].startswith("whsec_") for c in claimed)
    assert await setting.dispatcher().claim() == []  # the second about person-1 waits


async def test_an_aggregates_next_delivery_waits_for_the_one_before(setting: Setting) -> None:
    await hear(setting, "person-1", "person-1")
    dispatcher = setting.dispatcher()
    earlier = await dispatcher.claim()
    assert len(earlier) == 2
    await dispatcher.attempts.record(earlier[0], Outcome(500, 3))  # retried in a second
    await dispatcher.attempts.record(earlier[1], Outcome(204, 3))
    later = await dispatcher.claim()
    assert [c.subscription_id for c in later] == [earlier[1].subscription_id]
    assert later[0].event_id != earlier[1].event_id
    setting.clock.now += timedelta(seconds=2)
    [retried] = await dispatcher.claim()
    assert retried.delivery_id == earlier[0].delivery_id and retried.attempts == 1


async def test_an_attempt_whose_instance_died_is_made_again_after_its_lease(
        setting: Setting) -> None:
    await hear(setting, "person-1")
    died = await setting.dispatcher().claim()  # and never recorded anything
    assert len(died) == 2
    survivor = setting.dispatcher()
    assert await survivor.claim() == []
    setting.clock.now += survivor.claims.lease + timedelta(seconds=1)
    again = await survivor.claim()
    assert sorted(keys(again)) == sorted(keys(died))
    assert {c.delivery_id for c in again} == {c.delivery_id for c in died}
    await survivor.attempts.record(again[0], Outcome(200, 3))
    await setting.dispatcher().attempts.record(died[0], Outcome(200, 3))  # its lease is gone
    async with setting.db.snapshot() as tx:
        attempts = (await tx.conn.execute(select(deliveries.c.attempts).where(
            deliveries.c.delivery_id == died[0].delivery_id))).scalar_one()
    assert attempts == 1
