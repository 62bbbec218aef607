# ctqa: `make run` serves the chat page (and builds or updates the index behind it), `make test` is what CI runs (.ci/run).
# Set-up is shared: the virtualenv is created when missing, and the package (with its test
# extras, and the ray and milvus extras the Ray build and Milvus store tests use) is installed
# again only when pyproject.toml is newer than the stamp file, so re-runs start at once.
# Override the interpreter with `make PYTHON=python3.12 ...`; pass options to the chat page with
# `make run ARGS="--port 8000"`. The browser test (tests/test_browser.py, also part
# of `make test`; `make test-browser` runs it alone) drives Debian's /usr/bin/chromium and skips
# where it is missing: `apt-get install chromium` (.ci/run does this in CI).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
ARGS ?=

.PHONY: setup run test test-browser eval bench bench-scale

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e ".[test,ray,milvus]"
	touch $(STAMP)

# One process: the page is served at once and the index is built or updated behind it (the page
# says "loading the index…" meanwhile), with one load of the embedding model.
run: setup
	$(BIN)/ctqa serve $(ARGS)

test: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/pytest -q

test-browser: setup
	$(BIN)/pytest -q tests/test_browser.py

eval: setup
	$(BIN)/ctqa eval

# The bench extra adds the peers ctqa is measured against (txtai, Haystack 2.x); see docs/benchmarks.md.
$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/pip install -e ".[test,bench]"
	touch $(BENCH_STAMP)

bench: setup $(BENCH_STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/peers.py

# Ray builds (1 vs 2 local workers) and Milvus Lite vs FAISS query latency (docs/scaling.md).
bench-scale: setup
	$(BIN)/python bench/scale.py
