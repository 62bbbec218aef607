"""The sentence rankers: the hand-set one is built from ``RankerSettings`` (no model)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ctqa.answering.features import FEATURE_NAMES
from ctqa.answering.ranker import hand_ranker, learned_ranker
from ctqa.answering.scoring import acronym_forms, with_acronym_forms
from ctqa.config import RankerSettings
from ctqa.retrieval.acronyms import acronym_forms_by_token
from ctqa.retrieval.text import tokenize


def test_the_hand_ranker_reads_its_weights_and_bias_from_the_settings() -> None:
    settings = RankerSettings()
    ranker = hand_ranker()
    assert ranker.bias == settings.bias == -6.0
    assert dict(zip(FEATURE_NAMES, ranker.weights.tolist(), strict=True)) == dict(settings.weights)
    # all features 0: the bias alone, P = 1 / (1 + e^6)
    assert ranker.probabilities(np.zeros((1, len(FEATURE_NAMES)), dtype=np.float32))[0] == pytest.approx(0.002473, abs=1e-6)


def test_a_weight_table_that_misses_or_repeats_a_feature_is_refused() -> None:
    missing = replace(RankerSettings(), weights=RankerSettings().weights[:-1])
    with pytest.raises(ValueError, match="must name each feature once"):
        hand_ranker(missing)
    repeated = replace(RankerSettings(), weights=(*RankerSettings().weights, ("length", 1.0)))
    with pytest.raises(ValueError, match="must name each feature once"):
        hand_ranker(repeated)


def test_the_learned_ranker_has_the_same_features() -> None:
    assert learned_ranker().weights.shape == (len(FEATURE_NAMES),)


def test_an_acronym_and_its_long_form_are_one_word_when_scoring() -> None:
    acronyms = {"WMD": "weapons of mass destruction", "DHS": "Department of Homeland Security"}
    sentence = tokenize("The State Department works so that more countries do not obtain weapons of mass destruction.")
    forms = acronym_forms(acronym_forms_by_token(acronyms), set(tokenize("does state stop countries getting wmds")))
    assert set(with_acronym_forms(sentence, forms)) - set(sentence) == {"wmd", "wmds"}
    # not the other way: a question writing the long form adds nothing to a sentence writing "DHS"
    forms = acronym_forms(acronym_forms_by_token(acronyms), set(tokenize("what does the department of homeland security do")))
    assert with_acronym_forms(tokenize("DHS focuses on detection."), forms) == tokenize("DHS focuses on detection.")
    # an acronym the question does not use adds nothing
    assert with_acronym_forms(sentence, acronym_forms(acronym_forms_by_token(acronyms), {"nato"})) == sentence
