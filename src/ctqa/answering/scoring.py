"""Score every sentence of the top passages: its probability of answering the question.

Features (``answering.features``) go through the sentence ranker; in a conversation the
probabilities are then adjusted so a follow-up gets something new (``_adjust_for_conversation``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ctqa.answering.corpus_view import CorpusView
from ctqa.answering.features import sentence_features
from ctqa.answering.followups import ASKS_FOR_MORE_RE, ELLIPSIS_RE
from ctqa.answering.ranker import SentenceRanker
from ctqa.config import AnswerSettings
from ctqa.retrieval.hybrid import Candidate
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
    rows: list[np.ndarray] = []
    keys: list[tuple[int, int]] = []
    for rank, candidate in enumerate(candidates[:n_passages]):
        pid = candidate.passage_id
        passage = view.passages[pid]
        first = int(view.sentence_offsets[pid])
        sentence_dense = view.sentence_vectors[first : first + len(passage.sentences)] @ query_vector
        passage_tokens = set(view.passage_tokens[pid])
        for number, (start, end) in enumerate(passage.sentences):
            rows.append(
                sentence_features(
                    dense_sentence=float(sentence_dense[number]),
                    dense_passage=candidate.dense,
                    bm25_passage=candidate.bm25_norm,
                    query=query,
                    sentence_tokens=view.sentence_context_tokens[pid][number],
                    passage_tokens=passage_tokens,
                    sentence_text=passage.text[start - passage.start : end - passage.start],
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


def _rarity(view: CorpusView, plan: QueryPlan, token: str, settings: AnswerSettings) -> float:
    """The token's BM25 idf; for a token the corpus lacks, the largest idf scaled by how rare
    its word is in English (wordfreq): "australia" counts nearly fully, "only" not at all."""
    idf = view.idf(token)
    if token in view.vocabulary:
        return idf
    zipf = plan.english_zipf.get(token, 0.0)
    generic, specific = settings.generic_zipf, settings.specific_zipf
    return idf * float(np.clip((generic - zipf) / (generic - specific), 0.0, 1.0))


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
    (``settings.new_thing_penalty``) when the question asks for something else ("what other ...?"); an
    elliptical follow-up ("what about Canada?") penalises the same way every sentence without
    its own words; a sentence of the passage the last answer came from that
    uses the user's own words ("They collaborate with ..." after a question on DHS) has its
    odds multiplied by ``settings.continuation_boost``, and so has the sentence right after a
    shown one that lacks the user's words ("What does this include?" → "This includes …").
    A shown sentence that holds the user's own words (``holds_own_words``: most of their rarity)
    answers again ("What does it focus on?" after "Their plan … focuses on …"; "What
    infrastructure does it try to protect?" after "… critical infrastructure, such as travel …"):
    it is not penalised unless more is asked for, and the sentence after it is not favoured.
    Only a sentence's own words count for the continuation, not those of the sentence before it
    (its context): "Both countries also …" after "Their plan … focuses on …" does not use "focus".
    """
    own = set(plan.own_tokens)
    shown_tokens = set(tokenize(" ".join(plan.already_shown)))
    shown = _shown_sentences(view, plan, keys)
    shown_in = {pid for pid, _ in shown}
    asks_more = bool(ASKS_FOR_MORE_RE.search(plan.question))
    repeat_penalty = min(settings.repeat_penalty, settings.new_thing_penalty) if asks_more else settings.repeat_penalty
    # "What about Canada?" names the new topic: a sentence without it does not answer.
    elliptical = bool(ELLIPSIS_RE.match(plan.question)) and bool(own)
    for i, (pid, number) in enumerate(keys):
        tokens = set(view.sentence_tokens[pid][number])
        context = set(view.sentence_context_tokens[pid][number])
        if elliptical and not own & context:
            probabilities[i] *= settings.new_thing_penalty
        if tokens and len(tokens & shown_tokens) / len(tokens) >= settings.repeat_share:
            if asks_more or not holds_own_words(own, tokens, rarity, settings.own_held_share):
                probabilities[i] *= repeat_penalty
            continue
        previous = set(view.sentence_tokens[pid][number - 1]) if number > 0 else set()
        previous_shown = (pid, number - 1) in shown and not holds_own_words(own, previous, rarity, settings.own_held_share)
        if (pid in shown_in and own & tokens) or previous_shown:
            odds = probabilities[i] / max(1e-9, 1.0 - probabilities[i])
            boosted = odds * settings.continuation_boost
            probabilities[i] = boosted / (1.0 + boosted)


def holds_own_words(own: set[str], tokens: set[str], rarity: dict[str, float], share: float) -> bool:
    """Whether ``tokens`` hold at least ``share`` of the rarity of the user's own words ``own``
    ("infrastructure" outweighs "try" and "protect"); False when the user has no own words."""
    total = sum(rarity.get(t, 0.0) for t in own)
    return total > 0 and sum(rarity.get(t, 0.0) for t in own & tokens) >= share * total


def _shown_sentences(view: CorpusView, plan: QueryPlan, keys: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The scored sentences that an earlier assistant turn showed."""
    return {(pid, number) for pid, number in keys if was_shown(view, plan, pid, number)}


def was_shown(view: CorpusView, plan: QueryPlan, pid: int, number: int) -> bool:
    """Whether sentence ``number`` of passage ``pid`` is inside an earlier assistant turn."""
    folded = " ".join(fold(view.sentence_text(pid, number)).split())
    return any(folded in answer for answer in plan.already_shown)
