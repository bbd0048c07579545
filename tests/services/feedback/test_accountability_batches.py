"""The accountability read model is the same whether its events are applied one at a time
or folded in batches of any size: a batch holds responses withdrawn, stories moderated,
consultations closed, opportunities withdrawn and changes made after what they refer to,
both within the batch and across batches."""

from typing import Any

import pytest
from sqlalchemy import select

from bench.feedback import workload
from bench.feedback.__main__ import _generate, _open_store
from chorus.projections import ProjectionRunner
from chorus.repository import EventCodec
from chorus.store import EventStore
from feedback.domain import EVENT_TYPES
from feedback.projections import Accountability

pytestmark = pytest.mark.timeout(300)

EVENTS = 2_500


async def read_model(store: EventStore) -> dict[str, list[tuple[Any, ...]]]:
    async with store.db.connect() as conn:
        return {table.name: sorted(tuple(row) for row in await conn.execute(select(table)))
                for table in Accountability.tables}


async def test_batches_of_any_size_give_the_read_model_of_one_event_at_a_time(
        database_url: str) -> None:
    store = await _open_store(database_url)
    try:
        region = workload.Region(EVENTS, seed=7)
        async with store.db.transaction() as tx:
            await region.record_directory(tx)
        await _generate(region, [store], lambda _: None)
        assert {"FeedbackWithdrawn", "StoryModerated", "ChangeMade",
                "OpportunityWithdrawalNoted", "OutcomePublished"} <= region.counts.keys()

        models = {}
        for batch_size in (1, 7, EVENTS):
            runner = ProjectionRunner(store, Accountability(EventCodec(EVENT_TYPES)),
                                      batch_size=batch_size)
            await runner.reset()
            assert await runner.catch_up() == EVENTS
            models[batch_size] = await read_model(store)

        one_by_one = models.pop(1)
        assert all(one_by_one[t] for t in ("m_consultations", "m_involvement", "m_changed",
                                            "m_opportunities", "m_invitations"))
        for batch_size, model in models.items():
            assert model == one_by_one, f"batches of {batch_size} differ"
    finally:
        await store.db.dispose()
