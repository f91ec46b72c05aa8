"""Whether the key sentences answer the question, not just share its words.

Word overlap is what the first refusal checks measure (``rag.refusal.passage_refusal``), and
trivia passes them: "the capital of Australia and its population" shares "capital",
"Australia" and "population" with a 10-K's list of leased properties. A passage answers a
question when it is about the question's subject and states the kind of thing asked. Five
features say how far the best key sentences do that (``features``); a logistic model over
them, fit by ``evals/fit_answerability.py`` on one half of the answerability sets
(``evals/answerability/*-fit.jsonl``) and reported on the other half, gives the probability
that the question is answerable. Its weights and threshold are data (``answerability.json``);
it is not enabled there, as it refuses too many of the dev sets' answerable questions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.retrieve.fusion import covered_share, query_weights
from rag.retrieve.hints import Hints, period_match
from rag.retrieve.sentences import answer_type
from rag.text import tokens
from rag.types import Evidence

NAMES = ("meaning", "sentence_coverage", "passage_coverage", "answer_type", "period")
MODEL = Path(__file__).with_name("answerability.json")
TOP = 3  # the key sentences an answer leads with


def features(question: str, evidence: Sequence[Evidence], passage_coverage: float, hints: Hints,
             idf: dict[str, float], embed: Callable[[list[str]], np.ndarray]) -> dict[str, float]:
    """The five features of one question against its key sentences, each in [0, 1]:

    - ``meaning``: the best MiniLM cosine between the question and a key sentence;
    - ``sentence_coverage``: the best idf-weighted share of the question's words in one key
      sentence (the passage may share them across paragraphs that say unrelated things);
    - ``passage_coverage``: the same share over the best passage (what retrieval measured);
    - ``answer_type``: 1 when a key sentence holds what the question asks for (a figure, a
      duration, a date: ``answer_type``) or it asks for no particular type, else 0;
    - ``period``: 1 when a key sentence's document is of the asked period or the sentence
      names an asked year, or no period is asked; else 0.

    >>> from rag.types import Chunk, Hit
    >>> hit = Hit(Chunk("c", "d", "Revenue was $5 billion in 2024.", 0, 31, meta={"fiscal_year": "2024"}), 1.0)
    >>> ev = [Evidence(hit, hit.chunk.text, 1.0)]
    >>> unit = lambda texts: np.ones((len(texts), 2)) / math.sqrt(2)
    >>> f = features("How much revenue in 2024?", ev, 0.8, Hints(years=("2024",)), {}, unit)
    >>> round(f["meaning"], 3), f["answer_type"], f["period"]
    (1.0, 1.0, 1.0)
    """
    top = list(evidence[:TOP])
    if not top:
        return dict.fromkeys(NAMES, 0.0) | {"passage_coverage": passage_coverage}
    meaning = closeness(question, top, embed)
    weights = query_weights(set(tokens(question)), idf)
    sentence = max(covered_share(weights, set(tokens(e.text))) for e in top)
    wants = answer_type(question)
    typed = wants is None or any(wants.search(e.text) for e in top)
    dated = not hints.period or any(
        period_match(e.hit.chunk.meta, hints) >= 0.8 or any(re.search(rf"\b{y}\b", e.text) for y in hints.years)
        for e in top)
    return {"meaning": max(0.0, meaning), "sentence_coverage": sentence, "passage_coverage": passage_coverage,
            "answer_type": float(typed), "period": float(dated)}


def closeness(question: str, evidence: Sequence[Evidence], embed: Callable[[list[str]], np.ndarray]) -> float:
    """The best MiniLM cosine between the question and one of its first ``TOP`` key sentences.

    >>> from rag.types import Chunk, Hit
    >>> ev = [Evidence(Hit(Chunk("c", "d", "x", 0, 1), 1.0), "x", 1.0)]
    >>> closeness("q", ev, lambda texts: np.ones((len(texts), 2)) / math.sqrt(2))
    1.0
    """
    top = list(evidence[:TOP])
    if not top:
        return 0.0
    vectors = embed([question] + [e.text for e in top])
    return round(float(np.max(vectors[1:] @ vectors[0])), 6)


def probability(values: dict[str, float], model: dict | None = None) -> float:
    """The model's probability that the question is answerable from these features.

    >>> round(probability({"meaning": 1.0}, {"weights": {"meaning": 2.0}, "bias": -1.0}), 3)
    0.731
    """
    model = model if model is not None else load_model()
    z = model["bias"] + sum(w * values.get(name, 0.0) for name, w in model["weights"].items())
    return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def load_model() -> dict:
    """The fitted weights and threshold (``answerability.json``, written by the fit script)."""
    return json.loads(MODEL.read_text(encoding="utf-8"))
