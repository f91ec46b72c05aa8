"""A small real index of hand-written facts, and a real llama.cpp OpenAI-compatible server."""

from __future__ import annotations

import sys

import pytest

import rag
from rag.config import Settings
from tests.servers import free_port, running_server

FACTS = {
    "reactor.md": "# Zorblax reactor\n\nThe Zorblax reactor produces 42 megawatts of power.\n\n"
                  "## Cooling\n\nThe Zorblax reactor is cooled by heavy water pumped from Lake Quenby.\n",
    "fleet.txt": "Fleet report.\n\nThe Vantor fleet has 17 cargo drones. Each Vantor drone carries 300 kilograms.\n",
    "history.md": "# Quenby history\n\nLake Quenby was surveyed in 1874 by Ada Morrow. The survey mapped 12 islands.\n",
}


@pytest.fixture(scope="session")
def facts_settings(tmp_path_factory) -> Settings:
    folder = tmp_path_factory.mktemp("facts")
    for name, text in FACTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    settings = Settings(home=tmp_path_factory.mktemp("facts-home"), backend="extractive")
    report = rag.ingest([folder], settings=settings, progress=False)
    assert report.ok and report.documents == 3
    return settings


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """`python -m llama_cpp.server` with the packaged SmolLM2 GGUF on a free loopback port."""
    from rag.generate.llama_cpp import default_gguf

    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    args = [sys.executable, "-m", "llama_cpp.server", "--model", default_gguf(), "--host", "127.0.0.1",
            "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"]
    with running_server(args, f"{base}/models", tmp_path_factory.mktemp("llama-server") / "server.log"):
        yield base
