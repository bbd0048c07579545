"""The people half's pure rules: which consultations are announced to whom, quiet hours and
digest times (across midnight and the clock changes), preferences, retries and money."""

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from chorus.contracts.vocabulary import (
    Audience,
    ConsentScope,
    ContactChannel,
    Frequency,
    InvolvementKind,
    ParticipantStatus,
)
from chorus.errors import DomainRuleBroken
from notifications.people.domain.notices import Person, next_attempt, pounds, wants_consultation
from notifications.people.domain.preferences import (
    Channel,
    Preferences,
    QuietHours,
    latest_digest_time,
    next_digest_time,
    quiet_until,
)

LONDON = ZoneInfo("Europe/London")
NETWORK, TRUST, CHARITY = uuid4(), uuid4(), uuid4()


def person(**changes: Any) -> Person:
    facts: dict[str, Any] = {
        "participant_id": uuid4(), "network_id": NETWORK,
        "contact_channels": frozenset({ContactChannel.EMAIL}),
        "kinds_wanted": frozenset({InvolvementKind.SURVEY, InvolvementKind.FOCUS_GROUP})}
    return Person(**(facts | changes))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- who hears of a consultation -------------------------------------------------------


def test_a_consultation_is_announced_to_those_it_suits() -> None:
    assert wants_consultation(person(), NETWORK, TRUST, Audience.NETWORK)
    assert wants_consultation(person(), NETWORK, TRUST, Audience.PUBLIC)


@pytest.mark.parametrize(("who", "why"), [
    (person(status=ParticipantStatus.PAUSED), "paused"),
    (person(status=ParticipantStatus.LEFT), "left"),
    (person(status=ParticipantStatus.ERASED), "erased"),
    (person(contact_channels=frozenset({ContactChannel.POST})), "no e-mail allowed"),
    (person(kinds_wanted=frozenset({InvolvementKind.FOCUS_GROUP})), "no surveys wanted"),
    (person(network_id=uuid4()), "another network"),
    (person(scope=ConsentScope.ORGANISATIONS, organisation_ids=frozenset({CHARITY})),
     "shares only with another organisation"),
])
def test_a_consultation_is_not_announced_to(who: Person, why: str) -> None:
    assert not wants_consultation(who, NETWORK, TRUST, Audience.NETWORK), why


def test_consent_naming_the_organisation_lets_its_consultations_through() -> None:
    named = person(scope=ConsentScope.ORGANISATIONS, organisation_ids=frozenset({TRUST}))
    assert wants_consultation(named, NETWORK, TRUST, Audience.NETWORK)


def test_a_consultation_for_invited_people_is_never_announced() -> None:
    assert not wants_consultation(person(), NETWORK, TRUST, Audience.INVITED)


# -- quiet hours -----------------------------------------------------------------------


def test_quiet_hours_within_a_day() -> None:
    lunch = QuietHours(time(12), time(14))
    assert lunch.cover(time(12)) and lunch.cover(time(13, 59))
    assert not lunch.cover(time(14)) and not lunch.cover(time(11, 59))
    assert quiet_until(utc("2024-01-10T12:30"), lunch, LONDON) == utc("2024-01-10T14:00")
    assert quiet_until(utc("2024-01-10T15:00"), lunch, LONDON) is None
    assert quiet_until(utc("2024-01-10T12:30"), None, LONDON) is None


def test_quiet_hours_across_midnight_end_the_next_morning() -> None:
    night = QuietHours(time(22), time(7))
    assert night.crosses_midnight
    # In winter London is on UTC.
    assert quiet_until(utc("2024-01-10T23:15"), night, LONDON) == utc("2024-01-11T07:00")
    assert quiet_until(utc("2024-01-11T03:00"), night, LONDON) == utc("2024-01-11T07:00")
    assert quiet_until(utc("2024-01-11T07:00"), night, LONDON) is None
    assert quiet_until(utc("2024-01-11T21:59"), night, LONDON) is None
    # In summer 22:00 local is 21:00 UTC.
    assert quiet_until(utc("2024-07-10T21:30"), night, LONDON) == utc("2024-07-11T06:00")


def test_quiet_hours_across_the_clock_changes() -> None:
    night = QuietHours(time(22), time(7))
    # Clocks go forward on 31 March 2024: the night is an hour shorter.
    assert quiet_until(utc("2024-03-30T23:00"), night, LONDON) == utc("2024-03-31T06:00")
    # Clocks go back on 27 October 2024: the night is an hour longer.
    assert quiet_until(utc("2024-10-26T21:30"), night, LONDON) == utc("2024-10-27T07:00")
    # An end the spring change skips (01:30) falls an hour later, never earlier.
    small_hours = QuietHours(time(0), time(1, 30))
    assert quiet_until(utc("2024-03-31T00:45"), small_hours, LONDON) == utc("2024-03-31T01:30")


def test_empty_or_zoned_quiet_hours_are_refused() -> None:
    with pytest.raises(DomainRuleBroken, match="quiet_hours"):
        QuietHours(time(9), time(9))
    with pytest.raises(DomainRuleBroken, match="local times"):
        QuietHours(time(9, tzinfo=UTC), time(10))


# -- digest times ----------------------------------------------------------------------


def test_daily_digests_are_due_each_morning_at_the_local_hour() -> None:
    assert latest_digest_time(utc("2024-01-10T08:30"), Frequency.DAILY, 8, LONDON) == utc(
        "2024-01-10T08:00")
    assert latest_digest_time(utc("2024-01-10T07:59"), Frequency.DAILY, 8, LONDON) == utc(
        "2024-01-09T08:00")
    assert latest_digest_time(utc("2024-01-10T08:00"), Frequency.DAILY, 8, LONDON) == utc(
        "2024-01-10T08:00")
    assert next_digest_time(utc("2024-01-10T08:00"), Frequency.DAILY, 8, LONDON) == utc(
        "2024-01-11T08:00")
    assert next_digest_time(utc("2024-01-10T23:30"), Frequency.DAILY, 8, LONDON) == utc(
        "2024-01-11T08:00")


def test_digests_follow_the_clock_change() -> None:
    # 08:00 in London is 08:00 UTC on Saturday 30 March and 07:00 UTC on Sunday 31 March.
    assert next_digest_time(utc("2024-03-30T09:00"), Frequency.DAILY, 8, LONDON) == utc(
        "2024-03-31T07:00")
    assert latest_digest_time(utc("2024-03-31T07:30"), Frequency.DAILY, 8, LONDON) == utc(
        "2024-03-31T07:00")
    assert next_digest_time(utc("2024-10-26T09:00"), Frequency.DAILY, 8, LONDON) == utc(
        "2024-10-27T08:00")


def test_weekly_digests_go_on_mondays() -> None:
    wednesday = utc("2024-01-10T12:00")
    assert latest_digest_time(wednesday, Frequency.WEEKLY, 8, LONDON) == utc(
        "2024-01-08T08:00")
    assert next_digest_time(wednesday, Frequency.WEEKLY, 8, LONDON) == utc("2024-01-15T08:00")
    early_monday = utc("2024-01-15T07:00")
    assert latest_digest_time(early_monday, Frequency.WEEKLY, 8, LONDON) == utc(
        "2024-01-08T08:00")
    assert next_digest_time(early_monday, Frequency.WEEKLY, 8, LONDON) == utc(
        "2024-01-15T08:00")
    # Across the spring change: Monday 1 April 08:00 BST is 07:00 UTC.
    assert next_digest_time(utc("2024-03-27T12:00"), Frequency.WEEKLY, 8, LONDON) == utc(
        "2024-04-01T07:00")


def test_an_immediate_person_has_no_digest() -> None:
    with pytest.raises(ValueError):
        latest_digest_time(utc("2024-01-10T08:30"), Frequency.IMMEDIATE, 8, LONDON)


# -- preferences, retries, money --------------------------------------------------------


def test_preferences_default_to_email_at_once() -> None:
    chosen = Preferences()
    assert chosen.channel == Channel.EMAIL and chosen.frequency == Frequency.IMMEDIATE
    assert chosen.quiet_hours is None and not chosen.gathers_into_digest
    assert Preferences(frequency=Frequency.WEEKLY).gathers_into_digest


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.LETTER])
def test_text_messages_and_letters_are_not_offered_yet(channel: Channel) -> None:
    with pytest.raises(DomainRuleBroken, match="not offered yet"):
        Preferences(channel=channel)


def test_a_refused_email_is_tried_a_few_times_then_given_up() -> None:
    now = utc("2024-01-10T12:00")
    assert next_attempt(1, now) == now + timedelta(minutes=1)
    assert next_attempt(2, now) == now + timedelta(minutes=5)
    assert next_attempt(3, now) == now + timedelta(minutes=30)
    assert next_attempt(4, now) is None


def test_amounts_read_as_pounds() -> None:
    assert pounds(1250) == "£12.50"
    assert pounds(300) == "£3.00"
    assert pounds(5) == "£0.05"
    assert pounds(125_000) == "£1,250.00"


def test_people_are_known_only_by_id() -> None:
    fields = set(Person.__dataclass_fields__)
    assert not fields & {"name", "email", "phone", "address", "postcode"}
    assert isinstance(person().participant_id, UUID)
