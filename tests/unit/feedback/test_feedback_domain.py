"""The feedback domain's tricky rules, with no database: answers that fit their questions,
the summary, the measures, a change's links, and moderation."""

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from chorus.contracts.vocabulary import (
    Audience,
    ChangeStatus,
    Channel,
    ClosedBy,
    Decision,
    QuestionKind,
    Stage,
)
from chorus.errors import Conflict, DomainRuleBroken
from feedback.domain.change import Change, Links, Part
from feedback.domain.consultation import Consultation, OutcomeStatus
from feedback.domain.measures import gini, median, percent, top_share
from feedback.domain.questions import GivenAnswer, Question, check_answers
from feedback.domain.story import Moderation, Story
from feedback.domain.summary import Asked, Counting, summarise

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
TODAY = NOW.date()
CHOICE = Question(uuid4(), QuestionKind.SINGLE_CHOICE, "Clear?", ("Yes", "No"), required=True)
MANY = Question(uuid4(), QuestionKind.MULTIPLE_CHOICE, "Who?", ("Me", "Carer", "GP"))
RATING = Question(uuid4(), QuestionKind.RATING, "Overall?")
WORDS = Question(uuid4(), QuestionKind.FREE_TEXT, "Why?")
QUESTIONS = (CHOICE, MANY, RATING, WORDS)


def consultation(**changes: object) -> Consultation:
    values: dict[str, object] = dict(
        organisation_id=uuid4(), network_id=uuid4(), title="t", purpose="p",
        stage=Stage.DESIGN, audience=Audience.PUBLIC, questions=QUESTIONS, invited=(),
        closes_at=NOW + timedelta(days=7), by="staff", now=NOW)
    return Consultation.open(uuid4(), **(values | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(("answers", "fault"), [
    ([], "at least one"),
    ([GivenAnswer(MANY.question_id, choices=("Me",))], "must be answered"),
    ([GivenAnswer(CHOICE.question_id, choices=("Yes", "No"))], "exactly one"),
    ([GivenAnswer(CHOICE.question_id, choices=("Maybe",))], "not an option"),
    ([GivenAnswer(CHOICE.question_id, choices=("Yes",)),
      GivenAnswer(MANY.question_id, choices=("Me", "Me"))], "at most once"),
    ([GivenAnswer(CHOICE.question_id, choices=("Yes",)),
      GivenAnswer(RATING.question_id, rating=6)], "1 to 5"),
    ([GivenAnswer(CHOICE.question_id, choices=("Yes",)),
      GivenAnswer(RATING.question_id, text="four")], "rating only"),
    ([GivenAnswer(CHOICE.question_id, choices=("Yes",)),
      GivenAnswer(WORDS.question_id, text="   ")], "1 to 5000"),
])
def test_answers_must_fit_their_questions(answers: list[GivenAnswer], fault: str) -> None:
    with pytest.raises(DomainRuleBroken, match=fault):
        check_answers(QUESTIONS, answers)


def test_questions_and_closing_times_are_checked_when_opening() -> None:
    with pytest.raises(DomainRuleBroken, match="2 to 20 options"):
        consultation(questions=(Question(uuid4(), QuestionKind.SINGLE_CHOICE, "?", ("Yes",)),))
    with pytest.raises(DomainRuleBroken, match="differ"):
        consultation(questions=(Question(uuid4(), QuestionKind.MULTIPLE_CHOICE, "?",
                                         ("Yes", "yes")),))
    with pytest.raises(DomainRuleBroken, match="within a year"):
        consultation(closes_at=NOW - timedelta(minutes=1))
    with pytest.raises(DomainRuleBroken, match="invited_participant_ids"):
        consultation(audience=Audience.INVITED)


def test_an_outcome_is_due_twelve_weeks_after_close_and_stays_overdue_until_published() -> None:
    c = consultation()
    summary = summarise([], [], lambda texts, n: [])
    with pytest.raises(Conflict):
        c.publish_outcome("said", "did", "staff", NOW)
    c.close(summary, ClosedBy.STAFF, "staff", NOW)
    assert c.outcome_status(NOW + timedelta(weeks=12) - timedelta(seconds=1)) == (
        OutcomeStatus.NOT_YET_DUE)
    assert c.outcome_status(NOW + timedelta(weeks=52)) == OutcomeStatus.OVERDUE
    c.publish_outcome("said", "did", "staff", NOW + timedelta(days=30, hours=5))
    assert c.outcome is not None and c.outcome.days_from_close == 30
    assert c.outcome_status(NOW + timedelta(weeks=52)) == OutcomeStatus.PUBLISHED


def test_the_summary_counts_choices_ratings_channels_and_themes() -> None:
    asked = [Asked(q.question_id, q.kind, q.options) for q in QUESTIONS]
    responses = [
        Counting(Channel.ONLINE, (GivenAnswer(CHOICE.question_id, choices=("Yes",)),
                                  GivenAnswer(MANY.question_id, choices=("Me", "GP")),
                                  GivenAnswer(RATING.question_id, rating=5)), ("access",)),
        Counting(Channel.PAPER, (GivenAnswer(CHOICE.question_id, choices=("No",)),
                                 GivenAnswer(RATING.question_id, rating=2),
                                 GivenAnswer(WORDS.question_id, text="parking")), ("access",
                                                                                   "parking")),
        Counting(Channel.PAPER, (GivenAnswer(CHOICE.question_id, choices=("No",)),), ()),
    ]
    summary = summarise(asked, responses, lambda texts, n: [(t, 1) for t in texts][:n])
    assert summary.responses == 3
    assert [(c.label, c.count) for c in summary.by_channel] == [("online", 1), ("paper", 2)]
    choice, many, rating, words = summary.questions
    assert [(t.label, t.count) for t in choice.tallies] == [("Yes", 1), ("No", 2)]
    assert [(t.label, t.count) for t in many.tallies] == [("Me", 1), ("Carer", 0), ("GP", 1)]
    assert rating.rating_average == 3.5 and rating.answered == 2
    assert words.answered == 1
    assert [(t.label, t.count) for t in summary.tags] == [("access", 2), ("parking", 1)]
    assert [(k.label, k.count) for k in summary.suggested_keywords] == [("parking", 1)]


def test_the_measures() -> None:
    assert gini([3, 3, 3]) == 0.0
    assert gini([0, 0, 10]) == round(2 / 3, 3)
    assert gini([1, 1, 1, 2, 5]) == 0.36
    assert gini([]) is None
    assert top_share([5, 1, 1, 1, 2]) == 50.0  # one person of five is the top tenth
    assert top_share([1] * 20) == 10.0  # two people of twenty
    assert median([4, 2, 9]) == 4.0 and median([]) is None
    assert percent(1, 3) == 33.3 and percent(0, 0) is None


def test_a_change_links_at_least_one_voice_and_involves_its_recorder() -> None:
    trust, charity = uuid4(), uuid4()
    parts = (Part(trust, "Lead", ChangeStatus.PLANNED), Part(charity, "Lead", ChangeStatus.DONE))

    def make(links: Links, recorded_by: object = trust, changed_on: date = TODAY) -> Change:
        return Change.make(uuid4(), network_id=uuid4(), title="t", what_changed="w",
                           service_area="s", changed_on=changed_on, parts=parts,
                           recorded_by=recorded_by, links=links,  # type: ignore[arg-type]
                           participant_ids=(), by="staff", now=NOW)

    with pytest.raises(DomainRuleBroken, match="at least one"):
        make(Links())
    with pytest.raises(DomainRuleBroken, match="takes part"):
        make(Links(story_ids=(uuid4(),)), recorded_by=uuid4())
    with pytest.raises(DomainRuleBroken, match="ten years"):
        make(Links(story_ids=(uuid4(),)), changed_on=date(2000, 1, 1))
    change = make(Links(feedback_ids=(uuid4(),)))
    change.move_on(charity, None, ChangeStatus.DONE, "staff", NOW)
    assert change.pending[-1].stored_name == "ChangeMade"  # nothing changed, nothing recorded
    change.move_on(trust, "Matron", None, "staff", NOW)
    assert change.parts[trust].owner == "Matron"
    assert change.parts[trust].status == ChangeStatus.PLANNED


def test_moderation_decides_once_with_what_each_decision_needs() -> None:
    def story() -> Story:
        return Story.share(uuid4(), network_id=uuid4(), organisation_ids=(), participant_id=None,
                           service_area="s", title="t", sealed_text="sealed",
                           scrubbed_text="scrubbed", sealed_under="x", now=NOW)
    with pytest.raises(DomainRuleBroken, match="reason"):
        story().moderate(Moderation(Decision.REJECT), "admin", NOW)
    with pytest.raises(DomainRuleBroken, match="redacted_text"):
        story().moderate(Moderation(Decision.PUBLISH, redacted_text="x"), "admin", NOW)
    published = story()
    published.moderate(Moderation(Decision.PUBLISH), "admin", NOW)
    assert published.published_text == "scrubbed"
    with pytest.raises(Conflict):
        published.moderate(Moderation(Decision.REJECT, reason="no"), "admin", NOW)
    with pytest.raises(DomainRuleBroken, match="names"):
        published.respond(uuid4(), uuid4(), "thanks", "staff", NOW)
