"""The names of an index folder's files, known to the index (``store``) and to the corpus
listing (``ingest.loader``), which must never take an index for documents."""

from __future__ import annotations

import re
from pathlib import Path

MANIFEST = "manifest.json"
LOCK = ".lock"
# A build (or staging) folder: ``build-20250101T120000-1234-1``.
BUILD_NAME_RE = re.compile(r"^(?:build|\.staging)-\d{8}T\d{6}-\d+-\d+$")


def is_index_folder(path: Path) -> bool:
    """Whether the folder ``path`` is a ctqa index (a manifest beside a build folder) or one of
    its build folders."""
    if BUILD_NAME_RE.match(path.name):
        return True
    try:
        return (path / MANIFEST).is_file() and any(BUILD_NAME_RE.match(child.name) for child in path.iterdir())
    except OSError:
        return False
