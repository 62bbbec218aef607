"""Score every sentence of the top passages: its probability of answering the question.

Features (``answering.features``) go through the sentence ranker; in a conversation the
probabilities are then adjusted so a follow-up gets something new (``_adjust_for_conversation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ctqa.answering.answer_types import QuestionType, answer_spans
from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.features import sentence_features
from ctqa.answering.followups import ASKS_FOR_MORE_RE, ELLIPSIS_RE, is_ellipsis, is_fragment
from ctqa.answering.ranker import SentenceRanker
from ctqa.config import AnswerSettings
from ctqa.retrieval.acronyms import AcronymForm
from ctqa.retrieval.hybrid import Candidate
from ctqa.retrieval.names import AskedName
from ctqa.retrieval.query import QueryPlan
from ctqa.retrieval.text import fold, tokenize


@dataclass(frozen=True)
class ScoredSentence:
    """Sentence ``number`` of passage ``passage_id`` with its probability of answering."""

    passage_id: int
    number: int
    probability: float
    features: np.ndarray


def score_sentences(
    view: CorpusView,
    plan: QueryPlan,
    query_vector: np.ndarray,
    candidates: list[Candidate],
    ranker: SentenceRanker,
    n_passages: int,
    settings: AnswerSettings,
) -> list[ScoredSentence]:
    """All sentences of the first ``n_passages`` candidates, best first.

    In a follow-up, a sentence the user was already shown (inside an earlier assistant turn)
    has its probability multiplied by ``settings.repeat_penalty``: "what other ...?" wants news.
    """
    query = plan.focus_tokens
    rarity = {token: _rarity(view, plan, token, settings) for token in set(query)}
    unknown_mass = sum(rarity[t] for t in set(query) if t not in view.vocabulary)
    total_rarity = sum(rarity.values())
    query_unknown = unknown_mass / total_rarity if total_rarity > 0 else 1.0
    # In a follow-up the user's own words weigh twice the borrowed topic words.
    own = set(plan.own_tokens)
    idf = {t: w * (settings.own_word_weight if plan.followup_of and t in own else 1.0) for t, w in rarity.items()}
    forms = acronym_forms(view.acronym_forms, set(query))
    rows: list[np.ndarray] = []
    keys: list[tuple[int, int]] = []
    for rank, candidate in enumerate(candidates[:n_passages]):
        pid = candidate.passage_id
        passage = view.passages[pid]
        first = int(view.sentence_offsets[pid])
        sentence_dense = view.sentence_vectors[first : first + len(passage.sentences)] @ query_vector
        passage_tokens = set(with_acronym_forms(list(view.passage_tokens[pid]), forms))
        # a table row answers with its value: the "2021 and 2023" of the label "Number of
        # participants in the 2021 and 2023 NATO counter-terrorism courses 50" dates nothing
        row_value = view.row_values[pid]
        for number, (start, end) in enumerate(passage.sentences):
            rows.append(
                sentence_features(
                    dense_sentence=float(sentence_dense[number]),
                    dense_passage=candidate.dense,
                    bm25_passage=candidate.bm25_norm,
                    query=query,
                    sentence_tokens=with_acronym_forms(view.sentence_context_tokens[pid][number], forms),
                    passage_tokens=passage_tokens,
                    sentence_text=row_value or passage.text[start - passage.start : end - passage.start],
                    passage_rank=rank,
                    answer_type=plan.answer_type,
                    idf=idf,
                    query_unknown=query_unknown,
                    question=plan.question,
                )
            )
            keys.append((pid, number))
    if not rows:
        return []
    features = np.vstack(rows)
    probabilities = ranker.probabilities(features)
    if plan.already_shown:
        _adjust_for_conversation(view, plan, keys, probabilities, settings, rarity)
    scored = [
        ScoredSentence(pid, number, float(p), features[i])
        for i, ((pid, number), p) in enumerate(zip(keys, probabilities, strict=False))
    ]
    scored.sort(key=lambda s: (-s.probability, s.passage_id, s.number))
    return scored


def acronym_forms(by_token: dict[str, list[AcronymForm]], query: set[str]) -> list[AcronymForm]:
    """The acronym forms (``acronym_forms_by_token``) of the tokens of ``query``."""
    return list(dict.fromkeys(form for token in sorted(query) for form in by_token.get(token, ())))


def with_acronym_forms(tokens: list[str], forms: list[AcronymForm]) -> list[str]:
    """``tokens`` and, where they hold one form of an acronym of ``forms``, the other form's
    tokens (answering.scoring.acronym_forms)."""
    if not forms:
        return tokens
    present = set(tokens)
    extra = [t for written, other in forms if written <= present for t in other if t not in present]
    return tokens + extra if extra else tokens


def _rarity(view: CorpusView, plan: QueryPlan, token: str, settings: AnswerSettings) -> float:
    """The token's BM25 idf; for a token the corpus lacks, the largest idf scaled by how rare
    its word is in English (wordfreq): "australia" counts nearly fully, "only" not at all."""
    idf = view.idf(token)
    if token in view.vocabulary:
        return idf
    return idf * english_specificity(plan, token, settings)


def english_specificity(plan: QueryPlan, token: str, settings: AnswerSettings) -> float:
    """How specific the question word behind ``token`` is in English, in [0, 1]: 0 at
    ``generic_zipf`` ("only", "want") or commoner, 1 at ``specific_zipf`` ("sourdough") or rarer."""
    zipf = plan.english_zipf.get(token, 0.0)
    generic, specific = settings.generic_zipf, settings.specific_zipf
    return float(np.clip((generic - zipf) / (generic - specific), 0.0, 1.0))


# The answer types whose span detector finds a specific fact (a count, a date, a name): a shown
# sentence holding one answers a follow-up asking for that type again ("which organisations did
# it partner with?" after "… working with organisations such as EUROCONTROL, …").
SPECIFIC_TYPES: frozenset[QuestionType] = frozenset(
    {"number", "money", "date", "leader", "organisation", "country", "place"}
)


def _adjust_for_conversation(
    view: CorpusView,
    plan: QueryPlan,
    keys: list[tuple[int, int]],
    probabilities: np.ndarray,
    settings: AnswerSettings,
    rarity: dict[str, float],
) -> None:
    """Follow-ups want something new about the same thing (adjusts ``probabilities`` in place).

    A sentence that restates an earlier answer (most of its tokens are in it) has its
    probability multiplied by ``settings.repeat_penalty`` — mildly, since "in which year was it
    invented?" may be answered by the sentence already shown, and strongly
    (``settings.new_thing_penalty``) when the question asks for something else ("what other ...?")
    or is elliptical ("what about law enforcement?" after a shown sentence on diplomacy that
    mentions law enforcement: that sentence answered the earlier question); an
    elliptical follow-up ("what about Canada?") penalises the same way every sentence without
    its own words; a sentence of the passage the last answer came from that
    uses the user's own words ("They collaborate with ..." after a question on DHS) has its
    odds multiplied by ``settings.continuation_boost``, and so has the sentence right after a
    shown one that lacks the user's words ("What does this include?" → "This includes …") when
    it holds one of them or the user used none ("why?"): "They collaborate with various partners,
    …" after a shown sentence on DHS does not answer "what kinds of places does it try to protect?".
    A shown sentence that holds the user's own words (``holds_own_words``: most of their rarity,
    each word weighed by how specific it is in English too, ``own_weights``: "want" and "try"
    phrase a question, "infrastructure" names its topic)
    answers again ("What does it focus on?" after "Their plan … focuses on …"; "What
    infrastructure does it try to protect?" after "… critical infrastructure, such as travel …"),
    and so does one holding a span of a specific asked type (``SPECIFIC_TYPES``: "which
    organisations did it partner with?" after "… organisations such as EUROCONTROL …"): it is
    not penalised unless more is asked for, and the sentence after it is not favoured.
    Only a sentence's own words count for the continuation, not those of the sentence before it
    (its context): "Both countries also …" after "Their plan … focuses on …" does not use "focus".
    A sentence without a name the follow-up itself uses and the thread did not ("which UN bodies
    does it work with?" after a question on NATO's work) is multiplied by
    ``settings.new_thing_penalty`` as well.
    In a follow-up of a topic, a sentence whose context holds less than ``settings.thread_share``
    of the topic's rarity is off the thread ("NATO's … efforts are focused on three main areas"
    for "what areas do they cover?" after a question on NATO's and the EU's 34 new joint
    actions): its probability is multiplied by ``settings.off_thread_penalty``.
    """
    thread = _Thread.of(view, plan, keys, settings, rarity)
    for i, (pid, number) in enumerate(keys):
        probabilities[i] = thread.adjusted(pid, number, float(probabilities[i]))


@dataclass(frozen=True)
class _Thread:
    """What a follow-up's sentences are adjusted by (``_adjust_for_conversation``)."""

    view: CorpusView
    plan: QueryPlan
    settings: AnswerSettings
    rarity: dict[str, float]
    own: frozenset[str]
    topic: frozenset[str]
    shown_tokens: frozenset[str]
    shown: frozenset[tuple[int, int]]
    shown_passages: frozenset[int]
    asks_more: bool
    elliptical: bool
    detail_only: bool
    new_names: tuple[AskedName, ...]

    @cached_property
    def own_weights(self) -> dict[str, float]:
        """The user's own words weighed by rarity and by how specific they are in English: "want"
        and "try" phrase the question, "infrastructure" names its topic (computed once a question)."""
        return {
            token: self.rarity.get(token, 0.0) * english_specificity(self.plan, token, self.settings) for token in self.own
        }

    @classmethod
    def of(
        cls,
        view: CorpusView,
        plan: QueryPlan,
        keys: list[tuple[int, int]],
        settings: AnswerSettings,
        rarity: dict[str, float],
    ) -> _Thread:
        own = frozenset(plan.own_tokens)
        shown = frozenset(_shown_sentences(view, plan, keys))
        thread_tokens = set(tokenize(plan.followup_of))
        return cls(
            view=view,
            plan=plan,
            settings=settings,
            rarity=rarity,
            own=own,
            topic=frozenset(t for t in thread_tokens if t in rarity and t not in own),
            shown_tokens=frozenset(tokenize(" ".join(plan.already_shown))),
            shown=shown,
            shown_passages=frozenset(pid for pid, _ in shown),
            asks_more=bool(ASKS_FOR_MORE_RE.search(plan.question)),
            # "What about Canada?" names the new topic: a sentence without it does not answer.
            elliptical=bool(ELLIPSIS_RE.match(plan.question) or is_fragment(plan.question)) and bool(own),
            # "and terrorist groups?", "with canada specifically?": a detail and no question of its own
            detail_only=is_ellipsis(plan.question),
            new_names=tuple(
                name for name in plan.names if name.in_corpus and not name.found_in(thread_tokens)
            ),
        )

    def adjusted(self, pid: int, number: int, probability: float) -> float:
        view, settings = self.view, self.settings
        tokens = set(view.sentence_tokens[pid][number])
        context = set(view.sentence_context_tokens[pid][number])
        if (self.elliptical and not self._holds_detail(context)) or not self._names_own(context):
            probability *= settings.new_thing_penalty
        previous = set(view.sentence_tokens[pid][number - 1]) if number > 0 else set()
        if self.topic and not self.elliptical and not holds_own_words(set(self.topic), context | previous, self.rarity, settings.thread_share):
            probability *= settings.off_thread_penalty
        if tokens and len(tokens & self.shown_tokens) / len(tokens) >= settings.repeat_share:
            return probability * self._repeat_factor(pid, number, tokens)
        # the sentence after a shown one continues it ("What does this include?" -> "This
        # includes …") unless the user asked with words of their own that it does not hold
        previous_shown = (
            (pid, number - 1) in self.shown
            and not self._answers_again(pid, number - 1, previous)
            and (not self.own or bool(self.own & tokens))
        )
        if (pid in self.shown_passages and self.own & tokens) or previous_shown:
            odds = probability / max(1e-9, 1.0 - probability)
            boosted = odds * settings.continuation_boost
            return boosted / (1.0 + boosted)
        return probability

    def _holds_detail(self, context: set[str]) -> bool:
        """Whether a sentence (with its context) holds the new detail of an elliptical follow-up:
        for one that is only the detail (``is_ellipsis``), most of the weight of the user's own words ("and
        terrorist groups?" is not answered by a sentence on fighting terrorists that never names
        groups); for a question opened by "and" ("and which US agency was involved?"), one of them."""
        if not self.detail_only:
            return bool(self.own & context)
        return holds_own_words(set(self.own), context, self.own_weights, self.settings.own_held_share)

    def _names_own(self, context: set[str]) -> bool:
        """Whether a sentence (with its context) names every name of the follow-up's own words
        that the thread did not use: "which UN bodies does it work with?" is not answered by a
        sentence without the UN."""
        return all(name.found_in(context) for name in self.new_names)

    def _repeat_factor(self, pid: int, number: int, tokens: set[str]) -> float:
        """What a sentence restating an earlier answer is multiplied by."""
        settings = self.settings
        if self.asks_more:
            return min(settings.repeat_penalty, settings.new_thing_penalty)
        # "What about law enforcement?" asks the earlier question again about something else: the
        # sentence that led an earlier answer answered it for the old topic, even when it
        # mentions law enforcement (a shown sentence after the lead may answer for the new one).
        if (self.elliptical and led_an_answer(self.view, self.plan, pid, number)) or not self._answers_again(pid, number, tokens):
            return settings.repeat_penalty
        return 1.0

    def _answers_again(self, pid: int, number: int, tokens: set[str]) -> bool:
        """Whether a shown sentence answers the follow-up too: it holds the user's own words or a
        span of the specific type asked for."""
        if holds_own_words(set(self.own), tokens, self.own_weights, self.settings.own_held_share):
            return True
        plan = self.plan
        return plan.answer_type in SPECIFIC_TYPES and bool(
            answer_spans(self.view.sentence_text(pid, number), plan.answer_type, plan.question, self.view.acronyms)
        )


def holds_own_words(own: set[str], tokens: set[str], rarity: dict[str, float], share: float) -> bool:
    """Whether ``tokens`` hold at least ``share`` of the rarity of the user's own words ``own``
    ("infrastructure" outweighs "try" and "protect"); False when the user has no own words."""
    total = sum(rarity.get(t, 0.0) for t in own)
    return total > 0 and sum(rarity.get(t, 0.0) for t in own & tokens) >= share * total


def _shown_sentences(view: CorpusView, plan: QueryPlan, keys: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The scored sentences that an earlier assistant turn showed."""
    return {(pid, number) for pid, number in keys if was_shown(view, plan, pid, number)}


def led_an_answer(view: CorpusView, plan: QueryPlan, pid: int, number: int) -> bool:
    """Whether sentence ``number`` of passage ``pid`` opens an earlier assistant turn."""
    folded = " ".join(fold(view.sentence_text(pid, number)).split())
    return any(answer.startswith(folded) for answer in plan.already_shown)


def was_shown(view: CorpusView, plan: QueryPlan, pid: int, number: int) -> bool:
    """Whether sentence ``number`` of passage ``pid`` is inside an earlier assistant turn."""
    folded = " ".join(fold(view.sentence_text(pid, number)).split())
    return any(folded in answer for answer in plan.already_shown)
