"""What the opportunities service's composition root hands its routes."""

from dataclasses import dataclass

from opportunities.application.expenses import Expenses
from opportunities.application.matching import Matcher
from opportunities.application.opportunities import Clock, Opportunities


@dataclass(frozen=True)
class OpportunitiesState:
    opportunities: Opportunities
    expenses: Expenses
    matcher: Matcher
    clock: Clock
