"""How a load verifies the build's files: size and modification time against the manifest's
record, a full sha256 only when they differ (or with ``full_check``), so an untouched index is
not read whole on every load and a changed file is still caught.

No model is loaded: the article is saved with random unit vectors (``test_derived_state``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import CORPUS_DIR
from ctqa.errors import IndexCorruptError
from ctqa.index import store
from ctqa.index.store import MANIFEST, load_index, read_manifest
from test_derived_state import _save_article


@pytest.fixture()
def index_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "index"
    _save_article(CORPUS_DIR, folder)
    return folder


def _hashed_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files ``store`` hashes from now on."""
    hashed: list[str] = []
    real = hashlib.file_digest

    def counting(stream, digest):  # type: ignore[no-untyped-def]
        hashed.append(Path(stream.name).name)
        return real(stream, digest)

    monkeypatch.setattr(store.hashlib, "file_digest", counting)
    return hashed


def _build(index_dir: Path) -> Path:
    return index_dir / read_manifest(index_dir).build_dir


def test_the_manifest_records_size_and_time_of_every_file(index_dir: Path) -> None:
    manifest = read_manifest(index_dir)
    assert set(manifest.artifact_stats) == set(manifest.artifacts) == store.BUILD_FILES
    for name, (size, mtime_ns) in manifest.artifact_stats.items():
        stat = (_build(index_dir) / name).stat()
        assert (size, mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def test_an_untouched_index_is_loaded_without_hashing(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = _hashed_files(monkeypatch)
    index = load_index(index_dir)
    assert hashed == []
    assert index.passage_index.ntotal == len(index.passages) > 20
    load_index(index_dir, full_check=True)
    assert sorted(hashed) == sorted(store.BUILD_FILES)


def test_a_copy_with_new_times_is_hashed_and_loads(index_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(index_dir, copy, copy_function=shutil.copyfile)  # contents only, new times
    hashed = _hashed_files(monkeypatch)
    index = load_index(copy)
    assert sorted(hashed) == sorted(store.BUILD_FILES)
    assert [p.text for p in index.passages] == [p.text for p in load_index(index_dir).passages]


def test_an_edit_of_the_same_size_fails_its_checksum(index_dir: Path) -> None:
    path = _build(index_dir) / "sentences.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"sentences\.npy does not match its checksum.*run `ctqa index`"):
        load_index(index_dir)


def test_an_edit_that_keeps_size_and_time_is_caught_by_a_full_check(index_dir: Path) -> None:
    path = _build(index_dir) / "bm25_data.npy"
    stat = path.stat()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    load_index(index_dir)  # the fast check trusts size and time: ctqa never edits a build in place
    with pytest.raises(IndexCorruptError, match=r"bm25_data\.npy does not match its checksum"):
        load_index(index_dir, full_check=True)


def test_a_truncated_file_is_corrupt(index_dir: Path) -> None:
    path = _build(index_dir) / "passages.faiss"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match=r"passages\.faiss does not match its checksum"):
        load_index(index_dir)


def test_a_manifest_without_recorded_times_hashes_every_file(index_dir: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = index_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["artifact_stats"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    hashed = _hashed_files(monkeypatch)
    assert len(load_index(index_dir).passages) > 20
    assert sorted(hashed) == sorted(store.BUILD_FILES)


def test_recorded_times_of_the_wrong_kind_make_the_manifest_corrupt(index_dir: Path) -> None:
    path = index_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["artifact_stats"] = ["not", "an", "object"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="artifact_stats"):
        load_index(index_dir)
