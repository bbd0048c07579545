"""What people said, counted when a consultation closes: responses by channel, choice
tallies, rating averages, and themes (the tags staff gave responses, and keywords suggested
from the scrubbed free text for staff to consider, found by the caller)."""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from chorus.contracts.vocabulary import Channel, QuestionKind
from feedback.domain.questions import GivenAnswer

MAX_TAGS_SHOWN = 100
MAX_KEYWORDS = 20


@dataclass(frozen=True)
class Counted:
    label: str
    count: int


@dataclass(frozen=True)
class QuestionSummary:
    question_id: UUID
    answered: int
    tallies: tuple[Counted, ...] = ()
    rating_average: float | None = None


@dataclass(frozen=True)
class Summary:
    responses: int
    by_channel: tuple[Counted, ...]
    questions: tuple[QuestionSummary, ...]
    tags: tuple[Counted, ...]
    suggested_keywords: tuple[Counted, ...]


@dataclass(frozen=True)
class Counting:
    """One response as the summary sees it."""

    channel: Channel
    answers: tuple[GivenAnswer, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Asked:
    """One question as the summary sees it."""

    question_id: UUID
    kind: QuestionKind
    options: tuple[str, ...]


Suggest = Callable[[Sequence[str], int], list[tuple[str, int]]]
"""(written answers, how many) -> suggested keywords and how many answers use each."""


def summarise(questions: Sequence[Asked], responses: Sequence[Counting],
              suggest: Suggest) -> Summary:
    channels = Counter(r.channel for r in responses)
    tags = Counter(tag for r in responses for tag in set(r.tags))
    words = [a.text for r in responses for a in r.answers if a.text]
    return Summary(
        responses=len(responses),
        by_channel=tuple(Counted(c.value, channels[c]) for c in Channel if channels[c]),
        questions=tuple(_question(q, responses) for q in questions),
        tags=tuple(Counted(t, n) for t, n in _ranked(tags)[:MAX_TAGS_SHOWN]),
        suggested_keywords=tuple(Counted(w, n) for w, n in
                                 suggest(words, MAX_KEYWORDS)),
    )


def _question(question: Asked, responses: Sequence[Counting]) -> QuestionSummary:
    answers = [a for r in responses for a in r.answers if a.question_id == question.question_id]
    if question.kind == QuestionKind.RATING:
        ratings = [a.rating for a in answers if a.rating is not None]
        average = round(sum(ratings) / len(ratings), 2) if ratings else None
        return QuestionSummary(question.question_id, len(answers), rating_average=average)
    if question.kind == QuestionKind.FREE_TEXT:
        return QuestionSummary(question.question_id, len(answers))
    chosen = Counter(choice for a in answers for choice in a.choices)
    tallies = tuple(Counted(option, chosen[option]) for option in question.options)
    return QuestionSummary(question.question_id, len(answers), tallies=tallies)


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
