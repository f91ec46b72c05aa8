"""Thumbs up/down on answers, appended to a JSONL file (one object a line) for later review."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rag.types import Answer

_LOCK = threading.Lock()  # several browser sessions may rate at once; lines must not interleave


def record(path: Path, answer: Answer, rating: str, **context: Any) -> dict:
    """Append one rating with the question, answer and citations; returns what was written.

    ``context`` carries what shaped the answer (backend, k, filters, session id).
    """
    entry = {
        "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "rating": rating,
        "question": answer.question,
        "answer": answer.text,
        "refused": answer.refused,
        "citations": [asdict(c) for c in answer.citations],
        "unsupported": list(answer.unsupported),
        "model": answer.model,
        **context,
    }
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
    return entry
