"""Scrubbing free text of personal data: names, contact details, NHS numbers, postcodes and
dates of birth go; what the person said, and the places and services they name, stay."""

import random

import pytest

from feedback.text.scrubbing import PLACEHOLDERS, Kind, Scrubbed, is_valid_nhs_number, scrub

NAME, EMAIL, PHONE = Kind.NAME, Kind.EMAIL, Kind.PHONE
NHS, POSTCODE, DOB = Kind.NHS_NUMBER, Kind.POSTCODE, Kind.DATE_OF_BIRTH

# Feedback and stories written the way people write them. The phone numbers are in Ofcom's
# ranges kept for drama; the NHS numbers are test numbers whose check digits are worked out
# in test_the_check_digit_is_modulus_11.
CORPUS = [
    pytest.param(
        "My mum was discharged from Ward 12 at St James's on a Friday night with no care "
        "package. The discharge team said carers would start on Monday. Nobody came until "
        "Thursday and I had to take time off work to look after her.",
        "My mum was discharged from Ward 12 at St James's on a Friday night with no care "
        "package. The discharge team said carers would start on Monday. Nobody came until "
        "Thursday and I had to take time off work to look after her.",
        {},
        id="carer-on-discharge-nothing-personal",
    ),
    pytest.param(
        "The receptionist at the surgery, Tracey, told me to ring back at 8am. When I did, "
        "Mrs Hughes said all the appointments had gone. The practice manager Mr Khan never "
        "replied to my letter.",
        "The receptionist at the surgery, [name], told me to ring back at 8am. When I did, "
        "Mrs [name] said all the appointments had gone. The practice manager Mr [name] never "
        "replied to my letter.",
        {NAME: 3},
        id="gp-receptionist-complaint-naming-staff",
    ),
    pytest.param(
        "My NHS number is 943 476 5919 and you can ring me on 07700 900123 if you need more "
        "details about what happened.",
        "My NHS number is [NHS number] and you can ring me on [phone number] if you need more "
        "details about what happened.",
        {NHS: 1, PHONE: 1},
        id="nhs-number-and-mobile-in-a-story",
    ),
    pytest.param(
        "I am from Poland. My English not so good. Nurse Agnieszka speak Polish with my "
        "husband Piotr, he was very scared. Thank you to her.",
        "I am from Poland. My English not so good. Nurse [name] speak Polish with my "
        "husband [name], he was very scared. Thank you to her.",
        {NAME: 2},
        id="polish-speaker",
    ),
    pytest.param(
        "My name is Farzana Begum. My son Imran translate for me because nobody speak Urdu at "
        "the clinic. Please send the letters to BD8 7QT not to my old house.",
        "My name is [name]. My son [name] translate for me because nobody speak Urdu at "
        "the clinic. Please send the letters to [postcode] not to my old house.",
        {NAME: 2, POSTCODE: 1},
        id="urdu-speaker-with-postcode",
    ),
    pytest.param(
        "Ring the ward on (0113) 4960000, my mobile is +44 7700 900123 and the landline is "
        "0161-496-0123.",
        "Ring the ward on [phone number], my mobile is [phone number] and the landline is "
        "[phone number].",
        {PHONE: 3},
        id="phone-numbers-in-three-formats",
    ),
    pytest.param(
        "I was born on 12th March 1958 and have had diabetes since 1990.",
        "I was born on [date of birth] and have had diabetes since 1990.",
        {DOB: 1},
        id="born-on",
    ),
    pytest.param(
        "Patient: Mr Jones, D.O.B. 12.03.1958, seen in the diabetes clinic.",
        "Patient: Mr [name], D.O.B. [date of birth], seen in the diabetes clinic.",
        {NAME: 1, DOB: 1},
        id="copied-from-a-clinic-letter",
    ),
    pytest.param(
        "On 3 March 2024 I went to A&E at Leeds General Infirmary and waited nine hours.",
        "On 3 March 2024 I went to A&E at Leeds General Infirmary and waited nine hours.",
        {},
        id="a-date-without-a-cue-stays",
    ),
    pytest.param(
        "My date of birth is 1958-03-12 but the letter said 12/03/1985.",
        "My date of birth is [date of birth] but the letter said 12/03/1985.",
        {DOB: 1},
        id="only-the-cued-date-goes",
    ),
    pytest.param(
        "Dad's birthday is March 12, 1958 and he spent it on the ward.",
        "Dad's birthday is [date of birth] and he spent it on the ward.",
        {DOB: 1},
        id="birthday-month-first",
    ),
    pytest.param(
        "We live in LS6 and Mum lives at ls6 2ab, so the clinic at M1 1AE is too far.",
        "We live in LS6 and Mum lives at [postcode], so the clinic at [postcode] is too far.",
        {POSTCODE: 2},
        id="postcodes-go-districts-stay",
    ),
    pytest.param(
        "The form said to write to SW1A 1AA or B33 8TH. Our area is DN55; the hub is "
        "EC1A 1BB and the old one was CR26XH.",
        "The form said to write to [postcode] or [postcode]. Our area is DN55; the hub is "
        "[postcode] and the old one was [postcode].",
        {POSTCODE: 4},
        id="postcode-shapes",
    ),
    pytest.param(
        "Dr Patel and Nurse Jane Smith were wonderful. Mrs. O'Brien-Jones on the desk was rude.",
        "Dr [name] and Nurse [name] were wonderful. Mrs. [name] on the desk was rude.",
        {NAME: 3},
        id="names-after-titles",
    ),
    pytest.param(
        "Sarah on reception was lovely and Mohammed the porter found my dad a wheelchair.",
        "[name] on reception was lovely and [name] the porter found my dad a wheelchair.",
        {NAME: 2},
        id="bare-given-names",
    ),
    pytest.param(
        "Please pass my thanks to Oluwaseun Adeyemi and Siobhan on the night shift.",
        "Please pass my thanks to [name] and [name] on the night shift.",
        {NAME: 2},
        id="given-name-with-surname",
    ),
    pytest.param(
        "In May we were told to wait until June. April was a bad month for my chest.",
        "In May we were told to wait until June. April was a bad month for my chest.",
        {},
        id="months-are-not-names",
    ),
    pytest.param(
        "Nurse May was kind, and my daughter Grace stayed with me all night.",
        "Nurse [name] was kind, and my daughter [name] stayed with me all night.",
        {NAME: 2},
        id="month-and-word-names-after-a-title-or-cue",
    ),
    pytest.param(
        "Thank you to everyone at St James's, the NHS 111 service and the GP. A&E at Leeds "
        "General Infirmary was busy but kind.",
        "Thank you to everyone at St James's, the NHS 111 service and the GP. A&E at Leeds "
        "General Infirmary was busy but kind.",
        {},
        id="places-and-services-stay",
    ),
    pytest.param(
        "The nurse was kind but the doctor never came. A Sister told us the consultant was off "
        "and Matron said sorry.",
        "The nurse was kind but the doctor never came. A Sister told us the consultant was off "
        "and Matron said sorry.",
        {},
        id="job-roles-and-titles-alone-stay",
    ),
    pytest.param(
        "My NHS number is 485 777 3456 I think, it is on the letter.",
        "My NHS number is 485 777 3456 I think, it is on the letter.",
        {},
        id="wrong-check-digit-is-not-an-nhs-number",
    ),
    pytest.param(
        "The old number on the letter was 123 456 7890.",
        "The old number on the letter was 123 456 7890.",
        {},
        id="check-digit-ten-is-not-an-nhs-number",
    ),
    pytest.param(
        "NHS no. 987-654-3210, hospital number unknown.",
        "NHS no. [NHS number], hospital number unknown.",
        {NHS: 1},
        id="nhs-number-whose-check-digit-is-0",
    ),
    pytest.param(
        "Call 016 977 4567 if the carers do not turn up.",
        "Call [phone number] if the carers do not turn up.",
        {PHONE: 1},
        id="ten-digits-with-a-wrong-check-digit-can-be-a-phone-number",
    ),
    pytest.param(
        "Email me at sarah.jones@nhs.net or f.begum@example.co.uk.",
        "Email me at [email] or [email].",
        {EMAIL: 2},
        id="email-addresses",
    ),
    pytest.param(
        "Hi, I'm Wojciech Kowalski and I'm Polish. I'm Deaf so please email rather than phone.",
        "Hi, I'm [name] and I'm Polish. I'm Deaf so please email rather than phone.",
        {NAME: 1},
        id="i-am-a-name-but-not-a-nationality",
    ),
    pytest.param(
        "A lovely nurse called Kemi sat with me. I called Boots but they had none in stock.",
        "A lovely nurse called [name] sat with me. I called Boots but they had none in stock.",
        {NAME: 1},
        id="called-as-naming-not-as-phoning",
    ),
    pytest.param(
        "My late husband Bogdan was looked after at the hospice. My dad, Derek, still goes to "
        "the carers' group.",
        "My late husband [name] was looked after at the hospice. My dad, [name], still goes to "
        "the carers' group.",
        {NAME: 2},
        id="relatives",
    ),
    pytest.param(
        "Will someone call me back? Mark my words, the parking is a scandal. Hope this helps.",
        "Will someone call me back? Mark my words, the parking is a scandal. Hope this helps.",
        {},
        id="names-that-are-everyday-words-at-the-start-of-a-sentence",
    ),
    pytest.param(
        "I'm writing about my father, Stanley Brown (DOB 01/02/1941), who lives in LS6 3HB. "
        "His NHS number is 401 023 2137. Dr Okafor at the surgery was excellent but the "
        "hospital lost his notes twice. Please contact me on 0113 496 0781 or at "
        "j.brown@example.com.",
        "I'm writing about my father, [name] (DOB [date of birth]), who lives in [postcode]. "
        "His NHS number is [NHS number]. Dr [name] at the surgery was excellent but the "
        "hospital lost his notes twice. Please contact me on [phone number] or at "
        "[email].",
        {NAME: 2, DOB: 1, POSTCODE: 1, NHS: 1, PHONE: 1, EMAIL: 1},
        id="a-story-with-everything",
    ),
    pytest.param(
        "They said call 0115 496 0123 after 12/03/2024 to rebook.",
        "They said call [phone number] after 12/03/2024 to rebook.",
        {PHONE: 1},
        id="phone-number-next-to-a-date",
    ),
    pytest.param(
        "Łukasz and Siân on the stroke unit were brilliant, as was Małgorzata.",
        "[name] and [name] on the stroke unit were brilliant, as was [name].",
        {NAME: 3},
        id="names-with-accents",
    ),
    pytest.param(
        "The Sir Robert Ogden Macmillan Centre and James Cook University Hospital both helped, "
        "and so did Queen Elizabeth Hospital.",
        "The Sir Robert Ogden Macmillan Centre and James Cook University Hospital both helped, "
        "and so did Queen Elizabeth Hospital.",
        {},
        id="places-named-after-people",
    ),
    pytest.param(
        "The Nurse Practitioner was brilliant, and Nurse Practitioner Zofia Nowak explained "
        "everything.",
        "The Nurse Practitioner was brilliant, and Nurse Practitioner [name] explained "
        "everything.",
        {NAME: 1},
        id="nurse-practitioner",
    ),
    pytest.param(
        "We waited 45 minutes, ref 12345678, bed 14 on Ward 22, and 250 000 people use this "
        "service every year since 2019.",
        "We waited 45 minutes, ref 12345678, bed 14 on Ward 22, and 250 000 people use this "
        "service every year since 2019.",
        {},
        id="other-numbers-stay",
    ),
    pytest.param(
        "Dr Patel's letter went missing and Amelia's school report too.",
        "Dr [name]'s letter went missing and [name]'s school report too.",
        {NAME: 2},
        id="possessives-keep-their-s",
    ),
    pytest.param(
        "my name is Aoife and i look after my brother Cian since his accident",
        "my name is [name] and i look after my brother [name] since his accident",
        {NAME: 2},
        id="written-in-lower-case",
    ),
    pytest.param(
        "The receptionist Miss Clarke said I had missed my slot. I miss Leeds, it was better.",
        "The receptionist Miss [name] said I had missed my slot. I miss Leeds, it was better.",
        {NAME: 1},
        id="miss-the-title-not-the-verb",
    ),
]


@pytest.mark.parametrize(("text", "expected", "found"), CORPUS)
def test_the_corpus_is_scrubbed_as_expected(
    text: str, expected: str, found: dict[Kind, int]
) -> None:
    scrubbed = scrub(text)
    assert scrubbed.text == expected
    assert scrubbed.found == found


@pytest.mark.parametrize(("text", "expected", "found"), CORPUS)
def test_scrubbing_twice_changes_nothing(text: str, expected: str, found: object) -> None:
    once = scrub(text).text
    twice = scrub(once)
    assert twice.text == once
    assert twice.found == {}


FRAGMENTS = [
    "Dr", "Mrs.", "Nurse", "nurse", "Sarah", "Jack", "Smith", "my dad,", "called", "born on",
    "DOB:", "D.O.B.", "12/03/1958", "12th March 1958", "943 476 5919", "943-476-5919",
    "4857773456", "07700 900123", "0113 496 0000", "+44 7700 900123", "(0113) 4960000",
    "LS6", "ls62ab", "SW1A 1AA", "St James's", "Leeds General Infirmary", "[name]",
    "[phone number]", "I'm", "Polish", "my name is", "a@b.com", "May", "Will", "O'Brien-Jones",
    "Łukasz", "birthday", "date of birth", "Sister", "Ward 4", "2024-03-12", "Mohammed Ali",
    "my wife", "known as", "Prof.", "Sir Robert Ogden Centre", "12", "of", "the", "and",
]


def test_scrubbing_twice_changes_nothing_on_fragments_thrown_together() -> None:
    rng = random.Random(2024)
    for _ in range(2000):
        joiner = rng.choice([" ", ", ", ". ", "\n", " - "])
        once = scrub(joiner.join(rng.choices(FRAGMENTS, k=rng.randint(1, 12)))).text
        assert scrub(once).text == once


def test_the_whole_corpus_at_once_is_scrubbed_as_each_passage_is() -> None:
    texts = [p.values[0] for p in CORPUS]
    expected = [p.values[1] for p in CORPUS]
    assert scrub("\n\n".join(map(str, texts))).text == "\n\n".join(map(str, expected))


def test_placeholders_are_never_scrubbed() -> None:
    text = " ".join(PLACEHOLDERS.values())
    assert text == "[name] [email] [phone number] [NHS number] [postcode] [date of birth]"
    assert scrub(text) == Scrubbed(text, {})
    cued = "My name is [name], born on [date of birth], Dr [name], DOB [date of birth]."
    assert scrub(cued).text == cued


def test_found_counts_each_replacement_and_is_read_only() -> None:
    scrubbed = scrub("Dr Patel, Dr Jones and Sarah; 07700 900123, 07700 900124; LS6 2AB.")
    assert scrubbed.text == (
        "Dr [name], Dr [name] and [name]; [phone number], [phone number]; [postcode].")
    assert scrubbed.found == {NAME: 3, PHONE: 2, POSTCODE: 1}
    with pytest.raises(TypeError):
        scrubbed.found[NAME] = 0


def test_empty_text() -> None:
    assert scrub("") == Scrubbed("", {})


# NHS numbers

@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9
        ("9434765919", True),
        ("9434765918", False),
        # 4*10 + 0*9 + 1*8 + 0*7 + 2*6 + 3*5 + 2*4 + 1*3 + 3*2 = 92; 92 mod 11 = 4; 11 - 4 = 7
        ("4010232137", True),
        ("4010232136", False),
        # 9*10 + 8*9 + 7*8 + 6*7 + 5*6 + 4*5 + 3*4 + 2*3 + 1*2 = 330; 330 mod 11 = 0; 11 -> 0
        ("9876543210", True),
        ("9876543211", False),
        # 4*10 + 8*9 + 5*8 + 7*7 + 7*6 + 7*5 + 3*4 + 4*3 + 5*2 = 312; 312 mod 11 = 4; 11 - 4 = 7
        ("4857773457", True),
        ("4857773456", False),
        # 1*10 + 2*9 + 3*8 + 4*7 + 5*6 + 6*5 + 7*4 + 8*3 + 9*2 = 210; 210 mod 11 = 1; 11 - 1 = 10:
        # no last digit makes this valid
        *[(f"123456789{d}", False) for d in range(10)],
        ("943476591", False),
        ("94347659190", False),
        ("943 476 5919", False),
        ("943476591x", False),
        ("\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19", False),  # full width
        ("", False),
    ],
)
def test_the_check_digit_is_modulus_11(digits: str, valid: bool) -> None:
    assert is_valid_nhs_number(digits) is valid


@pytest.mark.parametrize("written", ["9434765919", "943 476 5919", "943-476-5919"])
def test_nhs_numbers_as_people_write_them(written: str) -> None:
    assert scrub(f"NHS number: {written}.") == Scrubbed("NHS number: [NHS number].", {NHS: 1})


@pytest.mark.parametrize("written", ["943 4765919", "943-476 5919", "19434765919", "94347659190"])
def test_digits_grouped_otherwise_or_inside_a_longer_number_are_not_an_nhs_number(
    written: str,
) -> None:
    assert NHS not in scrub(f"The number was {written} today.").found


# Phone numbers

@pytest.mark.parametrize(
    "written",
    [
        "0113 496 0000",
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+447700900123",
        "0044 7700 900 123",
        "+44 (0)7700 900123",
        "(0113) 4960000",
        "0161-496-0123",
        "020 7946 0958",
        "01632 960123",
        "0300 123 1234",
    ],
)
def test_phone_numbers_as_people_write_them(written: str) -> None:
    assert scrub(f"Ring me on {written} after six.") == Scrubbed(
        "Ring me on [phone number] after six.", {PHONE: 1})


@pytest.mark.parametrize("written", ["999", "NHS 111", "ref 12345678", "room 1234567", "2024"])
def test_short_numbers_are_not_phone_numbers(written: str) -> None:
    text = f"I used {written} twice."
    assert scrub(text) == Scrubbed(text, {})


# Postcodes

@pytest.mark.parametrize(
    "written",
    ["LS6 2AB", "ls62ab", "LS62AB", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT",
     "EC1A 1BB", "bd8 7qt"],
)
def test_full_postcodes_go(written: str) -> None:
    expected = Scrubbed("I live at [postcode] now.", {POSTCODE: 1})
    assert scrub(f"I live at {written} now.") == expected


@pytest.mark.parametrize("written", ["LS6", "SW1A", "M1", "DN55", "the M62", "B12 injection"])
def test_districts_and_look_alikes_stay(written: str) -> None:
    text = f"We are near {written} these days."
    assert scrub(text) == Scrubbed(text, {})


# Dates of birth

@pytest.mark.parametrize(
    "date",
    ["12/03/1958", "12-03-58", "12.03.1958", "12 March 1958", "March 12, 1958",
     "12th March 1958", "1958-03-12", "12th of March 1958", "12 Mar 1958", "3 Sept. 1958",
     "March 1958"],
)
@pytest.mark.parametrize(
    "cue", ["born", "Born on", "DOB", "DOB:", "D.O.B.", "date of birth", "Date of Birth is",
            "birthday:", "was born in Leeds on"],
)
def test_a_date_after_a_birth_cue_goes(cue: str, date: str) -> None:
    assert scrub(f"{cue} {date}, thanks") == Scrubbed(f"{cue} [date of birth], thanks", {DOB: 1})


@pytest.mark.parametrize(
    "text",
    ["Seen on 12/03/2024 in clinic.", "On 3 March 2024 I went to A&E.", "Booked for 2024-03-12.",
     "I was born in 1958.", "Born and bred in Leeds, first seen on 12 March 2024 at the GP, "
     "after waiting weeks."],
)
def test_other_dates_stay(text: str) -> None:
    assert scrub(text) == Scrubbed(text, {})


# Names

@pytest.mark.parametrize(
    "title",
    ["Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Doctor", "Prof", "Professor", "Nurse", "Sister",
     "Matron", "Rev", "Sir", "Dame", "Mr.", "Mrs.", "Dr.", "Prof.", "Rev."],
)
def test_a_capitalised_word_after_a_title_is_a_name(title: str) -> None:
    assert scrub(f"Thanks to {title} Okonkwo-Reid today.") == Scrubbed(
        f"Thanks to {title} [name] today.", {NAME: 1})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My name is Zbigniew Nowak.", "My name is [name]."),
        ("my name's Tomasz", "my name's [name]"),
        ("The nurse's name was Kemi.", "The nurse's name was [name]."),
        ("I'm Bogdan Popescu from the group.", "I'm [name] from the group."),
        ("I am Farzana.", "I am [name]."),
        ("a physio called Tegan helped", "a physio called [name] helped"),
        ("a porter named Dev", "a porter named [name]"),
        ("she is known as Bibi", "she is known as [name]"),
        ("my wife Gwendolyn Price", "my wife [name]"),
        ("My partner, Alex, drove.", "My partner, [name], drove."),
        ("my carer Precious came late", "my carer [name] came late"),
        ("my mum June is 90", "my mum [name] is 90"),
    ],
)
def test_a_capitalised_word_after_a_cue_is_a_name(text: str, expected: str) -> None:
    assert scrub(text) == Scrubbed(expected, {NAME: 1})


@pytest.mark.parametrize(
    "text",
    ["I'm English.", "I am Muslim and I'm Deaf.", "my husband is in hospital",
     "my daughter, who is 12, came", "We called NHS 111.", "I called Leeds General Infirmary."],
)
def test_cues_without_a_name_leave_the_text(text: str) -> None:
    assert scrub(text) == Scrubbed(text, {})


@pytest.mark.parametrize(
    "text",
    [
        "I", "I was scared and I said so.", "The Doctor said no.", "Nurse, please come.",
        "A&E", "the GP", "NHS", "Leeds", "St James's", "St. James's Hospital",
        "Saint Mary's", "Victoria Ward", "Jubilee Wing", "Monday", "May", "June", "August",
        "Will you ring?", "Hope so.", "Grace period", "Thanks.", "Thank You NHS",
    ],
)
def test_not_names(text: str) -> None:
    assert scrub(text) == Scrubbed(text, {})
