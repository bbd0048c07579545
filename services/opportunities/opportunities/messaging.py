"""The mapping from the opportunities service's stored events to its public contracts.

Each mapping names the facts it publishes. Left behind: an opportunity's description, who
on the staff did what, a receipt reference, why an expense was refused, and how a person
chose to take a payment (reduced, declined or donated) — that can touch on their benefits.
"""

from collections.abc import Callable
from typing import Any

from chorus.contracts import Contract
from chorus.contracts import opportunities as contracts
from chorus.publishing import Data, picked
from chorus.publishing import to_public as public_mapping

OPPORTUNITY = ("opportunity_id", "organisation_id", "network_id")
INVITATION = (*OPPORTUNITY, "invitation_id", "participant_id")
EXPENSE = ("expense_id", "participant_id", "organisation_id", "network_id")
FACTS = ("title", "kind", "stage", "topics", "methods", "online", "postcode_district",
         "commitment", "time_commitment", "seats", "pairs_preferred", "support_offered",
         "remuneration", "accessibility_provided", "closing_date")



def _facts(moment: str) -> Callable[[Data], dict[str, Any]]:
    def facts(data: Data) -> dict[str, Any]:
        details = data["details"]
        sessions = [picked(s, "session_id", "starts_at", "ends_at") for s in details["sessions"]]
        return (picked(data, *OPPORTUNITY, moment) | picked(details, *FACTS)
                | {"sessions": sessions})
    return facts


def _with(ids: tuple[str, ...], *names: str) -> Callable[[Data], dict[str, Any]]:
    return lambda data: picked(data, *ids, *names)


def _session(data: Data) -> dict[str, Any]:
    attendance = [picked(a, "participant_id", "minutes") for a in data["attendance"]]
    return picked(data, *OPPORTUNITY, "session_id", "stage", "starts_at", "ends_at") | {
        "attendance": attendance}


def _payment(data: Data) -> dict[str, Any]:
    return picked(data, *OPPORTUNITY, "payment_id", "session_id", "participant_id",
                   "minutes", "made_at") | {"amount_pence": data["amount_paid_pence"]}


MAPPINGS: dict[str, tuple[type[Contract], Callable[[Data], dict[str, Any]]]] = {
    "OpportunityPublished": (contracts.OpportunityPublished, _facts("published_at")),
    "OpportunityUpdated": (contracts.OpportunityUpdated, _facts("updated_at")),
    "OpportunityWithdrawn": (contracts.OpportunityWithdrawn, _with(OPPORTUNITY, "withdrawn_at")),
    "OpportunityClosed": (contracts.OpportunityClosed, _with(OPPORTUNITY, "closed_at")),
    "OpportunityFilled": (contracts.OpportunityFilled,
                          _with(OPPORTUNITY, "seats", "filled_at")),
    "ParticipantInvited": (contracts.ParticipantInvited,
                           _with(INVITATION, "expires_at", "invited_at")),
    "InvitationAccepted": (contracts.InvitationAccepted,
                           _with(INVITATION, "waitlisted", "accepted_at")),
    "InvitationDeclined": (contracts.InvitationDeclined, _with(INVITATION, "declined_at")),
    "InvitationExpired": (contracts.InvitationExpired, _with(INVITATION, "expired_at")),
    "InvitationWithdrawn": (contracts.InvitationWithdrawn,
                            _with(INVITATION, "reason", "withdrawn_at")),
    "ParticipantAssigned": (contracts.ParticipantAssigned,
                            _with(INVITATION, "from_waitlist", "assigned_at")),
    "ParticipantStoodDown": (contracts.ParticipantStoodDown, _with(INVITATION, "stood_down_at")),
    "SessionHeld": (contracts.SessionHeld, _session),
    "ExpenseClaimed": (contracts.ExpenseClaimed,
                       _with(EXPENSE, "opportunity_id", "session_id", "kind", "amount_pence",
                             "miles", "claimed_at")),
    "ExpenseAdvanced": (contracts.ExpenseAdvanced,
                        _with(EXPENSE, "opportunity_id", "session_id", "kind", "amount_pence",
                              "advanced_at")),
    "ExpenseApproved": (contracts.ExpenseApproved, _with(EXPENSE, "approved_at")),
    "ExpenseRejected": (contracts.ExpenseRejected, _with(EXPENSE, "rejected_at")),
    "ExpensePaid": (contracts.ExpensePaid,
                    _with(EXPENSE, "amount_pence", "days_to_payment", "paid_at")),
    "InvolvementPaymentMade": (contracts.InvolvementPaymentMade, _payment),
}
"""Stored event name -> (public contract, the facts it publishes). RateCardSet publishes
nothing: an organisation's rates are its own business."""

PUBLIC = {name: contract for name, (contract, _) in MAPPINGS.items()}

to_public = public_mapping(MAPPINGS)
