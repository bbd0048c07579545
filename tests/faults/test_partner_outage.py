"""A partner's webhook endpoint down for a while (first answering 503, then refusing
connections) and then back: the deliveries catch up, every event once as the partner counts
them (by webhook-id), each aggregate's events in the order they happened.

The platform runs with a compressed retry schedule (a try every second or so, for most of a
minute; see the conftest), so an outage of some seconds is bridged by retries alone."""

import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

import pytest

from tests.faults.support import (
    Chorus,
    Headers,
    Partner,
    until,
)
from tests.services.feedback.conftest import consultation
from tests.services.notifications.webhook_support import Endpoint, Received, Reply
from tests.services.opportunities.conftest import opportunity

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.timeout(300)]

OPPORTUNITIES = 4
CONSULTATIONS = 2
PEOPLE = 3
OUTCOME = {"you_said": "Letters were hard to follow.", "we_did": "We rewrote them."}


async def test_partner_down_then_back_gets_every_event_once_in_order(
        chorus: Chorus, partner: Partner) -> None:
    network = await chorus.network(f"Partner outage {uuid.uuid4().hex[:6]}")
    _, staff = await chorus.organisation(network, "Leeds Teaching Hospitals")
    endpoint = partner.endpoint(f"catch-up-{uuid.uuid4().hex[:6]}")
    subscribed = await chorus.subscribe(staff, endpoint.url)
    endpoint.secrets = [subscribed["secret"]]
    subscription = str(subscribed["subscription_id"])

    endpoint.answer(then=Reply(503))  # the partner's service is failing
    opportunities = [(await chorus.created("opportunities", "/v1/opportunities", opportunity(
        title=f"Workshop {n}"), staff))["opportunity_id"] for n in range(OPPORTUNITIES)]
    consultations = [(await chorus.created("feedback", "/v1/consultations", consultation(
        title=f"Discharge letters {n}"), staff))["consultation_id"]
        for n in range(CONSULTATIONS)]
    people = [await chorus.join(network, f"outage{n}.{uuid.uuid4().hex[:8]}@example.org")
              for n in range(PEOPLE)]
    await until(lambda: _tried_again(endpoint), "a delivery to be refused and tried again")

    await partner.down()  # now it is not there at all
    for opportunity_id in opportunities:
        await _command(chorus, "opportunities", f"/v1/opportunities/{opportunity_id}",
                       staff, {"title": "Workshop, moved online"}, method="PATCH")
    for consultation_id in consultations:
        await _command(chorus, "feedback", f"/v1/consultations/{consultation_id}/close", staff)
    await until(lambda: _refused(chorus, staff, subscription),
                "a delivery attempt to find the endpoint refusing connections")
    for opportunity_id in opportunities:
        await _command(chorus, "opportunities", f"/v1/opportunities/{opportunity_id}/close",
                       staff)
    for consultation_id in consultations:
        await _command(chorus, "feedback", f"/v1/consultations/{consultation_id}/outcome",
                       staff, OUTCOME)
    expected = await _published(chorus, network, {
        "opportunities": opportunities, "feedback": consultations, "registry": people})
    assert len(expected) >= 3 * (OPPORTUNITIES + CONSULTATIONS) + PEOPLE

    endpoint.answer(then=Reply(200))
    back = time.monotonic()  # before it listens: a delivery may land before up() returns
    await partner.up()
    await until(lambda: _all_arrived(endpoint, expected, back), "every event to arrive",
                within=120)
    caught_up_in = time.monotonic() - back

    everything = endpoint.requests
    assert all(r.verified_by == (0,) for r in everything), "a delivery was not signed"
    ids_per_event: dict[str, set[str]] = {}
    for request in everything:
        ids_per_event.setdefault(request.event["id"], set()).add(request.webhook_id)
    assert all(len(ids) == 1 for ids in ids_per_event.values()), \
        "an event was delivered as two different deliveries"
    accepted = _first_each(r for r in everything if r.at >= back)
    assert [r.event["id"] for r in accepted if r.event["id"] in expected] != []
    for subject, events in _per_subject(expected).items():
        arrived = [r.event["id"] for r in accepted if r.event["subject"] == subject]
        assert arrived == events, f"{subject}: delivered out of order or incompletely"
        sequences = [int(r.event["sequence"]) for r in accepted
                     if r.event["subject"] == subject]
        assert sequences == sorted(sequences)
    tried = [r for r in everything if r.at < back]
    assert tried, "nothing was tried while the endpoint was down"
    deliveries = await _deliveries(chorus, staff, subscription)
    assert {d["status"] for d in deliveries} == {"delivered"}
    print(f"\n{len(expected)} events; {len(tried)} attempts failed with 503 or were "
          f"refused while the partner was down; all delivered {caught_up_in:.1f} s after "
          f"it came back")


async def _command(chorus: Chorus, service: str, path: str, staff: Headers,
                   body: dict[str, Any] | None = None, method: str = "POST") -> None:
    response = await chorus.http.request(method, chorus.url(service) + path, json=body,
                                         headers=staff)
    assert response.is_success, response.text


async def _tried_again(endpoint: Endpoint) -> bool:
    return any(len(endpoint.tries(r.webhook_id)) >= 2 for r in endpoint.requests)


async def _deliveries(chorus: Chorus, staff: Headers, subscription: str) -> list[Any]:
    response = await chorus.http.get(chorus.url("notifications") + "/v1/deliveries",
                                     headers=staff, params={"subscription_id": subscription,
                                                            "limit": 100})
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()["items"]
    return items


async def _refused(chorus: Chorus, staff: Headers, subscription: str) -> bool:
    return any(a["reason"] == "connection refused"
               for d in await _deliveries(chorus, staff, subscription)
               for a in d["attempts"])


async def _published(chorus: Chorus, network: str,
                     aggregates: dict[str, list[str]]) -> dict[str, str]:
    """The public events about these aggregates, in the order each service published
    them: event id -> subject."""
    found: dict[str, str] = {}
    for service, keys in aggregates.items():
        rows = await chorus.rows(service, "SELECT headers->>'ce_id', key, value FROM outbox "
                                 "WHERE key = ANY(:keys) ORDER BY id", keys=keys)
        found |= {row[0]: row[1] for row in rows
                  if json.loads(row[2]).get("network_id") == network}
    return found


def _first_each(requests: Iterable[Received]) -> list[Received]:
    """The first of each webhook-id, in the order they arrived."""
    first: dict[str, Received] = {}
    for request in requests:
        first.setdefault(request.webhook_id, request)
    return list(first.values())


def _per_subject(expected: dict[str, str]) -> dict[str, list[str]]:
    subjects: dict[str, list[str]] = {}
    for event_id, subject in expected.items():
        subjects.setdefault(subject, []).append(event_id)
    return subjects


async def _all_arrived(endpoint: Endpoint, expected: dict[str, str], back: float) -> bool:
    arrived = {r.event["id"] for r in endpoint.requests if r.at >= back}
    return set(expected) <= arrived
