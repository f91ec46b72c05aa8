"""No LLM: the answer is the key sentences of the retrieved passages, verbatim.

The floor the generative backends must beat, and a sensible mode on small machines:
it cannot state anything the sources do not say. The sentences are picked once per
question by ``rag.retrieve.sentences`` and handed to every backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rag.types import Evidence, Hit


class ExtractiveGenerator:
    name = "extractive"
    model = "extractive"

    def __init__(self, settings=None):
        self.settings = settings

    def generate(self, question: str, hits: Sequence[Hit], history: Sequence[dict] = (),
                 evidence: Sequence[Evidence] = ()) -> Iterator[str]:
        # As many as the assistant picked (``rag.retrieve.sentences.answer_size``), one per
        # paragraph: a sentence cut at a page end has no full stop, and run into the next
        # one it would read to the citation checker as one claim spanning two passages.
        for i, e in enumerate(evidence):
            yield ("\n\n" if i else "") + e.text
