"""The mapping from the feedback service's stored events to its public contracts.

Left behind: anything written in a response (only choices and ratings travel), a story
before moderation and the words as shared, why a story was rejected, who on the staff did
what, the tags staff gave responses, the invited list, an anonymous response's withdrawal
code, and everything noted from other services (theirs to publish).
"""

from collections.abc import Callable
from typing import Any

from chorus.contracts import Contract
from chorus.contracts import feedback as contracts
from chorus.publishing import Data, picked
from chorus.publishing import to_public as public_mapping

CONSULTATION = ("consultation_id", "organisation_id", "network_id")
FEEDBACK = (*CONSULTATION, "feedback_id", "participant_id")
STORY = ("story_id", "network_id", "organisation_ids")
QUESTION = ("question_id", "kind", "prompt", "options", "required")


def _with(ids: tuple[str, ...], *names: str) -> Callable[[Data], dict[str, Any]]:
    return lambda data: picked(data, *ids, *names)


def _opened(data: Data) -> dict[str, Any]:
    return picked(data, *CONSULTATION, "title", "purpose", "stage", "audience", "closes_at",
                  "opened_at") | {"questions": [picked(q, *QUESTION) for q in data["questions"]]}


def _submitted(data: Data) -> dict[str, Any]:
    closed = [picked(a, "question_id", "choices", "rating") for a in data["answers"]
              if a["text"] is None]
    in_words = sum(a["text"] is not None for a in data["answers"])
    return picked(data, *FEEDBACK, "channel", "submitted_at") | {
        "answers": closed, "answered_in_words": in_words}


def _counted(items: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    return [{label: item["label"], "count": item["count"]} for item in items]


def _closed(data: Data) -> dict[str, Any]:
    s = data["summary"]
    questions = [picked(q, "question_id", "answered", "rating_average")
                 | {"tallies": _counted(q["tallies"], "option")} for q in s["questions"]]
    summary = {"responses": s["responses"], "by_channel": _counted(s["by_channel"], "channel"),
               "questions": questions, "tags": _counted(s["tags"], "theme"),
               "suggested_keywords": _counted(s["suggested_keywords"], "theme")}
    return picked(data, *CONSULTATION, "closed_by", "closed_at") | {"summary": summary}


def _change(data: Data) -> dict[str, Any]:
    return picked(data, "change_id", "network_id", "title", "what_changed", "service_area",
                  "changed_on", "recorded_by", "participant_ids", "made_at") | {
        "organisations": data["parts"], **data["links"]}


MAPPINGS: dict[str, tuple[type[Contract], Callable[[Data], dict[str, Any]]]] = {
    "ConsultationOpened": (contracts.ConsultationOpened, _opened),
    "FeedbackSubmitted": (contracts.FeedbackSubmitted, _submitted),
    "FeedbackWithdrawn": (contracts.FeedbackWithdrawn, _with(FEEDBACK, "withdrawn_at")),
    "ConsultationClosed": (contracts.ConsultationClosed, _closed),
    "OutcomePublished": (contracts.OutcomePublished,
                         _with(CONSULTATION, "you_said", "we_did", "days_from_close",
                               "published_at")),
    "StoryShared": (contracts.StoryShared,
                    _with(STORY, "participant_id", "service_area", "shared_at")),
    "StoryModerated": (contracts.StoryModerated,
                       _with(STORY, "participant_id", "decision", "title", "published_text",
                             "moderated_at")),
    "StoryResponded": (contracts.StoryResponded,
                       _with(STORY, "response_id", "organisation_id", "response",
                             "responded_at")),
    "ChangeMade": (contracts.ChangeMade, _change),
    "ChangeStatusChanged": (contracts.ChangeStatusChanged,
                            _with(("change_id", "network_id"), "organisation_id", "owner",
                                  "status", "changed_at")),
    "LearningShared": (contracts.LearningShared,
                       _with(("learning_id", "organisation_id", "network_id"), "title",
                             "summary", "tags", "change_ids", "consultation_ids",
                             "shared_at")),
}
"""Stored event name -> (public contract, the facts it publishes). FeedbackTagged and the
noted facts publish nothing."""

PUBLIC = {name: contract for name, (contract, _) in MAPPINGS.items()}

to_public = public_mapping(MAPPINGS)
