"""`rag` as a package: the wheel built from the tracked files, installed (not editable) into a
new venv, ingests a folder outside the checkout and answers from it, from a directory that
has no checkout and no ../shared beside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _tracked_copy(dest: Path) -> Path:
    """The files git tracks, and new ones it does not ignore (what a clone of this change has):
    no .venv, no build leftovers, no index."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to know the tracked files")
    names = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"], capture_output=True, text=True,
                           check=True).stdout.split("\0")
    for name in filter(None, names):
        src, target = REPO / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            target.symlink_to(os.readlink(src))
        elif src.is_file():
            shutil.copy2(src, target)
    return dest


def test_the_wheel_ingests_and_answers_outside_the_checkout(tmp_path):
    source = _tracked_copy(tmp_path / "source")
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(dist), str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("rag-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rag/data/sources.json" in names and "rag/generate/llama_worker.py" in names
    assert not any(n.startswith(("tests/", "corpus/", "evals/")) for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    bin_dir = venv / "bin"
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "-q",
                                "--no-deps", str(wheel)], capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stderr
    # Its dependencies come from this environment's site-packages, appended after the venv's own:
    # the venv's rag is the wheel's, and nothing of the checkout is importable there.
    site = Path(subprocess.run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    docs, work = tmp_path / "my-docs", tmp_path / "elsewhere"
    docs.mkdir()
    work.mkdir()
    (docs / "reactor.md").write_text("# Zorblax reactor\n\nThe Zorblax reactor produces 42 megawatts of power.\n")
    (docs / "fleet.txt").write_text("Fleet report.\n\nThe Vantor fleet has 17 cargo drones.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_") and k != "PYTHONPATH"}
    env.update(RAG_HOME=str(tmp_path / "home"), HF_HUB_OFFLINE="1")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, timeout=600)

    where = run(str(bin_dir / "python"), "-c", "import rag, rag.corpus as c; print(rag.__file__, len(c.manifest()))")
    assert where.returncode == 0, where.stderr
    path, entries = where.stdout.split()
    assert Path(path).is_relative_to(venv) and int(entries) >= 20  # the manifest shipped as package data

    ingested = run(str(bin_dir / "rag"), "ingest", str(docs), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["documents"] == 2
    asked = run(str(bin_dir / "rag"), "ask", "How many cargo drones does the Vantor fleet have?", "--backend",
                "extractive", "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"] and "17" in answer["text"] and "17 cargo drones" in answer["citations"][0]["quote"]
