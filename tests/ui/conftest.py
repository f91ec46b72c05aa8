"""Real browser tests: `rag serve` on a free loopback port, driven by Debian's chromium through Playwright.

The served index is a copy of the session's corpus index, so uploads in these tests never
change the index other tests read.
"""

from __future__ import annotations

import os
import shutil
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port, running_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # git-ignored: screenshots to look at


@dataclass
class Served:
    url: str
    home: Path
    log: Path
    pid: int = 0  # the `rag serve` process (its model worker is a child of it)
    tmp: Path | None = None  # the server's TMPDIR: Gradio's copies of uploads go under it

    def temporary_files(self) -> list[Path]:
        return [p for p in self.tmp.rglob("*") if p.is_file()] if self.tmp else []

    @property
    def feedback(self) -> Path:
        return self.home / "feedback.jsonl"


def serve(home: Path, log_dir: Path, **env: str) -> Iterator[Served]:
    """`rag serve` as a subprocess with its own RAG_HOME; stopped when the generator closes."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    tmp = log_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    clean.update(RAG_HOME=str(home), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", TMPDIR=str(tmp), **env)
    url = f"http://127.0.0.1:{port}"
    log = log_dir / "serve.log"
    with running_server([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], url, log, env=clean) as proc:
        yield Served(url, home, log, proc.pid, tmp)
    leftover = [p for p in tmp.glob("rag-serve-uploads-*")]
    assert not leftover, f"the stopped server left its upload copies: {leftover}"


@pytest.fixture(scope="session")
def ui_server(corpus_index, tmp_path_factory) -> Iterator[Served]:
    settings, _ = corpus_index
    home = tmp_path_factory.mktemp("ui-home")
    shutil.copytree(settings.index_dir, home / "index", ignore=shutil.ignore_patterns(".lock"))
    yield from serve(home, tmp_path_factory.mktemp("ui-log"))


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; `make test` does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, ui_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    tab.goto(ui_server.url)
    tab.wait_for_selector("#question textarea")
    tab.wait_for_selector("#chat")  # mounted apart from the question box
    yield tab
    context.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def http_status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code
