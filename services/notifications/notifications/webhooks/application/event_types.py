"""The event types partners may ask for: every published event of registry, opportunities
and feedback (the contract catalogue), not the notifications service's own."""

from collections.abc import Sequence

from chorus.contracts import UnknownEventType, all_contracts, contract_for
from chorus.errors import DomainRuleBroken
from notifications.webhooks.domain.patterns import EventPattern, MalformedPattern

PARTNER_SERVICES = ("registry", "opportunities", "feedback")
MAX_EVENT_TYPES = 50


def offered() -> list[str]:
    """Every event type a partner can receive, in the catalogue's order."""
    return [c.event_type() for c in all_contracts() if c.event_service in PARTNER_SERVICES]


def checked_event_types(given: Sequence[str]) -> tuple[str, ...]:
    """The event types and patterns as given, once each; DomainRuleBroken naming the first
    that is malformed, unknown, not offered to partners, or a pattern matching nothing."""
    if not given or len(given) > MAX_EVENT_TYPES:
        raise DomainRuleBroken(f"event_types: give 1 to {MAX_EVENT_TYPES} event types")
    known = offered()
    checked: list[str] = []
    for text in given:
        _check(text, known)
        if text not in checked:
            checked.append(text)
    return tuple(checked)


def _check(text: str, known: list[str]) -> None:
    try:
        pattern = EventPattern.parse(text)
    except MalformedPattern as error:
        raise DomainRuleBroken(f"event_types: {error}") from None
    if pattern.is_exact and text not in known:
        raise DomainRuleBroken(f"event_types: {text!r} {_why_not_offered(text)}")
    if not pattern.is_exact and not any(pattern.matches(t) for t in known):
        raise DomainRuleBroken(f"event_types: {text!r} matches no event type partners can "
                               "receive (registry, opportunities and feedback events)")


def _why_not_offered(event_type: str) -> str:
    try:
        contract = contract_for(event_type)
    except UnknownEventType:
        return "is not a published event type (e.g. 'chorus.feedback.ChangeMade.v1')"
    return (f"is the {contract.event_service} service's own; partners receive registry, "
            "opportunities and feedback events")
