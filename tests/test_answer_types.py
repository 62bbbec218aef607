"""The answer-type table: question cues, the ranker's evidence and the short-answer spans (no model)."""

from __future__ import annotations

import pytest

from ctqa.answering.answer_types import (
    ANSWER_TYPES,
    BY_NAME,
    answer_spans,
    clause_phrases,
    has_answer_type,
    lists,
    phrases,
    question_type,
    ranked_type,
    spells_asked_acronym,
)

ARTICLE_ACRONYMS = {"WMD": "Weapons of Mass Destruction", "DHS": "Department of Homeland Security"}


def test_every_type_is_named_once_and_required_types_are_the_reliable_ones() -> None:
    names = [entry.name for entry in ANSWER_TYPES]
    assert len(names) == len(set(names))
    required = {entry.name for entry in ANSWER_TYPES if entry.required}
    assert required == {"yes_no", "money", "number", "date", "age", "leader", "country", "reason"}
    assert {entry.name for entry in ANSWER_TYPES if entry.inherited} == {"money", "number", "date", "distance"}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How far out at sea can the lamp be seen?", "distance"),
        ("How tall is the tower?", "distance"),
        ("How high above the sea is the lamp?", "distance"),
        ("How deep is the harbour?", "distance"),
        ("What distance separates the two lights?", "distance"),
        ("What is the length of the bridge?", "distance"),
        ("How long did the siege last?", "duration"),
        ("How long is the tunnel?", "duration"),
        ("How many keepers lived there?", "number"),  # a count stays a count
        ("When was the light automated?", "date"),
    ],
)
def test_measure_cues(question: str, expected: str) -> None:
    assert question_type(question) == expected


def test_measures_are_spans_of_a_number_and_its_unit_and_not_read_by_the_ranker() -> None:
    lamp = "The lamp sits 42 metres above the sea and can be seen 27 kilometres out at sea."
    far = answer_spans(lamp, "distance", "How far out at sea can the lamp be seen?")
    assert [(span.text, span.tier) for span in far] == [("42 metres", 1), ("27 kilometres", 0)]
    assert [span.tier for span in answer_spans(lamp, "distance", "How high is the lamp?")] == [0, 0]
    siege = "The siege lasted three years, and the wall was 1.5 km long; 93 in 2001 is no length."
    spans = answer_spans(siege, "duration", "How long did the siege last?")
    # a time first, then a length, then a year, then any bare number
    assert [(span.text, span.tier) for span in spans][:3] == [("three years", 0), ("1.5 km", 1), ("2001", 2)]
    assert {span.text for span in spans if span.tier == 3} == {"three", "1.5", "93", "2001"}
    for span in [*far, *spans]:
        assert (lamp if span in far else siege)[span.start : span.end] == span.text
    # no evidence for the ranker and not required: the sentence scores are those of "other"
    assert ranked_type("distance") == "other" and ranked_type("duration") == "other"
    assert not BY_NAME["distance"].required and not BY_NAME["duration"].required


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which organisation runs the centre?", "organisation"),
        ("Which agency detects nuclear threats?", "organisation"),
        ("Which country hosts COE-DAT?", "country"),
        ("Why do states cooperate?", "reason"),
    ],
)
def test_question_cues(question: str, expected: str) -> None:
    assert question_type(question) == expected


def test_a_type_the_ranker_has_no_evidence_for_is_other_to_it() -> None:
    assert ranked_type("organisation") == "other"
    assert ranked_type("number") == "number" and ranked_type("yes_no") == "yes_no"


@pytest.mark.parametrize(
    ("sentence", "answer_type", "question", "expected"),
    [
        ("This includes the creation of 93 Anti-Terrorism Task Forces.", "number", "How many task forces?", "93"),
        ("NEXUS has over 1.8 million members.", "number", "How many members does NEXUS have?", "over 1.8 million"),
        ("Their joint action plan, launched in January 2020, focuses on opioids.", "date", "When was it launched?", "January 2020"),
        ("The attacks of 11 September 2001 changed policy.", "date", "When were the attacks?", "11 September 2001"),
        ("The Wars of Religion were fought from 1562 to 1598.", "date", "When were the Wars of Religion fought?", "from 1562 to 1598"),
        ("The Dutch Revolt (1568–1609) was a war of independence.", "date", "When was the Dutch Revolt?", "1568–1609"),
        ("The church reform began in the early 11th century.", "date", "When did the church reform begin?", "early 11th century"),
        ("Jessé de Forest led the expedition.", "person", "Who led the expedition?", "Jessé de Forest"),
        ("It spent $2.5 billion on border security.", "money", "How much did it spend?", "$2.5 billion"),
        ("The centre is in Ankara, Türkiye.", "place", "Where is the centre?", "Ankara, Türkiye"),
        ("The First Lady, Laura Bush, led a worldwide initiative.", "person", "Who led the initiative?", "Laura Bush"),
        ("The lens was invented by the French physicist Augustin-Jean Fresnel.", "person", "Who invented the lens?", "Augustin-Jean Fresnel"),
        ("The Department of Homeland Security (DHS) plays a crucial role.", "acronym", "What does DHS stand for?", "Department of Homeland Security"),
        ("The Department of Homeland Security (DHS) plays a crucial role.", "acronym", "What is the abbreviation of Department of Homeland Security?", "DHS"),
        ("The Office of Weapons of Mass Destruction Terrorism (WMDT) leads.", "acronym", "What does WMD stand for?", "Weapons of Mass Destruction"),
    ],
)
def test_short_answer_spans(sentence: str, answer_type: str, question: str, expected: str) -> None:
    spans = answer_spans(sentence, answer_type, question, ARTICLE_ACRONYMS)  # type: ignore[arg-type]
    assert expected in [span.text for span in spans]
    for span in spans:
        assert sentence[span.start : span.end] == span.text


def test_an_acronym_the_sentence_never_writes_is_spelt_out_by_its_capitalised_phrase() -> None:
    sentence = "Additionally, the Foreign Terrorist Tracking Task Force was established in 2001."
    spans = answer_spans(sentence, "acronym", "What does FTTTF stand for?", ARTICLE_ACRONYMS)
    assert [(span.text, span.start) for span in spans] == [("Foreign Terrorist Tracking Task Force", 18)]
    # "The" opens the sentence, it is not a word of the name; plural "DOJs" asks for "doj"
    opening = "The Department of Justice arrested him."
    assert [span.text for span in answer_spans(opening, "acronym", "what do DOJs stand for", {})] == ["Department of Justice"]
    # initials of another acronym, or in lowercase, spell nothing asked
    assert answer_spans(sentence, "acronym", "What does FBI stand for?", {}) == []
    assert answer_spans(sentence, "acronym", "What does ftttf stand for?", {}) == []


def test_a_span_the_question_already_holds_is_no_answer() -> None:
    assert answer_spans("Nearly 3,000 people died on 9/11.", "date", "How many died on 9/11?") == []
    spans = answer_spans("Nearly 3,000 people died on 9/11.", "number", "How many died on 9/11?")
    assert [span.text for span in spans] == ["Nearly 3,000"]


def test_explanations_have_no_short_answer() -> None:
    assert BY_NAME["reason"].span is None and BY_NAME["yes_no"].span is None
    assert answer_spans("States cooperate because threats cross borders.", "reason", "Why?") == []
    assert answer_spans("States cooperate because threats cross borders.", "other", "How?") == []


def test_a_capitalised_number_word_inside_a_name_is_not_a_count() -> None:
    spans = answer_spans("They are members of the Five Eyes community.", "number", "How many members?")
    assert spans == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Which NFL team represented the AFC at Super Bowl 50?", "thing"),
        ("What is the name of the stadium where Super Bowl 50 was played?", "thing"),
        ("What type of Turing machine checks many possibilities at once?", "thing"),
        ("What about Canada?", "other"),  # an elliptical follow-up keeps the earlier question's type
        ("What of Canada?", "other"),
        ("For what reason did the alliance invoke Article 5?", "reason"),  # a type read by the ranker wins
        ("What is a Turing machine?", "definition"),  # a definition: the sentence answers
        ("What year did it end?", "date"),
    ],
)
def test_what_or_which_x_asks_for_a_thing(question: str, expected: str) -> None:
    assert question_type(question) == expected
    assert ranked_type("thing") == "other" and not BY_NAME["thing"].required


@pytest.mark.parametrize(
    ("sentence", "question", "expected"),
    [
        # the name before the question's head noun
        (
            "The game was played on February 7, 2016, at Levi's Stadium in the San Francisco Bay Area at Santa Clara, California.",
            "What is the name of the stadium where Super Bowl 50 was played?",
            "Levi's Stadium",
        ),
        # the modifier of the question's head noun
        (
            "For example, a non-deterministic Turing machine is a computational model that is allowed to branch out.",
            "What type of Turing machine can check multiple possibilities at the same time?",
            "non-deterministic",
        ),
        # a name not in the question
        (
            "Meanwhile, they occupied Petrela, the citadel of Mili at the banks of the river Deabolis, Gllavenica (Ballsh), Kanina and Jericho.",
            "What river was Petrela located by?",
            "Deabolis",
        ),
        # a date for a "what century" question
        ("The Normans gained their separate identity in the 10th century.", "What century did the Normans first gain their separate identity?", "10th century"),
        # a phrase without the question's words
        ("This is usually taken to be the size of the input in bits.", "In what unit is the size of the input measured?", "bits"),
    ],
)
def test_thing_spans(sentence: str, question: str, expected: str) -> None:
    spans = answer_spans(sentence, "thing", question)
    assert expected in [span.text for span in spans]
    for span in spans:
        assert sentence[span.start : span.end] == span.text


def test_phrases_stop_at_punctuation_clause_words_and_question_words() -> None:
    sentence = "Upper and lower bounds are usually stated using the big O notation, which hides constant factors."
    found = [span.text for span in phrases(sentence, "What expression is used to convey upper or lower bounds?", {})]
    assert found == ["big O notation", "hides constant factors"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did the Normans use in battle?", "phrase"),
        ("What did the Normans do in 911?", "activity"),  # an activity: the sentence answers
        ("What is the capital of Australia?", "phrase"),  # "of": a fact about X, not what X is
        ("What does a big O notation hide?", "phrase"),
        ("What is NEXUS?", "definition"),
        ("What is the Responsible Cooperators Program?", "definition"),
        ("What is the name of the stadium where Super Bowl 50 was played?", "thing"),
    ],
)
def test_what_is_and_what_did_questions(question: str, expected: str) -> None:
    assert question_type(question) == expected
    # neither is read by the sentence ranker; a definition is answered by the sentence
    assert ranked_type(expected) == "other" and BY_NAME["definition"].span is None
    assert BY_NAME["phrase"].scored and BY_NAME["thing"].scored and not BY_NAME["number"].scored


def test_clause_phrases_stop_at_question_words_verbs_and_connectives() -> None:
    question = "What were the Normans famed for?"
    sentence = "The Normans were famed for their martial spirit and eventually for their Christian piety."
    texts = [span.text for span in clause_phrases(sentence, question, {})]
    assert "martial spirit" in texts and "Christian piety" in texts
    assert not any("famed" in text or "Normans" in text for text in texts)
    sentence = "A deterministic Turing machine is the most basic Turing machine, which uses a fixed set of rules."
    texts = [span.text for span in clause_phrases(sentence, "What does a Turing machine use?", {})]
    assert "set of rules" in texts and not any("uses" in text for text in texts)  # VERB_FORMS
    texts = [span.text for span in clause_phrases("Similarly, cells divide.", "What do cells do?", {})]
    assert "Similarly" not in texts  # CONNECTIVES


def test_a_term_named_by_called_or_referred_to_as_is_a_first_tier_candidate() -> None:
    sentence = "The input string for a computational problem is referred to as a problem instance, and should not be confused."
    spans = list(clause_phrases(sentence, "What is the name given to the input string of a computational problem?", {}))
    named = [span for span in spans if span.tier == 0]
    assert [span.text for span in named] == ["problem instance"]
    assert sentence[named[0].start : named[0].end] == "problem instance"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("NATO's counter-terrorism efforts are focused on three main areas: awareness, capabilities, and engagement.",
         "awareness, capabilities, and engagement"),
        ("Both countries participate in multilateral efforts, such as the G7 and the North American Drug Dialogue, to act.",
         "the G7 and the North American Drug Dialogue"),
    ],
)
def test_a_list_runs_from_its_first_item_to_its_last(sentence: str, expected: str) -> None:
    found = list(lists(sentence, "", {}))
    assert found[0].text.startswith(expected) and found[0].tier == 1
    assert sentence[found[0].start : found[0].end] == found[0].text


def test_an_adverb_or_a_verb_is_no_list_item() -> None:
    sentence = "The Normans were famed for their martial spirit and eventually for their Christian piety."
    assert list(lists(sentence, "", {})) == []  # "and eventually for …" lists nothing
    sentence = "The state created new ports and built roads."
    assert list(lists(sentence, "", {})) == []  # "and built …": a verb
    sentence = "Terrorist groups such as ISIS, al-Qa'ida, and Hizballah pose a significant threat."
    assert [span.text for span in lists(sentence, "", {})] == ["ISIS, al-Qa'ida, and Hizballah"]  # a name ends the item


def test_a_title_alone_is_no_answer() -> None:
    texts = [span.text for span in answer_spans("First Lady Laura Bush led a worldwide initiative.", "thing", "What did Laura Bush lead?")]
    assert "Lady" not in texts and "First Lady" not in texts and "worldwide initiative" in texts


def test_a_head_noun_of_a_kind_prefers_that_kind_of_fact() -> None:
    sentence = "Normandy was the site of several important developments in the history of classical music in the 11th century."
    spans = answer_spans(sentence, "thing", "In what century did important classical music developments occur in Normandy?")
    assert [span.text for span in spans if span.tier == 0] == ["11th century"]
    spans = answer_spans("Water is heated to 90 degrees at a pressure of 2 bar.", "thing", "At what pressure is water heated?")
    assert [span.text for span in spans if span.tier == 0] == ["90", "2"]


def test_the_long_form_of_an_acronym_the_question_uses_is_no_answer() -> None:
    question = "Which NFL team represented the AFC at Super Bowl 50?"
    assert spells_asked_acronym("American Football Conference", question)
    assert not spells_asked_acronym("Denver Broncos", question)
    assert not spells_asked_acronym("Conference", question)  # one initial spells nothing


def test_a_month_is_no_person() -> None:
    sentence = "Germany did so, and underground leader Piłsudski returned to Warsaw on 11 November and set up a republic."
    texts = [span.text for span in answer_spans(sentence, "person", "Who set up what became the Second Polish Republic?")]
    assert "November" not in texts and "Piłsudski" in texts


def test_a_head_noun_asking_for_an_explanation_has_no_phrase_answer() -> None:
    from ctqa.answering.answer_types import answer_spans, head_kind

    question = "What role does the State Department play in stopping terrorist financing?"
    sentence = "The State Department also plays a crucial role in countering the financing of terrorism."
    assert head_kind(question) == "explanation" and question_type(question) == "thing"
    assert answer_spans(sentence, "thing", question, {}) == []
    assert head_kind("In what century did the Normans arrive?") == "date"
    assert head_kind("Which terrorist groups are named?") is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # the question ends in its "what" or "called": a phrase
        ("The aim of the French competition law was to do what?", "phrase"),
        ("The practice of occupying and looting Huguenot homes was called?", "phrase"),
        ("Name a luxury model that became popular in the mid-1970s.", "thing"),
        # a possessive, a naming verb or a relative clause asks for one fact, not a definition
        ("What is William Rankine's nationality?", "phrase"),
        ("What is the Rankine cycle sometimes called?", "phrase"),
        ("What is a term that means constant temperature?", "phrase"),
        ("What is NEXUS?", "definition"),
        ("What's the Global Counterterrorism Forum?", "definition"),
        # who someone named is: the sentence that introduces them, not another name in it
        ("who is mazen al najjar", "definition"),
        ("Who was Frédéric Chopin?", "definition"),
        # ... but a possessive, an article, a pronoun or a verb form asks for a person
        ("Who was Robert's son?", "person"),
        ("who are its members?", "person"),
        ("who was arrested", "person"),
        ("who is responsible for axiomatic complexity theory?", "person"),
        ("who is the secretary", "leader"),
        # a length of time
        ("How long did Western Europe control Cyprus?", "duration"),
        ("For how long did Huguenots continue to use French names?", "duration"),
        ("How old was Chopin when he moved to Warsaw with his family?", "duration"),
        ("How often does the European Council meet?", "duration"),
    ],
)
def test_question_cues_of_phrases_definitions_and_durations(question: str, expected: str) -> None:
    assert question_type(question) == expected


def test_a_duration_is_neither_read_by_the_ranker_nor_required_nor_inherited() -> None:
    entry = BY_NAME["duration"]
    assert ranked_type("duration") == "other" and not entry.required and not entry.inherited


@pytest.mark.parametrize(
    ("sentence", "question", "expected"),
    [
        ("Western Europe controlled Cyprus for 380 years, until the Ottoman conquest.", "How long did Western Europe control Cyprus?", "380 years"),
        (
            "It takes five to ten years for new areas to have significant oil production.",
            "How long does it take for new areas to have significant oil production?",
            "five to ten years",
        ),
        (
            "Proportionality has been recognised as one of the general principles of EU law since the 1950s.",
            "How long has Proportionality been recognized as a general principle?",
            "since the 1950s",
        ),
        ("Elections to the council are held every four years.", "How often are elections for the council held?", "every four years"),
        ("Chopin was seven months old when his family moved to Warsaw in 1810.", "How old was Chopin when he moved to Warsaw?", "seven months old"),
        ("The theatre was in operation from 1870 to 1939.", "How long was the Summer Theatre in operation?", "from 1870 to 1939"),
    ],
)
def test_duration_spans_come_first_then_periods(sentence: str, question: str, expected: str) -> None:
    spans = answer_spans(sentence, "duration", question)
    assert spans and spans[0].text == expected
    assert all(sentence[span.start : span.end] == span.text for span in spans)


def test_the_modifiers_of_the_head_noun_are_a_first_tier_candidate() -> None:
    question = "What sort of engines utilized the Yarrow-Schlick-Tweedy balancing system?"
    sentence = "In the late 19th century, the Yarrow-Schlick-Tweedy balancing 'system' was used on some marine triple expansion engines."
    assert [span.text for span in answer_spans(sentence, "thing", question) if span.tier == 0] == ["marine triple expansion"]
    # a name before a head noun that ends the sentence, without its full stop
    sentence = "He was motivated not by a desire to secularize education, but by Transcendentalist Unitarian convictions."
    spans = answer_spans(sentence, "thing", "What conviction motivated Eliot to move towards secularization?")
    assert [span.text for span in spans if span.tier == 0] == ["Transcendentalist Unitarian convictions"]


def test_a_capitalised_head_noun_gives_the_whole_name_around_it() -> None:
    sentence = "In this context, the US Department of Justice launched the Responsible Cooperators Program."
    spans = answer_spans(sentence, "thing", "Which US department launched the Responsible Cooperators Program?")
    assert [span.text for span in spans if span.tier == 0] == ["the US Department of Justice"]


ICI_SENTENCE = (
    "Additionally, NATO has delivered in-person counter-terrorism courses through Mobile Education and Training "
    "Teams at the NATO-Istanbul Cooperation Initiative (ICI) Regional Centre in Kuwait, benefiting participants "
    "from NATO partner countries in the Gulf."
)


def test_a_place_name_comes_before_an_organisation_after_a_preposition() -> None:
    spans = answer_spans(ICI_SENTENCE, "place", "Where is the ICI Regional Centre?")
    tiers = {span.text: span.tier for span in spans}
    assert tiers["Kuwait"] == 0 and tiers["NATO-Istanbul Cooperation Initiative"] == 2
    for span in spans:
        assert ICI_SENTENCE[span.start : span.end] == span.text


def test_a_country_named_without_a_preposition_is_a_place_after_the_named_places() -> None:
    sentence = "Geographers such as Friedrich Ratzel of Germany supported imperialism in Africa."
    spans = answer_spans(sentence, "place", "Where was Friedrich Ratzel born?")
    assert [(span.text, span.tier) for span in spans] == [("Africa", 0), ("Germany", 1)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What does COE-DAT do?", "activity"),
        ("what do the task forces do", "activity"),
        ("What did DECnet originally do", "activity"),
        ("What does COE-DAT stand for?", "acronym"),  # the verb names what is asked
        ("What does the T cell release?", "phrase"),
        ("What does it cost to do business?", "phrase"),  # "to do" is not the question's verb
        ("How long has COE-DAT existed?", "age"),
        ("How long has NATO been around?", "age"),
        ("how long have the task forces been in operation", "age"),
        ("How long does the course last?", "duration"),  # a length of time, not an age
        ("How long has the US been engaged in these efforts?", "duration"),
    ],
)
def test_activity_and_age_cues(question: str, expected: str) -> None:
    assert question_type(question) == expected


def test_an_activity_is_answered_by_the_sentence() -> None:
    hub = "The COE-DAT serves as a hub for international dialogue and discussion on counter-terrorism."
    assert BY_NAME["activity"].span is None
    assert answer_spans(hub, "activity", "What does COE-DAT do?") == []


def test_an_age_needs_a_length_of_time_or_a_date_the_question_does_not_hold() -> None:
    entry = BY_NAME["age"]
    assert entry.required and ranked_type("age") == "age"
    hub = "The COE-DAT serves as a hub for international dialogue, engaging with over 50 countries and 40 organisations."
    assert not has_answer_type(hub, "age", "How long has COE-DAT existed?")
    assert has_answer_type("It has existed since the 1950s.", "age", "How long has it existed?")
    assert has_answer_type("NATO was founded in 1949.", "age", "How long has NATO existed?")
    assert not has_answer_type("NATO was founded in 1949.", "age", "How long has NATO existed since 1949?")
    sentence = "NATO was founded in 1949 and has existed for over 70 years; it may grow."
    spans = answer_spans(sentence, "age", "How long has NATO existed?")
    # a length of time first, then the date it dates from; "may" is no month
    assert [(span.text, span.tier) for span in spans] == [("over 70 years", 0), ("1949", 1)]


def test_who_leads_is_answered_by_a_body_that_leads_and_who_is_the_head_by_a_person() -> None:
    office = "The Office of Weapons of Mass Destruction Terrorism (WMDT) leads the efforts by coordinating policy."
    assert has_answer_type(office, "leader", "who leads the state department's work against wmd terrorism")
    assert [s.text for s in answer_spans(office, "leader", "who leads the work?")] == ["Office of Weapons of Mass Destruction Terrorism"]
    assert not has_answer_type(office, "leader", "who's the head of that office")
    # the body the question names is no answer
    assert not has_answer_type("NATO leads the effort.", "leader", "who leads NATO?")
    assert has_answer_type("The task force is headed by the Deputy Attorney General.", "leader", "who heads the task force?")


def test_a_person_who_leads_something_else_does_not_answer_who_leads_x() -> None:
    bush = (
        "The First Lady, Laura Bush, led a worldwide initiative to highlight the Taliban's oppression of women, "
        "which was a key aspect of al-Qaeda's philosophy."
    )
    assert not has_answer_type(bush, "leader", "who leads al-Qaeda today?")
    assert not has_answer_type(bush, "leader", "Who is the leader of al-Qaeda?")
    # what she led ends where its purpose starts: "the Taliban's oppression" is not led by her
    assert not has_answer_type(bush, "leader", "Who leads the Taliban?")
    # what she led is what is asked, or the question asks for no led thing
    assert has_answer_type(bush, "leader", "who heads the worldwide initiative?")
    assert has_answer_type("Jens Stoltenberg leads NATO.", "leader", "who leads NATO?")
    # a passive names the leader after "by": no object to compare
    assert has_answer_type("NATO is led by Jens Stoltenberg.", "leader", "who leads NATO?")


def test_what_something_is_essential_for_answers_why_it_is_needed() -> None:
    sentence = "Diplomatic skills are essential in fostering these relationships."
    assert has_answer_type(sentence, "reason", "why do you need diplomatic skills for the program")
    assert not has_answer_type("Diplomatic skills vary.", "reason", "why do you need diplomatic skills")


def test_people_are_named_with_accents_and_never_inside_a_longer_name() -> None:
    founded = "The société was founded in 1987 by Françoise Lefèvre, who still directs it."
    assert has_answer_type(founded, "leader", "Who founded the société?")
    assert [s.text for s in answer_spans(founded, "leader", "Who founded the société?")] == ["Françoise Lefèvre"]
    program = "The Responsible Cooperators Program offers immigration benefits to non-citizens."
    assert "Responsible Cooperators" not in [s.text for s in answer_spans(program, "person", "who can benefit from it?")]
    office = "The Office of Weapons of Mass Destruction Terrorism (WMDT) leads the efforts."
    assert "Mass Destruction" not in [s.text for s in answer_spans(office, "person", "who is in charge?")]


def test_a_year_is_no_count() -> None:
    row = "Number of participants in the 2021 and 2023 NATO counter-terrorism courses 50"
    spans = answer_spans(row, "number", "how many participants were there?", {})
    assert [span.text for span in spans] == ["50"]
    assert not has_answer_type("NATO approved the policy in October 2020.", "number", "how many countries?")
    assert has_answer_type("It has 1,500 members.", "number", "how many members?")
    assert not has_answer_type("They are both members of the Five Eyes community.", "number", "how many members?")


def test_an_acronym_question_typed_in_lowercase_finds_the_long_form() -> None:
    sentence = "It works with the International Civil Aviation Organization (ICAO) and the European Union (EU)."
    acronyms = {"ICAO": "International Civil Aviation Organization", "EU": "European Union"}
    assert [span.text for span in answer_spans(sentence, "acronym", "what does icao stand for", acronyms)][0] == (
        "International Civil Aviation Organization"
    )
    assert [span.text for span in answer_spans(sentence, "acronym", "what does eu stand for", acronyms)][0] == "European Union"


def test_who_founded_needs_a_sentence_on_a_founding() -> None:
    led = "The First Lady, Laura Bush, led a worldwide initiative, a key aspect of al-Qaeda's philosophy."
    assert question_type("who founded al-qaida") == "leader"
    assert not has_answer_type(led, "leader", "who founded al-qaida")
    assert has_answer_type("Hassan al Banna founded the Muslim Brotherhood in 1928.", "leader", "Who founded the Muslim Brotherhood?")
    assert has_answer_type(led, "leader", "who led the initiative?")
