"""What has been ingested, file by file: the record that makes re-ingest incremental.

Saved as JSON next to the index after every committed document (write to a temp file,
then rename), so an interrupted run leaves a record that is true for what it lists; the
next run redoes anything missing or half-written.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.errors import RagError

VERSION = 1


@dataclass
class FileRecord:
    doc_id: str
    sha256: str
    size: int
    chunk_ids: list[str]
    pages: int = 0


@dataclass
class IngestState:
    path: Path
    fingerprint: str = ""
    bm25_dirty: bool = False
    files: dict[str, FileRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, index_dir: Path) -> "IngestState":
        path = index_dir / "files.json"
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RagError(f"The ingest record {path} is unreadable ({exc}). Delete {index_dir} and ingest again.") from exc
        if raw.get("version") != VERSION:
            return cls(path, bm25_dirty=True)  # an older layout: everything is re-ingested
        files = {p: FileRecord(**r) for p, r in raw.get("files", {}).items()}
        return cls(path, raw.get("fingerprint", ""), bool(raw.get("bm25_dirty")), files)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = {"version": VERSION, "fingerprint": self.fingerprint, "bm25_dirty": self.bm25_dirty,
                "files": {p: asdict(r) for p, r in sorted(self.files.items())}}
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)

    def total_chunks(self) -> int:
        return sum(len(r.chunk_ids) for r in self.files.values())

    def doc_id_for(self, path: str, taken: set[str]) -> str:
        """A stable, readable id: the file stem, made unique with a path hash on collision."""
        if path in self.files:
            return self.files[path].doc_id
        stem = Path(path).stem
        owners = {r.doc_id for p, r in self.files.items() if p != path} | taken
        if stem not in owners:
            return stem
        return f"{stem}-{hashlib.sha1(path.encode()).hexdigest()[:6]}"


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index (CLI, UI upload and tests may all ingest)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RagError(f"Another ingest is writing to {index_dir}; wait for it to finish and retry.") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
