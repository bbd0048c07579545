"""Accountability metrics: the same definitions for every organisation and network, computed
from the `Accountability` read model (and, for reach, the equality monitoring people opted
in to). Each figure comes with its definition, its numerator and its denominator, so that
a reader can check it.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Table, func, select

from chorus.auth import Forbidden, Principal, Role
from chorus.contracts.vocabulary import Stage
from chorus.errors import NotFound
from chorus.store import Database
from feedback.domain.measures import SMALL_NUMBER, gini, median, percent, top_share
from feedback.projections import (
    m_changed,
    m_consultations,
    m_expenses,
    m_invitations,
    m_involvement,
    m_opportunities,
    m_stories,
    m_story_organisations,
)
from feedback.tables import organisations, participants

DEFINITIONS = {
    "outcomes_published": "Of the consultations that have closed, the percentage whose "
                          "outcome ('we asked, you said, we did') has been published.",
    "median_days_to_outcome": "The median number of whole days from a consultation closing "
                              "to its outcome being published, over published outcomes.",
    "led_to_change": "Of the closed consultations and published stories, the percentage "
                     "linked to at least one recorded change (a consultation counts when it, "
                     "or any of its responses, is linked).",
    "consultations_led_to_change": "Of the closed consultations, the percentage linked to at "
                                   "least one change, directly or through a response.",
    "stories_led_to_change": "Of the published stories (naming the organisation, for an "
                             "organisation), the percentage linked to at least one change.",
    "involved_from_the_beginning": "Of the opportunities published (not withdrawn), the "
                                   "percentage at the 'strategy' or 'design' stage.",
    "involved_only_at_evaluation": "Of the opportunities published (not withdrawn), the "
                                   "percentage at the 'evaluation' stage.",
    "participants_involved": "Distinct participants involved: who attended a session of an "
                             "opportunity, or responded to a consultation signed in (a "
                             "withdrawn response does not count).",
    "top_tenth_share": "The percentage of all involvement (sessions attended plus signed-in "
                       "responses) held by the most involved tenth of the participants "
                       "involved (at least one person).",
    "gini": "The Gini coefficient of involvement among the participants involved: 0 when "
            "everyone took part equally, nearer 1 the more a few people hold it all.",
    "reach_most_deprived": "Of the involvement by participants who opted in to equality "
                           "monitoring, the percentage by people whose area is in deprivation "
                           "deciles 1 or 2. Withheld when fewer than 5 such people took part.",
    "invitations_declined": "Of the invitations sent in the network, the percentage declined. "
                            "Counted for the network only, never per person or organisation.",
    "median_days_to_expense_payment": "The median number of whole days from an expense "
                                      "being claimed to it being paid, over paid expenses.",
}


@dataclass(frozen=True)
class Figure:
    value: float | None
    unit: str
    numerator: int | None = None
    denominator: int | None = None
    withheld: str | None = None


QUARTERS_SHOWN = 8
"""Loop closure over time covers at most the last two years: what a board compares."""

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Quarter:
    """One quarter of the NHS financial year (Q1 is April to June), and what happened to the
    consultations that closed in it: counted by the quarter they closed in, so an outcome
    published later still counts for the quarter of its consultation."""

    year: int  # the financial year's first calendar year: 2025 for 2025/26
    number: int  # 1 to 4
    closed: int = 0
    outcomes_published: int = 0
    led_to_change: int = 0

    @classmethod
    def of(cls, day: date) -> "Quarter":
        months_in = (day.month - 4) % 12
        return cls(day.year if day.month >= 4 else day.year - 1, months_in // 3 + 1)

    @property
    def starts_on(self) -> date:
        month = 4 + 3 * (self.number - 1)
        return date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def ends_on(self) -> date:
        following = self.following().starts_on
        return date.fromordinal(following.toordinal() - 1)

    @property
    def name(self) -> str:
        start, end = self.starts_on, self.ends_on
        return (f"{self.year}/{(self.year + 1) % 100:02d} Q{self.number} "
                f"({MONTHS[start.month - 1]} to {MONTHS[end.month - 1]} {end.year})")

    def following(self) -> "Quarter":
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)


def loop_closure_by_quarter(closed: Sequence[tuple[datetime, bool, bool]],
                            now: datetime) -> list[Quarter]:
    """For each quarter from the first consultation closed up to now (the last
    QUARTERS_SHOWN at most, empty ones included), the consultations closed in it, how many
    have a published outcome and how many led to a change. `closed`: (closed at, outcome
    published, led to change) per closed consultation."""
    if not closed:
        return []
    last = Quarter.of(now.astimezone(UTC).date())
    quarter = Quarter.of(min(at for at, _, _ in closed).astimezone(UTC).date())
    quarters = [quarter]
    while (quarter.year, quarter.number) < (last.year, last.number):
        quarter = quarter.following()
        quarters.append(quarter)
    counts = {(q.year, q.number): [0, 0, 0] for q in quarters[-QUARTERS_SHOWN:]}
    for at, published, changed in closed:
        q = Quarter.of(at.astimezone(UTC).date())
        if (tally := counts.get((q.year, q.number))) is not None:
            tally[0] += 1
            tally[1] += published
            tally[2] += changed
    return [Quarter(year, number, *tally) for (year, number), tally in counts.items()]


@dataclass(frozen=True)
class Figures:
    network_id: UUID
    organisation_id: UUID | None
    figures: dict[str, Figure]
    opportunities_by_stage: dict[str, int] = field(default_factory=dict)
    loop_closure_by_quarter: list[Quarter] = field(default_factory=list)


Scope = Callable[[Table], ColumnElement[bool]]


class Metrics:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def for_organisation(self, organisation_id: UUID, actor: Principal,
                               now: datetime | None = None) -> Figures:
        async with self.db.snapshot() as tx:
            network_id = (await tx.conn.execute(select(organisations.c.network_id).where(
                organisations.c.organisation_id == organisation_id))).scalar()
            if network_id is None:
                raise NotFound(f"organisation {organisation_id} is not known here")
            _check_reader(actor, network_id)

            def scope(table: Table) -> ColumnElement[bool]:
                return table.c.organisation_id == organisation_id
            stories = select(m_stories.c.story_id).join(
                m_story_organisations, m_story_organisations.c.story_id == m_stories.c.story_id
            ).where(m_story_organisations.c.organisation_id == organisation_id)
            return await self._figures(tx, network_id, organisation_id, scope, stories, now)

    async def for_network(self, network_id: UUID, actor: Principal,
                          now: datetime | None = None) -> Figures:
        _check_reader(actor, network_id)
        async with self.db.snapshot() as tx:
            def scope(table: Table) -> ColumnElement[bool]:
                return table.c.network_id == network_id
            stories = select(m_stories.c.story_id).where(m_stories.c.network_id == network_id)
            figures = await self._figures(tx, network_id, None, scope, stories, now)
            row = (await tx.conn.execute(select(m_invitations).where(
                m_invitations.c.network_id == network_id))).first()
            sent, declined = (row.sent, row.declined) if row else (0, 0)
            figures.figures["invitations_declined"] = Figure(
                percent(declined, sent), "percent", declined, sent)
            return figures

    async def _figures(self, tx: Any, network_id: UUID, organisation_id: UUID | None,
                       scope: Scope, stories: Any, now: datetime | None) -> Figures:
        run = tx.conn.execute
        closed = (await run(select(m_consultations.c.consultation_id,
                                   m_consultations.c.closed_at,
                                   m_consultations.c.days_to_outcome).where(
            scope(m_consultations), m_consultations.c.closed_at.is_not(None)))).all()
        published = stories.where(m_stories.c.published.is_(True))
        n_published = len((await run(published)).all())
        led = select(m_changed.c.linked_id)
        s_changed = len((await run(published.where(m_stories.c.story_id.in_(led)))).all())
        c_changed = (await run(select(func.count()).where(
            scope(m_consultations), m_consultations.c.closed_at.is_not(None),
            m_consultations.c.consultation_id.in_(led)))).scalar_one()
        stages = Counter((await run(select(m_opportunities.c.stage).where(
            scope(m_opportunities), m_opportunities.c.withdrawn.is_(False)))).scalars())
        units = dict((await run(select(m_involvement.c.participant_id, func.count()).where(
            scope(m_involvement)).group_by(m_involvement.c.participant_id))).all())
        days_paid = (await run(select(m_expenses.c.days_to_payment).where(
            scope(m_expenses)))).scalars().all()
        days_to_outcome = [c.days_to_outcome for c in closed if c.days_to_outcome is not None]
        early = stages[Stage.STRATEGY] + stages[Stage.DESIGN]
        total_opportunities = sum(stages.values())
        figures = {
            "outcomes_published": Figure(percent(len(days_to_outcome), len(closed)), "percent",
                                         len(days_to_outcome), len(closed)),
            "median_days_to_outcome": Figure(median(days_to_outcome), "days",
                                             denominator=len(days_to_outcome)),
            "led_to_change": Figure(percent(c_changed + s_changed, len(closed) + n_published),
                                    "percent", c_changed + s_changed,
                                    len(closed) + n_published),
            "consultations_led_to_change": Figure(percent(c_changed, len(closed)), "percent",
                                                  c_changed, len(closed)),
            "stories_led_to_change": Figure(percent(s_changed, n_published), "percent",
                                            s_changed, n_published),
            "involved_from_the_beginning": Figure(percent(early, total_opportunities),
                                                  "percent", early, total_opportunities),
            "involved_only_at_evaluation": Figure(
                percent(stages[Stage.EVALUATION], total_opportunities), "percent",
                stages[Stage.EVALUATION], total_opportunities),
            "participants_involved": Figure(len(units), "people"),
            "top_tenth_share": Figure(top_share(list(units.values())), "percent",
                                      denominator=sum(units.values())),
            "gini": Figure(gini(list(units.values())), "coefficient", denominator=len(units)),
            "reach_most_deprived": await _reach(tx, scope),
            "median_days_to_expense_payment": Figure(median(days_paid), "days",
                                                     denominator=len(days_paid)),
        }
        by_stage = {stage.value: stages[stage] for stage in Stage}
        changed = set((await run(select(m_changed.c.linked_id).where(
            m_changed.c.linked_id.in_(select(m_consultations.c.consultation_id).where(
                scope(m_consultations), m_consultations.c.closed_at.is_not(None)))))).scalars())
        quarters = loop_closure_by_quarter(
            [(c.closed_at, c.days_to_outcome is not None, c.consultation_id in changed)
             for c in closed], now or datetime.now(UTC))
        return Figures(network_id, organisation_id, figures, by_stage, quarters)


async def _reach(tx: Any, scope: Scope) -> Figure:
    rows = (await tx.conn.execute(select(
        participants.c.deprivation_decile, func.count()).join(
        m_involvement, m_involvement.c.participant_id == participants.c.participant_id).where(
        scope(m_involvement), participants.c.deprivation_decile.is_not(None)).group_by(
        participants.c.participant_id, participants.c.deprivation_decile))).all()
    if len(rows) < SMALL_NUMBER:
        return Figure(None, "percent", withheld=f"fewer than {SMALL_NUMBER} participants "
                                                "involved opted in to equality monitoring")
    monitored = sum(count for _, count in rows)
    most_deprived = sum(count for decile, count in rows if decile <= 2)
    return Figure(percent(most_deprived, monitored), "percent", most_deprived, monitored)


def _check_reader(actor: Principal, network_id: UUID) -> None:
    """Staff of the network's organisations and its admins read its metrics. By role, not by
    the organisation a token names: a partner's token names one too, and is not staff."""
    if actor.is_admin_of(network_id):
        return
    if actor.role == Role.ORG_STAFF and actor.network_id == network_id:
        return
    raise Forbidden("these are another network's metrics, or need a staff or admin token")
