"""A small real index of hand-written facts, and a real llama.cpp OpenAI-compatible server."""

from __future__ import annotations

import sys

import pytest

from tests.servers import free_port, running_server

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
