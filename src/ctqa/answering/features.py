"""Features of a candidate answer sentence, all scaled to roughly [0, 1].

A sentence is judged by what the question asks (its words, their rarity, the expected answer
type) and by where it sits (the retrieval scores of its passage). ``FEATURE_NAMES`` is the
column order of the ranker's weight vector.
"""

from __future__ import annotations

import numpy as np

from ctqa.answering.answer_types import ANSWER_TYPES, OTHER, QuestionType, has_answer_type, ranked_type
from ctqa.config import AnswerSettings

FEATURE_NAMES = (
    "dense_sentence",  # cosine(question, sentence)
    "dense_passage",  # cosine(question, passage with its header)
    "bm25_passage",  # BM25 of the passage / best BM25 for this question
    "overlap_sentence",  # idf-weighted share of question tokens found in the sentence
    "overlap_passage",  # the same share over the passage and its header
    "bigram_sentence",  # share of the question's token bigrams found in the sentence
    "passage_rank",  # 1 / (1 + fused rank of the passage)
    "type_match",  # the question wants a number/date/name/place/reason and the sentence has one
    "type_miss",  # it wants one and the sentence has none: MISS_STRENGTH of the type
    "query_unknown",  # idf-weighted share of question tokens that occur nowhere in the corpus
    "length",  # sentence length in tokens / 40, capped at 1
)

# The type_miss feature of each answer type (see answer_types.AnswerType.miss_strength).
MISS_STRENGTH = {entry.name: entry.miss_strength for entry in (*ANSWER_TYPES, OTHER)}

# The share of the question's weighted words a yes/no answer sentence must hold (the settings).
YES_NO_MIN_OVERLAP = AnswerSettings.yes_no_min_overlap

def weighted_overlap(query: list[str], tokens: set[str], idf: dict[str, float]) -> float:
    """Share of the query's idf mass whose tokens appear in ``tokens`` (0 when no query)."""
    unique = set(query)
    total = sum(idf[t] for t in unique)
    if total <= 0:
        return 0.0
    return sum(idf[t] for t in unique if t in tokens) / total


def bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def sentence_features(
    *,
    dense_sentence: float,
    dense_passage: float,
    bm25_passage: float,
    query: list[str],
    sentence_tokens: list[str],
    passage_tokens: set[str],
    sentence_text: str,
    passage_rank: int,
    answer_type: QuestionType,
    idf: dict[str, float],
    query_unknown: float,
    question: str = "",
) -> np.ndarray:
    """One feature row (``FEATURE_NAMES`` order), float32. ``question`` is the user's text (a
    span of the answer type it already holds does not count as the answer)."""
    answer_type = ranked_type(answer_type)
    typed = answer_type != "other"
    overlap = weighted_overlap(query, set(sentence_tokens), idf)
    if answer_type == "yes_no":
        matched = overlap >= YES_NO_MIN_OVERLAP
    else:
        matched = typed and has_answer_type(sentence_text, answer_type, question)
    query_bigrams = bigrams(query)
    bigram_share = (
        len(query_bigrams & bigrams(sentence_tokens)) / len(query_bigrams) if query_bigrams else 0.0
    )
    return np.array(
        [
            dense_sentence,
            dense_passage,
            bm25_passage,
            overlap,
            weighted_overlap(query, passage_tokens, idf),
            bigram_share,
            1.0 / (1.0 + passage_rank),
            1.0 if matched else 0.0,
            (MISS_STRENGTH[answer_type] if typed and not matched else 0.0),
            query_unknown,
            min(len(sentence_tokens) / 40.0, 1.0),
        ],
        dtype=np.float32,
    )
