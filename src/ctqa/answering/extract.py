"""Extractive answers: score the sentences of the top passages, answer with the best ones.

The answer is the best sentence plus, when they score nearly as well, its neighbours in the same
passage (one to three contiguous sentences, verbatim). ctqa declines when the best sentence's
probability is below ``AnswerSettings.abstain_threshold``: then no citation supports an answer,
and the closest passages are returned apart, marked as not supporting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ctqa.answering.features import FEATURE_NAMES, sentence_features
from ctqa.answering.ranker import SentenceRanker
from ctqa.config import AnswerSettings
from ctqa.ingest.structure import split_table_row
from ctqa.retrieval.derived import SentenceTokens
from ctqa.retrieval.hybrid import Candidate, HybridRetriever
from ctqa.retrieval.query import ELLIPSIS_RE, AskedName, QueryPlan
from ctqa.retrieval.sparse import BM25Retriever
from ctqa.retrieval.text import fold, initialisms, opens_with_reference, tokenize
from ctqa.types import Citation, Passage

NOT_FOUND = "I could not find an answer to that in the documents."
# Follow-ups (measured on the eval set's two-turn questions): the user's own words weigh twice the
# topic borrowed from the last turn; a sentence next to the last answer that uses them gains 50 %.
OWN_WORD_WEIGHT = 2.0
CONTINUATION_BOOST = 3.0
# A sentence most of whose tokens (this share) were in an earlier answer restates it.
REPEAT_SHARE = 0.7
NEW_THING_PENALTY = 0.2
_ASKS_FOR_MORE_RE = re.compile(r"\b(?:other|another|else|more|besides|apart from|except|in addition)\b", re.I)


@dataclass(frozen=True)
class ScoredSentence:
    """Sentence ``number`` of passage ``passage_id`` with its probability of answering."""

    passage_id: int
    number: int
    probability: float
    features: np.ndarray


def score_sentences(
    retriever: HybridRetriever,
    plan: QueryPlan,
    query_vector: np.ndarray,
    candidates: list[Candidate],
    ranker: SentenceRanker,
    n_passages: int,
    repeat_penalty: float = 0.5,
) -> list[ScoredSentence]:
    """All sentences of the first ``n_passages`` candidates, best first.

    In a follow-up, a sentence the user was already shown (inside an earlier assistant turn)
    has its probability multiplied by ``repeat_penalty``: "what other ...?" wants news.
    """
    bm25 = retriever.bm25
    query = plan.focus_tokens
    rarity = {token: _rarity(bm25, plan, token) for token in set(query)}
    unknown_mass = sum(rarity[t] for t in set(query) if t not in bm25.vocabulary)
    total_rarity = sum(rarity.values())
    query_unknown = unknown_mass / total_rarity if total_rarity > 0 else 1.0
    # In a follow-up the user's own words weigh twice the borrowed topic words.
    own = set(plan.own_tokens)
    idf = {t: w * (OWN_WORD_WEIGHT if plan.followup_of and t in own else 1.0) for t, w in rarity.items()}
    rows: list[np.ndarray] = []
    keys: list[tuple[int, int]] = []
    index = retriever.index
    for rank, candidate in enumerate(candidates[:n_passages]):
        pid = candidate.passage_id
        passage = index.passages[pid]
        first = int(index.sentence_offsets[pid])
        sentence_dense = index.sentence_vectors[first : first + len(passage.sentences)] @ query_vector
        passage_tokens = set(retriever.passage_tokens[pid])
        for number, (start, end) in enumerate(passage.sentences):
            rows.append(
                sentence_features(
                    dense_sentence=float(sentence_dense[number]),
                    dense_passage=candidate.dense,
                    bm25_passage=candidate.bm25_norm,
                    query=query,
                    sentence_tokens=retriever.sentence_context_tokens[pid][number],
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
        _adjust_for_conversation(retriever, plan, keys, probabilities, repeat_penalty)
    scored = [
        ScoredSentence(pid, number, float(p), features[i])
        for i, ((pid, number), p) in enumerate(zip(keys, probabilities, strict=False))
    ]
    scored.sort(key=lambda s: (-s.probability, s.passage_id, s.number))
    return scored


# An unknown word as common in English as GENERIC_ZIPF (Zipf scale) or more is a word of the
# phrasing ("only", "want"), not a topic the corpus lacks; one as rare as SPECIFIC_ZIPF or rarer
# counts fully ("sourdough"), and the ones between in proportion.
GENERIC_ZIPF = 6.0
SPECIFIC_ZIPF = 4.0


def _rarity(bm25: BM25Retriever, plan: QueryPlan, token: str) -> float:
    """The token's BM25 idf; for a token the corpus lacks, the largest idf scaled by how rare
    its word is in English (wordfreq): "australia" counts nearly fully, "only" not at all."""
    idf = bm25.idf(token)
    if token in bm25.vocabulary:
        return idf
    zipf = plan.english_zipf.get(token, 0.0)
    return idf * float(np.clip((GENERIC_ZIPF - zipf) / (GENERIC_ZIPF - SPECIFIC_ZIPF), 0.0, 1.0))


def _adjust_for_conversation(
    retriever: HybridRetriever,
    plan: QueryPlan,
    keys: list[tuple[int, int]],
    probabilities: np.ndarray,
    repeat_penalty: float,
) -> None:
    """Follow-ups want something new about the same thing (adjusts ``probabilities`` in place).

    A sentence that restates an earlier answer (most of its tokens are in it) has its
    probability multiplied by ``repeat_penalty`` — mildly, since "in which year was it
    invented?" may be answered by the sentence already shown, and strongly
    (``NEW_THING_PENALTY``) when the question asks for something else ("what other ...?"); an
    elliptical follow-up ("what about Canada?") penalises the same way every sentence without
    its own words; a sentence of the passage the last answer came from that
    uses the user's own words ("They collaborate with ..." after a question on DHS) has its
    odds multiplied by ``CONTINUATION_BOOST``.
    """
    passages = retriever.index.passages
    own = set(plan.own_tokens)
    shown_tokens = set(tokenize(" ".join(plan.already_shown)))
    shown_in: set[int] = set()
    repeated: set[int] = set()
    for i, (pid, number) in enumerate(keys):
        passage = passages[pid]
        start, end = passage.sentences[number]
        folded = " ".join(fold(passage.text[start - passage.start : end - passage.start]).split())
        if any(folded in shown for shown in plan.already_shown):
            shown_in.add(pid)
        tokens = set(retriever.sentence_tokens[pid][number])
        if tokens and len(tokens & shown_tokens) / len(tokens) >= REPEAT_SHARE:
            repeated.add(i)
    if _ASKS_FOR_MORE_RE.search(plan.question):
        repeat_penalty = min(repeat_penalty, NEW_THING_PENALTY)
    # "What about Canada?" names the new topic: a sentence without it does not answer.
    elliptical = bool(ELLIPSIS_RE.match(plan.question)) and bool(own)
    for i, (pid, number) in enumerate(keys):
        if elliptical and not own & set(retriever.sentence_context_tokens[pid][number]):
            probabilities[i] *= NEW_THING_PENALTY
        if i in repeated:
            probabilities[i] *= repeat_penalty
        elif pid in shown_in and own & set(retriever.sentence_context_tokens[pid][number]):
            odds = probabilities[i] / max(1e-9, 1.0 - probabilities[i])
            probabilities[i] = odds * CONTINUATION_BOOST / (1.0 + odds * CONTINUATION_BOOST)


_TYPE_MISS = FEATURE_NAMES.index("type_miss")


def lacks_asked_type(sentence: ScoredSentence) -> bool:
    """Whether the question asks for a number, date, amount of money, person's name, country or
    reason (the types rules find reliably) and ``sentence`` holds none that the question does
    not, or is a yes/no question whose proposition ``sentence`` does not state (see
    ``features.YES_NO_MIN_OVERLAP``)."""
    return bool(sentence.features[_TYPE_MISS] >= 1.0)


def missing_names(retriever: HybridRetriever, plan: QueryPlan, sentence: ScoredSentence) -> list[AskedName]:
    """The names the question uses (``plan.names``) that neither ``sentence`` (with the acronym
    forms of its context) nor its passage (with its section header) mentions: "How many task
    forces has Canada set up?" is not answered by a passage about the US's task forces."""
    if not plan.names:
        return []
    passage_tokens = retriever.passage_tokens[sentence.passage_id]
    tokens = {*passage_tokens, *retriever.sentence_context_tokens[sentence.passage_id][sentence.number]}
    runs = initialisms(passage_tokens)
    return [name for name in plan.names if not name.found_in(tokens, runs)]


def answer_span(
    scored: list[ScoredSentence], passage: Passage, settings: AnswerSettings
) -> tuple[int, int]:
    """First and last sentence numbers (inclusive) of the answer inside the best passage."""
    best = scored[0]
    by_number = {s.number: s.probability for s in scored if s.passage_id == best.passage_id}
    floor = best.probability * settings.neighbour_ratio
    first = last = best.number
    while last - first + 1 < settings.max_sentences:
        after = by_number.get(last + 1, 0.0) if last + 1 < len(passage.sentences) else 0.0
        before = by_number.get(first - 1, 0.0) if first > 0 else 0.0
        if max(after, before) < floor:
            break
        if after >= before:
            last += 1
        else:
            first -= 1
    # Coherence: an answer that opens by pointing back ("This includes ...", "They ...") brings
    # the sentence it points to, so it reads on its own.
    start, end = passage.sentences[first]
    opening = passage.text[start - passage.start : end - passage.start]
    if last - first + 1 < settings.max_sentences and first > 0 and opens_with_reference(opening):
        first -= 1
    return first, last


def citation_for(
    passage: Passage,
    score: float,
    spans: tuple[tuple[int, int], ...] = (),
    *,
    supports: bool = True,
) -> Citation:
    return Citation(
        doc_id=passage.doc_id,
        title=passage.title,
        section=passage.section,
        start=passage.start,
        end=passage.end,
        text=passage.text,
        score=round(score, 6),
        kind=passage.kind,
        path=passage.path,
        page=passage.page,
        answer_spans=spans,
        supports_answer=supports,
    )


def prefer_prose(scored: list[ScoredSentence], passages: list[Passage], ratio: float) -> list[ScoredSentence]:
    """Move a prose sentence ahead of a winning table row when it states the row's value.

    A table row ("Number of Anti-Terrorism Task Forces created by the U.S. 93") is terse; a
    body sentence with the same value ("... the creation of 93 Anti-Terrorism Task Forces, each
    operating within a US Attorney's district ...") answers with its context. The sentence wins
    if it scores at least ``ratio`` of the row; the row stays among the citations.
    """
    if not scored or passages[scored[0].passage_id].kind != "table_row":
        return scored
    row = passages[scored[0].passage_id]
    parsed = split_table_row(row.text)
    value = parsed.value if parsed else row.text.rsplit(":", 1)[-1].strip()
    floor = scored[0].probability * ratio
    for position, sentence in enumerate(scored[1:], start=1):
        if sentence.probability < floor:
            break
        passage = passages[sentence.passage_id]
        start, end = passage.sentences[sentence.number]
        text = passage.text[start - passage.start : end - passage.start]
        if passage.kind != "table_row" and value and re.search(rf"(?<![\w.]){re.escape(value)}(?![\w])", text):
            return [sentence, *scored[:position], *scored[position + 1 :]]
    return scored


def prefer_first_mention(
    scored: list[ScoredSentence], passages: list[Passage], sentence_tokens: SentenceTokens, ratio: float
) -> list[ScoredSentence]:
    """Among near-equal sentences that state the same fact, answer with its first mention.

    Web articles repeat facts in later sections as a recap; the first mention is where the fact
    is introduced with its context. A sentence counts as the same fact when it scores at least
    ``ratio`` of the best, has the same numbers (the best sentence must hold one), and shares
    half of the best sentence's tokens.
    """
    if len(scored) < 2:
        return scored
    best = scored[0]
    best_tokens = set(sentence_tokens[best.passage_id][best.number])
    best_numbers = {t for t in best_tokens if t.isdigit()}
    if not best_numbers:
        # Without a number to match, "the same fact" cannot be told from a similar sentence on
        # another point ("worked to strengthen cooperation" vs "engages in cooperation").
        return scored

    def position(sentence: ScoredSentence) -> tuple[str, int]:
        passage = passages[sentence.passage_id]
        return passage.doc_id, passage.sentences[sentence.number][0]

    same_fact = []
    for position_in_list, sentence in enumerate(scored[1:], start=1):
        if sentence.probability < best.probability * ratio:
            break
        tokens = set(sentence_tokens[sentence.passage_id][sentence.number])
        shared = len(tokens & best_tokens) / max(1, len(best_tokens))
        same_doc = passages[sentence.passage_id].doc_id == passages[best.passage_id].doc_id
        if same_doc and shared >= 0.5 and best_numbers <= tokens:
            same_fact.append((position_in_list, sentence))
    earlier = [item for item in same_fact if position(item[1]) < position(best)]
    if not earlier:
        return scored
    index, first = min(earlier, key=lambda item: position(item[1]))
    return [first, *scored[:index], *scored[index + 1 :]]


def passage_order(scored: list[ScoredSentence], candidates: list[Candidate]) -> list[tuple[int, float]]:
    """Passages by their best sentence probability, then the remaining candidates by fusion."""
    best: dict[int, float] = {}
    for sentence in scored:
        best.setdefault(sentence.passage_id, sentence.probability)
    ordered = sorted(best.items(), key=lambda item: -item[1])
    seen = set(best)
    ordered += [(c.passage_id, 0.0) for c in candidates if c.passage_id not in seen]
    return ordered
