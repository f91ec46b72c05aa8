"""Metadata filters: which chunks a user's filters let through, and which keys they may use."""

from __future__ import annotations

from typing import Any

from rag.errors import ConfigError
from rag.types import Chunk

FILTER_KEYS = ("company", "publisher", "doc_type", "form", "fiscal_year", "fiscal_quarter", "doc_id", "file",
               "date_from", "date_to")


def matches(chunk: Chunk, filters: dict[str, Any] | None) -> bool:
    """Whether a chunk passes metadata filters (equality, case-insensitive; dates as ISO strings).

    >>> c = Chunk("i", "d", "t", 0, 1, meta={"company": "Acme", "date": "2025-02-26"})
    >>> matches(c, {"company": "acme", "date_from": "2025-01-01"}), matches(c, {"date_to": "2024-12-31"})
    (True, False)
    """
    for key, want in (filters or {}).items():
        if want in (None, ""):
            continue
        if key == "doc_id":
            have = chunk.doc_id
        else:
            have = str(chunk.meta.get("date" if key.startswith("date_") else key, ""))
        if key == "date_from" and not have >= str(want):
            return False
        if key == "date_to" and not (have and have <= str(want)):
            return False
        if not key.startswith("date_") and have.lower() != str(want).lower():
            return False
    return True


def check_filters(filters: dict[str, Any] | None) -> dict[str, Any]:
    unknown = sorted(set(filters or {}) - set(FILTER_KEYS))
    if unknown:
        raise ConfigError(f"Unknown filter(s) {unknown}; use one of {', '.join(FILTER_KEYS)}.")
    return dict(filters or {})
