"""Index builds on Ray (``index.ray_build``): the same build as a local one, incremental, failed
files reported by name, and an unreachable cluster named in one error line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import ctqa
from conftest import CORPUS_DIR
from ctqa.cli import _optional_ray_address, app
from ctqa.index.store import load_index
from test_cli import write_tiny_corpus

pytest.importorskip("ray.data")


def test_bare_ray_option_means_a_local_cluster() -> None:
    assert _optional_ray_address(["index", "--ray"]) == ["index", "--ray", "local"]
    assert _optional_ray_address(["index", "--ray", "--store", "milvus"]) == ["index", "--ray", "local", "--store", "milvus"]
    assert _optional_ray_address(["index", "--ray", "10.1.2.3:6379"]) == ["index", "--ray", "10.1.2.3:6379"]


def test_unreachable_ray_address_is_one_error_naming_it(tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    write_tiny_corpus(corpus_dir)
    result = CliRunner().invoke(
        app, ["index", "--corpus", str(corpus_dir), "--index", str(tmp_path / "index"), "--ray", "127.0.0.1:1"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach the Ray cluster at 127.0.0.1:1")
    assert "Traceback" not in result.output
    assert not (tmp_path / "index" / "manifest.json").exists()


@pytest.mark.slow
def test_ray_build_writes_the_local_build_and_is_incremental(tmp_path: Path) -> None:
    corpus_dir = tmp_path / "corpus"
    write_tiny_corpus(corpus_dir)  # two documents and one binary file named .txt
    shutil.copy(next(CORPUS_DIR.glob("*.txt")), corpus_dir)
    local = ctqa.DocumentQA(corpus_dir, tmp_path / "local")
    local_report = local.build()
    on_ray = ctqa.DocumentQA(corpus_dir, tmp_path / "ray", ray="local", ray_workers=2)
    ray_report = on_ray.build()

    assert ray_report.skipped == local_report.skipped
    assert "broken.txt" in ray_report.skipped
    assert sorted(ray_report.added) == sorted(local_report.added)
    assert ray_report.embedded == local_report.embedded > 0
    expected, built = load_index(tmp_path / "local"), load_index(tmp_path / "ray")
    assert [p.to_dict() for p in built.passages] == [p.to_dict() for p in expected.passages]
    assert built.documents == expected.documents
    n = expected.passage_index.ntotal
    np.testing.assert_allclose(
        built.passage_index.reconstruct_n(0, n), expected.passage_index.reconstruct_n(0, n), atol=1e-5
    )
    np.testing.assert_allclose(built.sentence_vectors, expected.sentence_vectors, atol=1e-5)

    # Unchanged: nothing goes to the cluster. One edited document: only it is embedded again.
    again = on_ray.build()
    assert (again.embedded, again.added, again.changed) == (0, [], [])
    assert again.skipped == local_report.skipped
    bees = corpus_dir / "bees.txt"
    bees.write_text(bees.read_text(encoding="utf-8") + "\nSwarms\n\nA swarm leaves the hive in late spring.\n", encoding="utf-8")
    edited = on_ray.build()
    assert edited.changed == ["bees.txt"]
    assert 0 < edited.embedded < local_report.embedded
    rebuilt = load_index(tmp_path / "ray")
    assert any("A swarm leaves the hive in late spring." in p.text for p in rebuilt.passages)
    kept = [i for i, p in enumerate(built.passages) if p.doc_id == "lighthouses.txt"]
    moved = [i for i, p in enumerate(rebuilt.passages) if p.doc_id == "lighthouses.txt"]
    np.testing.assert_array_equal(
        rebuilt.passage_index.reconstruct_n(0, rebuilt.passage_index.ntotal)[moved],
        built.passage_index.reconstruct_n(0, n)[kept],
    )
