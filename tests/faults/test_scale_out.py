"""Scale out: three instances of the notifications service in one consumer group, over
topics of six partitions; one killed with SIGKILL while it is e-mailing people and
delivering webhooks. The other two take over its partitions, and nothing is lost or sent
twice: e-mails to a real SMTP server counted per recipient and kind, webhooks per
webhook-id.

Each consultation opened in the network is announced by e-mail to every participant who
wants surveys, and delivered to a partner subscribed to consultations opening. After the
kill, consultations are opened until every partition of the feedback topic has had one, so
some of them certainly wait on the partitions the killed instance held.
"""

import asyncio
import time
import uuid
from collections import Counter
from uuid import UUID

import pytest

from tests.faults.conftest import MAIL_CLAIM_SECONDS
from tests.faults.support import (
    NOTIFICATIONS_GROUP,
    Chorus,
    Headers,
    PacedMailbox,
    Partner,
    group_assignment,
    partition_of,
    partitions_holding,
    partitions_of,
    until,
)
from tests.fixtures.kafka import KafkaBroker
from tests.services.feedback.conftest import consultation
from tests.services.notifications.webhook_support import Endpoint

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.timeout(400)]

PEOPLE = 12
BEFORE_THE_KILL = 4  # consultations opened while all three instances run
MOST_AFTER = 40
TOPIC = "chorus.feedback.events"
OPENED = "chorus.feedback.ConsultationOpened.v1"

Assignment = dict[str, set[tuple[str, int]]]


async def test_one_of_three_instances_killed_the_others_take_over_nothing_lost_or_doubled(
        chorus: Chorus, partner: Partner, mailbox: tuple[PacedMailbox, int],
        kafka_broker: KafkaBroker) -> None:
    mail, bootstrap = mailbox[0], kafka_broker.bootstrap_servers
    partitions = await asyncio.to_thread(partitions_of, bootstrap, TOPIC)
    assert partitions == 6, f"{TOPIC} has {partitions} partitions"
    run = uuid.uuid4().hex[:8]
    network = await chorus.network(f"Scale out {run}")
    _, staff = await chorus.organisation(network, "Leeds Teaching Hospitals")
    people = [await chorus.join(network, f"scale{n}.{run}@example.org",
                                kinds_wanted=["survey"]) for n in range(PEOPLE)]
    endpoint = partner.endpoint(f"scale-out-{run}")
    endpoint.secrets = [(await chorus.subscribe(staff, endpoint.url, OPENED))["secret"]]
    await chorus.start(chorus.processes.processes["notifications"][1:])
    three = await until(lambda: _group(bootstrap, size=3), "three instances sharing the work",
                        within=120, every=1)
    await until(lambda: _known(chorus, network, len(people)), "notifications to know everyone")

    mail.delay = 0.05  # the mail server takes its time, so that the kill lands mid-send
    opened = [await _open(chorus, staff, run, n) for n in range(BEFORE_THE_KILL)]
    await until(lambda: _emailed(mail, run, PEOPLE), "the first e-mails to go out")
    victim = chorus.process("notifications", 1)
    victim.kill()
    killed_at = time.monotonic()
    emailed_before = sum(mail.counted(run).values())
    assert emailed_before < PEOPLE * BEFORE_THE_KILL, "the kill came too late to prove anything"
    after: list[str] = []
    while {partition_of(c, partitions) for c in after} != set(range(partitions)):
        assert len(after) < MOST_AFTER, "consultations never reached every partition"
        after.append(await _open(chorus, staff, run, len(opened) + len(after)))
    opened += after

    two = await until(lambda: _group(bootstrap, size=2), "the two others to take over",
                      within=90, every=1)
    taken_over_in = time.monotonic() - killed_at
    [gone] = set(three) - set(two)
    assert three[gone] <= set().union(*two.values()), "the killed instance's partitions " \
        "were not taken over"
    assert set().union(*two.values()) == set().union(*three.values())

    notices = await until(lambda: _settled(chorus, network, PEOPLE * len(opened)),
                          "every notice to be sent or settled", within=180)
    emails = mail.counted(run)
    assert max(emails.values()) == 1, "someone was e-mailed the same thing twice"
    statuses = Counter(status for _, _, status in notices)
    assert set(statuses) <= {"sent", "uncertain"}, statuses
    assert statuses["uncertain"] <= 1, "more than the one e-mail in flight was left uncertain"
    assert len({(p, e) for p, e, _ in notices}) == len(notices) == PEOPLE * len(opened)
    assert {p for p, _, _ in notices} == set(people)
    assert statuses["sent"] <= len(emails) <= statuses["sent"] + statuses["uncertain"]
    await until(lambda: _delivered(endpoint, opened), "every opening delivered to the partner")
    ids_per_event: dict[str, set[str]] = {}
    for request in endpoint.requests:
        ids_per_event.setdefault(request.event["id"], set()).add(request.webhook_id)
        assert request.event["partitionkey"] == request.event["subject"]
    assert all(len(ids) == 1 for ids in ids_per_event.values()), \
        "an event was delivered as two different deliveries"
    assert len(ids_per_event) == len(opened)
    placed = await asyncio.to_thread(partitions_holding, bootstrap, TOPIC, after)
    assert placed == {c: partition_of(c, partitions) for c in after}, \
        "the broker placed the consultations elsewhere than reckoned"
    print(f"\n{len(opened)} consultations ({len(after)} after the kill) -> {len(emails)} "
          f"e-mails, {statuses['uncertain']} uncertain, none twice; the group handed over "
          f"in {taken_over_in:.0f} s (claims lapse after {MAIL_CLAIM_SECONDS} s)")


async def _group(bootstrap: str, size: int) -> Assignment | None:
    members = await asyncio.to_thread(group_assignment, bootstrap, NOTIFICATIONS_GROUP)
    if len(members) == size and all(members.values()):
        return members
    return None


async def _known(chorus: Chorus, network: str, count: int) -> bool:
    found = await chorus.ids("notifications", "SELECT participant_id FROM people_participants "
                             "WHERE network_id = :n AND status = 'active'", n=UUID(network))
    return len(found) == count


async def _open(chorus: Chorus, staff: Headers, run: str, n: int) -> str:
    made = await chorus.created("feedback", "/v1/consultations", consultation(
        title=f"Scale-out {run} consultation {n}"), staff)
    return str(made["consultation_id"])


async def _emailed(mail: PacedMailbox, run: str, count: int) -> bool:
    return sum(mail.counted(run).values()) >= count


async def _settled(chorus: Chorus, network: str,
                   count: int) -> list[tuple[str, str, str]] | None:
    rows = await chorus.rows("notifications", "SELECT participant_id, event_id, status FROM "
                             "people_notices WHERE kind = 'consultation_opened' "
                             "AND network_id = :n", n=UUID(network))
    notices = [(str(p), str(e), str(s)) for p, e, s in rows]
    closed = [n for n in notices if n[2] not in ("pending", "sending")]
    return notices if len(notices) == count and len(closed) == count else None


async def _delivered(endpoint: Endpoint, opened: list[str]) -> bool:
    subjects = {r.event["subject"] for r in endpoint.requests}
    return set(opened) <= subjects
