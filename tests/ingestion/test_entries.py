"""Folder entries that are not plain files: each is reported with its path and reason, the
rest goes in, and nothing hangs or raises. Every entry is made for real at test time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import rag
from rag.config import Settings

GOOD = "# Quenby\n\nLake Quenby was surveyed in 1874 by Ada Morrow.\n"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return env | {"RAG_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "XDG_DATA_HOME": str(tmp_path / "xdg")}


@pytest.fixture()
def odd_folder(tmp_path: Path) -> Path:
    d = tmp_path / "d"
    d.mkdir()
    (d / "good.md").write_text(GOOD, encoding="utf-8")
    os.symlink("b.md", d / "a.md")  # a loop between two links
    os.symlink("a.md", d / "b.md")
    os.symlink("gone.md", d / "dangling.md")
    os.mkfifo(d / "p.md")  # reading it would block forever
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(d / "s.md"))
    sock.close()
    with open(os.path.join(os.fsencode(d), b"caf\xe9.md"), "wb") as fh:  # not valid UTF-8
        fh.write(GOOD.encode())
    with open(d / "huge.md", "wb") as fh:  # sparse: 20 GB on paper, nothing on disk
        fh.truncate(20 * 10**9)
    (d / "utf16.txt").write_text("Vantor drones carry 300 kilograms each.\n", encoding="utf-16")
    (d / "utf16le.txt").write_bytes("Zorblax makes 42 megawatts.\n".encode("utf-16-le"))
    return d


def test_every_odd_entry_is_reported_and_the_rest_goes_in(odd_folder, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(odd_folder), "--json"],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=600)
    assert proc.returncode == 3, proc.stderr[-2000:]  # partial: some went in
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    failed = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    assert "symlink loop" in failed["a.md"] and "symlink loop" in failed["b.md"]
    assert "dangling symlink" in failed["dangling.md"] and "gone.md" in failed["dangling.md"]
    assert "FIFO" in failed["p.md"] and "socket" in failed["s.md"]
    assert "not valid UTF-8" in failed["caf\\xe9.md"]
    assert "too large" in failed["huge.md"] and "RAG_MAX_FILE_MB" in failed["huge.md"]
    assert report["added"] == 3  # good.md and both UTF-16 files


def test_utf16_text_is_read_as_text(odd_folder, tmp_path):
    settings = Settings(home=tmp_path / "h", backend="extractive")
    files = [odd_folder / "utf16.txt", odd_folder / "utf16le.txt"]
    report = rag.ingest(files, settings=settings, progress=False)
    assert report.ok and report.added == 2
    answer = rag.ask("How many kilograms do Vantor drones carry?", settings=settings)
    assert not answer.refused and "300 kilograms" in answer.text


def test_nothing_ingested_has_its_own_exit_code(tmp_path):
    d = tmp_path / "only-bad"
    d.mkdir()
    os.symlink("missing.md", d / "x.md")
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(d)], capture_output=True, text=True,
                          env=_env(tmp_path), timeout=600)
    assert proc.returncode == 5 and "dangling symlink" in proc.stderr and "Traceback" not in proc.stderr


def test_files_that_vanish_or_change_mid_run_are_reported_and_the_rest_goes_in(tmp_path, monkeypatch):
    """The run hashes every file first and reads them after: a file deleted, or rewritten, in
    between is reported by name; its neighbours go in, and a later run indexes the new version."""
    from rag import corpus

    d = tmp_path / "d"
    d.mkdir()
    for name in ("good.md", "vanishes.md", "changes.md"):
        (d / name).write_text(GOOD.replace("Quenby", name.split(".")[0].title()), encoding="utf-8")
    hashed = corpus.sha256_file

    def hash_then_touch(path):  # another program at work on the folder while the run plans
        digest = hashed(path)
        if path.name == "vanishes.md":
            path.unlink()
        elif path.name == "changes.md":
            path.write_text("# Changes\n\nThe Vantor fleet has 17 cargo drones.\n", encoding="utf-8")
        return digest

    monkeypatch.setattr(corpus, "sha256_file", hash_then_touch)
    settings = Settings(home=tmp_path / "h", backend="extractive")
    report = rag.ingest([d], settings=settings, progress=False)
    failed = {Path(f.path).name: f.error for f in report.failed}
    assert report.added == 1 and set(failed) == {"vanishes.md", "changes.md"}
    assert "cannot read" in failed["vanishes.md"] and "No such file" in failed["vanishes.md"]
    assert "changed while it was being ingested" in failed["changes.md"] and "rag ingest" in failed["changes.md"]

    monkeypatch.setattr(corpus, "sha256_file", hashed)
    again = rag.ingest([d], settings=settings, progress=False)
    assert again.ok and again.added == 1 and again.unchanged == 1
    assert "17 cargo drones" in rag.ask("How many cargo drones does the Vantor fleet have?", settings=settings).text
