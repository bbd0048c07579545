"""Matching people to an opportunity, fairly, from this process's index of the pool.

The index holds every pool member's matching facts in memory and reads from the database
only what changed since it last looked (`pool_clock` numbers each change in commit order),
so a ranking costs a few vector operations even over a large region.
"""

import asyncio
from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chorus.auth import Forbidden, Principal
from chorus.contracts.vocabulary import ParticipantStatus
from chorus.store import Database
from opportunities.application.pool import Pool, member_from
from opportunities.domain.matching import Locate, Ranking, Wanted, Weights, unmet_need
from opportunities.domain.opportunity import Opportunity
from opportunities.pool_index import PoolIndex
from opportunities.tables import involvements, matching_weights, pool_members

UNMET = {
    "network": "they are in another network's pool",
    "inactive": "they are paused, have left, or are not in the pool",
    "consent": "they have not consented to share with this organisation",
    "methods": "they use none of the opportunity's ways of taking part",
    "accessibility": "the opportunity does not provide every access need they have",
    "travel": "it is beyond how far they travel, or they take part online only",
    "availability": "they are not available at the opportunity's times",
}
"""Each hard filter, in words for the staff member who tried to invite someone."""


def wanted_for(opportunity: Opportunity) -> Wanted:
    details = opportunity.details
    return Wanted(
        organisation_id=opportunity.organisation_id, network_id=opportunity.network_id,
        kind=details.wanted_kind, topics=frozenset(details.topics),
        methods=frozenset(details.methods), online=details.online,
        postcode_district=details.postcode_district,
        slots=frozenset(s.slot for s in details.sessions), commitment=details.commitment,
        accessibility_provided=frozenset(details.accessibility_provided),
        pairs_preferred=details.pairs_preferred)


class Matcher:
    def __init__(self, db: Database, pool: Pool, locate: Locate) -> None:
        self.db = db
        self.pool = pool
        self.locate = locate
        self.index = PoolIndex(locate)
        self._seen = 0
        self._lock = asyncio.Lock()

    async def rank(self, wanted: Wanted, weights: Weights, now: datetime,
                   limit: int = 50) -> Ranking:
        await self.refresh()
        return self.index.rank(wanted, weights, now, limit)

    async def unmet_need(self, wanted: Wanted, participant_id: UUID,
                         now: datetime) -> str | None:
        """Why this person cannot be offered this, in words; None if they can."""
        member = await self.pool.member(participant_id)
        if member is None:
            return "they are not in the pool"
        unmet = unmet_need(wanted, member.candidate, now.date(), self.locate)
        return UNMET[unmet] if unmet else None

    async def refresh(self) -> int:
        """Take in every pool change and involvement committed since the last look."""
        async with self._lock:
            async with self.db.snapshot() as tx:
                members = (await tx.conn.execute(
                    select(pool_members).where(pool_members.c.seq > self._seen)
                    .order_by(pool_members.c.seq))).mappings().all()
                involved = (await tx.conn.execute(
                    select(involvements).where(involvements.c.seq > self._seen)
                    .order_by(involvements.c.seq))).mappings().all()
            for row in members:
                if row["status"] == ParticipantStatus.ERASED:
                    self.index.remove(UUID(str(row["participant_id"])))
                else:
                    self.index.upsert(member_from(row).candidate)
            for row in involved:
                self.index.record_involvement(UUID(str(row["participant_id"])),
                                              row["assigned_at"])
            self._seen = max([self._seen, *(r["seq"] for r in members),
                              *(r["seq"] for r in involved)])
            return len(members) + len(involved)

    async def weights(self, network_id: UUID) -> Weights:
        async with self.db.snapshot() as tx:
            stored = (await tx.conn.execute(select(matching_weights.c.weights).where(
                matching_weights.c.network_id == network_id))).scalar_one_or_none()
        return Weights(**stored) if stored else Weights()

    async def set_weights(self, network_id: UUID, weights: Weights, actor: Principal,
                          now: datetime) -> Weights:
        if not actor.is_admin_of(network_id):
            raise Forbidden("only the network's admin sets its matching weights")
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        values = {"network_id": network_id, "weights": asdict(weights),
                  "set_by": actor.subject, "set_at": now}
        async with self.db.transaction() as tx:
            await tx.conn.execute(insert(matching_weights).values(**values).on_conflict_do_update(
                index_elements=[matching_weights.c.network_id], set_=values))
        return weights
