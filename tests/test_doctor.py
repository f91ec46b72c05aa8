"""`rag doctor`: a real generation in the worker, and on failure the CPU flags, the build and the fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rag.doctor import explain

pytestmark = pytest.mark.slow


def _doctor(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    clean.update(RAG_HOME=str(tmp_path / "home"), HF_HUB_OFFLINE="1", **env)
    return subprocess.run([sys.executable, "-m", "rag.cli", "doctor", "--json"], env=clean, capture_output=True,
                          text=True, timeout=600)


def test_doctor_generates_with_the_packaged_model(tmp_path):
    out = _doctor(tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and report["reply"] and report["first_token_s"] > 0 and report["gen_tokens_per_s"] > 0
    assert report["llama_cpp_python"] and report["features"] and report["lacking"] == []


def test_doctor_fails_with_the_reason_when_the_model_cannot_run(tmp_path):
    bare = tmp_path / "bare"  # a Python without llama-cpp-python
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    out = _doctor(tmp_path, RAG_LLM_PYTHON=str(bare / "bin" / "python"))
    report = json.loads(out.stdout)
    assert out.returncode == 1 and not report["ok"] and "cannot import llama_cpp" in report["error"]


def test_a_failed_report_names_what_the_cpu_lacks_and_how_to_rebuild():
    report = {"cpu": "Old Xeon", "cpu_flags": ["avx", "pni", "ssse3"], "python": "/venv/bin/python",
              "llama_cpp_python": "0.3.36", "features": ["SSE3", "AVX", "AVX2", "FMA"], "cmake_args": "(native)",
              "lacking": ["AVX2", "FMA"], "ok": False,
              "error": "The local model stopped (signal 4, SIGILL) while answering and was restarted"}
    text = explain(report)
    assert "SIGILL" in text and "AVX2, FMA, which this CPU lacks" in text
    assert '-DGGML_AVX2=OFF -DGGML_FMA=OFF' in text and "make install LLAMA_CMAKE_ARGS=" in text
