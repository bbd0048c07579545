"""Routes other Chorus services call with a service token."""

from fastapi import APIRouter, status

from chorus.problems import problem_response
from notifications.people.api.deps import PeopleDep, RegistryService
from notifications.people.api.schemas import SignInCodeIn, SignInCodeOut

router = APIRouter(prefix="/internal/v1", tags=["internal"])


@router.post("/sign-in-codes", status_code=status.HTTP_202_ACCEPTED,
             response_model=SignInCodeOut, responses={
                 401: problem_response("No valid bearer token"),
                 403: problem_response("The caller is not the registry service"),
                 422: problem_response("The input breaks a rule; the detail names the field"),
                 503: problem_response("The mail server did not take the e-mail; ask again"),
             })
async def send_sign_in_code(body: SignInCodeIn, people: PeopleDep,
                            _: RegistryService) -> SignInCodeOut:
    """For the registry only: e-mail a participant their one-time sign-in code now,
    whatever their preferences or quiet hours. The code is not kept."""
    notice_id, outcome = await people.sign_in.send(body.participant_id, body.code,
                                                   body.expires_at)
    return SignInCodeOut(notice_id=notice_id, status=outcome)
