"""The opportunities service's domain: opportunities and their seats, expenses, payments and
matching. Pure Python."""

from opportunities.domain.expenses import EXPENSE_EVENTS
from opportunities.domain.opportunity import OPPORTUNITY_EVENTS
from opportunities.domain.payments import PAYMENT_EVENTS

EVENT_TYPES = (*OPPORTUNITY_EVENTS, *EXPENSE_EVENTS, *PAYMENT_EVENTS)

__all__ = ["EVENT_TYPES"]
