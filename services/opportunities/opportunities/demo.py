"""The demo region's opportunities, published once registry's demo organisations arrive."""

import asyncio
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import select

from chorus.auth import Principal, Role
from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
    Method,
    OpportunityKind,
    Remuneration,
    Stage,
    SupportOffered,
    Topic,
)
from opportunities.application.opportunities import Opportunities
from opportunities.domain.details import Details, PaymentBasis, ScheduledSession
from opportunities.tables import organisations

WAIT_SECONDS = 20.0


async def seed_demo(opportunities: Opportunities) -> list[str]:
    """Two opportunities for the demo trust and one for the demo Healthwatch."""
    members = await _demo_organisations(opportunities)
    if not members:
        return ["demo opportunities: none (registry's demo organisations did not arrive)"]
    now = opportunities.clock()
    offers = [(kind, details) for kind, details in _offers(now) if kind in members]
    lines = []
    for kind, details in offers:
        organisation_id, network_id = members[kind]
        staff = Principal(subject="demo-seed", role=Role.ORG_STAFF, org_id=organisation_id,
                          network_id=network_id)
        published = await opportunities.publish(details, staff)
        lines.append(f"demo opportunity: {details.title} ({published.id})")
    return lines


async def _demo_organisations(opportunities: Opportunities) -> dict[str, tuple[UUID, UUID]]:
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        async with opportunities.db.snapshot() as tx:
            rows = (await tx.conn.execute(select(organisations))).mappings().all()
        found = {r["kind"]: (r["organisation_id"], r["network_id"]) for r in rows}
        if {"nhs_trust", "healthwatch"} <= found.keys():
            return found
        if asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.1)


def _session(now: datetime, days: int, hour: int, hours: int) -> ScheduledSession:
    day = (now + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return ScheduledSession(session_id=uuid4(), starts_at=day,
                            ends_at=day + timedelta(hours=hours))


def _offers(now: datetime) -> list[tuple[str, Details]]:
    closing = (now + timedelta(days=21)).date()
    return [
        ("nhs_trust", Details(
            title="Co-design the new diabetes clinic letters",
            description="Work with clinicians to rewrite the letters people get before and "
                        "after a diabetes clinic, so they are clear and kind.",
            kind=OpportunityKind.CO_DESIGN_WORKSHOP, stage=Stage.DESIGN,
            topics=(Topic.DIABETES, Topic.LONG_TERM_CONDITIONS),
            methods=(Method.IN_PERSON, Method.SPEAKING), online=False,
            postcode_district="LS1", sessions=(_session(now, 28, 10, 3),),
            commitment=Commitment.ONE_OFF, time_commitment="One 3-hour workshop", seats=6,
            pairs_preferred=True,
            support_offered=(SupportOffered.BRIEFING, SupportOffered.EXPENSES_UP_FRONT),
            remuneration=Remuneration.PAID, payment_basis=PaymentBasis.SESSIONAL,
            accessibility_provided=(AccessibilityNeed.STEP_FREE_ACCESS,
                                    AccessibilityNeed.HEARING_LOOP),
            closing_date=closing)),
        ("nhs_trust", Details(
            title="Lay member of the patient experience committee",
            description="Join the committee that reviews complaints and compliments each "
                        "quarter and checks that changes are made.",
            kind=OpportunityKind.LAY_MEMBER_AT_MEETINGS, stage=Stage.MONITORING,
            topics=(Topic.HOSPITAL_CARE,), methods=(Method.ONLINE, Method.SPEAKING),
            online=True, commitment=Commitment.REGULAR,
            time_commitment="Two hours every three months, for a year", seats=2,
            support_offered=(SupportOffered.TRAINING, SupportOffered.BUDDY),
            remuneration=Remuneration.PAID, payment_basis=PaymentBasis.HOURLY,
            closing_date=closing)),
        ("healthwatch", Details(
            title="Tell us about getting a GP appointment",
            description="A short online focus group about booking GP appointments.",
            kind=OpportunityKind.FOCUS_GROUP, stage=Stage.STRATEGY,
            topics=(Topic.PRIMARY_CARE, Topic.CARERS),
            methods=(Method.ONLINE, Method.WRITING), online=True,
            sessions=(_session(now, 14, 18, 1),), commitment=Commitment.ONE_OFF,
            time_commitment="One hour", seats=10, remuneration=Remuneration.EXPENSES_ONLY,
            closing_date=closing)),
    ]
