"""The corpus as the page shows it (documents, filter choices) and uploads into the index.

No Gradio here. Uploads are checked (type, size), copied under ``<index>/uploads`` with a
safe name, then ingested; a file that fails is deleted again, so a failed upload leaves the
index as it was.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from rag.config import Settings
from rag.corpus import sha256_file
from rag.errors import DocumentNotFoundError, RagError
from rag.ingestion.state import IngestState

UPLOAD_TYPES = (".pdf", ".html", ".htm", ".md", ".txt")
MAX_NAME = 100  # characters; long enough for real titles, short of filesystem limits


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    doc_type: str
    publisher: str
    date: str
    company: str
    pages: int
    chunks: int
    file: str
    uploaded: bool


PAGE = json.loads(resources.files("rag.data").joinpath("page.json").read_text(encoding="utf-8"))


def examples(docs) -> list[str]:
    """The page's example questions: ``page.json``'s for documents the library holds, else
    one per document from its own title (a user's own library gets questions about it).

    >>> from types import SimpleNamespace as D
    >>> examples([D(file="notes.pdf", title="Plant safety manual")])
    ['What does Plant safety manual say?']
    """
    files = {d.file for d in docs}
    chosen = [e["question"] for e in PAGE["examples"] if e["file"] in files]
    return chosen or [f"What does {d.title} say?" for d in docs[:3]]


def documents(settings: Settings) -> list[Document]:
    """Every ingested document with its metadata, newest first; [] for an empty or missing index."""
    state = IngestState.load(settings.index_dir)
    meta = _doc_meta(settings.index_dir / "bm25" / "chunks.jsonl")
    uploads = str(upload_dir(settings).resolve())
    docs = []
    for path, rec in state.files.items():
        m = meta.get(rec.doc_id, {})
        docs.append(Document(rec.doc_id, str(m.get("title") or rec.doc_id), str(m.get("doc_type", "")),
                             str(m.get("publisher", "")), str(m.get("date", "")), str(m.get("company", "")),
                             rec.pages, len(rec.chunk_ids), Path(path).name, path.startswith(uploads)))
    return sorted(docs, key=lambda d: (d.date, d.title), reverse=True)


_META_CACHE: dict[Path, tuple[int, dict[str, dict]]] = {}


def _doc_meta(records: Path) -> dict[str, dict]:
    """doc_id → the metadata of its first chunk, from the lexical index's chunk records.

    Cached by the file's mtime: ingest swaps in a new file, so a change is always seen.
    """
    try:
        version = records.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    cached = _META_CACHE.get(records)
    if cached and cached[0] == version:
        return cached[1]
    meta: dict[str, dict] = {}
    with open(records, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            meta.setdefault(rec["doc_id"], rec.get("meta") or {})
    _META_CACHE[records] = (version, meta)
    return meta


def choices(docs: Sequence[Document]) -> dict[str, list]:
    """Filter choices: distinct companies, publishers, types, and documents as (title, doc_id)."""
    def distinct(attr: str) -> list[str]:
        return sorted({getattr(d, attr) for d in docs if getattr(d, attr)}, key=str.lower)

    return {"company": distinct("company"), "publisher": distinct("publisher"), "doc_type": distinct("doc_type"),
            "doc_id": sorted(((d.title, d.doc_id) for d in docs), key=lambda t: t[0].lower())}


def upload_dir(settings: Settings) -> Path:
    return settings.index_dir / "uploads"


def safe_name(name: str) -> str:
    """A file name that cannot leave the upload folder or surprise a shell.

    >>> safe_name("../../etc/passwd.txt"), safe_name("C:\\\\temp\\\\Q1 report (final).PDF"), safe_name(".hidden.md")
    ('passwd.txt', 'Q1-report-final.pdf', 'hidden.md')
    >>> safe_name("résumé.md"), safe_name("...txt")
    ('resume.md', 'upload.txt')
    """
    base = PurePosixPath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")[:MAX_NAME] or "upload"
    ext = re.sub(r"[^a-z0-9]", "", ext.lower())
    return f"{stem}.{ext}" if ext else stem


def check_upload(path: Path, settings: Settings) -> str | None:
    """Why this upload is refused, or None when it may be ingested."""
    suffix = path.suffix.lower()
    if suffix not in UPLOAD_TYPES:
        return f"{suffix or 'no extension'} files are not accepted; upload {', '.join(UPLOAD_TYPES)}."
    size = path.stat().st_size
    if size == 0:
        return "the file is empty."
    if size > settings.max_upload_mb * 1e6:
        return f"{size / 1e6:.1f} MB is over the {settings.max_upload_mb:g} MB upload limit (RAG_MAX_UPLOAD_MB)."
    return None


@dataclass(frozen=True)
class UploadResult:
    name: str
    ok: bool
    message: str


def add_uploads(paths: Sequence[Path], settings: Settings,
                step: Callable[[float, str], None] = lambda f, s: None) -> list[UploadResult]:
    """Check, store and ingest uploaded files; every file gets a result, nothing raises for one bad file."""
    results: list[UploadResult] = []
    stored: dict[Path, str] = {}  # stored path → the name the user uploaded
    step(0.05, "Checking files")
    for src in paths:
        src = Path(src)
        problem = check_upload(src, settings)
        if problem:
            results.append(UploadResult(src.name, False, problem))
            continue
        dest, fresh = _store(src, settings)
        if not fresh:
            results.append(UploadResult(src.name, True, f"already in the index as {dest.name}."))
            continue
        stored[dest] = src.name
    if not stored:
        return results
    step(0.2, f"Parsing and embedding {len(stored)} file(s)")
    from rag.ingestion import ingest

    try:
        report = ingest(list(stored), settings=settings, prune=False, progress=True)
    except (RagError, OSError) as exc:
        _discard(stored, settings)
        return results + [UploadResult(name, False, f"not ingested: {exc}") for name in stored.values()]
    failed = {Path(f.path).resolve(): f.error for f in report.failed}
    for dest, name in stored.items():
        error = failed.get(dest.resolve())
        if error:
            dest.unlink(missing_ok=True)
            results.append(UploadResult(name, False, f"could not be read: {error}"))
        else:
            renamed = f" as {dest.name}" if dest.name != name else ""
            results.append(UploadResult(name, True, f"added to the index{renamed}: ask about it in the Ask tab."))
    step(1.0, "Done")
    return results


def remove_document(doc_id: str, settings: Settings) -> str:
    """Take a document out of the index; an upload's stored copy goes too. Returns what was done."""
    state = IngestState.load(settings.index_dir)
    path = next((Path(p) for p, rec in state.files.items() if rec.doc_id == doc_id), None)
    if path is None:
        raise DocumentNotFoundError(f"No document {doc_id!r} in the index: list them first (GET /v1/documents).")
    from rag.ingestion.pipeline import forget

    forget([path], settings=settings)
    if path.resolve().parent == upload_dir(settings).resolve():
        path.unlink(missing_ok=True)
        return f"{path.name} was removed from the index and from the upload folder."
    return (f"{path.name} was removed from the index; the file stays at {path}, so the next `rag ingest` of its "
            "folder adds it again.")


def document_json(d: Document) -> dict:
    """A document as the API lists it."""
    return {"id": d.doc_id, "object": "document", **{k: v for k, v in asdict(d).items() if k != "doc_id"}}


def _store(src: Path, settings: Settings) -> tuple[Path, bool]:
    """Copy into the upload folder under a safe, unused name; (path, False) when the same file is there."""
    folder = upload_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_name(src.name)
    stem, ext = Path(name).stem, Path(name).suffix
    digest = sha256_file(src)
    dest, n = folder / name, 1
    while dest.exists():
        if sha256_file(dest) == digest:
            return dest, False
        n += 1
        dest = folder / f"{stem}-{n}{ext}"
    tmp = folder / f".{dest.name}.part"  # ingest skips dotted .part files if it ever walks this folder
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
    return dest, True


def _discard(stored: dict[Path, str], settings: Settings) -> None:
    """Delete stored uploads the failed run did not record (a recorded one is in the index: keep it)."""
    recorded = set(IngestState.load(settings.index_dir).files)
    for dest in stored:
        if str(dest.resolve()) not in recorded:
            dest.unlink(missing_ok=True)
