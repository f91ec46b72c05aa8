"""Which folder entries an ingest reads: every one is either a file to ingest or reported
with its path and why not. Nothing here opens a file, so a FIFO cannot hang the run and
a 20 GB file is turned away by its size alone.

What is turned away, and why: a symlink loop or a dangling link (reported under the
link's own name, with its target), a FIFO, socket or device (reading one blocks or never
ends), a name that is not valid UTF-8 (it cannot be stored in the index's JSON and
metadata; renaming the file fixes it), and a file over the size limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rag.ingestion.loaders import is_supported
from rag.types import FileFailure

_KINDS = {stat.S_ISFIFO: "a FIFO (named pipe)", stat.S_ISSOCK: "a socket", stat.S_ISCHR: "a character device",
          stat.S_ISBLK: "a block device"}


def shown(path: Path | str) -> str:
    r"""A path as it can be printed and stored: undecodable bytes of a name as ``\xNN``.

    >>> shown("/d/caf\udce9.md")
    '/d/caf\\xe9.md'
    """
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def check(path: Path, max_bytes: int) -> tuple[Path | None, FileFailure | None]:
    """``(the resolved file, None)`` for a regular file to read, else ``(None, why not)``."""
    name = shown(path)
    if name != str(path):
        return None, FileFailure(name, "the file name is not valid UTF-8: rename the file, then ingest again")
    try:
        target = path.resolve(strict=True)
        info = target.stat()
    except (RuntimeError, OSError) as exc:
        if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == 40:  # ELOOP
            return None, FileFailure(name, "a symlink loop: the link leads back to itself; remove or fix it")
        if path.is_symlink():
            return None, FileFailure(name, f"a dangling symlink (to {shown(os.readlink(path))}): "
                                           "its target is missing; fix or remove the link")
        if isinstance(exc, FileNotFoundError):
            return None, FileFailure(name, "no such file or folder (it may have been removed during the run)")
        return None, FileFailure(name, f"cannot read: {exc.strerror or exc}")
    for test, kind in _KINDS.items():
        if test(info.st_mode):
            return None, FileFailure(name, f"{kind}, not a regular file: only files are ingested")
    if not stat.S_ISREG(info.st_mode):
        return None, FileFailure(name, "not a regular file: only files are ingested")
    if info.st_size > max_bytes:
        return None, FileFailure(name, f"too large: {info.st_size / 1e6:.3g} MB, over the {max_bytes / 1e6:g} MB limit; "
                                       "raise RAG_MAX_FILE_MB to ingest it")
    return target, None


def discover(paths: list[Path], max_bytes: int) -> tuple[list[Path], list[str], list[FileFailure]]:
    """Expand folders (recursively, hidden entries skipped) into the supported files to read,
    the unsupported ones skipped, and the entries turned away (``check``)."""
    files: list[Path] = []
    skipped: list[str] = []
    failed: list[FileFailure] = []

    def take(path: Path, named: bool) -> None:
        if not named and not is_supported(path):
            skipped.append(shown(path))
            return
        target, failure = check(path, max_bytes)
        if failure:
            failed.append(failure)
        elif target is not None:
            files.append(target)

    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not (name.startswith(".") or name.endswith((".part", ".tmp"))):
                        take(Path(root, name), named=False)
        elif path.is_symlink() or path.exists():
            take(path, named=True)
        else:
            failed.append(FileFailure(shown(path), "no such file or folder"))
    return list(dict.fromkeys(files)), skipped, failed
