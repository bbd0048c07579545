"""The feedback service's PostgreSQL stopped for 20 s: feedback answers 503 with a problem
body (and Retry-After) meanwhile, and comes back by itself, the same process, once the
database is back; registry, opportunities and notifications carry on all the while, their
commands accepted and their consumers consuming; and what feedback should have consumed
during the outage (people joining, opportunities published) it takes in afterwards, once.
"""

import asyncio
import itertools
import time
import uuid
from typing import Any
from uuid import UUID

import httpx
import pytest

from chorus.devservers.postgres import LocalPostgres
from tests.faults.support import (
    Chorus,
    Headers,
    anonymous_from,
    until,
)
from tests.services.feedback.conftest import answers, consultation
from tests.services.opportunities.conftest import opportunity

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.timeout(300)]

OUTAGE = 20.0  # seconds
PROBLEM_JSON = "application/problem+json"


async def test_feedback_database_stopped_for_20_s(
        chorus: Chorus, feedback_postgres: LocalPostgres) -> None:
    network = await chorus.network(f"Outage {uuid.uuid4().hex[:6]}")
    _, staff = await chorus.organisation(network, "Leeds Teaching Hospitals")
    asked = (await chorus.created("feedback", "/v1/consultations", consultation(),
                                  staff))["consultation_id"]
    respond = f"/v1/consultations/{asked}/feedback"
    feedback = chorus.process("feedback")
    pid = feedback.pid

    await asyncio.to_thread(feedback_postgres.stop)
    down_at = time.monotonic()
    outage = Outage(chorus, network, staff, respond)
    while time.monotonic() - down_at < OUTAGE:
        await outage.round()
    await asyncio.to_thread(feedback_postgres.start_again)
    back_at = time.monotonic()

    assert outage.refusals, "feedback was never asked"
    for answer in outage.refusals:
        assert answer.status_code == 503, f"{answer.request.url}: {answer.text}"
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.json()["status"] == 503 and answer.json()["title"]
        assert int(answer.headers["retry-after"]) > 0
    assert outage.slowest < 10, f"a refusal took {outage.slowest:.1f} s"
    assert outage.readiness == {503}, "feedback said it was ready without its database"
    assert outage.consumed_meanwhile == {"opportunities", "notifications"}, \
        "the other services' consumers stopped while feedback's database was away"

    addresses = (f"10.21.{n // 250}.{n % 250 + 1}" for n in itertools.count())
    accepted = await until(lambda: _accepted(chorus, respond, next(addresses)),
                           "feedback to answer again", within=60, every=0.5)
    recovered_in = time.monotonic() - back_at
    assert feedback.running and feedback.pid == pid, \
        "feedback was restarted; it should have recovered by itself"
    await until(lambda: _caught_up(chorus, network, outage), "feedback to take in what "
                "happened while its database was away", within=120)
    noted = await chorus.ids("feedback", "SELECT stream_id FROM events WHERE event_type = "
                             "'OpportunityNoted' AND data->>'network_id' = :n", n=network)
    assert sorted(noted) == sorted(f"noted-{o}" for o in outage.published), \
        "an opportunity was noted twice"
    await until(lambda: _heard_by_notifications(chorus, accepted["feedback_id"]),
                "feedback's events to flow on to notifications again", within=60)
    print(f"\n{len(outage.refusals)} requests to feedback refused with 503 in {OUTAGE:.0f} s "
          f"(slowest {outage.slowest:.2f} s) while the others took {outage.commands} "
          f"commands; feedback answered again {recovered_in:.1f} s after its database was back")


class Outage:
    """What each round during the outage asks of the services, and what came of it."""

    def __init__(self, chorus: Chorus, network: str, staff: Headers, respond: str) -> None:
        self.chorus, self.network, self.staff, self.respond = chorus, network, staff, respond
        self.refusals: list[httpx.Response] = []
        self.slowest = 0.0
        self.readiness: set[int] = set()
        self.joined: list[str] = []
        self.published: list[str] = []
        self.commands = 0
        self.consumed_meanwhile: set[str] = set()

    async def round(self) -> None:
        await self._ask_feedback()
        await self._carry_on()
        await self._look_at_consumers()

    async def _ask_feedback(self) -> None:
        chorus, n = self.chorus, len(self.refusals)
        for ask in (chorus.post("feedback", self.respond, answers(),
                                anonymous_from(f"10.20.0.{n % 250 + 1}")),
                    chorus.http.get(chorus.url("feedback") + self.respond.removesuffix(
                        "/feedback"), headers=self.staff)):
            started = time.monotonic()
            self.refusals.append(await ask)
            self.slowest = max(self.slowest, time.monotonic() - started)
        ready = await chorus.http.get(chorus.url("feedback") + "/healthz/ready")
        self.readiness.add(ready.status_code)

    async def _carry_on(self) -> None:
        chorus = self.chorus
        email = f"outage{len(self.joined)}.{uuid.uuid4().hex[:8]}@example.org"
        self.joined.append(await chorus.join(self.network, email))
        self.published.append((await chorus.created(
            "opportunities", "/v1/opportunities", opportunity(), self.staff))["opportunity_id"])
        await chorus.created("notifications", "/v1/subscriptions", {
            "url": "http://127.0.0.1:9/unused",
            "event_types": ["chorus.feedback.LearningShared.v1"]},
            self.staff)
        self.commands += 3

    async def _look_at_consumers(self) -> None:
        first = UUID(self.joined[0])
        if await self.chorus.ids("opportunities", "SELECT participant_id FROM pool_members "
                                 "WHERE participant_id = :p", p=first):
            self.consumed_meanwhile.add("opportunities")
        if await self.chorus.ids("notifications", "SELECT participant_id FROM "
                                 "people_participants WHERE participant_id = :p", p=first):
            self.consumed_meanwhile.add("notifications")


async def _accepted(chorus: Chorus, respond: str, address: str) -> dict[str, Any] | None:
    answer = await chorus.post("feedback", respond, answers(), anonymous_from(address))
    if answer.status_code == 503:
        return None
    assert answer.status_code == 201, answer.text
    document: dict[str, Any] = answer.json()
    return document


async def _caught_up(chorus: Chorus, network: str, outage: Outage) -> bool:
    people = set(await chorus.ids("feedback", "SELECT participant_id FROM participants "
                                  "WHERE network_id = :n", n=UUID(network)))
    noted = set(await chorus.ids("feedback", "SELECT stream_id FROM events WHERE "
                                 "event_type = 'OpportunityNoted' AND data->>'network_id' = :n",
                                 n=network))
    return set(outage.joined) <= people and {f"noted-{o}" for o in outage.published} <= noted


async def _heard_by_notifications(chorus: Chorus, feedback_id: str) -> bool:
    event_ids = await chorus.ids("feedback", "SELECT headers->>'ce_id' FROM outbox "
                                 "WHERE key = :k AND published_at IS NOT NULL", k=feedback_id)
    if not event_ids:
        return False
    return bool(await chorus.ids("notifications", "SELECT event_id FROM inbox WHERE "
                                 "source = '/chorus/feedback' AND event_id = :e",
                                 e=event_ids[0]))
