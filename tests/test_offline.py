"""No code path reaches the network (issue 7, part 4): building, asking and serving work with
every outgoing connection refused, and under ``unshare -n`` (a network namespace with no
interface up) where the machine allows it.

Each check runs ctqa in a fresh subprocess, without the ``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``
/ ``GRADIO_ANALYTICS_ENABLED`` variables of the caller's environment, so what is tested is what
ctqa sets for itself. The socket guard refuses *and records* each attempt: a library that
swallowed the error and carried on would still fail the test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import BuiltArticle
from ctqa.index.store import load_index

pytestmark = pytest.mark.slow

QUESTION = "Where is the Centre of Excellence for Defence Against Terrorism?"
NETWORK_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "GRADIO_ANALYTICS_ENABLED")

# Runs `ctqa ARGS...` (sys.argv[2:]) with outgoing connections refused; each attempt is appended
# to the file sys.argv[1]. With CTQA_ALLOW_LOOPBACK=1, connections to this machine are allowed
# (a server's own clients); anything else is still refused and recorded.
GUARD = r"""
import ipaddress, os, socket, sys

LOG, ARGS = sys.argv[1], sys.argv[2:]
ALLOW_LOOPBACK = os.environ.get("CTQA_ALLOW_LOOPBACK") == "1"


def is_local(host):
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def record(what):
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(what + "\n")


def allowed(self, address):
    if self.family == socket.AF_UNIX:
        return True
    return ALLOW_LOOPBACK and isinstance(address, tuple) and is_local(address[0])


real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def connect(self, address):
    if allowed(self, address):
        return real_connect(self, address)
    record(f"connect {address!r}")
    raise OSError(101, "network disabled by the test")


def connect_ex(self, address):
    if allowed(self, address):
        return real_connect_ex(self, address)
    record(f"connect_ex {address!r}")
    return 101


def getaddrinfo(host, *args, **kwargs):
    if ALLOW_LOOPBACK and is_local(host):
        return real_getaddrinfo(host, *args, **kwargs)
    record(f"getaddrinfo {host!r}")
    raise socket.gaierror(socket.EAI_NONAME, "network disabled by the test")


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
from ctqa.cli import main

main(ARGS)
"""


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in NETWORK_VARIABLES}
    return {**env, **extra}


def guarded(log: Path, *args: str) -> list[str]:
    """The command line of ``ctqa ARGS...`` under the socket guard, logging attempts to ``log``."""
    return [sys.executable, "-c", GUARD, str(log), *args]


def attempts(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_index_and_ask_with_every_connection_refused(article_index: BuiltArticle, tmp_path: Path) -> None:
    """The build (model load, embedding) and a question, each in a fresh process."""
    corpus_dir, index_dir, log = tmp_path / "corpus", tmp_path / "index", tmp_path / "attempts.log"
    shutil.copytree(article_index.corpus_dir, corpus_dir)
    where = ["--corpus", str(corpus_dir), "--index", str(index_dir)]

    built = subprocess.run(guarded(log, "index", *where), capture_output=True, text=True, env=clean_env(), timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    assert load_index(index_dir).passage_index.ntotal == article_index.report.passages

    asked = subprocess.run(
        guarded(log, "ask", QUESTION, "--json", *where), capture_output=True, text=True, env=clean_env(), timeout=600
    )
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert "Ankara" in json.loads(asked.stdout)["text"]
    assert attempts(log) == []


def unshare_works() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    try:
        return subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not unshare_works(), reason="`unshare -n` is not available here (needs root or user namespaces)")
def test_ask_in_a_namespace_without_network(article_index: BuiltArticle) -> None:
    where = ["--corpus", str(article_index.corpus_dir), "--index", str(article_index.index_dir)]
    probe = "import socket; socket.create_connection(('192.0.2.1', 80), timeout=2)"
    no_route = subprocess.run(["unshare", "-n", sys.executable, "-c", probe], capture_output=True, timeout=60)
    assert no_route.returncode != 0 and b"unreachable" in no_route.stderr  # the namespace has no network

    asked = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "ctqa.cli", "ask", QUESTION, "--json", *where],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=600,
    )
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert "Ankara" in json.loads(asked.stdout)["text"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_page(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds:.0f} s")


def test_serve_reaches_nothing_but_this_machine(
    article_index: BuiltArticle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chat server, asked one question through its API, tries no connection off loopback
    (no analytics, no version check, no model or font download)."""
    from gradio_client import Client

    # gradio_client 2.x sends telemetry unless this variable says no (analytics_enabled=False
    # alone does not stop it): the test's own client must stay on loopback too.
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")

    log, port = tmp_path / "attempts.log", free_port()
    where = ["--corpus", str(article_index.corpus_dir), "--index", str(article_index.index_dir)]
    server = subprocess.Popen(
        guarded(log, "serve", "--port", str(port), *where),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=clean_env(CTQA_ALLOW_LOOPBACK="1"),
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_page(url, server, seconds=300)
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        answer = client.predict(QUESTION, "[]", api_name="/ask")
        client.close()
        assert "Ankara" in answer["text"]
        with urllib.request.urlopen(url, timeout=30) as response:  # the page itself, as a browser gets it
            assert response.status == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
    assert attempts(log) == []
