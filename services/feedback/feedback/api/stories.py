"""Routes for stories: shared, moderated, answered."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import func, select

from feedback.anonymous import TOO_MANY
from feedback.api.deps import Caller, LimitedCaller, MaybeCaller, State
from feedback.api.schemas import (
    ModerationIn,
    ResponseIn,
    StoryIn,
    StoryItem,
    StoryOut,
    StoryPage,
    StoryResponseOut,
)
from feedback.application.stories import Telling
from feedback.domain.story import Moderation, StoryStatus
from feedback.tables import story_index, story_organisations

router = APIRouter(prefix="/v1", tags=["stories"])


@router.post("/stories", status_code=status.HTTP_201_CREATED, response_model=StoryOut,
             responses=TOO_MANY)
async def share(body: StoryIn, state: State, caller: LimitedCaller) -> StoryOut:
    """Share a story about a service, signed in or anonymously. Nobody else sees it until
    the network's moderators have read it; what is then published is scrubbed of names,
    contact details, NHS numbers, postcodes and dates of birth."""
    telling = Telling(body.network_id, tuple(body.organisation_ids), body.service_area,
                      body.title, body.text)
    story = await state.stories.share(telling, caller)
    return StoryOut.of(story, own_words=body.text if caller is not None else None)


@router.get("/stories", response_model=StoryPage)
async def browse(
    state: State, network_id: UUID | None = None, organisation_id: UUID | None = None,
    story_status: Annotated[StoryStatus | None, Query(alias="status", description=(
        "Moderators (network admins) may list stories awaiting moderation or rejected; "
        "everyone else sees published stories."))] = None,
    caller: MaybeCaller = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> StoryPage:
    """Published stories, newest first; anyone may read them."""
    t = story_index
    wanted = StoryStatus.PUBLISHED
    if story_status is not None and story_status != wanted:
        if caller is None or network_id is None or not caller.is_admin_of(network_id):
            from chorus.auth import Forbidden
            raise Forbidden("only the network's admins (its moderators) list stories that "
                            "are not published; give their network_id")
        wanted = story_status
    conditions: list[Any] = [t.c.status == wanted]
    if network_id is not None:
        conditions.append(t.c.network_id == network_id)
    if organisation_id is not None:
        conditions.append(t.c.story_id.in_(select(story_organisations.c.story_id).where(
            story_organisations.c.organisation_id == organisation_id)))
    async with state.stories.db.snapshot() as tx:
        total = (await tx.conn.execute(select(func.count()).select_from(t).where(
            *conditions))).scalar_one()
        rows = (await tx.conn.execute(select(t).where(*conditions).order_by(
            t.c.shared_at.desc()).limit(limit).offset(offset))).mappings().all()
    return StoryPage(total=total, items=[StoryItem(
        story_id=r["story_id"], service_area=r["service_area"], title=r["title"],
        text=r["published_text"], shared_at=r["shared_at"]) for r in rows])


@router.get("/stories/{story_id}", response_model=StoryOut)
async def read(story_id: UUID, state: State, caller: MaybeCaller) -> StoryOut:
    """A story: published ones for anyone; before that, for the person who shared it and
    the network's moderators, who also see the words as shared."""
    story = await state.stories.get(story_id, caller)
    return StoryOut.of(story, await state.stories.own_words(story, caller))


@router.post("/stories/{story_id}/moderate", response_model=StoryOut)
async def moderate(story_id: UUID, body: ModerationIn, state: State,
                   caller: Caller) -> StoryOut:
    """Publish the story (scrubbed), publish your redacted text instead, or reject it with
    a reason the person who shared it can read. For the network's admins."""
    moderation = Moderation(body.decision, body.redacted_text, body.reason)
    story = await state.stories.moderate(story_id, moderation, caller)
    return StoryOut.of(story, await state.stories.own_words(story, caller))


@router.post("/stories/{story_id}/responses", status_code=status.HTTP_201_CREATED,
             response_model=StoryResponseOut)
async def respond(story_id: UUID, body: ResponseIn, state: State,
                  caller: Caller) -> StoryResponseOut:
    """Answer a published story in public, as an organisation it names."""
    return StoryResponseOut.of(await state.stories.respond(story_id, body.response, caller))
