"""Questions a consultation asks, and the answers that fit them."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from chorus.contracts.vocabulary import QuestionKind
from chorus.errors import DomainRuleBroken

LONG_TEXT = 5000
MAX_OPTIONS = 20


@dataclass(frozen=True)
class Question:
    question_id: UUID
    kind: QuestionKind
    prompt: str
    options: tuple[str, ...] = ()
    required: bool = False

    def check(self) -> None:
        choice = self.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
        if choice and not 2 <= len(self.options) <= MAX_OPTIONS:
            raise DomainRuleBroken(f"a choice question needs 2 to {MAX_OPTIONS} options")
        if not choice and self.options:
            raise DomainRuleBroken(f"a {self.kind} question has no options")
        if len({o.casefold() for o in self.options}) != len(self.options):
            raise DomainRuleBroken("a question's options must differ from each other")


@dataclass(frozen=True)
class GivenAnswer:
    """One answer. Free text is held scrubbed; choices and ratings as given."""

    question_id: UUID
    text: str | None = None
    choices: tuple[str, ...] = ()
    rating: int | None = None


def check_answers(questions: Sequence[Question],
                  answers: Sequence[GivenAnswer]) -> tuple[GivenAnswer, ...]:
    """The answers, each checked against its question; every required question answered."""
    if not answers:
        raise DomainRuleBroken("a response answers at least one question")
    by_id = {q.question_id: q for q in questions}
    seen: set[UUID] = set()
    for answer in answers:
        question = by_id.get(answer.question_id)
        if question is None:
            raise DomainRuleBroken(f"question {answer.question_id} is not in this consultation")
        if answer.question_id in seen:
            raise DomainRuleBroken(f"question {answer.question_id} is answered twice")
        seen.add(answer.question_id)
        _check_fits(question, answer)
    missing = [q for q in questions if q.required and q.question_id not in seen]
    if missing:
        raise DomainRuleBroken(f"question {missing[0].question_id} must be answered")
    return tuple(answers)


def _check_fits(question: Question, answer: GivenAnswer) -> None:
    given = {"text": answer.text is not None, "choices": bool(answer.choices),
             "rating": answer.rating is not None}
    wanted = _WANTED[question.kind]
    if [k for k, v in given.items() if v] != [wanted]:
        raise DomainRuleBroken(f"question {question.question_id} is answered with "
                               f"{'one ' if wanted != 'choices' else ''}{wanted} only")
    if answer.text is not None and not 0 < len(answer.text.strip()) <= LONG_TEXT:
        raise DomainRuleBroken(f"a written answer has 1 to {LONG_TEXT} characters")
    if answer.rating is not None and not 1 <= answer.rating <= 5:
        raise DomainRuleBroken("a rating is from 1 to 5")
    if answer.choices:
        _check_choices(question, answer.choices)


def _check_choices(question: Question, choices: tuple[str, ...]) -> None:
    unknown = [c for c in choices if c not in question.options]
    if unknown:
        raise DomainRuleBroken(f"'{unknown[0][:60]}' is not an option of question "
                               f"{question.question_id}")
    if len(set(choices)) != len(choices):
        raise DomainRuleBroken("an option is chosen at most once")
    if question.kind == QuestionKind.SINGLE_CHOICE and len(choices) != 1:
        raise DomainRuleBroken(f"question {question.question_id} takes exactly one choice")


_WANTED = {QuestionKind.FREE_TEXT: "text", QuestionKind.SINGLE_CHOICE: "choices",
           QuestionKind.MULTIPLE_CHOICE: "choices", QuestionKind.RATING: "rating"}

