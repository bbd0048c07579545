"""Registry, opportunities and feedback on real Kafka and PostgreSQL, as in production: each
with its own database and its own bus. The opportunities service's events feed feedback's
stage and concentration metrics, and feedback's own events reach its topic under their
contract, carrying choices and ratings but never anything written in words."""

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from chorus.app import create_app
from chorus.contracts import feedback as contracts
from chorus.contracts import parse_event
from chorus.envelope import Envelope, from_kafka
from chorus.settings import load_settings
from chorus.transport.base import IncomingMessage, Subscription
from chorus.transport.kafka import KafkaBus
from feedback.bootstrap import service as feedback
from feedback.tables import organisations
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.fixtures.kafka import KafkaBroker
from tests.fixtures.postgres import PostgresServer
from tests.integration.kafka_support import unique, until
from tests.services.feedback.conftest import CLEAR, RATING, READERS, WORDS, FeedbackRegion
from tests.services.opportunities.conftest import Headers
from tests.services.opportunities.steps import assign, hold_session, invite, ok
from tests.services.registry.conftest import ADMIN_KEY, Registry

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

FEEDBACK_TOPIC = "chorus.feedback.events"
OPPORTUNITIES_TOPIC = "chorus.opportunities.events"
REGISTRY_TOPIC = "chorus.registry.events"
WAIT = 30  # seconds, for anything that crosses the broker

Person = tuple[str, Headers]
Figures = dict[str, tuple[float | None, int | None, int | None]]

WORDS_GIVEN = "My daughter Siobhan could not follow it. Ring her on 07700 900123."
SECRETS = ("Siobhan", "07700", "900123", "daughter", "follow")


@pytest.fixture
async def region_on_kafka(kafka_broker: KafkaBroker, postgres_server: PostgresServer,
                          tmp_path: Path) -> AsyncIterator[FeedbackRegion]:
    """The three services, each with its own PostgreSQL database and KafkaBus."""
    prefix = unique("feedback_kafka").replace(".", "_")
    names = [f"{prefix}_{service}" for service in ("registry", "opportunities", "feedback")]
    for name in names:
        postgres_server.create_database(name)
    settings = load_settings(
        transport="kafka", kafka_bootstrap=kafka_broker.bootstrap_servers,
        database_url=postgres_server.url(f"{prefix}_{{service}}"), data_dir=tmp_path,
        poll_interval=0.2, admin_api_key=ADMIN_KEY)
    registry_app, opportunities_app, feedback_app = (
        create_app(s, settings) for s in (registry, opportunities, feedback))
    try:
        async with registry_app.router.lifespan_context(registry_app), \
                opportunities_app.router.lifespan_context(opportunities_app), \
                feedback_app.router.lifespan_context(feedback_app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app),
                                  base_url="http://registry") as registry_http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=opportunities_app),
                                  base_url="http://opportunities") as http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=feedback_app),
                                  base_url="http://feedback") as feedback_http:
            region = FeedbackRegion(Registry(registry_http, registry_app), http,
                                    opportunities_app, feedback_http, feedback_app)
            await region.start()
            yield region
    finally:
        for name in names:
            postgres_server.drop_database(name)


class Reader:
    """Reads the feedback topic from the start, as a consumer of public events would."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.messages: list[IncomingMessage] = []
        self.bus = KafkaBus(bootstrap_servers, client_id="feedback-events-test")
        self.bus.subscribe(Subscription(unique("chorus.test-reader"), [FEEDBACK_TOPIC],
                                        self._collect))

    async def __aenter__(self) -> "Reader":
        await self.bus.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.bus.stop()

    async def _collect(self, batch: Sequence[IncomingMessage]) -> None:
        self.messages.extend(batch)

    def seen(self, name: str, **data: str) -> list[tuple[IncomingMessage, Envelope]]:
        found = []
        for message in self.messages:
            envelope = from_kafka(message.key, message.headers, message.value)
            if (message.topic == FEEDBACK_TOPIC and envelope.type.split(".")[2] == name
                    and all(envelope.data.get(k) == v for k, v in data.items())):
                found.append((message, envelope))
        return found

    async def one(self, name: str, **data: str) -> tuple[IncomingMessage, Envelope]:
        async def arrived() -> bool:
            return bool(self.seen(name, **data))

        await until(arrived, WAIT, f"{name} on {FEEDBACK_TOPIC}")
        [found] = self.seen(name, **data)
        return found


async def test_opportunities_events_feed_the_stage_and_concentration_metrics(
    region_on_kafka: FeedbackRegion, kafka_broker: KafkaBroker,
) -> None:
    region = region_on_kafka
    trust, staff = await region.organisation()
    people = [await region.person() for _ in range(6)]
    one, two, three, four, five, six = people
    await until(lambda: _in_pool(region, *(pid for pid, _ in people)), WAIT,
                "the participants to reach the opportunities pool")

    # Five opportunities: one withdrawn, one moved from monitoring to delivery after
    # publishing. Left standing: strategy 1, design 1, delivery 1, evaluation 1.
    strategy = await _published(region, staff, "strategy")
    design = await _published(region, staff, "design")
    evaluation = await _published(region, staff, "evaluation")
    withdrawn = await _published(region, staff, "evaluation")
    moved = await _published(region, staff, "monitoring")
    ok(await region.http.post(f"/v1/opportunities/{withdrawn}/withdraw", headers=staff))
    ok(await region.http.patch(f"/v1/opportunities/{moved}", json={"stage": "delivery"},
                               headers=staff))

    # Seats taken (7 invitations accepted), and one invitation declined: 8 sent, 1 declined.
    await assign(region, staff, strategy, one, two, three)
    await assign(region, staff, design, one, four)
    await assign(region, staff, evaluation, one, five)
    [declined] = await invite(region, staff, evaluation, two[0])
    ok(await region.http.post(f"/v1/invitations/{declined}/decline", headers=two[1]))

    # Four sessions; sessions attended per person: one 4, two 2, three 1, four 1, five 1.
    await hold_session(region, staff, strategy, {one[0]: 3, two[0]: 3, three[0]: 2.5})
    await hold_session(region, staff, strategy, {one[0]: 2, two[0]: 1.5})
    await hold_session(region, staff, design, {one[0]: 3, four[0]: 3})
    await hold_session(region, staff, evaluation, {one[0]: 1, five[0]: 0.75})

    by_stage = {"strategy": 1, "design": 1, "delivery": 1, "monitoring": 0, "evaluation": 1}
    # Involvement units [4, 2, 1, 1, 1]: n = 5, total 9.
    # Top tenth: max(1, ceil(5 * 0.1)) = 1 person, 4 of 9 = 44.4 %.
    # Gini over [1, 1, 1, 2, 4] ascending, weights 2i - n - 1 = -4, -2, 0, 2, 4:
    #   (-4 - 2 + 0 + 4 + 16) / (5 * 9) = 14 / 45 = 0.311.
    expected: Figures = {
        "involved_from_the_beginning": (50.0, 2, 4),  # strategy + design of 4 standing
        "involved_only_at_evaluation": (25.0, 1, 4),
        "participants_involved": (5, None, None),
        "top_tenth_share": (44.4, None, 9),
        "gini": (0.311, None, 5),
    }
    network_expected = expected | {"invitations_declined": (12.5, 1, 8)}
    organisation_url = f"/v1/metrics/organisations/{trust}"
    network_url = f"/v1/metrics/networks/{region.network_id}"
    await _arrive(region, organisation_url, staff, expected, by_stage)
    await _arrive(region, network_url, staff, network_expected, by_stage)
    await _settled(region)  # everything published was read: the figures stay as they are
    assert await _figures(region, organisation_url, staff, expected) == (expected, by_stage)
    assert await _figures(region, network_url, staff, network_expected) == (
        network_expected, by_stage)

    async with Reader(kafka_broker.bootstrap_servers) as reader:
        await until(lambda: _known_to_feedback(region, trust), WAIT,
                    "the trust to reach feedback")
        cid = (await region.open(staff))["consultation_id"]
        mine = await region.respond(cid, six[1], clear="No", rating=2, words=WORDS_GIVEN,
                                    readers=["Me", "My carer"])
        assert mine["participant_id"] == six[0]

        _, opened = await reader.one("ConsultationOpened", consultation_id=cid)
        assert isinstance(parse_event(opened.type, opened.data), contracts.ConsultationOpened)
        message, envelope = await reader.one("FeedbackSubmitted",
                                             feedback_id=mine["feedback_id"])
    assert envelope.type == contracts.FeedbackSubmitted.event_type()
    contract = parse_event(envelope.type, envelope.data)
    assert isinstance(contract, contracts.FeedbackSubmitted)
    assert (contract.participant_id, contract.consultation_id, contract.organisation_id,
            contract.network_id, contract.channel) == (
        UUID(six[0]), UUID(cid), UUID(trust), UUID(region.network_id), "online")
    assert contract.answers == (
        contracts.Answer(question_id=UUID(CLEAR), choices=("No",)),
        contracts.Answer(question_id=UUID(RATING), rating=2),
        contracts.Answer(question_id=UUID(READERS), choices=("Me", "My carer")))
    assert contract.answered_in_words == 1
    # Nothing beyond the contract travels (parse_event would drop unknown fields), the
    # free-text question is not among the answers, and no word of it is anywhere.
    assert set(envelope.data) == set(contracts.FeedbackSubmitted.model_fields)
    assert all(set(a) <= {"question_id", "choices", "rating"} for a in envelope.data["answers"])
    assert WORDS not in {a["question_id"] for a in envelope.data["answers"]}
    raw = message.value + b"".join(v for _, v in message.headers)
    for secret in SECRETS:
        assert secret.encode() not in raw, secret

    # The signed-in response is involvement too: six people, units [4, 2, 1, 1, 1, 1],
    # total 10. Top tenth: max(1, ceil(0.6)) = 1 person, 4 of 10 = 40.0 %. Gini over
    # [1, 1, 1, 1, 2, 4], weights -5, -3, -1, 1, 3, 5: (-5 - 3 - 1 + 1 + 6 + 20) / (6 * 10)
    # = 18 / 60 = 0.3.
    after: Figures = expected | {"participants_involved": (6, None, None),
                                 "top_tenth_share": (40.0, None, 10), "gini": (0.3, None, 6)}
    await _arrive(region, organisation_url, staff, after, by_stage)


async def _published(region: FeedbackRegion, staff: Headers, stage: str) -> str:
    return str((await region.publish(staff, stage=stage, seats=3,
                                     title=f"Work at the {stage} stage"))["opportunity_id"])


async def _figures(region: FeedbackRegion, url: str, who: Headers,
                   like: Figures) -> tuple[Figures, dict[str, int]]:
    """The figures named in `like`, as (value, numerator, denominator), and the stages."""
    body = ok(await region.feedback.get(url, headers=who))
    figures = body["figures"]
    return ({name: (figures[name]["value"], figures[name]["numerator"],
                    figures[name]["denominator"]) for name in like},
            body["opportunities_by_stage"])


async def _arrive(region: FeedbackRegion, url: str, who: Headers, expected: Figures,
                  by_stage: dict[str, int]) -> None:
    """Wait until the metrics at `url` are exactly these; say what they were if never."""
    last: list[Any] = []

    async def arrived() -> bool:
        response = await region.feedback.get(url, headers=who)
        if response.status_code == 404:  # the organisation has not reached feedback yet
            last[:] = [response.text]
            return False
        last[:] = [await _figures(region, url, who, expected)]
        return bool(last[0] == (expected, by_stage))

    try:
        await until(arrived, WAIT, f"the figures at {url}")
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; last seen {last}") from None


async def _settled(region: FeedbackRegion) -> None:
    """Every opportunities and registry event stored was published and feedback read it."""
    opportunities_runtime: Any = region.app.state.runtime
    registry_runtime: Any = region.registry.app.state.runtime  # type: ignore[attr-defined]
    feedback_runtime: Any = region.feedback_app.state.runtime

    async def read_everything() -> bool:
        return bool(await opportunities_runtime.relay.pending() == 0
                    and await registry_runtime.relay.pending() == 0
                    and await feedback_runtime.bus.lag(
                        "chorus.feedback", [REGISTRY_TOPIC, OPPORTUNITIES_TOPIC]) == 0)

    await until(read_everything, WAIT, "feedback to read every published event")
    await region.caught_up()


async def _in_pool(region: FeedbackRegion, *participant_ids: str) -> bool:
    for participant_id in participant_ids:
        member = await region.state.matcher.pool.member(UUID(participant_id))
        if member is None or member.candidate.status != "active":
            return False
    return True


async def _known_to_feedback(region: FeedbackRegion, organisation_id: str) -> bool:
    async with region.fb.consultations.db.snapshot() as tx:
        found = (await tx.conn.execute(select(organisations.c.organisation_id).where(
            organisations.c.organisation_id == UUID(organisation_id)))).first()
    return found is not None
