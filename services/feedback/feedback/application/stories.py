"""Handlers for stories: shared, moderated by the network's admins, answered in public.

The person's own words are sealed under their key (a signed-in participant's, so erasing
them shreds it) or under the story's own key (anonymous); only the network's moderators
read them. Everyone else sees the scrubbed text, and only once it is published. No
organisation moderates what is said about it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import insert, update

from chorus.auth import Forbidden, Principal, Role
from chorus.crypto import KeyRing
from chorus.errors import DomainRuleBroken, NotFound
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from feedback.application.consultations import staff_of
from feedback.application.directory import check_members
from feedback.domain import EVENT_TYPES
from feedback.domain.story import Moderation, Story, StoryResponded
from feedback.tables import story_index, story_organisations
from feedback.text.scrubbing import scrub

Clock = Callable[[], datetime]
SEALED = "story"


@dataclass(frozen=True)
class Telling:
    """A story as its teller gives it."""

    network_id: UUID | None
    organisation_ids: tuple[UUID, ...]
    service_area: str
    title: str
    text: str


class Stories:
    def __init__(self, db: Database, store: EventStore, keys: KeyRing, clock: Clock) -> None:
        self.db = db
        self.keys = keys
        self.clock = clock
        self.stories = Repository(store, EventCodec(EVENT_TYPES), Story)

    async def share(self, telling: Telling, actor: Principal | None) -> Story:
        participant_id = actor.participant_id if actor is not None else None
        if actor is not None and actor.role != Role.PARTICIPANT:
            raise Forbidden("a story is shared by a participant, or anonymously")
        network_id = actor.network_id if actor is not None else telling.network_id
        if network_id is None:
            raise DomainRuleBroken("say which network the story is for (network_id)")
        if actor is not None and telling.network_id not in (None, network_id):
            raise Forbidden("a participant shares stories in their own network")
        story_id = uuid4()
        sealed_under = str(participant_id or story_id)
        async with self.db.transaction() as tx:
            await check_members(tx, network_id, telling.organisation_ids)
            sealed = await self.keys.encrypt(tx.conn, sealed_under, telling.text, purpose=SEALED)
            story = Story.share(
                story_id, network_id=network_id, organisation_ids=telling.organisation_ids,
                participant_id=participant_id, service_area=scrub(telling.service_area).text,
                title=scrub(telling.title).text, sealed_text=sealed,
                scrubbed_text=scrub(telling.text).text, sealed_under=sealed_under,
                now=self.clock())
            await self._save(tx, story)
            return story

    async def get(self, story_id: UUID, actor: Principal | None) -> Story:
        async with self.db.snapshot() as tx:
            story = await self.stories.get(tx, str(story_id))
        if not may_see(story, actor):
            raise NotFound(f"story {story_id} does not exist")
        return story

    async def own_words(self, story: Story, actor: Principal | None) -> str | None:
        """The teller's own words, for the network's moderators and the teller; None once
        the key that sealed them was shredded."""
        if actor is None or not (actor.is_admin_of(story.shared.network_id) or (
                story.shared.participant_id and actor.is_participant(story.shared.participant_id))):
            return None
        async with self.db.snapshot() as tx:
            return await self.keys.decrypt(tx.conn, story.shared.sealed_under,
                                           story.shared.sealed_text, purpose=SEALED)

    async def moderate(self, story_id: UUID, moderation: Moderation,
                       actor: Principal) -> Story:
        async with self.db.transaction() as tx:
            story = await self.stories.get(tx, str(story_id))
            if not actor.is_admin_of(story.shared.network_id):
                raise Forbidden("the network's admins moderate its stories")
            redacted = moderation.redacted_text
            if redacted is not None:
                moderation = Moderation(moderation.decision, scrub(redacted).text,
                                        moderation.reason)
            story.moderate(moderation, actor.subject, self.clock())
            await self._save(tx, story)
            return story

    async def respond(self, story_id: UUID, response: str,
                      actor: Principal) -> StoryResponded:
        organisation_id, _ = staff_of(actor, "answer a story")
        async with self.db.transaction() as tx:
            story = await self.stories.get(tx, str(story_id))
            if not may_see(story, actor):  # an unpublished story is not there for staff
                raise NotFound(f"story {story_id} does not exist")
            responded = story.respond(uuid4(), organisation_id, scrub(response).text,
                                      actor.subject, self.clock())
            await self._save(tx, story)
            return responded

    async def _save(self, tx: Transaction, story: Story) -> None:
        first = story.version == 0
        await self.stories.save(tx, story)
        s = story.shared
        if first:
            await tx.conn.execute(insert(story_index).values(
                story_id=s.story_id, network_id=s.network_id, participant_id=s.participant_id,
                status=story.status, service_area=s.service_area, title=s.title,
                published_text=None, shared_at=s.shared_at))
            if s.organisation_ids:
                await tx.conn.execute(insert(story_organisations), [
                    {"story_id": s.story_id, "organisation_id": o} for o in s.organisation_ids])
        else:
            await tx.conn.execute(update(story_index).where(
                story_index.c.story_id == s.story_id).values(
                status=story.status, published_text=story.published_text))


def may_see(story: Story, actor: Principal | None) -> bool:
    """A published story is public; before that only its teller and moderators see it."""
    if story.published_text is not None:
        return True
    s = story.shared
    return actor is not None and (actor.is_admin_of(s.network_id) or bool(
        s.participant_id and actor.is_participant(s.participant_id)))
