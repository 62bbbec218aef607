"""ctqa: offline extractive question answering over your documents, with citations.

    >>> import ctqa
    >>> answer = ctqa.ask("How many Anti-Terrorism Task Forces did the US create?")
    >>> answer.text, answer.citations[0].section

``ask`` uses the project's ``corpus/`` and ``index/``; ``DocumentQA(corpus_dir, index_dir)``
works on any folder of documents.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ctqa.errors import (  # noqa: E402
    CorpusError,
    CtqaError,
    DocumentReadError,
    IndexCorruptError,
    IndexMissingError,
    IndexStaleError,
    IndexWriteError,
)
from ctqa.qa import DocumentQA, ask  # noqa: E402
from ctqa.types import Answer, Citation, Passage  # noqa: E402

__all__ = [
    "Answer",
    "Citation",
    "CorpusError",
    "CtqaError",
    "DocumentQA",
    "DocumentReadError",
    "IndexCorruptError",
    "IndexMissingError",
    "IndexStaleError",
    "IndexWriteError",
    "Passage",
    "__version__",
    "ask",
]
