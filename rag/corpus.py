"""The default corpus: its manifest (``rag/data/sources.json``, package data) and a verified fetch.

Documents are never committed: ``fetch`` copies each file from a local mirror folder
(``RAG_CORPUS_MIRROR`` / ``--mirror``) or downloads it from its URL, and keeps it only if its
sha256 matches the manifest. Nothing here looks outside the package unless told to.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rag.errors import CorpusError

MANIFEST = Path(__file__).resolve().parent / "data" / "sources.json"  # shipped in the wheel
USER_AGENT = "rag-assistant/0.1 (grounded Q&A over AI-industry sources)"  # SEC asks for one


@lru_cache(maxsize=1)
def manifest() -> tuple[dict[str, Any], ...]:
    try:
        return tuple(json.loads(MANIFEST.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"Cannot read the corpus manifest {MANIFEST}: {exc}. Reinstall the rag package.") from exc


def entry_for(sha256: str) -> dict[str, Any] | None:
    """The manifest entry of a file, by its content: a user's own file that happens to share a
    corpus file's name is not given that file's title and company."""
    return next((e for e in manifest() if e["sha256"] == sha256), None)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_url(url: str) -> str:
    """GitHub ``blob`` pages serve HTML; their ``raw`` form serves the file itself."""
    if "://github.com/" in url and "/blob/" in url:
        return url.replace("://github.com/", "://raw.githubusercontent.com/", 1).replace("/blob/", "/", 1)
    return url


@dataclass
class FetchReport:
    present: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def fetch(dest: Path, mirror: str | Path | None = None, *, timeout: float = 60.0) -> FetchReport:
    """Fill ``dest`` with every manifest document, verified by sha256. Idempotent."""
    dest.mkdir(parents=True, exist_ok=True)
    mirror_dir = Path(mirror) if mirror else None
    report = FetchReport()
    for entry in manifest():
        name, want = entry["file"], entry["sha256"]
        target = dest / name
        if target.is_file() and sha256_file(target) == want:
            report.present.append(name)
            continue
        errors = []
        if mirror_dir and (mirror_dir / name).is_file():
            if sha256_file(mirror_dir / name) == want:
                _atomic_copy(mirror_dir / name, target)
                report.copied.append(name)
                continue
            errors.append(f"mirror copy {mirror_dir / name} has the wrong sha256")
        if entry.get("source_url"):
            try:
                _download(download_url(entry["source_url"]), target, want, timeout)
                report.downloaded.append(name)
                continue
            except (OSError, CorpusError) as exc:
                errors.append(f"download from {entry['source_url']} failed: {exc}")
        else:
            errors.append("no source URL; only a mirror folder can provide it")
        report.failed.append({"file": name, "error": "; ".join(errors) + _hint(mirror_dir)})
    return report


def _hint(mirror_dir: Path | None) -> str:
    return "" if mirror_dir else " (set RAG_CORPUS_MIRROR or --mirror to a folder holding the corpus files)"


def _atomic_copy(src: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, target)


def _download(url: str, target: Path, want: str, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, tempfile.NamedTemporaryFile(
            dir=target.parent, delete=False) as tmp:
        shutil.copyfileobj(response, tmp)
    if sha256_file(Path(tmp.name)) != want:
        os.unlink(tmp.name)
        raise CorpusError("downloaded file has the wrong sha256 (the source changed?)")
    os.replace(tmp.name, target)
