"""An opportunity's seats, invitations, waitlist and sessions: the rules, with no database."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from chorus.contracts.vocabulary import (
    Commitment,
    Method,
    OpportunityKind,
    PaymentPreference,
    Remuneration,
    Stage,
)
from chorus.errors import Conflict, DomainRuleBroken, Gone, NotFound
from opportunities.domain import opportunity as o
from opportunities.domain.details import Details, PaymentBasis, ScheduledSession
from opportunities.domain.payments import DEFAULT_RATES

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def details(**changes: object) -> Details:
    values: dict[str, object] = dict(
        title="Redesign the discharge letter", description="Two workshops.",
        kind=OpportunityKind.CO_DESIGN_WORKSHOP, stage=Stage.DESIGN,
        methods=(Method.IN_PERSON,), online=False, postcode_district="LS1",
        commitment=Commitment.ONE_OFF, time_commitment="3 hours", seats=2,
        remuneration=Remuneration.PAID, payment_basis=PaymentBasis.SESSIONAL,
        closing_date=date(2026, 12, 31))
    return Details(**(values | changes))  # type: ignore[arg-type]


def published(**changes: object) -> o.Opportunity:
    opportunity = o.Opportunity.publish(uuid4(), uuid4(), uuid4(), details(**changes), "staff",
                                        NOW)
    opportunity.pending.clear()
    return opportunity


def invited(opportunity: o.Opportunity, *people: UUID) -> list[UUID]:
    return [opportunity.invite(uuid4(), p, "staff", NOW).invitation_id for p in people]


def events(opportunity: o.Opportunity) -> list[str]:
    names = [type(e).__name__ for e in opportunity.pending]
    opportunity.pending.clear()
    return names


@pytest.mark.parametrize(("changes", "problem"), [
    ({"closing_date": date(2026, 11, 19)}, "in the past"),
    ({"closing_date": date(2031, 1, 1)}, "three years"),
    ({"seats": 0}, "seats"),
    ({"online": False, "postcode_district": None}, "postcode_district"),
    ({"payment_basis": None}, "payment_basis"),
    ({"methods": ()}, "method"),
    ({"sessions": (ScheduledSession(session_id=uuid4(), starts_at=NOW,
                                    ends_at=NOW - timedelta(hours=1)),)}, "end after"),
])
def test_bad_opportunities_are_refused(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(DomainRuleBroken, match=problem):
        o.Opportunity.publish(uuid4(), uuid4(), uuid4(), details(**changes), "staff", NOW)


def test_accepting_takes_a_seat_until_full_then_waitlists() -> None:
    opportunity = published(seats=1)
    first, second = uuid4(), uuid4()
    one, two = invited(opportunity, first, second)
    events(opportunity)
    opportunity.accept(one, first, NOW)
    assert events(opportunity) == ["InvitationAccepted", "ParticipantAssigned",
                                   "OpportunityFilled"]
    assert opportunity.accept(two, second, NOW).status == o.InvitationStatus.WAITLISTED
    opportunity.stand_down(first, NOW)
    assert events(opportunity)[-3:] == ["ParticipantStoodDown", "ParticipantAssigned",
                                        "OpportunityFilled"]
    assert opportunity.assigned == [second]


def test_an_invitation_is_answered_only_by_its_person_and_only_in_time() -> None:
    opportunity = published()
    person = uuid4()
    (invitation,) = invited(opportunity, person)
    with pytest.raises(NotFound):
        opportunity.accept(invitation, uuid4(), NOW)
    with pytest.raises(Gone, match="expired"):
        opportunity.accept(invitation, person, NOW + timedelta(days=o.INVITATION_DAYS))
    opportunity.decline(invitation, person, NOW)
    with pytest.raises(Conflict, match="declined"):
        opportunity.accept(invitation, person, NOW)


def test_invitations_lapse_with_the_closing_date() -> None:
    opportunity = published(closing_date=date(2026, 11, 25))
    (invitation,) = invited(opportunity, uuid4())
    assert opportunity.invitation(invitation).expires_at == datetime(2026, 11, 26, tzinfo=UTC)
    assert len(opportunity.expire_invitations(datetime(2026, 11, 26, tzinfo=UTC))) == 1


def test_one_live_invitation_per_person() -> None:
    opportunity = published()
    person = uuid4()
    invited(opportunity, person)
    with pytest.raises(Conflict, match="already has an invitation"):
        invited(opportunity, person)


def test_stepping_back_withdraws_open_invitations_and_leaving_gives_up_the_seat() -> None:
    opportunity = published(seats=1)
    seated, waiting, paused = uuid4(), uuid4(), uuid4()
    a, b, _ = invited(opportunity, seated, waiting, paused)
    opportunity.accept(a, seated, NOW)
    opportunity.accept(b, waiting, NOW)
    events(opportunity)
    opportunity.when_participant_stepped_back(paused, "participant_paused", NOW,
                                              give_up_seat=False)
    assert events(opportunity) == ["InvitationWithdrawn"]
    opportunity.when_participant_stepped_back(seated, "participant_paused", NOW,
                                              give_up_seat=False)
    assert events(opportunity) == []  # a pause keeps a seat
    opportunity.when_participant_stepped_back(seated, "participant_left", NOW,
                                              give_up_seat=True)
    assert opportunity.assigned == [waiting]


def test_withdrawing_the_opportunity_withdraws_open_invitations() -> None:
    opportunity = published()
    invited(opportunity, uuid4(), uuid4())
    events(opportunity)
    opportunity.withdraw(NOW)
    assert events(opportunity) == ["InvitationWithdrawn", "InvitationWithdrawn",
                                   "OpportunityWithdrawn"]
    with pytest.raises(Gone):
        invited(opportunity, uuid4())


def test_seats_cannot_shrink_below_the_people_assigned() -> None:
    opportunity = published(seats=2)
    people = [uuid4(), uuid4()]
    for invitation, person in zip(invited(opportunity, *people), people, strict=True):
        opportunity.accept(invitation, person, NOW)
    with pytest.raises(DomainRuleBroken, match="below"):
        opportunity.update(details(seats=1), NOW)


def test_sessions_record_only_assigned_people_for_at_most_the_session() -> None:
    opportunity = published()
    person, stranger = uuid4(), uuid4()
    (invitation,) = invited(opportunity, person)
    opportunity.accept(invitation, person, NOW)
    start = NOW - timedelta(hours=3)
    with pytest.raises(DomainRuleBroken, match="never assigned"):
        opportunity.record_session(uuid4(), None, start, NOW, (
            o.Attendance(participant_id=stranger, minutes=60),), "staff", NOW)
    with pytest.raises(DomainRuleBroken, match="no longer than the session"):
        opportunity.record_session(uuid4(), None, start, NOW, (
            o.Attendance(participant_id=person, minutes=181),), "staff", NOW)
    with pytest.raises(DomainRuleBroken, match="once it has ended"):
        opportunity.record_session(uuid4(), None, NOW, NOW + timedelta(hours=1), (),
                                   "staff", NOW)
    held = opportunity.record_session(uuid4(), None, start, NOW, (
        o.Attendance(participant_id=person, minutes=180),), "staff", NOW)
    paid = opportunity.pay(uuid4(), held.session_id, person, DEFAULT_RATES,
                           PaymentPreference.ACCEPT, None, "staff", NOW)
    assert (paid.rate, paid.amount_paid_pence) == ("half_day", 7_500)
    with pytest.raises(Conflict, match="already been paid"):
        opportunity.pay(uuid4(), held.session_id, person, DEFAULT_RATES,
                        PaymentPreference.ACCEPT, None, "staff", NOW)


def test_the_history_rebuilds_the_same_seats() -> None:
    opportunity = published(seats=1)
    people = [uuid4(), uuid4()]
    for invitation, person in zip(invited(opportunity, *people), people, strict=True):
        opportunity.accept(invitation, person, NOW)
    history = list(opportunity.pending)
    rebuilt = o.Opportunity.rebuild(opportunity.id, [
        o.OpportunityPublished(opportunity_id=opportunity.uuid,
                               organisation_id=opportunity.organisation_id,
                               network_id=opportunity.network_id, details=opportunity.details,
                               published_by="staff", published_at=NOW), *history])
    assert rebuilt.assigned == opportunity.assigned
    assert rebuilt.state.waitlist == opportunity.state.waitlist
