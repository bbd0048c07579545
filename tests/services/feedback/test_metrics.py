"""Every accountability metric on a hand-computed fixture, the same definitions for an
organisation and its network, and a rebuilt read model giving identical numbers.

The fixture (network N; the trust T and the Healthwatch H):
- participants p1..p5 opted in to equality monitoring with deciles 1, 2, 5, 9, 10; p6 did not;
- T's consultations: C1 (answered by p1, p2 and someone anonymous; closed; outcome 10 days
  after close), C2 (answered by p1; closed; no outcome), C3 (answered by p3; still open);
  H's C4 (answered by p4; closed; outcome 3 days after close);
- stories naming T: S1, S2, S4 published, S3 rejected; a change links p2's response in C1
  and S1;
- noted from opportunities: T's opportunities at strategy, design, delivery, evaluation, and
  one more at evaluation that was withdrawn; sessions attended: p1 three times, p3, p4, p5
  once each; 10 invitations sent in N, 3 declined; T's expenses paid in 2, 4 and 9 days,
  H's in 20.

T's involvement per person: p1 5 (two responses, three sessions), p2 1, p3 2, p4 1, p5 1.
  top tenth: ceil(0.5) = 1 person holds 5 of 10 = 50.0%.
  Gini over [1, 1, 1, 2, 5]: (-4·1 - 2·1 + 0·1 + 2·2 + 4·5) / (5·10) = 18/50 = 0.36.
  reach: deciles 1-2 hold 5 + 1 = 6 of 10 = 60.0%.
N adds p4's response to C4: [5, 1, 2, 2, 1], 11 in all: top tenth 5/11 = 45.5%;
  Gini (sorted 1, 1, 2, 2, 5): (-4 - 2 + 0 + 4 + 20) / 55 = 0.327; reach 6/11 = 54.5%.
"""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from chorus.contracts.vocabulary import Stage
from chorus.domain import DomainEvent
from feedback.application.noting import Noting
from feedback.domain import noted as n
from tests.services.feedback.conftest import FeedbackRegion

pytestmark = pytest.mark.timeout(120)

Headers = dict[str, str]


async def close(region: FeedbackRegion, cid: str, staff: Headers) -> None:
    response = await region.feedback.post(f"/v1/consultations/{cid}/close", headers=staff)
    assert response.status_code == 200, response.text


async def outcome_after(region: FeedbackRegion, cid: str, staff: Headers, days: int) -> None:
    real = region.fb.consultations.clock
    region.fb.consultations.clock = lambda: real() + timedelta(days=days, minutes=1)
    try:
        response = await region.feedback.post(f"/v1/consultations/{cid}/outcome", json={
            "you_said": "You said it.", "we_did": "We did it."}, headers=staff)
        assert response.status_code == 200, response.text
    finally:
        region.fb.consultations.clock = real


async def story(region: FeedbackRegion, org: str, decision: str, admin: Headers) -> str:
    shared = await region.feedback.post("/v1/stories", json={
        "network_id": region.network_id, "organisation_ids": [org], "service_area": "wards",
        "title": "A stay", "text": "It was a long stay."})
    assert shared.status_code == 201, shared.text
    body: dict[str, Any] = {"decision": decision}
    if decision == "reject":
        body["reason"] = "Off topic."
    moderated = await region.feedback.post(
        f"/v1/stories/{shared.json()['story_id']}/moderate", json=body, headers=admin)
    assert moderated.status_code == 200, moderated.text
    return str(shared.json()["story_id"])


async def note(region: FeedbackRegion, *facts: tuple[UUID, DomainEvent]) -> None:
    noting = Noting(region.feedback_app.state.runtime.store)
    async with region.fb.consultations.db.transaction() as tx:
        for about, fact in facts:
            await noting.append(tx, about, fact)


def opportunities_facts(trust: UUID, healthwatch: UUID, network: UUID,
                        people: list[UUID]) -> list[tuple[UUID, DomainEvent]]:
    at = datetime.now(UTC)
    p1, _, p3, p4, p5 = people
    ids = {"organisation_id": trust, "network_id": network}
    facts: list[tuple[UUID, DomainEvent]] = []
    opportunities = []
    for stage in (Stage.STRATEGY, Stage.DESIGN, Stage.DELIVERY, Stage.EVALUATION,
                  Stage.EVALUATION):
        o = uuid4()
        opportunities.append(o)
        facts.append((o, n.OpportunityNoted(**ids, opportunity_id=o, stage=stage, at=at)))
    facts.append((opportunities[-1], n.OpportunityWithdrawalNoted(
        **ids, opportunity_id=opportunities[-1], at=at)))
    for attended in ([p1, p3], [p1, p5], [p1, p4]):
        facts.append((opportunities[0], n.AttendanceNoted(
            **ids, opportunity_id=opportunities[0], session_id=uuid4(), stage=Stage.STRATEGY,
            participant_ids=tuple(attended), at=at)))
    for declined in [True] * 3 + [False] * 10:
        invitation = uuid4()
        facts.append((invitation, n.InvitationNoted(**ids, invitation_id=invitation,
                                                     declined=declined, at=at)))
    for organisation, days in ((trust, 2), (trust, 4), (trust, 9), (healthwatch, 20)):
        expense = uuid4()
        facts.append((expense, n.ExpensePaymentNoted(
            organisation_id=organisation, network_id=network, expense_id=expense,
            days_to_payment=days, at=at)))
    return facts


def values(metrics: dict[str, Any]) -> dict[str, Any]:
    return {name: (f["value"], f["numerator"], f["denominator"])
            for name, f in metrics["figures"].items()}


async def test_every_metric_on_a_hand_computed_region_and_identical_after_a_rebuild(
        region: FeedbackRegion) -> None:
    trust, trust_staff = await region.organisation()
    healthwatch, hw_staff = await region.organisation("Example Healthwatch", "healthwatch")
    await region.known(trust, healthwatch)
    admin = await region.registry.admin()
    people = []
    for decile in (1, 2, 5, 9, 10, None):
        consent = {"scope": "network", "equality_monitoring": decile is not None,
                   "deprivation_decile": decile}
        people.append(await region.person(consent=consent))
    (_, h1), (_, h2), (_, h3), (_, h4), _, _ = people

    c1 = (await region.open(trust_staff))["consultation_id"]
    c2 = (await region.open(trust_staff))["consultation_id"]
    c3 = (await region.open(trust_staff))["consultation_id"]
    c4 = (await region.open(hw_staff))["consultation_id"]
    await region.respond(c1, h1)
    p2_in_c1 = (await region.respond(c1, h2))["feedback_id"]
    await region.respond(c1)
    await region.respond(c2, h1)
    await region.respond(c3, h3)
    await region.respond(c4, h4)
    for cid, staff in ((c1, trust_staff), (c2, trust_staff), (c4, hw_staff)):
        await close(region, cid, staff)
    await outcome_after(region, c1, trust_staff, 10)
    await outcome_after(region, c4, hw_staff, 3)
    s1 = await story(region, trust, "publish", admin)
    await story(region, trust, "publish", admin)
    await story(region, trust, "reject", admin)
    await story(region, trust, "publish", admin)
    change = await region.feedback.post("/v1/changes", json={
        "title": "t", "what_changed": "w", "service_area": "wards",
        "changed_on": "2026-01-05", "feedback_ids": [p2_in_c1], "story_ids": [s1],
        "organisations": [{"organisation_id": trust, "owner": "Lead"}]}, headers=trust_staff)
    assert change.status_code == 201, change.text
    ids = [UUID(p) for p, _ in people[:5]]
    await region.pool_has(*[p for p, _ in people])
    await note(region, *opportunities_facts(UUID(trust), UUID(healthwatch),
                                            UUID(region.network_id), ids))
    await region.caught_up()

    org = await region.feedback.get(f"/v1/metrics/organisations/{trust}", headers=admin)
    assert org.status_code == 200, org.text
    assert values(org.json()) == {
        "outcomes_published": (50.0, 1, 2),
        "median_days_to_outcome": (10.0, None, 1),
        "led_to_change": (40.0, 2, 5),
        "consultations_led_to_change": (50.0, 1, 2),
        "stories_led_to_change": (33.3, 1, 3),
        "involved_from_the_beginning": (50.0, 2, 4),
        "involved_only_at_evaluation": (25.0, 1, 4),
        "participants_involved": (5, None, None),
        "top_tenth_share": (50.0, None, 10),
        "gini": (0.36, None, 5),
        "reach_most_deprived": (60.0, 6, 10),
        "median_days_to_expense_payment": (4.0, None, 3),
    }
    assert org.json()["opportunities_by_stage"] == {
        "strategy": 1, "design": 1, "delivery": 1, "monitoring": 0, "evaluation": 1}
    assert all(f["definition"] for f in org.json()["figures"].values())

    network = await region.feedback.get(f"/v1/metrics/networks/{region.network_id}",
                                        headers=trust_staff)
    assert network.status_code == 200, network.text
    assert values(network.json()) == {
        "outcomes_published": (66.7, 2, 3),
        "median_days_to_outcome": (6.5, None, 2),
        "led_to_change": (33.3, 2, 6),
        "consultations_led_to_change": (33.3, 1, 3),
        "stories_led_to_change": (33.3, 1, 3),
        "involved_from_the_beginning": (50.0, 2, 4),
        "involved_only_at_evaluation": (25.0, 1, 4),
        "participants_involved": (5, None, None),
        "top_tenth_share": (45.5, None, 11),
        "gini": (0.327, None, 5),
        "reach_most_deprived": (54.5, 6, 11),
        "invitations_declined": (30.0, 3, 10),
        "median_days_to_expense_payment": (6.5, None, 4),
    }
    hw = (await region.feedback.get(f"/v1/metrics/organisations/{healthwatch}",
                                    headers=admin)).json()["figures"]
    assert hw["reach_most_deprived"]["value"] is None
    assert "fewer than 5" in hw["reach_most_deprived"]["withheld"]
    assert "invitations_declined" not in hw

    before = (org.json(), network.json())
    runner = next(r for r in region.feedback_app.state.runtime.runners
                  if r.projection.name == "accountability")
    await runner.reset()
    empty = await region.feedback.get(f"/v1/metrics/organisations/{trust}", headers=admin)
    assert empty.json()["figures"]["participants_involved"]["value"] == 0
    await runner.catch_up()
    after = ((await region.feedback.get(f"/v1/metrics/organisations/{trust}",
                                        headers=admin)).json(),
             (await region.feedback.get(f"/v1/metrics/networks/{region.network_id}",
                                        headers=trust_staff)).json())
    for old, new in zip(before, after, strict=True):
        assert old["figures"] == new["figures"]
        assert old["opportunities_by_stage"] == new["opportunities_by_stage"]



async def test_metrics_are_for_their_own_network_only(region: FeedbackRegion) -> None:
    trust, staff = await region.organisation()
    await region.known(trust)
    _, participant = await region.person()
    elsewhere = await region.registry.network("South Example")
    other_org, other_staff = await region.registry.organisation(elsewhere, "South Trust",
                                                                "charity")
    await region.known(other_org)
    for path in (f"/v1/metrics/organisations/{trust}", f"/v1/metrics/networks/"
                 f"{region.network_id}"):
        response = await region.feedback.get(path, headers=other_staff)
        assert response.status_code == 403, response.text
        assert "another network" in response.json()["detail"]
        assert (await region.feedback.get(path, headers=participant)).status_code == 403
        assert (await region.feedback.get(path)).status_code == 401
    unknown = await region.feedback.get(f"/v1/metrics/organisations/{uuid4()}", headers=staff)
    assert unknown.status_code == 404
