"""Each service killed with SIGKILL in turn during a burst of 2,000 commands, and started
again: every command that got a 2xx is there afterwards, and every command's effects arrive
in every service that consumes them exactly once.

The burst is what a region's clients do at once: people join (registry; consumed by
opportunities, feedback and notifications), the trust publishes opportunities
(opportunities; consumed by feedback and notifications), people answer consultations
anonymously (feedback; consumed by notifications) and partners subscribe to webhooks
(notifications). Notifications delivers every response to a partner's webhook, which
counts them by webhook-id.

What a client sees, and what it does:
- connection refused (the service is down) or 503: nothing was done; it tries again later;
- the connection cut mid-request (the kill landed while it was in flight): it cannot know;
  it does not try again. Such a command may or may not have been done, and is checked the
  same way as the rest: whatever was done has its effects everywhere, once.
"""

import asyncio
import json
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.faults.support import (
    Chorus,
    Headers,
    Partner,
    anonymous_from,
    joining,
    until,
    until_true,
)
from tests.services.feedback.conftest import answers, consultation
from tests.services.opportunities.conftest import opportunity

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.timeout(900)]

COMMANDS = {"registry": 600, "opportunities": 600, "feedback": 600, "notifications": 200}
CLIENTS = 12  # commands under way at once
KILL_AT = (0.05, 0.2, 0.35, 0.5)  # share of the burst done when each service is killed
ORDER = ("registry", "opportunities", "feedback", "notifications")
IDS = {"registry": "participant_id", "opportunities": "opportunity_id",
       "feedback": "feedback_id", "notifications": "subscription_id"}
QUIET_TYPE = "chorus.feedback.LearningShared.v1"  # what the burst's subscriptions ask for
PARTNER_TYPES = ("chorus.feedback.FeedbackSubmitted.v1",)  # what the partner asks for


@dataclass
class Command:
    service: str
    path: str
    body: dict[str, Any]
    headers: Headers = field(default_factory=dict)


@dataclass
class Burst:
    """The commands still to go, and what came of those that went."""

    waiting: deque[Command]
    total: int
    accepted: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in ORDER})
    refused: Counter[str] = field(default_factory=Counter)  # not reached: tried again
    cut_off: Counter[str] = field(default_factory=Counter)  # outcome unknown: not again
    failed: list[str] = field(default_factory=list)  # anything else: a bug
    finished: int = 0
    ended_at: float | None = None

    @property
    def share_done(self) -> float:
        return self.finished / self.total


async def test_each_service_killed_in_turn_mid_burst_loses_nothing_and_repeats_nothing(
        chorus: Chorus, partner: Partner) -> None:
    network = await chorus.network(f"Burst {uuid.uuid4().hex[:6]}")
    _, staff = await chorus.organisation(network, "Leeds Teaching Hospitals")
    # the partners who subscribe during the burst are of a network of their own, so that
    # the events of this one are matched against one subscription, not hundreds
    elsewhere = await chorus.network(f"Partners {uuid.uuid4().hex[:6]}")
    _, partners = await chorus.organisation(elsewhere, "Partners in Health", "charity")
    endpoint = partner.endpoint(f"burst-{uuid.uuid4().hex[:6]}")  # gets every response
    subscribed = await chorus.subscribe(staff, endpoint.url, *PARTNER_TYPES)
    endpoint.secrets = [subscribed["secret"]]
    consultations = [(await chorus.created("feedback", "/v1/consultations", consultation(
        title=f"Discharge letters {n}"), staff))["consultation_id"] for n in range(3)]
    burst = Burst(deque(_commands(network, staff, partners, consultations, partner.base)),
                  total=sum(COMMANDS.values()))

    started = time.monotonic()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(
            max_connections=CLIENTS * 2)) as http:
        clients = [asyncio.create_task(_client(chorus, http, burst)) for _ in range(CLIENTS)]
        try:
            kills = await _kill_each_in_turn(chorus, burst)
            await asyncio.gather(*clients)
        finally:
            for client in clients:
                client.cancel()
    burst_seconds = time.monotonic() - started

    assert not burst.failed, burst.failed[:5]
    assert burst.ended_at is not None and all(at < burst.ended_at for at in kills.values()), \
        "the burst ended before every service had been killed"
    for service in ORDER:
        assert burst.refused[service] > 0, f"no command found {service} down"
    done = await until(lambda: _settled(chorus, network, elsewhere, partners, endpoint),
                       "every command's effects to arrive everywhere", within=300, every=2)
    _check(done, burst)
    print(f"\n{burst.total} commands in {burst_seconds:.0f} s, each service killed once "
          f"({', '.join(f'{s} at {kills[s] - started:.0f} s' for s in ORDER)}); refused and tried "
          f"again: {dict(burst.refused)}; cut off mid-request: {dict(burst.cut_off)}; "
          f"settled {time.monotonic() - started - burst_seconds:.0f} s later")


def _commands(network: str, staff: Headers, partners: Headers, consultations: list[str],
              partner: str) -> list[Command]:
    run = uuid.uuid4().hex[:8]
    made = {
        "registry": [Command("registry", "/v1/participants",
                             joining(network, f"burst{n}.{run}@example.org"))
                     for n in range(COMMANDS["registry"])],
        "opportunities": [Command("opportunities", "/v1/opportunities",
                                  opportunity(title=f"Workshop {n}"), staff)
                          for n in range(COMMANDS["opportunities"])],
        "feedback": [Command("feedback", f"/v1/consultations/{consultations[n % 3]}/feedback",
                             answers(rating=1 + n % 5), anonymous_from(_address(n)))
                     for n in range(COMMANDS["feedback"])],
        "notifications": [Command("notifications", "/v1/subscriptions", {
            "url": f"{partner}/quiet-{run}-{n}", "event_types": [QUIET_TYPE]}, partners)
            for n in range(COMMANDS["notifications"])],
    }
    # interleaved, so that every service is busy all through the burst
    return [c for group in zip(*(_spread(made[s]) for s in ORDER), strict=True)
            for batch in group for c in batch]


def _spread(commands: list[Command]) -> list[list[Command]]:
    """`commands` in 100 nearly equal batches."""
    size = len(commands) / 100
    return [commands[round(i * size):round((i + 1) * size)] for i in range(100)]


def _address(n: int) -> str:
    return f"10.{n // 60000}.{n // 250 % 240}.{n % 250 + 1}"


async def _client(chorus: Chorus, http: httpx.AsyncClient, burst: Burst) -> None:
    """One client working through the commands, as described at the top."""
    while burst.waiting:
        command = burst.waiting.popleft()
        url = chorus.url(command.service) + command.path
        try:
            response = await http.post(url, json=command.body, headers=command.headers)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            await _later(burst, command)
            continue
        except httpx.TransportError:
            burst.cut_off[command.service] += 1
        else:
            if response.status_code == 503:
                await _later(burst, command)
                continue
            if response.is_success:
                burst.accepted[command.service].append(str(response.json()[
                    IDS[command.service]]))
            else:
                burst.failed.append(f"{command.service}: {response.status_code} "
                                    f"{response.text[:300]}")
        burst.finished += 1
        if burst.finished == burst.total:
            burst.ended_at = time.monotonic()


async def _later(burst: Burst, command: Command) -> None:
    burst.refused[command.service] += 1
    burst.waiting.append(command)
    await asyncio.sleep(0.2)


async def _kill_each_in_turn(chorus: Chorus, burst: Burst) -> dict[str, float]:
    """SIGKILL each service once, in turn, part way through, and start it again at once
    (a slow start does not hold up the next kill)."""
    killed: dict[str, float] = {}
    restarts = []
    for service, share in zip(ORDER, KILL_AT, strict=True):
        await until_true(partial(_share_done, burst, share), f"{share:.0%} of the burst",
                         within=600)
        process = chorus.process(service)
        refused_before = burst.refused[service]
        process.kill()
        killed[service] = time.monotonic()
        await until_true(partial(_refused_since, burst, service, refused_before),
                         f"a command to find {service} down", within=60)
        restarts.append(asyncio.create_task(chorus.start([process])))
    await asyncio.gather(*restarts)
    return killed


def _share_done(burst: Burst, share: float) -> bool:
    return burst.share_done >= share


def _refused_since(burst: Burst, service: str, count: int) -> bool:
    return burst.refused[service] > count


@dataclass
class Settled:
    """What each service holds of the burst, once every consumer has caught up."""

    stored: dict[str, list[str]]  # service -> ids its own store has, repeats kept
    pool: list[str]  # opportunities: the people in its pool
    feedback_people: list[str]
    notified_people: list[str]
    noted: Counter[str]  # feedback: OpportunityNoted events, per opportunity
    notified_opportunities: list[str]
    public: dict[str, str]  # event id -> subject, of the events the partner should get
    webhooks: dict[str, set[str]]  # event id -> the webhook-ids it arrived under
    subscriptions_listed: int  # what the notifications API says the partners have


async def _settled(chorus: Chorus, network: str, elsewhere: str, partners: Headers,
                   endpoint: Any) -> Settled | None:
    n = UUID(network)
    stored = {
        "registry": await _created(chorus, "registry", "ParticipantJoined", network),
        "opportunities": await _created(chorus, "opportunities", "OpportunityPublished",
                                        network),
        "feedback": await _created(chorus, "feedback", "FeedbackSubmitted", network),
        "notifications": await _created(chorus, "notifications", "SubscriptionCreated",
                                        elsewhere)}
    settled = Settled(
        stored=stored,
        pool=await chorus.ids("opportunities", "SELECT participant_id FROM pool_members "
                              "WHERE network_id = :n", n=n),
        feedback_people=await chorus.ids("feedback", "SELECT participant_id FROM "
                                         "participants WHERE network_id = :n", n=n),
        notified_people=await chorus.ids("notifications", "SELECT participant_id FROM "
                                         "people_participants WHERE network_id = :n", n=n),
        noted=Counter(await chorus.ids(
            "feedback", "SELECT stream_id FROM events WHERE event_type = 'OpportunityNoted' "
            "AND data->>'network_id' = :n", n=network)),
        notified_opportunities=await chorus.ids(
            "notifications", "SELECT opportunity_id FROM people_opportunities "
            "WHERE network_id = :n", n=n),
        public=await _public(chorus, network, stored),
        webhooks=_arrived(endpoint),
        subscriptions_listed=await _listed(chorus, partners))
    people, published = set(stored["registry"]), set(stored["opportunities"])
    caught_up = (set(settled.pool) == set(settled.feedback_people) == people
                 == set(settled.notified_people)
                 and {s.removeprefix("noted-") for s in settled.noted} == published
                 and set(settled.notified_opportunities) == published
                 and set(settled.public) <= set(settled.webhooks))
    return settled if caught_up else None


async def _created(chorus: Chorus, service: str, event_type: str, network: str) -> list[str]:
    return await chorus.ids(service, "SELECT stream_id FROM events WHERE event_type = :t "
                            "AND data->>'network_id' = :n", t=event_type, n=network)


async def _public(chorus: Chorus, network: str,
                  stored: dict[str, list[str]]) -> dict[str, str]:
    """The public events of the responses (event id -> subject): what the partner must
    get."""
    rows = await chorus.rows("feedback", "SELECT headers->>'ce_id', key, value FROM outbox "
                             "WHERE key = ANY(:keys) AND headers->>'ce_type' = ANY(:types)",
                             keys=stored["feedback"], types=list(PARTNER_TYPES))
    return {row[0]: row[1] for row in rows if json.loads(row[2])["network_id"] == network}


def _arrived(endpoint: Any) -> dict[str, set[str]]:
    arrived: dict[str, set[str]] = {}
    for request in list(endpoint.requests):
        arrived.setdefault(request.event["id"], set()).add(request.webhook_id)
    return arrived


async def _listed(chorus: Chorus, staff: Headers) -> int:
    response = await chorus.http.get(chorus.url("notifications") + "/v1/subscriptions",
                                     headers=staff, params={"limit": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def _check(done: Settled, burst: Burst) -> None:
    for service in ORDER:
        stored, accepted = done.stored[service], burst.accepted[service]
        assert len(stored) == len(set(stored)), f"{service} stored a command twice"
        lost = set(accepted) - set(stored)
        assert not lost, f"{service} lost {len(lost)} accepted command(s)"
        extra = len(stored) - len(accepted)
        assert 0 <= extra <= burst.cut_off[service], \
            f"{service} holds {extra} command(s) nobody was told of"
    # consumers: each person and each opportunity once in every service that keeps them
    for name, ids in (("opportunities' pool", done.pool),
                      ("feedback's directory", done.feedback_people),
                      ("notifications' directory", done.notified_people),
                      ("notifications' opportunities", done.notified_opportunities)):
        assert len(ids) == len(set(ids)), f"{name} holds someone twice"
    assert set(done.noted.values()) == {1}, "feedback noted an opportunity more than once"
    # the partner: every response, each under one webhook-id only
    twice = {e: ids for e, ids in done.webhooks.items() if len(ids) > 1}
    assert not twice, f"{len(twice)} event(s) delivered as two different deliveries"
    assert set(done.public) <= set(done.webhooks)
    assert done.subscriptions_listed == len(done.stored["notifications"]), \
        "the notifications API does not list every subscription it stored"
