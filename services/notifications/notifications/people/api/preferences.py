"""A participant's notification preferences, and their inbox."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from chorus.problems import problem_response
from notifications.people.api.deps import PeopleDep, Themself
from notifications.people.api.schemas import NoticeOut, NoticePage, PreferencesIn, PreferencesOut

router = APIRouter(prefix="/v1/participants/{participant_id}", tags=["people"], responses={
    401: problem_response("No valid bearer token"),
    403: problem_response("Only the participant themself may do this"),
    422: problem_response("The input breaks a rule; the detail names the field"),
})


@router.get("/notification-preferences", response_model=PreferencesOut)
async def read_preferences(participant_id: UUID, people: PeopleDep,
                           _: Themself) -> PreferencesOut:
    """How you want to hear from us. Until you choose: by e-mail, at once, no quiet hours."""
    chosen, updated_at = await people.preferences.get(participant_id)
    return PreferencesOut.of(participant_id, chosen, updated_at, people.settings.timezone)


@router.put("/notification-preferences", response_model=PreferencesOut)
async def choose_preferences(participant_id: UUID, body: PreferencesIn, people: PeopleDep,
                             _: Themself) -> PreferencesOut:
    """Choose how you hear from us: e-mail (text messages and letters are not offered yet),
    each notice at once or one daily or weekly round-up across every organisation, and
    quiet hours when nothing is sent."""
    chosen = body.to_domain()
    now = people.clock()
    await people.preferences.set(participant_id, chosen, now)
    return PreferencesOut.of(participant_id, chosen, now, people.settings.timezone)


@router.get("/notifications", response_model=NoticePage)
async def inbox(participant_id: UUID, people: PeopleDep, _: Themself,
                limit: Annotated[int, Query(ge=1, le=100)] = 20,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> NoticePage:
    """What we have told you, or are about to, newest first, with the words as sent."""
    total, rows = await people.notices.inbox(participant_id, limit, offset)
    return NoticePage(total=total, items=[NoticeOut.of(row) for row in rows])
