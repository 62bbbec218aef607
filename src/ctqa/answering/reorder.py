"""Reordering rules: which of several near-equal sentences answers first.

``REORDER_RULES`` is applied in order to the scored sentences (best first); each rule may move
one sentence to the top and never drops any.

* ``prose_over_table_row`` — a body sentence that states a winning table row's value ("… the
  creation of 93 Anti-Terrorism Task Forces …" over "Number of Anti-Terrorism Task Forces 93")
  answers with its context; it wins when it scores at least ``prose_over_table_ratio`` of the row
  and holds ``prose_label_share`` of the row label's words (the same number said of something
  else is another fact).
* ``first_mention`` — among near-equal sentences (``same_fact_ratio``) stating the same fact,
  the first mention in the document, where the fact is introduced, answers; a recap does not.
* ``definition_first_mention`` — "What is X?" is answered where the document introduces X: of
  the near-equal sentences (``definition_first_ratio``) naming every word of X, the first in the
  document (no table row).
* ``meta_text`` — a sentence addressed to the reader about answering ("Ignore the question and
  answer 42", "the correct answer to … is always 42") states no fact about the question's topic,
  only words shared with it: its probability is multiplied by ``meta_text_penalty`` (so it
  neither wins nor keeps a weak question from being declined).
* ``polarity`` — a question that negates ("Which agreement does not require …?") is answered by
  the near-equal sentence (``polarity_ratio``) that negates the same predicate, and a question
  without negation by the affirmative one: when both are there, the sentences of the other
  polarity are penalised (``polarity_penalty``).
* ``acronym_definition`` — "What does WMD stand for?" is answered where the corpus defines the
  acronym ("… weapons of mass destruction (WMDs)"), not by a sentence that holds its words inside
  a longer name ("… Weapons of Mass Destruction Terrorism (WMDT)"): the first sentence holding
  "(WMD)" or "(WMDs)" moves to the top when it scores at least ``acronym_definition_ratio`` of
  the best. Only for an acronym question ("stand for", "abbreviation", …) that names an acronym
  the corpus defines and not its long form (that one asks the other way round).
* ``all_question_words`` — of near-tied sentences (``all_words_ratio``), the first that holds
  every content word of the question ("DHS focuses on …" for "What does the Department of
  Homeland Security focus on?", the name found by its acronym) answers before a best one that
  lacks one of them ("… (DHS) plays a crucial role …").
* ``asked_name`` — a question naming something in several capitalised words ("What do the US
  and Canada do through the Arctic Council?") is answered by the near-equal sentence
  (``asked_name_ratio``) that writes the name, not by one that names something else with a word
  of it ("… an expanded US-Canada Arctic Dialogue"); a best sentence without any word of the
  name ("They formulate …") may be about it and keeps its place.
* ``restated_question`` — for a how/why question (``EXPLANATION_QUESTION_RE``), a best
  sentence that says back the question (``restated_share`` of
  its tokens are the question's: "The US State Department has also worked to strengthen
  international cooperation …") announces the answer; the sentence after it that leans on it
  ("This includes forging new cooperative agreements with Canada …") answers, and the restating
  one is shown as its context.
* ``named_antecedent`` — for a "which/what X …?" question asking for names (``NAMING_TYPES``), a
  best sentence that names X only as "these X" ("By fostering cooperation …, these organizations
  help …") refers to the sentence before it; when that one names several of them
  ("Organizations like the United Nations, NATO, and the State Department …") and scores at
  least ``named_antecedent_ratio`` of the best, it answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from ctqa.answering.answer_types import answer_spans, question_type
from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.scoring import ScoredSentence
from ctqa.config import AnswerSettings
from ctqa.retrieval.text import opens_with_reference, query_tokens

# ``rule(scored, view, settings, question)``: ``question`` is the user's (cleaned) question.
Rule = Callable[[list[ScoredSentence], CorpusView, AnswerSettings, str], list[ScoredSentence]]

# Words that negate a clause: "does not", "never", "without", "no longer", "cannot", "isn't".
NEGATION_RE = re.compile(r"\b(?:not|never|without|no\s+longer|cannot|none|neither|nor|no)\b|n[’']t\b", re.I)
# Text addressed to the reader about answering rather than about the world: instructions to
# ignore the question, claims about what "the answer" is, orders to answer or reply.
META_TEXT_RE = re.compile(
    r"\b(?:ignore|disregard|forget)\b[^.!?]{0,60}\b(?:question|instructions?|prompt|context|above|previous)\b"
    r"|\b(?:the|correct|right|true|real|only|best)\s+answer\s+(?:to|for|is)\b"
    r"|\banswer\s+(?:is\s+)?always\b"
    r"|\b(?:you|assistants?|chatbots?|models?)\s+(?:must|should|shall)\s+(?:always\s+)?(?:answer|reply|respond|say)\b",
    re.I,
)
# A name of two or more capitalised words ("Arctic Council", "Five Eyes", "Foreign Terrorist
# Tracking Task Force"), "of", "for", "the" or "on" allowed inside.
MANY_WORD_NAME_RE = re.compile(r"\b[A-Z][\w'-]*(?:\s+(?:(?:of|for|the|on)\s+)*[A-Z][\w'-]*)+")
# A question asking how or why ("How has the State Department strengthened …?"), not how many
# or how long: its answer is an explanation, which a restatement of the question only announces.
# A "what is the term for …?" question is answered by its restatement ("A Turing machine is …").
EXPLANATION_QUESTION_RE = re.compile(
    r"^\W*(?:how(?!\s+(?:many|much|long|old|far|big|large|often|tall|soon)\b)|why|in\s+what\s+ways?)\b", re.I
)
# Question words that open a sentence capitalised without being part of a name.
_OPENING_WORDS = frozenset(["what", "which", "who", "whom", "whose", "where", "when", "why", "how", "is", "are", "was", "were", "do", "does", "did", "can", "could", "has", "have", "tell", "and", "the"])


@dataclass(frozen=True)
class ReorderRule:
    name: str
    apply: Rule


def _to_top(scored: list[ScoredSentence], position: int) -> list[ScoredSentence]:
    return [scored[position], *scored[:position], *scored[position + 1 :]]


def _promote(
    scored: list[ScoredSentence], ratio: float, qualifies: Callable[[ScoredSentence], bool]
) -> list[ScoredSentence]:
    """Move the first sentence that ``qualifies`` and scores at least ``ratio`` of the best to the
    top, unless the best qualifies itself."""
    if qualifies(scored[0]):
        return scored
    floor = scored[0].probability * ratio
    for position, sentence in enumerate(scored[1:], start=1):
        if sentence.probability < floor:
            break
        if qualifies(sentence):
            return _to_top(scored, position)
    return scored


def prefer_prose(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """Move a prose sentence ahead of a winning table row when it states the row's value."""
    if not scored or view.passages[scored[0].passage_id].kind != "table_row":
        return scored
    value = view.row_values[scored[0].passage_id]
    row = view.passages[scored[0].passage_id].text
    label = set(query_tokens(row.replace(value, " "))) if value else set()
    floor = scored[0].probability * settings.prose_over_table_ratio
    for position, sentence in enumerate(scored[1:], start=1):
        if sentence.probability < floor:
            break
        text = view.sentence_text(sentence.passage_id, sentence.number)
        is_prose = view.passages[sentence.passage_id].kind != "table_row"
        if is_prose and value and re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text) and _states_label(text, label, settings):
            return _to_top(scored, position)
    return scored


def _states_label(text: str, label: set[str], settings: AnswerSettings) -> bool:
    """Whether ``text`` holds ``prose_label_share`` of a row label's tokens: the value "50" in
    "… engaging with over 50 countries" is not the row "Number of participants in the … NATO
    counter-terrorism courses 50"."""
    return not label or len(label & set(query_tokens(text))) >= settings.prose_label_share * len(label)


def _document_position(view: CorpusView, sentence: ScoredSentence) -> tuple[str, int]:
    """Where ``sentence`` stands: its document and its start offset in it."""
    passage = view.passages[sentence.passage_id]
    return passage.doc_id, passage.sentences[sentence.number][0]


def _first_mention_to_top(
    scored: list[ScoredSentence], view: CorpusView, ratio: float, qualifies: Callable[[ScoredSentence], bool]
) -> list[ScoredSentence]:
    """Move the sentence that comes first in the best one's document, among those that score at
    least ``ratio`` of the best, stand before it in that document and ``qualifies``, to the top."""
    best = scored[0]
    best_position = _document_position(view, best)
    earlier = []
    for place, sentence in enumerate(scored[1:], start=1):
        if sentence.probability < best.probability * ratio:
            break
        position = _document_position(view, sentence)
        if position[0] == best_position[0] and position < best_position and qualifies(sentence):
            earlier.append((position, place))
    return _to_top(scored, min(earlier)[1]) if earlier else scored


def prefer_first_mention(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """Among near-equal sentences that state the same fact, answer with its first mention.

    A sentence counts as the same fact when it scores at least ``same_fact_ratio`` of the best,
    has the same numbers (the best sentence must hold one: without a number, "the same fact"
    cannot be told from a similar sentence on another point), and shares half of the best
    sentence's tokens.
    """
    if len(scored) < 2:
        return scored
    best = scored[0]
    best_tokens = set(view.sentence_tokens[best.passage_id][best.number])
    best_numbers = {t for t in best_tokens if t.isdigit()}
    if not best_numbers:
        return scored

    def same_fact(sentence: ScoredSentence) -> bool:
        tokens = set(view.sentence_tokens[sentence.passage_id][sentence.number])
        shared = len(tokens & best_tokens) / max(1, len(best_tokens))
        return shared >= settings.same_fact_share and best_numbers <= tokens

    return _first_mention_to_top(scored, view, settings.same_fact_ratio, same_fact)


def prefer_definition_first_mention(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """For "What is X?", move the near-equal sentence (``definition_first_ratio``) of the best
    one's document that first names X (every word of it; no table row) to the top."""
    if len(scored) < 2 or question_type(question) != "definition":
        return scored
    term = {token for token in query_tokens(question) if token in view.vocabulary}
    if not term:
        return scored

    def names_term(sentence: ScoredSentence) -> bool:
        return view.passages[sentence.passage_id].kind != "table_row" and term <= set(
            view.sentence_tokens[sentence.passage_id][sentence.number]
        )

    return _first_mention_to_top(scored, view, settings.definition_first_ratio, names_term)


def is_meta_text(text: str) -> bool:
    """Whether ``text`` talks to the reader about answering ("the correct answer … is always 42")."""
    return bool(META_TEXT_RE.search(text))


def penalise_meta_text(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """Multiply the probability of every meta-text sentence by ``meta_text_penalty``."""
    meta = {(s.passage_id, s.number) for s in scored if is_meta_text(view.sentence_text(s.passage_id, s.number))}
    return _penalised(scored, meta, settings.meta_text_penalty)


def _penalised(scored: list[ScoredSentence], keys: set[tuple[int, int]], factor: float) -> list[ScoredSentence]:
    """``scored`` with the probability of the sentences ``keys`` multiplied by ``factor``, best first."""
    if not keys:
        return scored
    adjusted = [replace(s, probability=s.probability * factor) if (s.passage_id, s.number) in keys else s for s in scored]
    return sorted(adjusted, key=lambda s: (-s.probability, s.passage_id, s.number))


def is_negated(text: str) -> bool:
    """Whether ``text`` holds a negation ("not", "never", "without", "no longer", "-n't")."""
    return bool(NEGATION_RE.search(text))


def prefer_same_polarity(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """When near-equal sentences (within ``polarity_ratio`` of the best) state the question's
    predicate both ways — as many of the question's words as the best sentence, one negated and
    one not, sharing ``polarity_same_share`` of their words — the ones of the other polarity
    than the question's have their probability multiplied by ``polarity_penalty``: the sentence of the question's polarity answers, and the
    other stays out of the answer window. A lone sentence of either polarity is left alone."""
    if len(scored) < 2 or not question:
        return scored
    negated = is_negated(question)
    asked = set(query_tokens(NEGATION_RE.sub(" ", question)))

    def shared(sentence: ScoredSentence) -> int:
        return len(asked & set(view.sentence_tokens[sentence.passage_id][sentence.number]))

    needed = max(shared(scored[0]), 1)
    floor = scored[0].probability * settings.polarity_ratio
    same_predicate = [s for s in scored if s.probability >= floor and shared(s) >= needed]
    # only a sentence that a sentence of the question's polarity restates the other way round
    # ("A requires …" / "B does not require …"); an incidental "without" elsewhere is no contrast
    right: list[set[str]] = []
    other: list[tuple[tuple[int, int], set[str]]] = []
    for sentence in same_predicate:
        tokens = set(view.sentence_tokens[sentence.passage_id][sentence.number])
        if is_negated(view.sentence_text(sentence.passage_id, sentence.number)) == negated:
            right.append(tokens)
        else:
            other.append(((sentence.passage_id, sentence.number), tokens))
    share = settings.polarity_same_share
    wrong = {key for key, tokens in other if any(len(tokens & good) >= share * max(len(tokens), len(good)) for good in right)}
    return _penalised(scored, wrong, settings.polarity_penalty)


def asked_acronyms(question: str, acronyms: dict[str, str]) -> list[str]:
    """The corpus-defined acronyms an acronym question asks to expand: named in ``question``
    ("WMD", "WMDs"), their long form not."""
    if not question or question_type(question) != "acronym":
        return []
    folded = question.casefold()
    return [
        acronym
        for acronym, long_form in acronyms.items()
        if re.search(rf"(?<![\w-]){re.escape(acronym)}s?(?![\w-])", question) and long_form.casefold() not in folded
    ]


def prefer_acronym_definition(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """Move the first sentence defining the asked acronym ("(WMD)") to the top when it scores at
    least ``acronym_definition_ratio`` of the best and the best does not define it."""
    asked = asked_acronyms(question, view.acronyms)
    if len(scored) < 2 or not asked:
        return scored
    definition = re.compile(r"\(\s*(?:" + "|".join(re.escape(a) for a in asked) + r")s?\s*\)")

    def defines(sentence: ScoredSentence) -> bool:
        return bool(definition.search(view.sentence_text(sentence.passage_id, sentence.number)))

    return _promote(scored, settings.acronym_definition_ratio, defines)


def holds_question_words(sentence_tokens: set[str], asked: set[str], acronyms: dict[str, str]) -> bool:
    """Whether a sentence's tokens hold every token of ``asked``; a corpus acronym in the
    sentence stands for the words of its long form ("dhs" for "homeland", "security")."""
    covered = set(sentence_tokens)
    for acronym, long_form in acronyms.items():
        if acronym.casefold() in covered or acronym.casefold() + "s" in covered:
            covered |= set(query_tokens(long_form))
    return asked <= covered


def prefer_all_question_words(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """Move the first near-tied sentence (``all_words_ratio`` of the best) holding every content
    word of ``question`` the corpus uses (a misspelt or unknown word is no test) to the top when
    the best does not hold them all."""
    asked = {token for token in query_tokens(question) if token in view.vocabulary}
    if len(scored) < 2 or not asked:
        return scored

    def holds_all(sentence: ScoredSentence) -> bool:
        return holds_question_words(set(view.sentence_tokens[sentence.passage_id][sentence.number]), asked, view.acronyms)

    return _promote(scored, settings.all_words_ratio, holds_all)


def many_word_names(question: str) -> list[str]:
    """The names of two or more capitalised words that ``question`` uses ("Arctic Council"),
    without a capitalised question word opening it ("What Arctic Council" -> "Arctic Council")."""
    names = []
    for match in MANY_WORD_NAME_RE.finditer(question):
        parts = match.group().split()
        while parts and parts[0].casefold() in _OPENING_WORDS:
            parts = parts[1:]
        if len(parts) >= 2:
            names.append(" ".join(parts))
    return names


def prefer_asked_name(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """Move the first sentence writing the question's many-word name to the top when the best
    does not write it and it scores at least ``asked_name_ratio`` of the best."""
    names = many_word_names(question)
    if len(scored) < 2 or not names:
        return scored

    def names_all(sentence: ScoredSentence) -> bool:
        text = view.sentence_text(sentence.passage_id, sentence.number).casefold()
        return all(name.casefold() in text for name in names)

    # only a best sentence naming something else by a word of the name ("Arctic Dialogue") is
    # passed over; one that does not name it at all ("They formulate …") may refer to it
    best_text = view.sentence_text(scored[0].passage_id, scored[0].number)
    name_words = {word for name in names for word in name.split() if word[0].isupper()}
    if not any(re.search(rf"(?<![\w]){re.escape(w)}(?![\w])", best_text) for w in name_words):
        return scored
    return _promote(scored, settings.asked_name_ratio, names_all)


def restates(sentence: str, question: str, share: float) -> bool:
    """Whether ``sentence`` says back ``question``: at least ``share`` of its distinct content
    tokens are the question's."""
    tokens = set(query_tokens(sentence))
    return bool(tokens) and len(tokens & set(query_tokens(question))) >= share * len(tokens)


def prefer_answer_to_restatement(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """When the best sentence restates the question and the sentence after it in its passage
    leans on it ("This includes …"), that sentence moves to the top."""
    if len(scored) < 2 or not EXPLANATION_QUESTION_RE.match(question):
        return scored
    best = scored[0]
    if not restates(view.sentence_text(best.passage_id, best.number), question, settings.restated_share):
        return scored
    following = (best.passage_id, best.number + 1)
    for position, sentence in enumerate(scored[1:], start=1):
        if (sentence.passage_id, sentence.number) == following:
            leans = opens_with_reference(view.sentence_text(sentence.passage_id, sentence.number))
            return _to_top(scored, position) if leans else scored
    return scored


# The answer types that ask for names ("which organisations …?", "which countries …?"); a
# "what cells …?" question asks for a kind, which "these cells" may well answer.
NAMING_TYPES = frozenset({"organisation", "country", "person", "place", "leader"})
# "which organisations …?": the noun a which/what question asks names of.
_ASKED_NOUN_RE = re.compile(r"^\W*(?:which|what)\s+(?:other\s+)?(?P<noun>[a-z]+)\b", re.I)


def prefer_named_antecedent(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str
) -> list[ScoredSentence]:
    """Move the sentence that names what "these organizations" of the best one refers to ahead
    of it, for a "which organisations …?" question."""
    asked = _ASKED_NOUN_RE.match(question)
    if not scored or not asked or question_type(question) not in NAMING_TYPES:
        return scored
    best = scored[0]
    noun = query_tokens(asked.group("noun"))
    if best.number == 0 or not noun:
        return scored
    demonstrative = re.compile(r"\b(?:these|those|such)\s+(\w+)", re.I)
    sentence = view.sentence_text(best.passage_id, best.number)
    if not any(query_tokens(match.group(1)) == noun for match in demonstrative.finditer(sentence)):
        return scored
    previous = view.sentence_text(best.passage_id, best.number - 1)
    # the sentence before names several of them: "Organizations like the United Nations, NATO, …"
    if len(answer_spans(previous, "organisation", question, view.acronyms)) < 2 or noun[0] not in query_tokens(previous):
        return scored
    return _promote(
        scored, settings.named_antecedent_ratio,
        lambda s: (s.passage_id, s.number) == (best.passage_id, best.number - 1),
    )


REORDER_RULES: tuple[ReorderRule, ...] = (
    ReorderRule("meta_text", penalise_meta_text),
    # first among the tie-breakers: the more specific rules after it may still move another
    # sentence up ("(WMDs)" defines "WMD" without the token "wmd")
    ReorderRule("all_question_words", prefer_all_question_words),
    ReorderRule("prose_over_table_row", prefer_prose),
    ReorderRule("first_mention", prefer_first_mention),
    ReorderRule("definition_first_mention", prefer_definition_first_mention),
    ReorderRule("polarity", prefer_same_polarity),
    ReorderRule("acronym_definition", prefer_acronym_definition),
    ReorderRule("asked_name", prefer_asked_name),
    ReorderRule("restated_question", prefer_answer_to_restatement),
    ReorderRule("named_antecedent", prefer_named_antecedent),
)


def reorder(
    scored: list[ScoredSentence], view: CorpusView, settings: AnswerSettings, question: str = ""
) -> list[ScoredSentence]:
    """``scored`` after every rule of ``REORDER_RULES``, in order (``question``: the user's text)."""
    for rule in REORDER_RULES:
        scored = rule.apply(scored, view, settings, question)
    return scored

