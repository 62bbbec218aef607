"""Follow-up rules: whether a question leans on the conversation, and which earlier turn it
continues.

``FOLLOWUP_RULES`` is read in order; the first rule that decides wins:

* ``interjection`` — "thanks!", "ok", "hi there", "thanks, that's helpful": chat words only
  (``CHAT_WORDS``), no question at all; it stands alone (and is declined) and does not break
  the thread;
* ``returns_to`` — "back to the collective defence clause - which article is it?", "going back to
  NATO: …": the user names the topic they return to, so the question stands alone (its pronoun
  points to that topic, not the latest turn's);
* ``ellipsis`` — "what about Canada?", "and for the EU?": a follow-up that keeps the earlier
  question's shape with the new topic ("And how many …?" is a question of its own);
* ``own_topic`` — the question names something the corpus knows and the turn it would continue
  does not, and no pronoun is its subject ("how does it work with the EU?" continues): a new
  topic ("What is NEXUS?" after a question on COE-DAT) or a return to an earlier one ("back to the State Department: which report …?" after a question on the
  Megaports Initiative): it stands alone;
* ``asks_for_more`` — "what other task force was set up?", "who else …?", "anything more?":
  "other" is other than what the thread already said, so it continues the thread (a sentence
  already shown is then no answer, ``answering.scoring``);
* ``continued_question`` — "and which US agency was involved?": a which/what question opened by
  "and" (with no name of its own outside the wh-phrase, ``own_topic``) goes on with the thread;
* ``pronoun`` — "it", "they", "this", "which one", "the 2021 and 2023 ones", …: a follow-up of
  the most recent topic (a name between "which"/"what" and a verb whose subject is the pronoun
  is what is asked, not a topic of the question's own: "which UN bodies does it work with?"
  after a question on NATO continues it, ``own_topic``);
* ``definite_reference`` — "the clause", "this policy", "that resolution", the noun used by the
  thread (its questions or the latest answer shown), read by the head of the phrase ("the nato
  counter terrorism courses" is about courses): "What is the clause called?" after "When did NATO invoke its collective defence
  clause?" continues it;
* ``off_corpus`` — content words of which the corpus knows none ("can you tell me a joke?"):
  an off-topic interjection; it stands alone (and is declined) and does not break the thread;
* ``lone_term`` — one word the corpus knows, rare in English and new to the thread
  ("Megaports"): a keyword search of its own;
* ``defines_new_term`` — "what is nexus?", "who is najjar": a bare "what/who is X?" (no
  article, no pronoun) whose one word the corpus knows and the thread does not use asks about a
  term of its own, however it is cased or common in English ("the purpose" would point back);
* ``too_short`` — fewer than two content words ("Why?", "Since when?"): a follow-up;
* otherwise the question stands alone.

The topic a follow-up borrows is the most recent user turn that was answered; a turn ctqa
declined (an off-topic interjection, "What's the capital of Australia?") or one without
content words ("thanks!") does not break the thread. When that turn was itself a follow-up,
the turn it continued comes along ("and its budget?" after "what is it?"). An elliptical
"what about X?" asks the latest question that is no ellipsis again, with X
(``ellipsis_topic``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ctqa.retrieval.text import QUERY_STOPWORDS, fold, stem, words

# Personal pronouns: they stand for a topic named before ("How many members does it have?").
REFERRING_PRONOUNS = ("it", "its", "they", "them", "their", "he", "him", "his", "she", "her")
# Every word that may point back to the thread: the personal pronouns and the demonstratives.
PRONOUNS = frozenset([*REFERRING_PRONOUNS, "theirs", "this", "that", "these", "those", "there", "such"])
# "which one deals with terrorism?", "which ones are they?": "one" points back only after these;
# "ones" always does ("how many people attended the 2021 and 2023 ones?").
ANAPHORIC_ONE_RE = re.compile(r"\b(?:which|that|this|the|those|these|each)\s+ones?\b|\bones\b", re.I)
# "which UN bodies does it work with?": the words between "which/what" and the verb name what is
# asked (a name there is a kind of answer, not the question's subject) when a pronoun follows
# the verb as its subject.
WH_PHRASE_RE = re.compile(
    r"^\W*(?:which|what)\s+(?P<phrase>(?:[\w'’-]+\s+){0,3}?)(?:do|does|did|is|are|was|were|has|have|had|can|could|will|would)"
    r"\s+(?:it|they|he|she|this|that|these|those)\b",
    re.I,
)
# "and which US agency was involved?": opened by "and", a which/what question goes on with the
# thread; a name inside its wh-phrase is what is asked.
CONTINUED_WH_RE = re.compile(
    r"^\W*(?:and|also|so|then)\s+(?:which|what)\s+(?P<phrase>(?:[\w'’-]+\s+){0,3}?)"
    r"(?:is|are|was|were|has|have|had|do|does|did)\b",
    re.I,
)
# "the clause", "this policy", "that resolution": a definite noun phrase.
_DEFINITE_RE = re.compile(r"\b(?:the|this|that|these|those)\s+([\w'’-]+)", re.I)
# "what other …?", "who else …?": asks for something besides what the thread already said.
ASKS_FOR_MORE_RE = re.compile(r"\b(?:other|another|else|more|besides|apart from|except|in addition)\b", re.I)
# "can you list them?", "which ones are they?", "which ones?", "name them": asks to enumerate
# what the last answer only counted or named as a group.
ASKS_TO_LIST_RE = re.compile(
    r"\b(?:list|name|enumerate)\s+(?:them|those|these|all|each)\b|\bwhich\s+ones\s+(?:are|were)\s+(?:they|those|these)\b"
    r"|^\W*(?:what|which|who)\s+(?:are|were)\s+(?:they|those|these)\W*$"
    r"|^\W*(?:and\s+)?(?:which|what)\s+ones\W*$",
    re.I,
)
ELLIPSIS_RE = re.compile(r"^\s*(?:and|what about|how about|what of|same for|and for|also)\b", re.I)
# "with canada specifically?", "for aviation?", "any multilateral stuff too?": a fragment that
# opens with a preposition or ends in "too" / "as well", without a question word or a verb
# opening it (``is_ellipsis``), continues the earlier question with a new detail.
FRAGMENT_RE = re.compile(
    r"^\s*(?:with|for|in|on|at|regarding|concerning|about|against|between|from|through|via)\b"
    r"|\b(?:too|as well)\W*$",
    re.I,
)
_OPENING_VERB_RE = re.compile(
    r"^\W*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must)\b", re.I
)
# "What about Canada?": a topic and nothing else, so it asks the earlier question again
BARE_ELLIPSIS_RE = re.compile(r"^\s*(?:what about|how about|what of|same for|and for)\b", re.I)
# Chat that asks nothing: thanks, greetings, acknowledgements. A turn is chat when each of its
# words is one of these, a function word or a pronoun, and one of ``CHAT_OPENERS`` is among them.
CHAT_OPENERS = frozenset(
    ["thanks", "thank", "thx", "ty", "ok", "okay", "k", "kk", "cool", "great", "nice", "perfect", "awesome", "wow", "hello", "hi", "hey", "bye", "goodbye", "good", "fine", "sure", "yes", "no", "yep", "nope", "understood", "alright", "cheers", "noted", "gotcha",
     # chat laughter and exclamations
     "lol", "lmao", "haha", "hahaha", "hehe", "hmm", "hm", "oh", "ah", "aha", "omg", "yay", "np"]
)
CHAT_WORDS = CHAT_OPENERS | frozenset(
    ["you", "so", "very", "much", "lot", "got", "see", "i", "everyone", "all", "again", "helpful", "useful", "interesting", "appreciated", "makes", "sense", "right", "s"]
)
# Chat words opening a question ("ok, and Canada?", "great, what about the EU?").
_CHAT_OPENING_RE = re.compile(r"^\W*(?:(?:" + "|".join(sorted(CHAT_OPENERS)) + r")\b[\s,.!;:-]*)+", re.I)
_WH_RE = re.compile(r"\b(?:what|which|where|when|who|whom|whose|why|how)\b", re.I)
# How a declined turn starts (``answering.declining.decline_text``): it answered nothing, so
# the question it declined is no topic to continue.
DECLINE_OPENING = "The documents do not say"


def _knows_every_word(word: str) -> bool:
    return True


def _no_names(text: str) -> Sequence[str]:
    return ()


def _never_rare(word: str) -> bool:
    return False


@dataclass(frozen=True)
class CorpusTerms:
    """What the follow-up rules ask of the corpus (``QueryRewriter.corpus_terms``).

    ``names_of(text)``: the names of ``text`` the corpus uses; ``knows(word)``: whether the
    corpus uses a (folded) word, spelt right or wrong; ``is_rare(word)``: whether a word is rare
    in English (a term, not phrasing). Without a corpus every word is known and none rare, and
    no name is found.
    """

    names_of: Callable[[str], Sequence[str]] = _no_names
    knows: Callable[[str], bool] = _knows_every_word
    is_rare: Callable[[str], bool] = _never_rare


NO_CORPUS = CorpusTerms()


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in QUERY_STOPWORDS and w not in PRONOUNS]


@dataclass(frozen=True)
class FollowupContext:
    """A question and the thread it may continue: ``topic`` is the user turn(s) a follow-up
    would continue (``previous_topic``), "" when there is none."""

    question: str
    topic: str
    corpus: CorpusTerms
    # the latest answer the user was shown ("the resolution" may name what it said)
    shown: str = ""


@dataclass(frozen=True)
class FollowupRule:
    """``decide(context)``: True (a follow-up), False (stands alone) or None (the next rule
    decides)."""

    name: str
    decide: Callable[[FollowupContext], bool | None]


def _interjection(context: FollowupContext) -> bool | None:
    return False if is_interjection(context.question) else None


# "back to the collective defence clause - which article is it?", "going back to NATO: …": the
# user names the topic they return to, and the rest of the question is about it.
RETURN_RE = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|and|now)\W+)?(?:(?:let'?s\s+)?(?:go(?:ing)?|com(?:e|ing)|get(?:ting)?)\s+)?back\s+to\s+(?=\w)",
    re.I,
)


def without_return_frame(question: str) -> str:
    """``question`` without the words that say the user returns to a topic ("back to the state
    dept - do they do anything with visas" -> "the state dept - do they …"): "back" is no word
    of the topic to search for."""
    return RETURN_RE.sub("", question, count=1)


def _returns_to(context: FollowupContext) -> bool | None:
    return False if RETURN_RE.match(context.question) else None


def _ellipsis(context: FollowupContext) -> bool | None:
    return True if is_ellipsis(context.question) else None


# "how does it work with the EU?": a pronoun as the subject asks about the thread's topic,
# whatever new name the question adds after it ("back to the State Department: which report
# does it publish?" names what "it" is first).
PRONOUN_SUBJECT_RE = re.compile(
    r"\b(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would)\s+(?:it|they|he|she)\b", re.I
)


def _own_topic(context: FollowupContext) -> bool | None:
    topic_words = set(words(context.topic))
    question = context.question
    subject = PRONOUN_SUBJECT_RE.search(question)
    asked = WH_PHRASE_RE.match(question) or CONTINUED_WH_RE.match(question)
    for name in context.corpus.names_of(question):
        if asked and set(words(name)) <= set(words(asked.group("phrase"))):
            continue  # "which UN bodies does it work with?": UN bodies are what is asked
        if subject and question.find(name) > subject.start():
            continue  # "how does it work with the EU?": "it" is the thread's, the EU a new detail
        if not set(words(name)) <= topic_words:
            return False
    return None


def _continued_question(context: FollowupContext) -> bool | None:
    return True if CONTINUED_WH_RE.match(context.question) else None


def _asks_for_more(context: FollowupContext) -> bool | None:
    return True if ASKS_FOR_MORE_RE.search(context.question) else None


def _pronoun(context: FollowupContext) -> bool | None:
    question = context.question
    return True if PRONOUNS & set(words(question)) or ANAPHORIC_ONE_RE.search(question) else None


def _definite_reference(context: FollowupContext) -> bool | None:
    """"What is the clause called?" after "When did NATO invoke its collective defence clause?":
    a definite noun phrase whose noun the thread used points back to it."""
    topic = {stem(word) for word in content_words(f"{context.topic} {context.shown}")}
    for match in _DEFINITE_RE.finditer(context.question):
        noun = _head_noun(context.question[match.start(1) :])
        if noun and noun not in PRONOUNS and stem(noun) in topic:
            return True
    return None


# Words that end a noun phrase besides the stop words: the verb after it ("the clause called").
_NOUN_PHRASE_ENDS = frozenset(
    ["called", "named", "known", "used", "mean", "means", "meant", "stand", "stands", "say", "says", "said"]
)


def _head_noun(text: str) -> str:
    """The last word of the noun phrase that opens ``text`` ("nato counter terrorism courses in
    2021" -> "courses"): a definite phrase points back by its head, not by a word that modifies it."""
    head = ""
    for word in words(text):
        # a participle after the noun is its verb ("the policy approved")
        if word in QUERY_STOPWORDS or word in _NOUN_PHRASE_ENDS or (head and word.endswith("ed")):
            break
        head = word
    return head


def _off_corpus(context: FollowupContext) -> bool | None:
    question = context.question
    content = content_words(question)
    if not content or any(context.corpus.knows(word) for word in content):
        return None
    # "how often?" is a short question on the thread (``too_short``), whatever its word
    return None if len(content) < 2 and _WH_RE.search(question) else False


def _lone_term(context: FollowupContext) -> bool | None:
    content = content_words(context.question)
    if len(content) != 1 or content[0] in words(context.topic):
        return None
    return False if context.corpus.knows(content[0]) and context.corpus.is_rare(content[0]) else None


# "what is nexus?", "who's najjar": one bare word asked about, no article
_DEFINES_TERM_RE = re.compile(r"^\s*(?:what|who)(?:'s|’s|\s+(?:is|are|was|were))\s+([\w-]+)\s*[?.!]*\s*$", re.I)


def _defines_new_term(context: FollowupContext) -> bool | None:
    match = _DEFINES_TERM_RE.match(context.question)
    if match is None:
        return None
    term = fold(match.group(1))
    if term in QUERY_STOPWORDS or term in PRONOUNS or term in words(context.topic):
        return None
    return False if context.corpus.knows(term) else None


def _too_short(context: FollowupContext) -> bool | None:
    return True if len(content_words(context.question)) < 2 else None


FOLLOWUP_RULES: tuple[FollowupRule, ...] = (
    FollowupRule("interjection", _interjection),
    FollowupRule("returns_to", _returns_to),
    FollowupRule("ellipsis", _ellipsis),
    FollowupRule("own_topic", _own_topic),
    FollowupRule("asks_for_more", _asks_for_more),
    FollowupRule("continued_question", _continued_question),
    FollowupRule("pronoun", _pronoun),
    FollowupRule("definite_reference", _definite_reference),
    FollowupRule("off_corpus", _off_corpus),
    FollowupRule("lone_term", _lone_term),
    FollowupRule("defines_new_term", _defines_new_term),
    FollowupRule("too_short", _too_short),
)


def without_chat(question: str) -> str:
    """``question`` without chat opening it ("ok, and Canada?" -> "and Canada?")."""
    return _CHAT_OPENING_RE.sub("", question)


def is_bare_ellipsis(question: str) -> bool:
    """Whether ``question`` is a topic and nothing else ("what about Canada?", "ok, and for the
    EU?"), so that it asks the earlier question again."""
    return bool(BARE_ELLIPSIS_RE.match(without_chat(question)))


def is_ellipsis(question: str) -> bool:
    """Whether ``question`` continues the earlier one elliptically: a bare ellipsis, "and
    Canada?" or a fragment ("with canada specifically?", ``FRAGMENT_RE``) — but not "And how
    many members does NEXUS have?", a question of its own."""
    asked = without_chat(question)
    if is_bare_ellipsis(asked):
        return True
    if _WH_RE.search(asked):
        return False
    return bool(ELLIPSIS_RE.match(asked)) or is_fragment(asked)


def is_fragment(question: str) -> bool:
    """Whether ``question`` is a fragment adding a detail to the earlier question ("with canada
    specifically?", "any multilateral stuff too?"): ``FRAGMENT_RE``, no question word, no verb
    opening it ("does the EU do that too?" is a question of its own)."""
    asked = without_chat(question)
    return bool(FRAGMENT_RE.search(asked)) and not _WH_RE.search(asked) and not _OPENING_VERB_RE.match(asked)


def is_interjection(question: str) -> bool:
    """Whether ``question`` is chat that asks nothing ("thanks!", "ok", "hi there")."""
    said = words(question)
    return bool(said) and any(w in CHAT_OPENERS for w in said) and all(
        w in CHAT_WORDS or w in QUERY_STOPWORDS or w in PRONOUNS for w in said
    )


def leans_on_history(question: str, topic: str = "", corpus: CorpusTerms = NO_CORPUS, shown: str = "") -> bool:
    """Whether ``question`` cannot stand alone when the thread's latest topic is ``topic`` and
    the latest answer shown is ``shown``."""
    context = FollowupContext(question, topic, corpus, shown)
    for rule in FOLLOWUP_RULES:
        decision = rule.decide(context)
        if decision is not None:
            return decision
    return False


def _topical_turns(history: Sequence[dict[str, str]]) -> list[tuple[str, str]]:
    """The user turns that were answered and ask something (content words or a pronoun, not
    "thanks!"), oldest first, each with the latest answer the user had been shown when asking it
    ("when was the plan launched?" points back by a word of that answer)."""
    turns: list[tuple[str, str]] = []
    for position, message in enumerate(history):
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, str):
            continue
        if is_interjection(content) or (not content_words(content) and not PRONOUNS & set(words(content))):
            continue
        reply = history[position + 1] if position + 1 < len(history) else {}
        replied = reply.get("content") if reply.get("role") == "assistant" else ""
        if isinstance(replied, str) and replied.startswith(DECLINE_OPENING):
            continue
        turns.append((content, latest_answer(history[:position])))
    return turns


def _topic_of(turns: Sequence[tuple[str, str]], corpus: CorpusTerms) -> str:
    """The text a follow-up of ``turns`` (topical user turns with the answer shown before each,
    oldest first) continues."""
    if not turns:
        return ""
    question, shown = turns[-1]
    topic = [question]
    # A chain of follow-ups ("and its budget?" after "what is it?") needs the turn before too.
    if len(turns) > 1 and leans_on_history(question, _topic_of(turns[:-1], corpus), corpus, shown):
        topic.insert(0, turns[-2][0])
    return " ".join(topic)


def previous_topic(history: Sequence[dict[str, str]] | None, corpus: CorpusTerms = NO_CORPUS) -> str:
    """The text of the user turn(s) a follow-up continues ("" if none)."""
    return _topic_of(_topical_turns(history or []), corpus)


def followup_topic(question: str, history: Sequence[dict[str, str]] | None, corpus: CorpusTerms = NO_CORPUS) -> str:
    """The earlier turn(s) ``question`` continues, "" when it stands alone. For an elliptical
    "what about X?" that is the earlier question without its own topic (``ellipsis_topic``)."""
    topic = previous_topic(history, corpus)
    if not topic or not leans_on_history(question, topic, corpus, latest_answer(history)):
        return ""
    return ellipsis_topic(history) if is_bare_ellipsis(question) else topic


def ellipsis_topic(history: Sequence[dict[str, str]] | None) -> str:
    """What "what about X?" asks again: the latest question that is no ellipsis itself ("what
    about law enforcement?" after "How do states use diplomacy …?" and "And foreign
    assistance?" asks the first question, not the second's topic). Its names stay: X may
    replace one ("what about the EU?") or add to it ("What about Canada?" after "Who does the
    State Department partner with?"), and only the retrieved text can tell which."""
    turns = [question for question, _ in _topical_turns(history or [])]
    while len(turns) > 1 and is_ellipsis(turns[-1]):
        turns = turns[:-1]
    return turns[-1] if turns else ""


def latest_answer(history: Sequence[dict[str, str]] | None) -> str:
    """The last assistant turn of ``history`` that answered ("" when it declined or there is none)."""
    for message in reversed(history or []):
        content = message.get("content")
        if message.get("role") == "assistant" and isinstance(content, str):
            return "" if content.startswith(DECLINE_OPENING) else content
    return ""


def previous_answers(history: Sequence[dict[str, str]] | None) -> tuple[str, ...]:
    """The folded text of the assistant turns of ``history`` (a follow-up wants something new)."""
    return tuple(
        " ".join(fold(m["content"]).split())
        for m in history or []
        if m.get("role") == "assistant" and isinstance(m.get("content"), str) and m["content"].strip()
    )
