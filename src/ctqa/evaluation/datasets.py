"""Standard evaluation datasets as a ctqa corpus folder, for ``ctqa index --format``.

A SQuAD JSON file gives one markdown document per article (one section per paragraph); a BEIR
folder gives one document per ``corpus.jsonl`` record (see ``evaluation.squad`` and
``evaluation.beir``). The folder is then indexed like any other corpus, and asked with
``ctqa ask --corpus FOLDER``.

The writers update the folder in place (BEIR's also deletes files of documents that left the
dataset), so a folder is only written when it is new, empty, or was written from the same source
before: a marker file records the source. A user's own documents are never touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from ctqa.errors import CorpusError

DatasetFormat = Literal["squad", "beir"]
FORMATS: tuple[DatasetFormat, ...] = ("squad", "beir")
# Written into the corpus folder: which dataset the folder was made from.
MARKER = ".ctqa-dataset.json"


def _check_folder(corpus_dir: Path, fmt: DatasetFormat, source: Path) -> None:
    if not corpus_dir.exists():
        return
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is a file, not a folder; choose another --corpus")
    marker = corpus_dir / MARKER
    if marker.is_file():
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            recorded = {}
        if recorded == {"format": fmt, "source": str(source)}:
            return
    if any(path.name != MARKER for path in corpus_dir.iterdir()):
        raise CorpusError(
            f"{corpus_dir} already holds other files; write the {fmt} dataset into a new or empty "
            "folder (--corpus), so none of them is overwritten or removed"
        )


def write_dataset_corpus(fmt: DatasetFormat, source: Path, corpus_dir: Path) -> int:
    """Write the dataset at ``source`` into ``corpus_dir``; returns the number of documents.

    ``fmt`` is ``"squad"`` (``source`` is a SQuAD v1.1/v2.0 JSON file) or ``"beir"``
    (``source`` is a folder with ``corpus.jsonl``).

    Raises:
        CorpusError: ``corpus_dir`` holds files that did not come from this source, or
            ``source`` cannot be read as that format (the message says what is wrong).
    """
    source = source.resolve()
    _check_folder(corpus_dir, fmt, source)
    try:
        if fmt == "squad":
            from ctqa.evaluation.squad import write_squad_corpus

            count = len(write_squad_corpus(source, corpus_dir).articles)
        elif fmt == "beir":
            from ctqa.evaluation.beir import write_beir_corpus

            count = write_beir_corpus(source, corpus_dir)
        else:
            raise CorpusError(f"unknown dataset format {fmt!r}; use one of {', '.join(FORMATS)}")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CorpusError(f"cannot read {source} as {fmt}: {error}") from error
    (corpus_dir / MARKER).write_text(json.dumps({"format": fmt, "source": str(source)}), encoding="utf-8")
    return count
