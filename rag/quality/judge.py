"""The optional LLM judge (``rag eval --judge BACKEND``): asks a model, claim by claim,
whether the cited passage supports the sentence. Reported apart from the deterministic
checker, since a judge is only as good as its model (a 135M model is close to chance).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.errors import ConfigError
from rag.quality.grounding import claims

JUDGE_PROMPT = ("You check citations. Reply with one word: YES if the passage states the claim, "
                "NO if it does not or only partly does.")


def verdict(reply: str) -> bool | None:
    """YES / NO from a judge's reply (None when it says neither).

    >>> verdict(" Yes, it does."), verdict("no"), verdict("maybe")
    (True, False, None)
    """
    m = re.search(r"\b(yes|no)\b", reply, re.I)
    return None if m is None else m.group(1).lower() == "yes"


def make_judge(name: str, settings) -> Callable:
    """A function ``(answer, passages_by_chunk_id) -> share of sentences the judge accepts``."""
    from rag.generate.base import get_generator

    generator = get_generator(name, settings)
    if not hasattr(generator, "chat"):
        raise ConfigError(f"The {name!r} backend cannot judge (it is not a language model): use --judge local or openai.")

    def judge(answer, passages) -> float | None:
        texts = {c.marker: passages[c.chunk_id].text for c in answer.citations}
        votes = []
        for sentence, markers in claims(answer.text):
            if not re.search(r"[A-Za-z]{2}", sentence):
                continue
            passage = "\n".join(texts.get(m, "") for m in markers) or "(no passage cited)"
            messages = [{"role": "system", "content": JUDGE_PROMPT},
                        {"role": "user", "content": f"Passage:\n{passage[:3000]}\n\nClaim: {sentence}\n\nYES or NO?"}]
            votes.append(bool(verdict("".join(generator.chat(messages, max_tokens=4)))))
        return round(sum(votes) / len(votes), 4) if votes else None

    return judge
