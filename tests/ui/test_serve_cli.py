"""`rag serve` refuses bad settings with a message and an exit code, before anything listens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest


def _serve(tmp_path, *args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    clean.update(RAG_HOME=str(tmp_path), HF_HUB_OFFLINE="1", **env)
    return subprocess.run([sys.executable, "-m", "rag.cli", "serve", *args], env=clean, capture_output=True,
                          text=True, timeout=120)


def test_help_names_the_defaults():
    out = subprocess.run([sys.executable, "-m", "rag.cli", "serve", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "127.0.0.1" in out.stdout and "7860" in out.stdout


def test_malformed_auth_is_refused(tmp_path):
    out = _serve(tmp_path, "--port", "1", RAG_AUTH="no-password-here")
    assert out.returncode == 1 and "RAG_AUTH must look like user:password" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.server
def test_busy_port_is_a_message(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        out = _serve(tmp_path, "--port", str(busy.getsockname()[1]))
    assert out.returncode == 1 and "Pick another --port" in out.stderr and "Traceback" not in out.stderr
