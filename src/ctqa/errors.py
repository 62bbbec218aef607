"""The few named errors ctqa raises. Each message says what happened and what to do."""

from __future__ import annotations


class CtqaError(Exception):
    """Base class of every ctqa error."""


class CorpusError(CtqaError):
    """The corpus folder is missing, empty, or holds no readable document."""


class DocumentReadError(CtqaError):
    """One corpus file could not be read or parsed; the build skips it and reports it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class IndexError_(CtqaError):
    """Base class of index problems (named with a trailing underscore to not shadow the builtin).

    ``reason`` says what is wrong; the message adds ``advice`` (what the user should do) after
    "; ". Code that acts on the problem itself (``DocumentQA`` rebuilding) reports ``reason``.
    """

    def __init__(self, reason: str, advice: str = "") -> None:
        super().__init__(f"{reason}; {advice}" if advice else reason)
        self.reason = reason


class IndexMissingError(IndexError_):
    """No index has been built in the index folder yet. Fix: run `ctqa index`."""


class IndexStaleError(IndexError_):
    """The index does not match the corpus or the settings (a file was added, changed or removed,
    or the model/chunking settings differ). Fix: run `ctqa index` (ctqa.ask rebuilds by itself)."""


class IndexCorruptError(IndexError_):
    """An index file is truncated, unreadable or fails its checksum. Fix: run `ctqa index`."""


class IndexBusyError(IndexError_):
    """Another process has been building the index for longer than a reader waits for it
    (``index.builder.BUILD_WAIT_SECONDS``). Fix: ask again when that build has finished."""


class IndexWriteError(IndexError_):
    """The index folder cannot be written (read-only, not a folder, disk full), so the index
    cannot be built or updated. Fix: make the folder writable or pass another one (`--index DIR`)."""
