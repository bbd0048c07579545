"""Loop closure over time: quarter by quarter of the NHS financial year, the consultations
closed, how many have a published outcome and how many led to a change, counted by the
quarter they closed in.

The fixture, every step through the API with feedback's clocks set to the day it happened:
the trust's C1 closed 10 May 2025 (outcome published ten days later, and a change linked to
a response) and C2 closed 20 May 2025 (no outcome), both in 2025/26 Q1; C3 closed
3 November 2025 (Q3), outcome published; C4 still open. The Healthwatch's C5 closed
1 August 2025 (Q2). Asked on 10 February 2026 (Q4).
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from feedback.application.metrics import Quarter, loop_closure_by_quarter
from tests.services.feedback.conftest import FeedbackRegion

pytestmark = pytest.mark.timeout(120)

Headers = dict[str, str]


def on(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def pinned(region: FeedbackRegion, when: datetime) -> None:
    """Every clock of feedback that stamps what these steps record, set to `when`."""
    clock: Callable[[], datetime] = lambda: when  # noqa: E731
    region.fb.consultations.clock = clock
    region.fb.changes.clock = clock
    object.__setattr__(region.fb, "clock", clock)  # the metrics' "now"; the state is frozen


async def closed_on(region: FeedbackRegion, staff: Headers, day: str,
                    outcome_on: str | None = None) -> tuple[str, str]:
    """A consultation opened and answered on `day`, closed the same day; its outcome
    published on `outcome_on`. Its id and its response's id."""
    pinned(region, on(day))
    cid = (await region.open(staff, closes_at=(on(day) + timedelta(days=28)).isoformat())
           )["consultation_id"]
    fid = (await region.respond(cid))["feedback_id"]
    closing = await region.feedback.post(f"/v1/consultations/{cid}/close", headers=staff)
    assert closing.status_code == 200, closing.text
    if outcome_on:
        pinned(region, on(outcome_on))
        published = await region.feedback.post(f"/v1/consultations/{cid}/outcome", json={
            "you_said": "You said it.", "we_did": "We did it."}, headers=staff)
        assert published.status_code == 200, published.text
    return str(cid), str(fid)


def by_quarter(metrics: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(q["period"], q["closed"], q["outcomes_published"], q["led_to_change"],
             q["outcomes_published_percent"], q["led_to_change_percent"])
            for q in metrics["loop_closure_by_quarter"]]


async def test_loop_closure_quarter_by_quarter_for_an_organisation_and_its_network(
        region: FeedbackRegion) -> None:
    trust, trust_staff = await region.organisation()
    healthwatch, hw_staff = await region.organisation("Example Healthwatch", "healthwatch")
    await region.known(trust, healthwatch)
    _, f1 = await closed_on(region, trust_staff, "2025-05-10", outcome_on="2025-05-20")
    await closed_on(region, trust_staff, "2025-05-20")
    await closed_on(region, trust_staff, "2025-11-03", outcome_on="2025-11-20")
    await closed_on(region, hw_staff, "2025-08-01")
    pinned(region, on("2025-12-01"))
    await region.open(trust_staff, closes_at=on("2026-03-01").isoformat())
    change = await region.feedback.post("/v1/changes", json={
        "title": "t", "what_changed": "w", "service_area": "wards",
        "changed_on": "2025-12-01", "feedback_ids": [f1],
        "organisations": [{"organisation_id": trust, "owner": "Lead"}]}, headers=trust_staff)
    assert change.status_code == 201, change.text
    await region.caught_up()
    pinned(region, on("2026-02-10"))

    org = await region.feedback.get(f"/v1/metrics/organisations/{trust}", headers=trust_staff)
    assert org.status_code == 200, org.text
    assert by_quarter(org.json()) == [
        ("2025/26 Q1 (Apr to Jun 2025)", 2, 1, 1, 50.0, 50.0),
        ("2025/26 Q2 (Jul to Sep 2025)", 0, 0, 0, None, None),
        ("2025/26 Q3 (Oct to Dec 2025)", 1, 1, 0, 100.0, 0.0),
        ("2025/26 Q4 (Jan to Mar 2026)", 0, 0, 0, None, None),
    ]
    first = org.json()["loop_closure_by_quarter"][0]
    assert (first["starts_on"], first["ends_on"]) == ("2025-04-01", "2025-06-30")
    assert org.json()["figures"]["outcomes_published"]["value"] == 66.7  # unchanged beside

    network = await region.feedback.get(f"/v1/metrics/networks/{region.network_id}",
                                        headers=hw_staff)
    assert network.status_code == 200, network.text
    assert [q[:4] for q in by_quarter(network.json())] == [
        ("2025/26 Q1 (Apr to Jun 2025)", 2, 1, 1), ("2025/26 Q2 (Jul to Sep 2025)", 1, 0, 0),
        ("2025/26 Q3 (Oct to Dec 2025)", 1, 1, 0), ("2025/26 Q4 (Jan to Mar 2026)", 0, 0, 0)]

    hw = await region.feedback.get(f"/v1/metrics/organisations/{healthwatch}",
                                   headers=hw_staff)
    assert [q[:2] for q in by_quarter(hw.json())] == [
        ("2025/26 Q2 (Jul to Sep 2025)", 1), ("2025/26 Q3 (Oct to Dec 2025)", 0),
        ("2025/26 Q4 (Jan to Mar 2026)", 0)]


async def test_no_quarters_before_any_consultation_has_closed(region: FeedbackRegion) -> None:
    trust, staff = await region.organisation()
    await region.known(trust)
    await region.open(staff)
    answer = await region.feedback.get(f"/v1/metrics/organisations/{trust}", headers=staff)
    assert answer.status_code == 200, answer.text
    assert answer.json()["loop_closure_by_quarter"] == []


@pytest.mark.parametrize(("day", "year", "number"), [
    ("2026-03-31", 2025, 4), ("2026-04-01", 2026, 1), ("2026-06-30", 2026, 1),
    ("2026-07-01", 2026, 2), ("2026-12-31", 2026, 3), ("2027-01-01", 2026, 4)])
def test_quarters_of_the_nhs_financial_year(day: str, year: int, number: int) -> None:
    quarter = Quarter.of(date.fromisoformat(day))
    assert (quarter.year, quarter.number) == (year, number)
    assert quarter.starts_on <= date.fromisoformat(day) <= quarter.ends_on


def test_only_the_last_eight_quarters_are_shown() -> None:
    closed = [(on("2022-05-01"), True, False), (on("2024-01-15"), True, True),
              (on("2024-02-01"), False, False), (on("2026-01-02"), True, False)]
    quarters = loop_closure_by_quarter(closed, on("2026-02-10"))
    assert len(quarters) == 8
    assert quarters[0].name == "2024/25 Q1 (Apr to Jun 2024)"  # 2022 and early 2024 left out
    assert quarters[-1].name == "2025/26 Q4 (Jan to Mar 2026)"
    assert (quarters[-1].closed, quarters[-1].outcomes_published) == (1, 1)
    assert sum(q.closed for q in quarters) == 1
    assert Quarter(2023, 4).name == "2023/24 Q4 (Jan to Mar 2024)"
