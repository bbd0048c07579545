"""Keywords suggested from free-text answers: counted by how many answers use them."""

import pytest

from feedback.text.themes import STOPWORDS, suggest_keywords

ANSWERS = [
    "The waiting time in A&E was awful, we waited 4 hours to be seen.",
    "Waiting for [name] to call back took days. Parking was expensive.",
    "Parking is a nightmare and the wait for a GP appointment is too long.",
    "Staff were kind; the nurses were kind and the nurse on nights was kinder still.",
    "Nurse [name] was kind, but the parking machine took my money.",
    "Discharge was rushed and nobody told us about the medication.",
    "Medication was late on the ward, and discharge lasted all day.",
]


def test_keywords_count_the_answers_that_use_them_under_their_commonest_form() -> None:
    assert suggest_keywords(ANSWERS) == [
        ("parking", 3),
        ("waiting", 3),  # waiting *2, waited, wait: one stem, shown as people wrote it most
        ("day", 2),  # "days" and "day" tie; the alphabetically first form is shown
        ("discharge", 2),
        ("kind", 2),  # three times in one answer still counts once
        ("medication", 2),
        ("nurse", 2),
        ("took", 2),
    ]


def test_the_limit_keeps_the_top_ones_with_ties_broken_alphabetically() -> None:
    assert suggest_keywords(ANSWERS, limit=3) == [("parking", 3), ("waiting", 3), ("day", 2)]
    assert suggest_keywords(ANSWERS, limit=0) == []


def test_placeholders_numbers_short_words_and_stopwords_are_left_out() -> None:
    texts = ["[name] said [date of birth] 42 ok to [phone number] and we", "[name] ok 42 we"]
    assert suggest_keywords(texts) == []


def test_a_word_in_only_one_of_several_answers_is_not_a_theme() -> None:
    assert suggest_keywords(["Parking parking parking", "Food was cold"]) == []


def test_a_single_answer_gives_its_own_words() -> None:
    assert suggest_keywords(["The parking, the parking! And cold food."]) == [
        ("cold", 1), ("food", 1), ("parking", 1)]


@pytest.mark.parametrize("texts", [[], [""], ["", ""], ["the and of"]])
def test_nothing_to_suggest(texts: list[str]) -> None:
    assert suggest_keywords(texts) == []


def test_any_iterable_of_texts_is_read_once() -> None:
    assert suggest_keywords(iter(["Lovely staff", "staff were lovely"])) == [
        ("lovely", 2), ("staff", 2)]


def test_case_and_curly_apostrophes_do_not_split_a_word() -> None:
    assert suggest_keywords(["Couldn\u2019t park. Reception RUDE", "couldn't park, rude"]) == [
        ("park", 2), ("rude", 2)]


def test_stopwords_are_lower_case_words_with_straight_apostrophes() -> None:
    assert all(word == word.lower() and "\u2019" not in word for word in STOPWORDS)
    assert {"the", "and", "didn't", "i'm"} <= STOPWORDS
