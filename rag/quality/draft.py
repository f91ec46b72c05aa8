"""Draft golden-set items from a document, for a person to review (``rag draft FILE``).

A good golden item is a question a user would ask, the verbatim sentence that answers
it, and the figure or name the answer must contain. Picking the sentences is mechanical
(figure-bearing, self-contained, spread over the document); phrasing the question well is
not, so without a model the question is a cloze to rewrite, and with ``backend`` a model
drafts it. Either way every item is marked ``"draft": true`` until someone edits it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from rag.text import split_sentences
from rag.types import SourceDoc

# A figure stands alone ("R1" and "H100" are names, not figures); years are dates, not figures.
_FIGURE = re.compile(r"(?<![\w$.-])\$?\d(?:[\d,.]*\d)?(?:\s?(?:%|percent|billion|million|thousand|trillion)\b|%)?(?![\w-])")
_YEAR = re.compile(r"(19|20)\d\d")


def figures(sentence: str) -> list[re.Match]:
    """The figures of a sentence, years left out.

    >>> [m.group(0) for m in figures("In 2025 R1 cost $5 million on H800s, 30% less.")]
    ['$5 million', '30%']
    """
    return [m for m in _FIGURE.finditer(sentence) if not _YEAR.fullmatch(m.group(0))]
QUESTION_PROMPT = ("Write one short question that the given sentence answers. Do not copy the sentence; "
                   "mention the document's subject so the question stands on its own. Reply with the question only.")


def candidates(doc: SourceDoc, n: int = 10) -> list[str]:
    """Up to ``n`` figure-bearing, prose sentences of 12–60 words, spread evenly over the document.

    >>> doc = SourceDoc("d", "d.txt", "Intro. Revenue for fiscal 2025 was $130.5 billion, up 114% from a year ago, "
    ...                 "driven by data center demand. | a | b |")
    >>> candidates(doc)
    ['Revenue for fiscal 2025 was $130.5 billion, up 114% from a year ago, driven by data center demand.']
    """
    pool = []
    for sentence in split_sentences(doc.text):
        words = sentence.split()
        if " | " in sentence or not 12 <= len(words) <= 60 or not figures(sentence):
            continue  # table rows and fragments make poor evidence quotes
        if re.search(r"<[a-z/]|https?://|\]\(|\*\*|```| --\w", sentence):
            continue  # markup (README badges, links) is not a claim anyone asks about
        if sum(w[:1].isupper() for w in words) > len(words) / 2:
            continue  # headings, title-case captions
        pool.append(" ".join(words))
    if len(pool) <= n:
        return pool
    step = len(pool) / n
    return [pool[int(i * step)] for i in range(n)]


def cloze(sentence: str) -> tuple[str, str]:
    """The sentence with its most specific figure blanked, and that figure.

    >>> cloze("Revenue for fiscal 2025 was $130.5 billion, up 114%.")
    ('Revenue for fiscal 2025 was ____, up 114%.', '$130.5 billion')
    """
    # Money, shares and counts with a unit say more than a bare number.
    best = max(figures(sentence), key=lambda m: (m.group(0)[0] == "$" or not m.group(0)[-1].isdigit(), len(m.group(0))))
    figure = best.group(0)
    return sentence[:best.start()] + "____" + sentence[best.start() + len(figure):], figure


def pattern_for(figure: str) -> str:
    """A forgiving regex for a figure ("$130.5 billion" also matches "130.5 bn").

    >>> bool(re.search(pattern_for("$130.5 billion"), "about 130.5 bn")), bool(re.search(pattern_for("114%"), "114 percent"))
    (True, True)
    """
    number = re.search(r"\d[\d,.]*\d|\d", figure).group(0)
    pattern = r"\$? ?" + re.escape(number).replace(",", ",?")
    unit = figure[figure.index(number) + len(number):].strip().lower()
    units = {"billion": "b|bn|billion", "million": "m|mn|million", "%": "%|percent", "percent": "%|percent",
             "trillion": "t|tn|trillion", "thousand": "k|thousand"}
    return pattern + (f" ?({units[unit]})" if unit in units else "")


def draft(doc: SourceDoc, n: int = 10, ask_model=None) -> Iterator[dict]:
    """Candidate items in the golden-set format. ``ask_model(messages) -> str`` phrases the questions."""
    title = doc.meta.get("title") or doc.doc_id
    for sentence in candidates(doc, n):
        blanked, figure = cloze(sentence)
        question = f"In \"{title}\", what completes: \"{blanked}\"?"
        if ask_model is not None:
            reply = ask_model([{"role": "system", "content": QUESTION_PROMPT},
                               {"role": "user", "content": f"Document: {title}\nSentence: {sentence}"}]).strip()
            question = reply.splitlines()[0].strip() if reply.endswith("?") or "?" in reply else question
        yield {"id": f"{doc.doc_id[:30]}-{hashlib.sha1(sentence.encode()).hexdigest()[:6]}", "kind": "factoid",
               "question": question, "answer": sentence, "must_include": [[pattern_for(figure)]],
               "evidence": [{"file": doc.doc_id, "quote": sentence}], "draft": True}


def load_document(path: Path, max_mb: int) -> SourceDoc:
    """Parse a file the way ingestion does (its id is the file stem, as in the index)."""
    from rag.ingestion.loaders import load

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return load(path, path.stem, max_bytes=max_mb * 1024 * 1024, sha256=digest)
