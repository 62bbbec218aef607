"""Cheap detection of changes to a corpus folder while questions are being answered.

The exact check, ``file_signature``, stats every corpus file; on a corpus of thousands of files
it costs tens of milliseconds, too much to pay on a question every couple of seconds. The
``CorpusWatcher`` pays it only when needed:

* a quick check stats the corpus's folders (a handful, not one per file): adding, removing or
  renaming a file changes its folder's modification time;
* an edit inside an existing file changes no folder, so the full file scan still runs
  periodically, but at most a ``full_scan_share`` of the time (``CorpusSettings``) (the interval grows with the
  measured cost of one scan, and is never shorter than the quick check's).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ctqa.config import CorpusSettings
from ctqa.ingest.loader import corpus_files

Signature = tuple[tuple[str, int, int], ...]


def file_signature(corpus_dir: Path, *, follow_outside_links: bool = False) -> Signature:
    """``(path, size, mtime_ns)`` of every corpus file, sorted; files removed while listed are left out."""
    signature = []
    for path in corpus_files(corpus_dir, follow_outside_links=follow_outside_links):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed since it was listed: absent from the signature
            continue
        signature.append((path.as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def corpus_folders(corpus_dir: Path) -> list[str]:
    """``corpus_dir`` and every folder under it that is not hidden (hidden ones hold no documents)."""
    folders = []
    for root, dirs, _ in os.walk(corpus_dir):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        folders.append(root)
    return folders


def _folder_times(folders: list[str]) -> tuple[int, ...]:
    times = []
    for folder in folders:
        try:
            times.append(os.stat(folder).st_mtime_ns)
        except OSError:  # removed: a change
            times.append(-1)
    return tuple(times)


class CorpusWatcher:
    """Tells whether ``corpus_dir`` may have changed since the last ``scan``.

    Args:
        corpus_dir: the corpus folder.
        min_interval: seconds between full scans, at least (the quick check's own interval).
        full_scan_share: the largest share of the time full scans may take.
        clock: monotonic seconds (injectable for tests).
        follow_outside_links: list files behind symlinks that leave the corpus (as the build does).
    """

    def __init__(
        self,
        corpus_dir: Path,
        *,
        min_interval: float = CorpusSettings.check_interval_seconds,
        full_scan_share: float = CorpusSettings.full_scan_share,
        clock: Callable[[], float] = time.monotonic,
        follow_outside_links: bool = False,
    ) -> None:
        self.corpus_dir = corpus_dir
        self.follow_outside_links = follow_outside_links
        self.min_interval = min_interval
        self.full_scan_share = full_scan_share
        self._clock = clock
        self._folders: list[str] = []
        self._folder_times: tuple[int, ...] = ()
        self._scanned_at: float | None = None
        self._scan_seconds = 0.0

    @property
    def full_interval(self) -> float:
        """Seconds between periodic full scans: ``min_interval``, or longer when a scan is slow."""
        return max(self.min_interval, self._scan_seconds / self.full_scan_share)

    def scan(self) -> Signature:
        """The exact ``file_signature`` of the corpus; remembers its folders' times for ``may_have_changed``."""
        started = time.perf_counter()
        signature = file_signature(self.corpus_dir, follow_outside_links=self.follow_outside_links)
        self._folders = corpus_folders(self.corpus_dir)
        self._folder_times = _folder_times(self._folders)
        self._scan_seconds = time.perf_counter() - started
        self._scanned_at = self._clock()
        return signature

    def may_have_changed(self) -> bool:
        """False only when no folder changed since the last scan and a periodic full scan is not due."""
        if self._scanned_at is None or self._clock() - self._scanned_at >= self.full_interval:
            return True
        return _folder_times(self._folders) != self._folder_times
