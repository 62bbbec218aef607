"""All tunable settings in one place, with the reason for each default.

Values marked "measured" were chosen with `ctqa eval` on `eval/article_questions.jsonl` and the
SQuAD subset (see docs/evaluation.md); the others follow the model's or the field's limits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

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
        return settings_fingerprint(self)


def settings_fingerprint(settings: Any) -> str:
    """A short hash of a settings dataclass's values: the manifest compares it on every load."""
    return hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode()).hexdigest()[:16]


# How dense and BM25 candidates are fused (``retrieval.hybrid``): reciprocal ranks, a weighted
# sum of the scores, or one side only ("dense", "bm25": for comparison in the evals).
Fusion = Literal["rrf", "weighted", "dense", "bm25"]
FUSIONS: tuple[Fusion, ...] = ("weighted", "rrf", "dense", "bm25")


@dataclass(frozen=True)
class RetrievalSettings:
    """How passages are retrieved and fused."""

    # Measured (`ctqa eval --format squad`, a quarter of the SQuAD subset, paragraph hit@1: RRF
    # 0.674, weighted 0.804; docs/design.md "Choices measured"): 0.5 × cosine + 0.5 × BM25/best
    # BM25; RRF buries a passage that only one retriever ranks first.
    fusion: Fusion = "weighted"

    # Candidates taken from each retriever before fusion; enough that the fused top-k is not
    # starved by one side (measured: more than 50 changes nothing on either eval set).
    candidates_per_retriever: int = 50
    # Reciprocal-rank-fusion constant (Cormack et al. 2009 use 60).
    rrf_k: int = 60
    # Passages whose sentences are scored for the answer.
    passages_for_answer: int = 5
    # BM25 reads a document's title with each of its passages when the document has at most
    # this many passages (``retrieval.derived._bm25_header``); a longer document's title, repeated
    # in every passage, would zero its topic words' idf. Read at build time (``derive_state``).
    # Chosen on the even-numbered SciFact train claims (docs/evaluation.md, "BEIR path"; 1,484
    # abstracts holding every judged one), nDCG@10: no title 0.8196; title on documents of at
    # most 1: 0.8172, 2: 0.8291, 3: 0.8305, 4: 0.8317 passages, on all: 0.8322. Checked on the
    # whole corpus (5,183 abstracts), odd claims: 0.6931 without, 0.7036 with. SQuAD and article
    # documents are longer, so their BM25 is unchanged.
    bm25_title_max_passages: int = 4
    # OpenMP threads of one FAISS passage search. A single query vector gains nothing from more,
    # and on a busy machine the extra thread waits for a core: measured on 2 cores at load 20,
    # a flat search of 10k passages took 224 ms (p50) with FAISS's default 2 threads, 1.1 ms
    # with one (docs/benchmarks.md, "Query cost").
    search_threads: int = 1


@dataclass(frozen=True)
class SpanWeights:
    """How ``answering.spans`` scores the candidate spans of an answer type with many candidates
    (``AnswerType.scored``: "what is X?", "what/which X", "who"): the candidate with the highest

        tier bonus + density × question words within ``short_answer_window``
        − distance × characters to the nearest question word − length × |words − words|
        + name (a capital letter past the sentence's first) + number (a digit)
        − inside (question words right before and after it)
        − common × the mean English Zipf frequency of its words
        + sibling × (listed beside a question word, when the question says "along with …")
        − apart × (punctuation between it and every question word)

    wins; a candidate more than ``max_distance`` characters from every question word is none.
    Chosen on articles 1–8 of the SQuAD subset (1,278 answerable questions, 800 of them of a
    scored type), one weight at a time, by short-answer token F1 on the scored types
    (``scripts/short_answer_study.py DUMP --span-sweep`` on a scripts/squad_dump.py dump; each
    comment lists value: F1, the others at their defaults); reported on articles 9–16
    (docs/answering.md, "Short answers")."""

    # tier 0 (a term named "called X", the name beside the question's head noun, or a fact of
    # the kind the head noun asks for: "In what century …?" → a date) and tier 1 (another name,
    # number, date or a list) over tier 2 (a phrase). tier0 0: 0.3325, 1: 0.3448, 3: 0.3503,
    # 5: 0.3542, 8: 0.3518; tier1 0: 0.3501, 0.5: 0.3542, 1: 0.3549, 2: 0.3513.
    tier0: float = 5.0
    tier1: float = 0.5
    # 0: 0.3543, 0.25: 0.3542, 0.5: 0.3552, 1: 0.3516
    density: float = 0.25
    # per character; 0: 0.3453, 0.05: 0.3546, 0.1: 0.3542, 0.2: 0.3542
    distance: float = 0.1
    # per word away from ``words``. length 0.25: 0.3604, 0.5: 0.3599, 1: 0.3542, 2: 0.3502; words
    # 1: 0.3215, 2: 0.3556, 3: 0.3542, 4: 0.3577, 6: 0.3602. Longer spans gain up to 0.006 here
    # and lost up to 0.016 on articles 9–16 in the first pass; a short span reads as the exact
    # fact, so 1 per word around 3 words stays.
    length: float = 1.0
    words: int = 3
    # 0: 0.3362, 1: 0.3477, 2: 0.3542, 3: 0.3581
    name: float = 2.0
    # -1: 0.3581, 0: 0.3560, 1: 0.3542, 2: 0.3482 (within 0.004)
    number: float = 1.0
    # a candidate with question words right before and after it ("the Yuan government used" for
    # "What did the Yuan use …?"); 0: 0.3516, 1: 0.3533, 2: 0.3528, 4: 0.3542
    inside: float = 4.0
    # characters; 10: 0.3347, 30: 0.3496, 60: 0.3542, 200: 0.3524
    max_distance: int = 60
    # per Zipf point of the candidate's mean English word frequency (answering.spans.commonness):
    # a phrase of everyday words ("different", "various sources") rarely answers. Top-1 token F1
    # of the 605 scored-type questions of articles 1–8 whose best sentence holds the answer
    # (articles 9–16, 828): 0: 0.4547 (0.5201), 0.5: 0.4640 (0.5359), 1: 0.4750 (0.5492),
    # 1.25: 0.4721 (0.5465), 1.5: 0.4668 (0.5424).
    common: float = 1.0
    # a candidate listed beside a question word when the question names the answer's siblings
    # ("Along with mills and mines, …?" → "factories"; answering.spans.coordinated). Short-answer
    # F1 on articles 1–8 (9–16): 0: 0.430 (0.453), 2: 0.432, 4: 0.432 (0.453), 8: 0.433 (0.453).
    sibling: float = 4.0
    # a candidate with punctuation (not a colon, which introduces the answer: "three main areas:
    # awareness, …") between it and every question word (answering.spans.apart): the answer
    # usually shares a clause with some word of the question. Short-answer F1 on articles 1–8
    # (9–16): 0: 0.436 (0.457), 0.5: 0.438 (0.460), 1: 0.439 (0.462), 2: 0.438 (0.462).
    apart: float = 1.0


@dataclass(frozen=True)
class AnswerSettings:
    """How answer sentences are picked and when ctqa declines."""

    max_sentences: int = 3
    # A sentence after the best one joins the answer when its probability is at least this
    # share of the best sentence's (answering.compose, answer_sentences).
    neighbour_ratio: float = 0.6
    # Declines when the best sentence's probability is below this. Measured on
    # eval/article_questions.jsonl (docs/evaluation.md, "Abstention threshold"): 0.3 is the highest threshold that keeps
    # false abstentions on answerable questions at or under 5%.
    abstain_threshold: float = 0.3
    # An elliptical follow-up whose best sentence holds every word of its new detail ("and
    # resilience?") is declined only below this (answering.declining, low_confidence). On the
    # seven conversation sets (eval/*conversations*.jsonl) 0.05, 0.1, 0.15 and 0.2 answer the
    # same turns: two more later turns of blind_conversations6's read half right, no turn lost.
    ellipsis_abstain_threshold: float = 0.15
    # Decline when the question asks for a number, date, amount, person's name, country or reason
    # and the best sentence holds none, or asks yes/no and the best sentence does not state it
    # (see answering.declining, asked_type_missing).
    require_answer_type: bool = True
    # Decline when a name the question uses ("Canada", "Article 5"'s "Article") is in the corpus
    # but not in the best sentence's passage (see answering.declining, names_missing). Measured on
    # the three article question sets and a 1,520-question SQuAD sample (docs/evaluation.md, "Abstention threshold").
    require_asked_names: bool = True
    # A body sentence stating a table row's value is preferred to the row when it scores at
    # least this share of the row's probability (see answering.reorder, prose_over_table_row).
    prose_over_table_ratio: float = 0.5
    # ... and holds at least this share of the row label's words: "… engaging with over 50
    # countries" states a 50 but not the row "Number of participants in the 2021 and 2023 NATO
    # counter-terrorism courses 50" (2 of 8 label words; the prose of the article's other rows
    # holds 5 of 6 or more). eval/conversations.jsonl, coe-count.
    prose_label_share: float = 0.5
    # Sentences within this share of the best one's probability that restate its fact are
    # candidates for "first mention" (see answering.reorder, first_mention).
    same_fact_ratio: float = 0.95
    # "What is X?" is answered where the document introduces X, its first mention among the
    # sentences naming X that score at least this share of the best (answering.reorder,
    # definition_first_mention): "In this context, the US Department of Justice launched the
    # Responsible Cooperators Program, which …" with "This program incentivises …" after it,
    # rather than a later "The Responsible Cooperators Program is part of a broader strategy …".
    definition_first_ratio: float = 0.95
    # Near-equal sentences (at least this share of the best one's probability) that state the
    # question's predicate both ways, negated and not, are a polarity contrast; those of the
    # other polarity than the question's have their probability multiplied by polarity_penalty
    # (below polarity_ratio, so the sentence of the question's polarity comes first; below
    # neighbour_ratio, so the other one leaves the answer window). answering.reorder, polarity.
    # Chosen on the negation pairs of eval/hostile_questions.jsonl (first-sentence hit 0.5
    # without the rule, 1.0 with it) with no change on the article, holdout, blind and
    # conversation sets.
    polarity_ratio: float = 0.5
    polarity_penalty: float = 0.3
    # Two sentences state the same predicate both ways when this share of the longer one's
    # tokens is in both (the planted pairs of eval/hostile_corpus share 0.7-0.9; "How does it
    # help?" in eval/conversations.jsonl met an incidental "without" at a lower share).
    polarity_same_share: float = 0.6
    # A sentence defining the acronym a question asks to expand ("… (WMD)") answers when it
    # scores at least this share of the best sentence (answering.reorder, acronym_definition).
    # On eval/article_questions.jsonl "What does WMD stand for?" has its definition at 0.99 of a
    # best sentence defining "WMDT"; with 0.9 no other question of the article, holdout and
    # blind sets changes, nor any answer to the 12 acronym questions of the SQuAD subset.
    acronym_definition_ratio: float = 0.9
    # A sentence naming the question's many-word name as written ("Arctic Council") answers
    # before a best sentence that does not (one naming "US-Canada Arctic Dialogue") when it scores
    # at least this share of it (answering.reorder, asked_name). On eval/article_questions.jsonl
    # the Arctic Council sentence scores 0.99 of the Arctic Dialogue one; on the SQuAD subset the
    # rule changes 18 of 2,910 best sentences, 7 to one holding the answer and 7 away from one.
    asked_name_ratio: float = 0.95
    # A best sentence restates the question when at least this share of its tokens are the
    # question's ("The US State Department has also worked to strengthen international
    # cooperation in countering terrorism." for "How has the State Department strengthened
    # international cooperation in countering terrorism?": 7 of 9); the sentence after it that
    # leans on it ("This includes …") then answers (answering.reorder, restated_question). On
    # eval/article_questions.jsonl no other best sentence holds more than half of its tokens
    # from the question and is followed by a leaning sentence; on the SQuAD subset (how/why
    # questions only) no best sentence changes.
    restated_share: float = 0.75
    # A sentence holding every content word of the question answers before a best sentence
    # that lacks one when it scores at least this share of it (answering.reorder,
    # all_question_words): "wat does the Departmnet of Homeland Securty focus on" is answered
    # by "DHS focuses on …" (0.994 of the best) rather than "The Department of Homeland Security
    # (DHS) plays a crucial role …". A near tie only: the dense score decides otherwise. On the
    # SQuAD subset it changes 12 of 2,910 best sentences, 11 to one holding the answer
    # (answer-sentence hit@1 0.7653 -> 0.7687).
    all_words_ratio: float = 0.98
    # A sentence naming what "these organizations" of the best one refers to answers a "which
    # organisations …?" question when it scores at least this share of the best
    # (answering.reorder, named_antecedent). On the four conversation sets it moves the answer of
    # two turns ("which organisations help countries work together against them?"), both to the
    # right one; on the SQuAD subset (6,078 questions) it changes no answer sentence.
    named_antecedent_ratio: float = 0.5
    # The probability of a sentence addressed to the reader about answering ("the correct answer
    # … is always 42") is multiplied by this (answering.reorder, meta_text): it must not win, and
    # alone it must be declined (below abstain_threshold). Chosen with the decoy measurement of
    # eval/hostile_eval.py: over the 282 article-set questions a decoy is in no answer and is
    # cited by 1 (without the rule: in 1 answer, cited by 7), and no article-set answer changes.
    meta_text_penalty: float = 0.1
    # In a follow-up, a sentence restating an earlier answer has its probability multiplied by
    # this (new_thing_penalty when the question asks for "other"/"more"; answering.scoring).
    # Measured on the follow-up questions of eval/article_questions.jsonl.
    repeat_penalty: float = 0.8
    # "what other …?" / "What about Canada?": a repeat, or a sentence without the new topic, is
    # multiplied by this (follow-ups of eval/article_questions.jsonl).
    new_thing_penalty: float = 0.2
    # In a follow-up, a sentence whose context (with the sentence before it) holds less than
    # thread_share of the rarity of the topic borrowed from the thread is off the thread, and its
    # probability is multiplied by off_thread_penalty (answering.scoring): "what areas do they
    # cover?" after a question on NATO's and the EU's 34 new joint actions is not answered by
    # "NATO's … efforts are focused on three main areas". The sentence before it counts
    # too ("The Department also promotes …" after "They formulate … strategies"). Chosen on the
    # four conversation sets (later turns right, eval/*conversations*.jsonl): share/penalty
    # 0.2/0.5 -> 1.0, 0.7639, 0.9298, 0.8776; 0.2/0.7 -> 1.0, 0.75, 0.9298, 0.8776; 0.35/0.5 ->
    # 1.0, 0.7778, 0.9123, 0.8776; 0.5/0.5 -> 0.9833, 0.7917, 0.8947, 0.8776; off -> 1.0,
    # 0.7222, 0.9298, 0.8571.
    thread_share: float = 0.2
    off_thread_penalty: float = 0.5
    # A shown sentence holding this share of the rarity of the user's own words still answers
    # (answering.scoring, holds_own_words): "What infrastructure does it try to protect?" is
    # answered by the shown "… critical infrastructure, such as travel …" ("try", "protect"
    # are not in it). Chosen on the follow-ups of eval/conversations.jsonl.
    own_held_share: float = 0.5
    # A sentence most of whose tokens (this share) were in an earlier answer restates it.
    repeat_share: float = 0.7
    # In a follow-up, the user's own words weigh this many times the topic borrowed from the
    # last turn (follow-ups of eval/article_questions.jsonl).
    own_word_weight: float = 2.0
    # A sentence of the last answer's passage that uses the user's own words has its odds
    # multiplied by this (follow-ups of eval/article_questions.jsonl).
    continuation_boost: float = 3.0
    # An unknown question word as common in English as generic_zipf (wordfreq Zipf scale) is a
    # word of the phrasing ("only"), one as rare as specific_zipf a topic the corpus lacks
    # ("sourdough"), in proportion between (unanswerable questions of the article sets).
    generic_zipf: float = 6.0
    specific_zipf: float = 4.0
    # A yes/no question is answered by a sentence that states its proposition: at least this share
    # of the question's weighted words must be in it. On the four article question sets, answerable
    # yes/no questions had 0.55 or more, the unanswerable ones ("Did the opioid plan lower the number
    # of overdose deaths?") 0.46 or less.
    yes_no_min_overlap: float = 0.5
    # Questions longer than this many characters are truncated (the model reads 256 tokens).
    max_question_chars: int = 1000
    # Citations per answer unless asked otherwise (`ask(top_k=…)`, `--top-k`, the page's slider),
    # and the most that may be asked for: more than 10 quoted passages bury the answer.
    top_k: int = 3
    max_top_k: int = 10
    # The chat page lists a source after the first only when its best sentence's probability is
    # at least this; a passage below it was listed only to fill top-k. Measured with
    # scripts/source_floor.py on the four article question sets at top-k 10 (docs/evaluation.md,
    # "Sources floor"): 0.05 drops 75 % of the unrelated extra sources and 48 % of the related
    # ones; higher floors drop both at about the same rate.
    source_floor: float = 0.05
    # The short answer is the candidate span with the most question words within this many
    # characters (answering.spans). Chosen on the first 8 articles of the SQuAD subset
    # (scripts/short_answer_study.py; 20 / 40 / 80 / off: short-answer token F1 0.378 / 0.383 /
    # 0.378 / 0.380), reported on the other 8 (docs/answering.md, "Short answers").
    short_answer_window: int = 40
    # A short answer of a type the sentence ranker does not read ("what/which X", an
    # organisation) is given only when the best sentence's probability is at least this: a wrong
    # fact shown bold misleads more than none. Same measurement (tuning half, `--sweep`): floors
    # 0 / 0.5 / 0.7 / 0.8 give short answers to 0.635 / 0.622 / 0.599 / 0.577 of the questions
    # with token F1 0.474 / 0.483 / 0.497 / 0.504 where given, 0.390 / 0.391 / 0.392 / 0.387
    # overall: 0.7 is the most precise floor that loses nothing overall.
    short_answer_floor: float = 0.7
    # No short answer is taken from a sentence that is code, not prose ("DROP TABLE users; CREATE
    # TABLE users (id INT …" gave "CREATE TABLE" for "Which table is dropped?"): one with at least
    # code_min_marks code marks (; = * { snake_case …) whose marks and words in capitals are at
    # least code_min_share of its words (retrieval.text.looks_like_code). Measured on the
    # sentences of the SQuAD subset and the article (3,711) and of 3,000 SciFact abstracts
    # (26,096): none is code at these values; the highest prose share with 3 marks or more was
    # 0.30 (SQuAD, a list of citations in <…>), the SQL sentence's 0.9.
    code_min_marks: int = 3
    code_min_share: float = 0.5
    # A sentence restating the best one's fact is an earlier "first mention" when this share of
    # the best sentence's tokens is in it (answering.reorder, first_mention). Set by hand with the
    # rule (no sweep recorded); the article set's first-sentence hit is the check.
    same_fact_share: float = 0.5
    # A candidate phrase for a short answer ("what/which X") has at most this many words
    # (answering.answer_types, phrases). scripts/short_answer_study.py on the first 8 SQuAD
    # articles: 4 / 6 / 8 / 12 words give short-answer token F1 0.391 / 0.393 / 0.392 / 0.391.
    phrase_max_words: int = 8
    # A question longer than this many characters is not repeated in the decline sentence (it
    # would bury it; answering.declining, decline_text). The longest question of the sets in
    # eval/ has 117 characters, so each of theirs is quoted.
    decline_quote_chars: int = 150
    # The weights that choose among many candidate spans (see SpanWeights).
    span_weights: SpanWeights = SpanWeights()


Backend = Literal["onnx", "torch"]
Precision = Literal["fp32", "int8"]
BACKENDS: tuple[Backend, ...] = ("onnx", "torch")
PRECISIONS: tuple[Precision, ...] = ("fp32", "int8")
# How a sentence's vector is made (docs/embedding.md): "separate" encodes the sentence on its
# own; "late" pools the sentence's word pieces out of its passage's token vectors (one model
# run per passage; a sentence the 256-piece window cut off is still encoded on its own).
SentenceVectors = Literal["separate", "late"]
SENTENCE_VECTORS: tuple[SentenceVectors, ...] = ("separate", "late")


@dataclass(frozen=True)
class EmbeddingSettings:
    """Which runtime embeds texts, at which precision, on how many threads (docs/embedding.md).

    ``backend`` and ``precision`` are recorded in the index manifest: vectors of another backend
    or precision make the index stale. The thread counts are not (they change speed only).
    """

    # "onnx": ONNX Runtime on an export of the packaged model, no torch on the query path;
    # "torch": sentence-transformers on torch (the reference the ONNX vectors are tested against).
    backend: Backend = "onnx"
    # "int8": dynamically quantized weights (onnx only); "fp32": the model's own weights.
    precision: Precision = "fp32"
    # ONNX Runtime intra-op threads for one question (at most QUERY_TEXTS texts) and for batches
    # (scripts/embedding_speed.py on this 2-core machine, which other jobs kept at load average
    # 15-20 throughout: no idle figure could be taken). Batch texts/s, 1 vs 2 threads: fp32 13.9
    # vs 12.1 and int8 32.0 vs 25.7 at load 15 (128 texts); fp32 2.9 vs 3.3 and int8 4.9 vs 6.7
    # at load 19.5 (300 texts). One question, p50 ms: fp32 22.6 vs 15.6 and int8 11.3 vs 13.0 at
    # load 15; fp32 50.1 vs 37.9 and int8 37.6 vs 3.8 at load 19.5. With idle threads sleeping
    # (no spinning, onnx_backend._session) 2 threads never lost badly under load, unlike torch's
    # default 2 threads (611 ms vs 86 ms for one question); on an idle 2-core machine the second
    # core is expected to help batches most. Re-measure with the script on an idle machine.
    query_threads: int = 2
    batch_threads: int = 2
    # Folder of the exported ONNX files; None: $CTQA_MODEL_CACHE, else ~/.cache/ctqa/models.
    cache_dir: Path | None = None
    # Sentence vectors: "separate" or "late" (SENTENCE_VECTORS, docs/embedding.md). Recorded in
    # the manifest. "late" halves the embedding time of a build, but on the SQuAD quarter
    # (ctqa eval --format squad --limit 1500) no share kept every figure within 0.5 points:
    # share 0.4 gave false-abstain rate +0.81, share 0 token F1 -1.34, share 0.25 paragraph
    # hit@1 -0.54; the ranker and abstention threshold were fitted on separate vectors.
    sentence_vectors: SentenceVectors = "separate"
    # "late" only: the share of the passage's mean token vector taken off each sentence's mean
    # before normalising. Read in context, a sentence's tokens lean towards the whole passage
    # (mean cosine with the passage vector 0.91 on the article, 0.72 for sentences encoded
    # alone); taking part of it off makes the sentences of one passage differ again. 0.4 lost
    # least token F1 of 0, 0.25 and 0.4 on the SQuAD quarter (docs/embedding.md).
    late_passage_share: float = 0.4
    # Precision of the sentence vectors that are encoded on their own (every sentence with
    # "separate", the cut-off ones with "late"); None: the same as ``precision``. Passages and
    # questions are always embedded at ``precision``, so retrieval (SciFact nDCG@10, recall@100)
    # is unchanged by it and a question loads one model; only the sentence cosines the answer
    # step reads change (the overview rescores its pool at OverviewSettings.score_precision).
    # The torch backend runs fp32 only and ignores it. Recorded in the manifest. Unset by
    # default: int8 sentences build the SQuAD subset 1.3-1.7x faster (bench/peers.py: 1.19x
    # txtai's documents/s against 1.06x), but with every rule of the answer step in place they
    # lost a later turn of eval/blind_conversations.jsonl (0.8194 -> 0.8056), SQuAD paragraph
    # hit@1 0.8811 -> 0.8804 and answer-sentence hit@1 0.7691 -> 0.7687 (ctqa eval --format
    # squad), and the fp32 rescoring of the overview's pool made a broad question about 260 ms
    # instead of 10-40 ms (docs/embedding.md, "Sentence precision"). int8 everywhere
    # (``precision``) builds faster still but lost 0.68 points of SciFact train recall@100 and a
    # later turn of eval/blind_conversations3.jsonl.
    sentence_precision: Precision | None = None

    @property
    def sentence_vector_precision(self) -> Precision:
        """The precision sentences encoded on their own are embedded at."""
        if self.backend == "torch":
            return "fp32"
        return self.sentence_precision or self.precision

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"embedding backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        if self.sentence_precision is not None and self.sentence_precision not in PRECISIONS:
            raise ValueError(
                f"sentence precision must be one of {', '.join(PRECISIONS)}, not {self.sentence_precision!r}"
            )
        if self.sentence_vectors not in SENTENCE_VECTORS:
            raise ValueError(
                f"sentence_vectors must be one of {', '.join(SENTENCE_VECTORS)}, not {self.sentence_vectors!r}"
            )
        if not 0.0 <= self.late_passage_share < 1.0:
            raise ValueError(f"late_passage_share must be at least 0 and below 1, not {self.late_passage_share}")
        if self.backend == "torch" and self.precision != "fp32":
            raise ValueError(f"precision {self.precision} needs backend onnx (torch runs fp32 only)")
        for name in ("query_threads", "batch_threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")


# A call to ``encode`` with at most this many texts is a question: it runs on the query threads.
QUERY_TEXTS = 4


StoreKind = Literal["faiss", "milvus"]
STORE_KINDS: tuple[StoreKind, ...] = ("faiss", "milvus")


@dataclass(frozen=True)
class StoreSettings:
    """Where passage vectors and BM25 live (docs/scaling.md). "faiss": FAISS + bm25s in the
    index folder, in process (the default, no server). "milvus": two Milvus collections."""

    kind: StoreKind = "faiss"
    # A file path is Milvus Lite; "" means INDEX_DIR/milvus.db. http(s)://host:19530 is a server.
    milvus_uri: str = ""
    # "user:password" or an API key for a server that needs one; never written to disk.
    milvus_token: str = ""
    # Collections are <milvus_collection>_passages and <milvus_collection>_sentences.
    milvus_collection: str = "ctqa"


@dataclass(frozen=True)
class CorpusSettings:
    """Which files of the corpus folder are read, and the per-file limits of a build.

    A file over a limit is skipped and reported by name with the limit and the setting to raise
    (never a build that seems to hang). Not part of the manifest: a skipped file is read again
    on the next build after the limit is raised, since its hash is recorded as skipped.
    """

    # Largest corpus file read, in bytes. Splitting costs about 7 s per MB of text (docs/
    # reliability.md), and embedding far more, so 50 MB is an hours-long build, the most a
    # folder of documents should hold in one file. Raise with `ctqa index --max-file-mb N`.
    max_file_bytes: int = 50_000_000
    # Most passages one file may give (about 1,000 characters each: 10,000 is a 10 MB text,
    # about 100,000 sentences to embed). Raise with `ctqa index --max-passages N`.
    max_passages_per_file: int = 10_000
    # Read files and folders whose symlinks resolve outside the corpus folder. Off: such a link
    # is reported ("points outside the corpus; not indexed") and skipped, so nothing outside the
    # folder the user chose is ever read or cited. `ctqa index --follow-outside-links`.
    follow_outside_links: bool = False
    # Seconds between checks of the corpus folder for edits (``DocumentQA.ask`` and the page's
    # timer): a stat of its folders, and of every file when a folder changed or a full scan is
    # due (``ingest.watch``). 2 s: an edit is noticed before the next question a person types.
    check_interval_seconds: float = 2.0
    # A periodic full scan of every file may take at most this share of the time: a scan of
    # 40 ms runs at most every 2 s, a slower one less often (``ingest.watch``).
    full_scan_share: float = 0.02


@dataclass(frozen=True)
class OverviewSettings:
    """How a broad question's overview is selected (``ctqa.answering.overview``; docs/overview.md).

    Chosen on ``eval/broad_questions.jsonl`` (``ctqa eval --questions eval/broad_questions.jsonl``),
    never on the FAQ answers.
    """

    # Answer broad questions (``ctqa.answering.broad``) with an overview; off gives every question
    # the one-to-three-sentence answer (the baseline ``ctqa eval`` compares with).
    enabled: bool = True
    # Length budget of the overview text, in characters. Broad set, token F1 / ROUGE-L: 400:
    # 0.487 / 0.426, 500: 0.518 / 0.452, 600: 0.558 / 0.500, 700: 0.548 / 0.468, 800: 0.554 /
    # 0.479, 1000: 0.563 / 0.484 (docs/overview.md has the oracle at each budget).
    max_chars: int = 600
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
    # Sentences whose relevance is below this share of the best one's are never chosen. With the
    # question-word weight and word redundancy below, on the broad set (token F1 / ROUGE-L):
    # 0.6: 0.525 / 0.470, 0.7: 0.544 / 0.497, 0.75: 0.558 / 0.500, 0.8: 0.567 / 0.513, 0.85:
    # 0.556 / 0.514. 0.75, not 0.8: at 0.8 "How is foreign aid used against terrorists?" keeps
    # a single unit (so the short answer), which changes a follow-up of eval/blind_conversations.
    # Filling an overview short of 3 sentences with units under the floor cost 0.06 F1, so an
    # overview has as many sentences as pass the floor (at most max_sentences).
    min_relevance_ratio: float = 0.75
    # At most one unit per section (always at most one per passage).
    one_per_section: bool = False
    # Choose the one-to-three-sentence answer's best sentence first (the trained ranker's pick).
    start_with_answer: bool = True
    # Added to a unit's relevance: this weight x its LexRank centrality among the pool (1 for the
    # most central unit). Broad set, other settings as before it: 0: F1 0.527 / ROUGE-L 0.474,
    # 0.3: 0.532 / 0.472, 0.6: 0.529 / 0.473; with question_weight 0.3: 0.529 vs 0.544. Off.
    centrality_weight: float = 0.0
    # ... and this weight x the share of the question's content words (query_tokens) it holds.
    # Broad set (floor 0.7, embedding redundancy): 0: 0.527 / 0.474 / evidence recall 0.392,
    # 0.3: 0.544 / 0.497 / 0.426, 0.45: 0.552 / 0.496 / 0.426, 0.6: 0.546 / 0.475 / 0.412.
    question_weight: float = 0.3
    # Redundancy in MMR: "embedding" (cosine of the unit vectors) or "words" (share of a unit's
    # content words one chosen unit already holds). Broad set at floor 0.8: words 0.567 / 0.513,
    # embedding 0.562 / 0.515 (evidence recall 0.441 both); with lambda 0.7 words lose (0.496).
    redundancy: str = "words"
    # How far back a chain of sentences leaning on the one before ("They ... . This includes ...")
    # is carried into a unit (``passage_units``); a sentence leaning on more is left out. Set by
    # hand (a unit of three sentences already fills half of max_chars); not swept.
    max_antecedents: int = 2
    # Precision of the vectors the pool is scored with. An overview picks among near-tied
    # sentences, and int8 vectors (cosine error about 0.01) reorder near ties: on the broad set
    # with int8 passages, questions and sentences, token F1 / ROUGE-L / evidence recall 0.545 /
    # 0.431 / 0.412 from the stored vectors against fp32's 0.558 / 0.438 / 0.427, and 0.554 /
    # 0.439 / 0.427 with the question and the pool's sentences re-embedded at fp32 (a few dozen
    # short texts per broad question). Tolerances on near ties broken by document order or
    # question words did not help (3-5 of 17 overviews still differed at 0.01-0.05,
    # docs/overview.md). When the index's vectors are all at this precision the stored ones are
    # read; None: always the stored ones. The cost: one fp32 model call over 29-39 texts per
    # broad question, p50 about 1.4 s against 11-47 ms at load average 6-7 (docs/overview.md).
    score_precision: Precision | None = "fp32"


@dataclass(frozen=True)
class NameSettings:
    """How the words and names of a question are matched to the corpus (``retrieval.names``).

    Chosen on the article set and the held-out question set (`ctqa eval`,
    `--questions eval/holdout_questions.jsonl`) when spelling by sound and word families were
    added, and kept by the blind sets (`eval/blind1_questions.jsonl`, `blind2_questions.jsonl`).
    """

    # Words of one family share at least this many first letters ("canadian" -> "canada",
    # "diplomats" -> "diplomacy"); 4 joined "organic" with "organisation".
    form_prefix: int = 5
    # Names are matched more loosely (demonyms: "Asian" / "Asia", "Western"): this many letters.
    family_prefix: int = 4
    # ... and the shared beginning leaves at most this many letters of either word.
    family_tail: int = 3
    # A word at least this common in English (Zipf scale: 3 = once per million words) is spelt
    # on purpose even when the corpus lacks it ("took", "cause"), so it is never "corrected".
    common_word_zipf: float = 3.0
    # ... except a slip of a function word ("teh", Zipf 3.04) that is at least this much rarer
    # than the function word ("the", 7.73): "form" (5.31) stays "form", "fro" stays "fro".
    function_word_zipf_gap: float = 4.0
    # An unknown word typed in lowercase that is two corpus words run together ("taskforces" ->
    # "task forces") is split when each part has at least this many letters and the word is
    # rarer in English than compound_max_zipf ("taskforces" 1.05, "lawenforcement" 1.15; not
    # "amendable" 1.49, "antithesis" 2.96, which split into a wrong pair). On the SQuAD subset a
    # split of any rarity changed 8 questions, mostly for the worse. Both parts must be everyday
    # English words (compound_part_min_zipf: "task" 4.65, "forces" 4.98): on the SciFact claims,
    # splits into rarer parts ("coatomer" -> "coat mer" 3.29, "microinvasive" -> "micro
    # invasive" 3.69, "overexpresses" -> "overexpress ors") changed 11 queries; with 4.0, none.
    compound_part_min_letters: int = 3
    compound_max_zipf: float = 1.3
    compound_part_min_zipf: float = 4.0
    # Spelling correction (``retrieval.names.Spelling``), chosen with the settings above: words
    # shorter than this are never corrected (too many corpus words are one edit from a short one) ...
    correct_min_letters: int = 4
    # ... corpus words shorter than this are never offered as corrections ...
    choice_min_letters: int = 3
    # ... and a word of at most this many letters may be one edit from its correction, a longer
    # one two (edits grow with length: "diplomcy", "terorrism").
    one_edit_max_letters: int = 6
    # An acronym typed with two letters swapped ("wdm", "ntao") is corrected when it has from
    # acronym_min_letters to acronym_max_letters letters (``correct_acronym``), and an acronym is
    # found by its case-folded form in a question ("wmd") from acronym_min_letters on: "us" and
    # "it" are words. Initialisms of phrases are at most acronym_max_letters long
    # (``retrieval.text.initialisms``). Set by hand to the article's acronyms (2 to 6 letters).
    acronym_min_letters: int = 3
    acronym_max_letters: int = 6
    # A capitalised phrase of the corpus ("Department of Justice") is learnt under its initials
    # ("doj") when they have at least this many letters, so that a question writing "DOJ" finds
    # it although the corpus never writes "DOJ" (``retrieval.acronyms.learn_initialisms``).
    # Two-letter initials ("dj", "us") are too often another word or abbreviation. Chosen on the
    # article (its 3- to 5-letter initialisms: "doj", "csi", "ftttf") and kept by every eval set.
    initialism_min_letters: int = 3


# The name settings the rewriter uses (they depend on no other setting).
NAMES = NameSettings()


@dataclass(frozen=True)
class IngestSettings:
    """The rules that find structure and boilerplate in a document's text (``ctqa.ingest``).

    Chosen on the article (``corpus/``: its headings, its "Characteristics Values" table, its
    site chrome) and the format fixtures of ``tests/test_formats.py``, ``test_structure.py`` and
    ``test_boilerplate.py``, and kept by every article question set. Recorded in the manifest
    (``ingest``, ``ingest_fingerprint``): a change makes the index stale, and the next build
    reads every file again.
    """

    # Plain text (``ingest.encoding``): a .txt or .md file that is not UTF-8 is decoded in the
    # encoding charset_normalizer detects (Windows-1252, Latin-1, ...); off, such a file is
    # skipped and reported ("save the file as UTF-8"). Recorded like every reader setting: an
    # index built with the other choice is stale, and its files are read again.
    detect_text_encoding: bool = True
    # A line of at most this many words, without a sentence end, may be a heading.
    heading_max_words: int = 25
    # A first table line of at most this many words in its cells, without digits, is a header.
    table_header_max_words: int = 6
    # A line longer than this is prose, not a flattened table row ("... October 2020", "... 93").
    table_row_max_chars: int = 300
    # Boilerplate (``ingest.boilerplate``): a repeated line of at most this many words is the
    # site's name ...
    site_line_max_words: int = 3
    # ... a "see also" teaser's title is at most this many words ...
    teaser_title_max_words: int = 16
    # ... and the lines after a footer marker of at most this many words each are the footer.
    footer_tail_max_words: int = 8
    # PDF (``ingest.pdf``): a first/last page line recurring (digits aside) at the edge of this
    # many pages is a running header or footer: real text at a page edge is practically never
    # repeated.
    pdf_running_line_min_pages: int = 2
    # Runs of this many spaces or more in layout text separate table cells (layout mode pads
    # justified prose with runs of two or three).
    pdf_cell_gap: int = 4
    # A line indented by 2 to this many more columns than the page's usual left edge starts a
    # paragraph (deeper indents are quotes or code, kept as they are).
    pdf_paragraph_indent_max: int = 10
    # A line of at most this many words and under this share of the page's usual line length,
    # after a sentence end or a gap and before a capitalised line or a gap, is a heading set in
    # the running text.
    pdf_inline_heading_max_words: int = 8
    pdf_inline_heading_max_length_share: float = 0.6

    def fingerprint(self) -> str:
        return settings_fingerprint(self)


# The ingest settings the readers use (a reader is called with the file's bytes only).
INGEST = IngestSettings()


@dataclass(frozen=True)
class RankerSettings:
    """The hand-set sentence ranker (``answering.ranker.hand_ranker``): a logistic model whose
    weights and bias were set by hand and checked with the evals, so they are settings; the
    learned ranker's are data written by ``scripts/train_ranker.py`` (``squad_ranker.json``).

    The bias is the model's intercept, not a threshold of its own: it sets where probabilities
    sit against ``AnswerSettings.abstain_threshold``, so it moves only with the weights.
    """

    # Meaning first (dense), then the question's rare words in the sentence; a question whose
    # rare words occur nowhere in the corpus is about something else. query_unknown was -8
    # (chosen on eval/article_questions.jsonl before the answer-type and asked-name declines
    # existed); on a blind set of 50 questions written by someone who never saw the rules, -8
    # declined 4 of 25 paraphrased answerable questions ("rally international backing") and -3
    # to -5 none, with every other set unchanged; -4 also halves SQuAD's false abstentions.
    weights: tuple[tuple[str, float], ...] = (
        ("dense_sentence", 5.0),
        ("dense_passage", 2.0),
        ("bm25_passage", 1.0),
        ("overlap_sentence", 3.0),
        ("overlap_passage", 1.0),
        ("bigram_sentence", 1.0),
        ("passage_rank", 0.5),
        ("type_match", 0.5),
        ("type_miss", -4.0),
        ("query_unknown", -4.0),
        ("length", 0.0),
    )
    # With these weights, the article set's abstention threshold (0.3) keeps false abstentions
    # at or under 5 % (docs/evaluation.md, "Abstention threshold").
    bias: float = -6.0


@dataclass(frozen=True)
class Settings:
    chunk: ChunkSettings = ChunkSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    store: StoreSettings = StoreSettings()
    corpus: CorpusSettings = CorpusSettings()
    overview: OverviewSettings = OverviewSettings()


def with_embedding(
    settings: Settings,
    *,
    backend: Backend | None = None,
    precision: Precision | None = None,
    sentence_precision: Precision | None = None,
) -> Settings:
    """``settings`` with the embedding backend, precision and/or sentence precision replaced
    (None keeps each).

    Raises ``ValueError`` naming the option and the allowed values for an unknown one.
    """
    if backend is None and precision is None and sentence_precision is None:
        return settings
    embedding = replace(
        settings.embedding,
        backend=backend or settings.embedding.backend,
        precision=precision or settings.embedding.precision,
        sentence_precision=sentence_precision or settings.embedding.sentence_precision,
    )
    return replace(settings, embedding=embedding)
