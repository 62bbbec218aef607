"""All tunable settings in one place, with the reason for each default.

Values marked "measured" were chosen with `ctqa eval` on `eval/article_questions.jsonl` and the
SQuAD subset (see README, "Quality"); the others follow the model's or the field's limits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# all-MiniLM-L6-v2 truncates its input at 256 word pieces; chunks must fit inside it.
MODEL_MAX_TOKENS = 256
MODEL_DIMENSION = 384

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPUS_DIR = PROJECT_ROOT / "corpus"
DEFAULT_INDEX_DIR = PROJECT_ROOT / "index"


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into passages. Part of the manifest: a change forces a rebuild."""

    # Leaves room for the context header (title — section) inside the 256-token window.
    max_tokens: int = 200
    # Paragraphs are the natural passages of web text; a paragraph longer than max_tokens is
    # split at sentence boundaries into near-equal parts.
    split_on: str = "block"

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RetrievalSettings:
    """How passages are retrieved and fused."""

    # Candidates taken from each retriever before fusion; enough that the fused top-k is not
    # starved by one side (measured: more than 50 changes nothing on either eval set).
    candidates_per_retriever: int = 50
    # Reciprocal-rank-fusion constant (Cormack et al. 2009 use 60).
    rrf_k: int = 60
    # Passages whose sentences are scored for the answer.
    passages_for_answer: int = 5


@dataclass(frozen=True)
class AnswerSettings:
    """How answer sentences are picked and when ctqa declines."""

    max_sentences: int = 3
    # A neighbour sentence joins the answer when its probability is at least this share of
    # the best sentence's.
    neighbour_ratio: float = 0.6
    # Declines when the best sentence's probability is below this. Measured on
    # eval/article_questions.jsonl (README, "Abstention"): 0.3 is the highest threshold that keeps
    # false abstentions on answerable questions at or under 5%.
    abstain_threshold: float = 0.3
    # Decline when the question asks for a number, date, amount, person's name, country or reason
    # and the best sentence holds none, or asks yes/no and the best sentence does not state it
    # (see answering.extract.lacks_asked_type).
    require_answer_type: bool = True
    # Decline when a name the question uses ("Canada", "Article 5"'s "Article") is in the corpus
    # but not in the best sentence's passage (see answering.extract.missing_names). Measured on
    # the three article question sets and a 1,520-question SQuAD sample (README, "Abstention").
    require_asked_names: bool = True
    # A body sentence stating a table row's value is preferred to the row when it scores at
    # least this share of the row's probability (see answering.extract.prefer_prose).
    prose_over_table_ratio: float = 0.5
    # Sentences within this share of the best one's probability that restate its fact are
    # candidates for "first mention" (see answering.extract.prefer_first_mention).
    same_fact_ratio: float = 0.95
    # In a follow-up, a sentence restating an earlier answer has its probability multiplied by
    # this (0.2 when the question asks for "other"/"more"; see answering.extract).
    repeat_penalty: float = 0.8
    # Questions longer than this many characters are truncated (the model reads 256 tokens).
    max_question_chars: int = 1000


@dataclass(frozen=True)
class OverviewSettings:
    """How a broad question's overview is selected (``ctqa.answering.overview``; docs/overview.md).

    Chosen on ``eval/broad_questions.jsonl`` (``ctqa eval --questions eval/broad_questions.jsonl``),
    never on the FAQ answers.
    """

    # Answer broad questions (``ctqa.answering.broad``) with an overview; off gives every question
    # the one-to-three-sentence answer (the baseline ``ctqa eval`` compares with).
    enabled: bool = True
    # Length budget of the overview text, in characters (the issue asks for about 600).
    max_chars: int = 600
    min_sentences: int = 3
    max_sentences: int = 6
    # Passages (best fused score first) whose sentences may enter the overview.
    passages: int = 10
    # "mmr" (maximal marginal relevance) or "coverage" (facility location). Measured with the
    # other settings as below: MMR token F1 0.478 / ROUGE-L 0.420 / evidence recall 0.333,
    # coverage 0.433 / 0.332 / 0.240 (docs/overview.md).
    objective: str = "mmr"
    # MMR trade-off: lambda x relevance - (1 - lambda) x max similarity to a chosen sentence
    # (0.5: F1 0.448, 0.7: 0.478, 0.85: 0.484).
    mmr_lambda: float = 0.85
    # A sentence's relevance: its cosine with the question plus this weight x its passage's
    # fused retrieval score (dense cosine + max-normalised BM25, halves); 0: F1 0.423, 0.5:
    # 0.480, 1.0: 0.489, 1.5: 0.468 (at min_relevance_ratio 0.6 / 0.6 / 0.6 / 0.7).
    passage_weight: float = 1.0
    # Sentences whose relevance is below this share of the best one's are never chosen
    # (0.4: F1 0.443, 0.6: 0.480, 0.8: 0.491 but two of 17 questions left with one unit; 0.7 kept).
    min_relevance_ratio: float = 0.7
    # At most one unit per section (always at most one per passage).
    one_per_section: bool = False
    # Choose the one-to-three-sentence answer's best sentence first (the trained ranker's pick).
    start_with_answer: bool = True


@dataclass(frozen=True)
class Settings:
    chunk: ChunkSettings = ChunkSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    overview: OverviewSettings = OverviewSettings()
