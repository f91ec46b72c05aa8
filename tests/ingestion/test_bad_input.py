"""One ingest over good and bad files: bad files are reported with a reason, good ones go in.

These call the real pipeline (tokenizer, embedder, Chroma, BM25), so they are ``slow``;
the fixtures are tiny, so the embedding itself takes well under a second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rag
from rag.config import Settings
from rag.ingestion.loaders import load
from rag.ingestion.state import IngestState
from tests.fixtures import make

pytestmark = pytest.mark.slow

REPORT_KEYS = {"documents", "added", "updated", "unchanged", "removed", "failed", "chunks", "seconds"}
UNSUPPORTED_REASON = (("unsupported",), (".csv",))
MISSING_REASON = (("no such file", "not found", "does not exist"),)


class Mixed:
    """The inputs of one mixed run and where they are."""

    def __init__(self, root: Path):
        self.root = root
        self.docs = root / "docs"
        self.good = [p.resolve() for p in make.good_files(self.docs)]
        self.bad = [p.resolve() for p in make.bad_files(self.docs)]
        (self.docs / "picture.png").write_bytes(b"\x89PNG not indexed")  # unsupported, inside a folder
        self.unsupported = make.make_unsupported(_mkdir(root / "extra")).resolve()  # unsupported, named
        self.missing = root / "no-such-dir" / "missing.pdf"
        self.inputs = [self.docs, self.unsupported, self.missing]

    def expected_failures(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        want = {str(p): make.BAD_REASONS[p.name] for p in self.bad}
        want[str(self.unsupported)] = UNSUPPORTED_REASON
        want[str(self.missing)] = MISSING_REASON
        return want


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _assert_failures(failed: dict[str, str], want: dict[str, tuple[tuple[str, ...], ...]]) -> None:
    assert set(failed) == set(want), (sorted(failed), sorted(want))
    for path, groups in want.items():
        reason = failed[path].lower()
        for alternatives in groups:
            assert any(word.lower() in reason for word in alternatives), (path, failed[path], alternatives)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed")
    m = Mixed(root)
    settings = Settings(home=root / "home", max_file_mb=make.SMALL_MAX_FILE_MB)
    # Module scope runs before the per-test env isolation: isolate this run the same way.
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("RAG_")]:
            mp.delenv(key)
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("XDG_DATA_HOME", str(root / "xdg"))
        first = rag.ingest(m.inputs, settings=settings, progress=False)
        second = rag.ingest(m.inputs, settings=settings, progress=False)
    return m, settings, first, second


def test_every_bad_file_is_reported_with_its_cause(mixed):
    m, _, report, _ = mixed
    failed = {f.path: f.error for f in report.failed}
    assert len(failed) == len(report.failed)  # each file once
    _assert_failures(failed, m.expected_failures())
    assert not report.ok


def test_every_good_file_is_ingested(mixed):
    m, settings, report, _ = mixed
    assert report.documents == len(m.good) == 6
    assert report.added == len(m.good)
    assert (report.updated, report.unchanged, report.removed) == (0, 0, 0)
    assert report.chunks >= len(m.good)
    assert report.seconds > 0
    state = IngestState.load(settings.index_dir)
    assert set(state.files) == {str(p) for p in m.good}
    assert state.total_chunks() == report.chunks
    assert (settings.index_dir / "bm25").is_dir()


def test_unsupported_file_in_a_folder_is_skipped_not_failed(mixed):
    m, _, report, _ = mixed
    assert [Path(p).name for p in report.skipped] == ["picture.png"]
    assert not any(f.path.endswith("picture.png") for f in report.failed)


def test_stored_chunks_have_exact_provenance_and_no_bad_text(mixed):
    from rag.store import open_store

    m, settings, report, _ = mixed
    state = IngestState.load(settings.index_dir)
    path_of = {r.doc_id: p for p, r in state.files.items()}
    stored = open_store(settings).all_chunks()
    assert len(stored) == report.chunks
    texts = {}
    for c in stored:
        path = Path(path_of[c.doc_id])
        if path not in texts:
            texts[path] = load(path, c.doc_id, max_bytes=10**7, sha256="x").text
        assert texts[path][c.char_start:c.char_end] == c.text
        assert c.meta["file"] == path.name
    assert set(texts) == set(m.good)  # every good file has chunks in the store
    everything = "\n".join(c.text for c in stored)
    for sentence in ("heron report opens without any password", "Mixture of experts routes", "$1,234",
                     "zebra benchmark score", "Some traders called the selloff"):
        assert sentence in everything
    for junk in ("walrus", "oversized file is valid text", "trois euros", "0001045810", "We use cookies"):
        assert junk not in everything


def test_rerun_keeps_good_files_and_reports_bad_ones_again(mixed):
    m, _, first, second = mixed
    assert second.unchanged == len(m.good)
    assert (second.added, second.updated, second.removed) == (0, 0, 0)
    assert second.chunks == first.chunks
    _assert_failures({f.path: f.error for f in second.failed}, m.expected_failures())


def test_nonexistent_path_alone_is_a_failure_not_a_crash(tmp_path):
    missing = tmp_path / "nowhere" / "report.pdf"
    report = rag.ingest([missing], settings=Settings(home=tmp_path / "h"), progress=False)
    assert [f.path for f in report.failed] == [str(missing)]
    assert "no such file" in report.failed[0].error
    assert (report.documents, report.added, report.chunks) == (0, 0, 0)
    assert not report.ok


def test_cli_json_report_and_partial_exit_code(tmp_path):
    m = Mixed(tmp_path / "in")
    idx = tmp_path / "idx"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(tmp_path / "home"), HF_HUB_OFFLINE="1", RAG_MAX_FILE_MB=str(make.SMALL_MAX_FILE_MB),
               XDG_DATA_HOME=str(tmp_path / "xdg"))
    proc = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", *map(str, m.inputs), "--json", "--index", str(idx)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 3, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout  # exactly one JSON object, nothing else on stdout
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    assert REPORT_KEYS <= set(data), sorted(data)
    assert data["documents"] == data["added"] == len(m.good)
    assert (data["updated"], data["unchanged"], data["removed"]) == (0, 0, 0)
    assert data["chunks"] > 0
    assert isinstance(data["seconds"], (int, float)) and data["seconds"] > 0
    assert all(set(f) == {"path", "error"} for f in data["failed"])
    _assert_failures({f["path"]: f["error"] for f in data["failed"]}, m.expected_failures())
    # The index went where --index said, not into RAG_HOME.
    assert set(IngestState.load(idx).files) == {str(p) for p in m.good}
    assert not (tmp_path / "home" / "index").exists()
