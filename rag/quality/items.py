"""Golden-set items: the JSONL format of golden sets (the dev set: ``../shared/evals/dev.jsonl``), loaded and checked.

One object per line: ``id, kind, question, answer, must_include`` (groups of regex
alternatives, every group must match), ``evidence`` (``[{file, quote}]`` or ``[{file, page}]``,
file = the document id, i.e. the file name without extension, page 1-based) and optional ``history``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import EvalSetError

KINDS = ("factoid", "explain", "multi_doc", "followup", "unanswerable")


@dataclass(frozen=True)
class EvalItem:
    id: str
    kind: str
    question: str
    answer: str = ""
    must_include: tuple[tuple[str, ...], ...] = ()
    evidence: tuple[dict, ...] = ()
    history: tuple[dict, ...] = field(default=(), compare=False)
    set: str = ""  # which golden set it came from ("financebench/dev"): results are reported per set

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"


def parse_item(raw: dict, where: str) -> EvalItem:
    """One item from its JSON object; ``where`` ("file:line") goes into every error.

    >>> parse_item({"id": "q1", "kind": "factoid", "question": "Who?", "must_include": [["x"]]}, "f:1").must_include
    (('x',),)
    """
    for key in ("id", "kind", "question"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise EvalSetError(f"{where}: '{key}' must be a non-empty string.")
    if raw["kind"] not in KINDS:
        raise EvalSetError(f"{where}: kind {raw['kind']!r} is not one of {', '.join(KINDS)}.")
    groups = raw.get("must_include") or []
    if not isinstance(groups, list) or not all(isinstance(g, list) and g for g in groups):
        raise EvalSetError(f"{where}: 'must_include' must be a list of non-empty lists of regexes.")
    for pattern in (p for g in groups for p in g):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise EvalSetError(f"{where}: bad regex {pattern!r} in must_include ({exc}).") from None
    evidence = raw.get("evidence") or []
    if not all(isinstance(e, dict) and e.get("file") and (e.get("quote") or _page(e.get("page"))) for e in evidence):
        raise EvalSetError(f"{where}: every 'evidence' entry needs a 'file' (document id) and a 'quote' or a "
                           "'page' (a whole number from 1, as a PDF viewer counts).")
    if any("page" in e and not _page(e["page"]) for e in evidence):
        raise EvalSetError(f"{where}: an evidence 'page' must be a whole number from 1, as a PDF viewer counts.")
    history = raw.get("history") or []
    if not all(isinstance(t, dict) and "role" in t and "content" in t for t in history):
        raise EvalSetError(f"{where}: 'history' must be a list of {{role, content}} objects.")
    return EvalItem(raw["id"], raw["kind"], raw["question"], raw.get("answer", ""),
                    tuple(tuple(g) for g in groups), tuple(evidence), tuple(history))


def set_name(path: Path) -> str:
    """How reports name a golden set: its folder and stem, since sets are often all "dev.jsonl".

    >>> set_name(Path("../shared/financebench/dev.jsonl"))
    'financebench/dev'
    """
    return f"{path.resolve().parent.name}/{path.stem}"


def _page(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def load_items(paths: Iterable[str | Path]) -> list[EvalItem]:
    """Every item of every file, in order; a malformed line stops the load with its location."""
    items: list[EvalItem] = []
    for path in map(Path, paths):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EvalSetError(f"Cannot read the eval set {path}: {exc.strerror or exc}. Pass an existing JSONL file.") from None
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except ValueError as exc:
                raise EvalSetError(f"{path}:{n}: not valid JSON ({exc}).") from None
            items.append(dataclasses.replace(parse_item(raw, f"{path}:{n}"), set=set_name(path)))
    ids = [i.id for i in items]
    if dupes := sorted({i for i in ids if ids.count(i) > 1}):
        raise EvalSetError(f"Duplicate item ids {', '.join(dupes)}: every item needs its own id.")
    if not items:
        raise EvalSetError("The eval set is empty: give at least one JSONL file with items.")
    return items


def default_sets(settings) -> list[Path]:
    """The sets ``rag eval`` scores when given none: ``RAG_EVAL_SET`` (paths joined by ``os.pathsep``).

    Never a guess at a folder beside the checkout: an installed package has none.
    """
    if not settings.eval_set:
        raise EvalSetError("No golden set given: pass --set FILE (repeatable), or set RAG_EVAL_SET. In a checkout "
                           "beside shared/, the dev set is ../shared/evals/dev.jsonl.")
    return [Path(p) for p in str(settings.eval_set).split(os.pathsep) if p]
