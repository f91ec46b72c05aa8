"""Incremental ingest with the real embedder and real Chroma: idempotence, updates, deletes,
interruptions (in-process and a killed process), and the CLI's JSON contract."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import rag
from rag.ingestion.state import IngestState
from rag.retrieve.bm25 import BM25Index
from rag.store import open_store

pytestmark = pytest.mark.slow

DOCS = {
    "alpha.md": "# Alpha\n\nThe alpha reactor produces 42 megawatts of power.\n\n## Cooling\n\nIt is cooled by heavy water.\n",
    "beta.txt": "Beta report.\n\nThe beta fleet has 17 cargo drones and one tanker.\n",
    "gamma.md": "# Gamma\n\nGamma rays were measured at 3.5 units near the gate.\n",
}


def write_docs(folder: Path, docs: dict[str, str] = DOCS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def store_ids(settings) -> set[str]:
    store = open_store(settings)
    return {c.id for c in store.all_chunks()}


def test_reingest_is_idempotent_and_does_no_work(settings, tmp_path):
    folder = write_docs(tmp_path / "docs")
    first = rag.ingest([folder], settings=settings, progress=False)
    assert (first.added, first.updated, first.unchanged, first.failed) == (3, 0, 0, ())
    ids = store_ids(settings)
    assert len(ids) == first.chunks > 0

    second = rag.ingest([folder], settings=settings, progress=False)
    assert (second.added, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)
    assert second.chunks == first.chunks
    assert second.stages["parse"] == 0 and second.stages["embed"] == 0
    assert store_ids(settings) == ids


def test_changed_file_replaces_its_chunks_and_prune_deletes(settings, tmp_path):
    folder = write_docs(tmp_path / "docs")
    rag.ingest([folder], settings=settings, progress=False)
    state = IngestState.load(settings.index_dir)
    beta_key = str((folder / "beta.txt").resolve())
    old_beta = set(state.files[beta_key].chunk_ids)

    (folder / "beta.txt").write_text("Beta report, revised.\n\nThe beta fleet now has 99 cargo drones.\n")
    report = rag.ingest([folder], settings=settings, progress=False)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    ids = store_ids(settings)
    assert not old_beta & ids
    texts = [c.text for c in open_store(settings).all_chunks() if c.doc_id == "beta"]
    assert any("99 cargo drones" in t for t in texts) and not any("17 cargo" in t for t in texts)
    lexical = BM25Index(settings.index_dir / "bm25").search("cargo drones", 3)
    assert lexical and "99 cargo drones" in lexical[0][0].text

    (folder / "gamma.md").unlink()
    kept = rag.ingest([folder], settings=settings, progress=False, prune=False)
    assert kept.removed == 0 and any(c.doc_id == "gamma" for c in open_store(settings).all_chunks())
    pruned = rag.ingest([folder], settings=settings, progress=False, prune=True)
    assert pruned.removed == 1
    assert not any(c.doc_id == "gamma" for c in open_store(settings).all_chunks())
    assert all(c.doc_id != "gamma" for c in BM25Index(settings.index_dir / "bm25").chunks)
    assert pruned.chunks == open_store(settings).count()


def test_interrupted_run_is_finished_by_the_next(settings, tmp_path, monkeypatch):
    folder = write_docs(tmp_path / "docs")
    from rag.store.chroma import ChromaStore

    real_upsert = ChromaStore.upsert
    calls = {"n": 0}

    def flaky_upsert(self, chunks, embeddings, extra=None):
        calls["n"] += 1
        if calls["n"] == 2:  # die half-way through the second document's write
            real_upsert(self, chunks[:1], embeddings[:1], extra)
            raise KeyboardInterrupt
        return real_upsert(self, chunks, embeddings, extra)

    monkeypatch.setattr(ChromaStore, "upsert", flaky_upsert)
    with pytest.raises(KeyboardInterrupt):
        rag.ingest([folder], settings=settings, progress=False)
    monkeypatch.setattr(ChromaStore, "upsert", real_upsert)
    assert len(IngestState.load(settings.index_dir).files) == 1  # only the committed document

    resumed = rag.ingest([folder], settings=settings, progress=False)
    assert resumed.failed == () and resumed.unchanged == 1 and resumed.added == 2

    clean = settings.replace(home=tmp_path / "clean")
    rag.ingest([folder], settings=clean, progress=False)
    assert store_ids(settings) == store_ids(clean)
    assert {c.id for c in BM25Index(settings.index_dir / "bm25").chunks} == store_ids(clean)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(home), HF_HUB_OFFLINE="1")
    return env


def test_killed_process_leaves_a_consistent_index(tmp_path):
    many = {f"doc{i:02d}.md": f"# Doc {i}\n\n" + f"Sentence {i} is about the topic number {i}. " * 300 for i in range(12)}
    folder = write_docs(tmp_path / "docs", many)
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "ingest", str(folder), "--json"],
                            env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    record = home / "index" / "files.json"
    deadline = time.monotonic() + 300
    searchable = home / "index" / "bm25" / "chunks.jsonl"  # the first checkpoint of a first ingest
    while time.monotonic() < deadline and proc.poll() is None:
        if record.exists() and json.loads(record.read_text()).get("files") and searchable.exists():
            break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = len(json.loads(record.read_text())["files"])
    assert 1 <= committed < 12

    # The interrupted index answers from what it holds, and says the ingest did not finish.
    asked = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "What does Doc 0 say about topic number 0?", "--json",
                            "--backend", "extractive"], env=_env(home), capture_output=True, text=True, timeout=600)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert "topic number 0" in answer["text"], answer["reason"]
    assert "has not finished" in answer["note"] and "rag ingest" in answer["note"]

    done = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(folder), "--json"],
                          env=_env(home), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["unchanged"] == committed and summary["added"] == 12 - committed
    settings = rag.Settings(home=home)
    assert open_store(settings).count() == summary["chunks"] == IngestState.load(settings.index_dir).total_chunks()
    finished = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "What does Doc 0 say about topic number 0?", "--json",
                               "--backend", "extractive"], env=_env(home), capture_output=True, text=True, timeout=600)
    assert "has not finished" not in json.loads(finished.stdout)["note"]


def test_cli_json_prints_one_object_and_no_progress(tmp_path):
    folder = write_docs(tmp_path / "docs")
    out = subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(folder), "--json"],
                         env=_env(tmp_path / "home"), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert set(summary) >= {"documents", "added", "updated", "unchanged", "removed", "failed", "chunks", "seconds"}
    assert summary["documents"] == 3 and summary["failed"] == []
    assert "embed" not in out.stderr and "%|" not in out.stderr  # no progress bar when not a TTY
