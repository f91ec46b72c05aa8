"""``ingest()``: files and folders → chunks with provenance → Chroma + BM25, incrementally.

Order of work, chosen so that an interruption at any point leaves a consistent index:
plan (hash every input) → parse and chunk the changed files → per document: embed,
upsert, delete its stale chunks, record it → prune removed files → rebuild BM25.
A document is recorded only after its chunks are written, so the next run redoes
whatever an interrupted run did not finish.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag import corpus
from rag.config import Settings
from rag.errors import LoaderError
from rag.ingestion.chunking import chunk_document
from rag.ingestion.discover import discover
from rag.ingestion.loaders import load
from rag.ingestion.progress import Progress
from rag.ingestion.state import FileRecord, IngestState, index_lock
from rag.types import Chunk, FileFailure, IngestReport


# Bump when loaders or chunking change what a file turns into: every file is then re-ingested.
PIPELINE_VERSION = 2


@dataclass
class _Job:
    path: str
    sha256: str
    doc_id: str
    kind: str  # "added" | "updated"
    chunks: list[Chunk] | None = None
    pages: int = 0


def ingest(paths: Iterable[str | os.PathLike] | None = None, *, settings: Settings | None = None,
           prune: bool | None = None, progress: bool | None = None) -> IngestReport:
    """Ingest files and folders (default: the corpus documents folder, fetched if needed)."""
    started = time.perf_counter()
    settings = settings or Settings.load()
    failures: list[FileFailure] = []
    paths = [Path(p) for p in (paths or [])]
    if not paths:
        paths = [settings.documents_dir]
        failures += _ensure_corpus(settings)
        prune = True if prune is None else prune
    show = sys.stderr.isatty() if progress is None else progress
    files, skipped, missing = discover(paths, int(settings.max_file_mb * 1e6))  # no file is opened here
    failures += missing
    with index_lock(settings.index_dir):
        run = _Run(settings, Progress(show), failures)
        report = run.execute(files, [p.resolve() for p in paths], bool(prune))
    return IngestReport(seconds=time.perf_counter() - started, skipped=tuple(skipped), **report)


def forget(paths: Iterable[str | os.PathLike], *, settings: Settings | None = None) -> int:
    """Take these files' documents out of the index (the files are left alone); returns how
    many were in it. The same prune an ingest does for a file gone from its folder."""
    settings = settings or Settings.load()
    with index_lock(settings.index_dir):
        run = _Run(settings, Progress(False), [])
        return run.execute([], [Path(p).resolve() for p in paths], True)["removed"]


def _ensure_corpus(settings: Settings) -> list[FileFailure]:
    report = corpus.fetch(settings.documents_dir, settings.corpus_mirror)
    return [FileFailure(str(settings.documents_dir / f["file"]), f"not fetched: {f['error']}") for f in report.failed]


class _Run:
    """One ingest run's working state; ``execute`` returns the report fields."""

    def __init__(self, settings: Settings, progress: Progress, failures: list[FileFailure]):
        from rag.embed import get_embedder

        self.settings = settings
        self.progress = progress
        self.failures = failures
        self.state = IngestState.load(settings.index_dir)
        self.embedder = get_embedder(settings, bulk=True)
        self.stages = dict.fromkeys(("plan", "parse", "chunk", "embed", "write"), 0.0)
        self._store = None

    @property
    def store(self):
        if self._store is None:
            from rag.store import open_store

            self._store = open_store(self.settings)
        return self._store

    def execute(self, files: list[Path], roots: list[Path], prune: bool) -> dict:
        t = time.perf_counter()
        jobs, unchanged = self._plan(files)
        self.stages["plan"] = time.perf_counter() - t
        self._parse(jobs)
        done = [job for job in jobs if job.chunks is not None]
        if done:
            self._mark_dirty()
        self._embed_and_write(done)
        removed = self._prune(files, roots) if prune else 0
        t = time.perf_counter()
        from rag.retrieve import bm25

        # Also rebuilt when its stored token sets are missing (an index from before they
        # were stored) or stale: the retriever would recompute them at every start.
        if self.state.bm25_dirty or not bm25.is_current(self.bm25_dir):
            self._build_search_index()
            self.state.bm25_dirty = False
            self.state.save()
        self.stages["write"] += time.perf_counter() - t
        return {
            "documents": unchanged + len(done), "unchanged": unchanged, "removed": removed,
            "added": sum(j.kind == "added" for j in done), "updated": sum(j.kind == "updated" for j in done),
            "failed": tuple(self.failures), "chunks": self.state.total_chunks(), "stages": self.stages,
            "pages": sum(r.pages for r in self.state.files.values()),
        }

    def _plan(self, files: list[Path]) -> tuple[list[_Job], int]:
        model = f"{self.embedder.name}|pipeline-{PIPELINE_VERSION}"
        if self.state.fingerprint != model:
            if self.state.files:
                self._mark_dirty()  # a new model or parser makes every stored chunk stale
            stale = set(self.state.files)
            self.state.fingerprint = model
        else:
            stale = self._damaged()
        jobs, unchanged, taken = [], 0, set()
        for f in files:
            key = str(f)
            try:
                digest = corpus.sha256_file(f)
            except OSError as exc:
                self.failures.append(FileFailure(key, f"cannot read: {exc.strerror or exc}"))
                continue
            record = self.state.files.get(key)
            if record and record.sha256 == digest and key not in stale:
                unchanged += 1
                continue
            doc_id = self.state.doc_id_for(key, taken)
            taken.add(doc_id)
            jobs.append(_Job(key, digest, doc_id, "updated" if record else "added"))
        return jobs, unchanged

    def _damaged(self) -> set[str]:
        """Recorded files whose chunks are not all in the store (store reset, manual edits)."""
        if not self.state.files or self.store.count() == self.state.total_chunks():
            return set()
        return {p for p, r in self.state.files.items() if set(self.store.ids_for_doc(r.doc_id)) != set(r.chunk_ids)}

    def _parse(self, jobs: list[_Job]) -> None:
        max_bytes = int(self.settings.max_file_mb * 1e6)
        for job in self.progress.iter(jobs, "parse", lambda j: Path(j.path).name):
            t = time.perf_counter()
            try:
                doc = load(Path(job.path), job.doc_id, max_bytes=max_bytes, sha256=job.sha256, unchanged=True)
            except LoaderError as exc:
                self.failures.append(FileFailure(job.path, str(exc) + self._kept_note(job)))
                continue
            except OSError as exc:
                self.failures.append(FileFailure(job.path, f"cannot read: {exc.strerror or exc}"))
                continue
            t2 = time.perf_counter()
            self.stages["parse"] += t2 - t
            job.chunks = chunk_document(doc, self.embedder.token_spans, self._budget(doc.meta["title"]))
            job.pages = len(doc.pages)
            self.stages["chunk"] += time.perf_counter() - t2
            if not job.chunks:
                self.failures.append(FileFailure(job.path, "no indexable text found" + self._kept_note(job)))
                job.chunks = None

    def _budget(self, title: str) -> int:
        """Word pieces left for the text once the title line and [CLS]/[SEP] are counted."""
        from rag.embed import MAX_WORD_PIECES

        title_tokens = len(self.embedder.token_spans(title)) + 1
        return max(96, min(self.settings.chunk_tokens, MAX_WORD_PIECES - 2 - title_tokens))

    def _kept_note(self, job: _Job) -> str:
        return " (the previously ingested version stays in the index)" if job.kind == "updated" else ""

    @property
    def bm25_dir(self) -> Path:
        return self.settings.index_dir / "bm25"

    def _build_search_index(self) -> None:
        """The BM25 folder from every stored chunk, with their vectors beside it: a query then
        never opens Chroma's embedded store, which writes its sqlite file (``rag.retrieve.dense``)."""
        from rag.retrieve import bm25

        chunks = self.store.all_chunks()
        bm25.build(chunks, self.bm25_dir, self.store.all_vectors([c.id for c in chunks]))

    def _embed_and_write(self, jobs: list[_Job]) -> None:
        # A first ingest has no search index until its end: it is built after the 1st, 2nd,
        # 4th, 8th… document too (twice the work of one build at most), so a run killed
        # midway leaves an index that answers from what it wrote (and says it is incomplete).
        checkpoint = 1 if not (self.bm25_dir / "chunks.jsonl").exists() else None
        total = sum(len(j.chunks) for j in jobs)
        with self.progress.bar(total, "embed", unit="chunk") as bar:
            for job in jobs:
                bar.set_postfix_str(Path(job.path).name)
                t = time.perf_counter()
                vectors = self.embedder.embed([c.embedding_text() for c in job.chunks], on_batch=bar.update)
                t2 = time.perf_counter()
                self.stages["embed"] += t2 - t
                self.store.upsert(job.chunks, vectors)
                new_ids = [c.id for c in job.chunks]
                stale = set(self.store.ids_for_doc(job.doc_id)) - set(new_ids)
                self.store.delete(sorted(stale))
                self.state.files[job.path] = FileRecord(job.doc_id, job.sha256, os.path.getsize(job.path),
                                                        new_ids, job.pages)
                self.state.save()
                if checkpoint and len(self.state.files) >= checkpoint and job is not jobs[-1]:
                    self._build_search_index()
                    checkpoint = 2 * len(self.state.files)
                self.stages["write"] += time.perf_counter() - t2

    def _prune(self, files: list[Path], roots: list[Path]) -> int:
        seen = {str(f) for f in files}
        under = [str(r) for r in roots]
        gone = [p for p in self.state.files
                if p not in seen and any(p == r or p.startswith(r.rstrip(os.sep) + os.sep) for r in under)]
        for p in gone:
            record = self.state.files[p]
            self._mark_dirty()
            self.store.delete(sorted(set(record.chunk_ids) | set(self.store.ids_for_doc(record.doc_id))))
            del self.state.files[p]
            self.state.save()
        return len(gone)

    def _mark_dirty(self) -> None:
        if not self.state.bm25_dirty:
            self.state.bm25_dirty = True
            self.state.save()
