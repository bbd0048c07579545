"""The demo region's feedback: the Healthwatch asks about GP appointments (open to the
public), and the trust shows a whole loop closed: a consultation on discharge letters,
answered, closed, its outcome published, a change made with the charity, and the learning
shared."""

import asyncio
from datetime import timedelta
from uuid import UUID, uuid4

from sqlalchemy import select

from chorus.auth import Principal, Role
from chorus.contracts.vocabulary import Audience, ChangeStatus, Channel, QuestionKind, Stage
from feedback.application.changes import ChangeDraft, LearningDraft
from feedback.application.consultations import Draft
from feedback.bootstrap_state import FeedbackState
from feedback.domain.change import Links, Part
from feedback.domain.questions import GivenAnswer, Question
from feedback.tables import organisations

WAIT_SECONDS = 20.0


async def seed_demo(state: FeedbackState) -> list[str]:
    members = await _demo_organisations(state)
    if not {"nhs_trust", "healthwatch", "charity"} <= members.keys():
        return ["demo feedback: none (registry's demo organisations did not arrive)"]
    staff = {kind: Principal(subject="demo-seed", role=Role.ORG_STAFF, org_id=org,
                             network_id=network) for kind, (org, network) in members.items()}
    now = state.clock()
    rating = Question(uuid4(), QuestionKind.RATING, "How easy is it to get an appointment?",
                      required=True)
    why = Question(uuid4(), QuestionKind.FREE_TEXT, "What would make it easier?")
    gp = await state.consultations.open(Draft(
        "Getting a GP appointment", "We want to hear how easy it is to see your GP, to take "
        "what you say to the practices and the ICB.", Stage.STRATEGY, Audience.PUBLIC,
        (rating, why), (), now + timedelta(days=28)), staff["healthwatch"])
    letters = await _closed_loop(state, staff, members)
    return [f"demo consultation: Getting a GP appointment ({gp.id}), open to the public",
            f"demo change: Clearer discharge letters ({letters}), with the charity"]


async def _closed_loop(state: FeedbackState, staff: dict[str, Principal],
                       members: dict[str, tuple[UUID, UUID]]) -> UUID:
    trust = staff["nhs_trust"]
    clear = Question(uuid4(), QuestionKind.SINGLE_CHOICE, "Was your discharge letter clear?",
                     ("Yes", "Partly", "No"), required=True)
    better = Question(uuid4(), QuestionKind.FREE_TEXT, "What would have helped?")
    consultation = await state.consultations.open(Draft(
        "Discharge letters", "How should our discharge letters read?", Stage.DESIGN,
        Audience.PUBLIC, (clear, better), (), state.clock() + timedelta(days=14)), trust)
    said = [("No", "Plain words, and the medicines in a table."),
            ("Partly", "Tell carers what to watch for at home.")]
    responses = []
    for choice, words in said:
        submitted = await state.consultations.submit(
            consultation.opened.consultation_id,
            [GivenAnswer(clear.question_id, choices=(choice,)),
             GivenAnswer(better.question_id, text=words)], Channel.PAPER, trust)
        responses.append(submitted.feedback.submitted.feedback_id)
    cid = consultation.opened.consultation_id
    await state.consultations.close(cid, trust)
    await state.consultations.publish_outcome(
        cid, "Letters were hard to follow, and carers were not told what to watch for.",
        "We rewrote the letter with patients and added a section for carers.", trust)
    change = await state.changes.make(ChangeDraft(
        "Clearer discharge letters", "Discharge letters now use plain words, list medicines "
        "in a table and have a section for carers.", "discharge", state.clock().date(),
        (Part(members["nhs_trust"][0], "Head of Patient Experience", ChangeStatus.DONE),
         Part(members["charity"][0], "Carers' support lead", ChangeStatus.IN_PROGRESS)),
        Links(consultation_ids=(cid,), feedback_ids=tuple(responses))), trust)
    await state.changes.share_learning(LearningDraft(
        "Writing discharge letters with patients", "Patients and carers rewrote our "
        "discharge letter in two workshops; complaints about letters fell.",
        ("discharge", "carers"), (change.made.change_id,), (cid,)), trust)
    return change.made.change_id


async def _demo_organisations(state: FeedbackState) -> dict[str, tuple[UUID, UUID]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        async with state.consultations.db.snapshot() as tx:
            rows = (await tx.conn.execute(select(organisations))).mappings().all()
        found = {r["kind"]: (r["organisation_id"], r["network_id"]) for r in rows}
        if {"nhs_trust", "healthwatch", "charity"} <= found.keys() or loop.time() > deadline:
            return found
        await asyncio.sleep(0.1)
