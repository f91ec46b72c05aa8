"""The answer's shape: the sentence that answers first, then at most two that support it,
within a length a reader takes in at a glance. The same for every backend.

Key sentences come ranked by how well they answer (``rag.retrieve.sentences``); a model's
come in its own order, the key sentences it left out after them (``cite.add_evidence``).
Either way the reader wants the asked value first: for a figure question, the first
checked sentence that states a figure; then up to two more, as long as the answer stays
within ``limit(question)`` characters. What is left out stays in the sources panel (the
passages) and, for unsupported sentences, in ``Answer.unsupported``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.cite import Aligned
from rag.compute import describe
from rag.question import question_parts
from rag.retrieve.sentences import answer_type, asks_figure
from rag.text import is_number, tokens
from rag.units import unit_note

FACTOID_CHARS = 600
EXPLAIN_CHARS = 1000
SUPPORTING = 2  # sentences after the lead of a one-part factoid (an explanation gets one more)
LEAD_CHARS = 300  # a longer lead is cut to its clause that states the figure
# A follow-up may open with a word that carries on the talk: "So why…?", "And how…?".
_OPENER = r"^\s*(?:(?:so|and|but|then|okay|ok|well)\b[\s,]+)?"
_EXPLAIN = re.compile(_OPENER + r"(?:why|(?P<how>how) (?:do|does|did|is|are|was|were|can|could)\b(?! (?:much|many))|explain|describe|"
                      r"what (?:is|are|was|were) (?:the )?(?:reasons?|role|purpose|impact|effect|difference|relationship)|"
                      r"summari[sz]e|compare)", re.I)
# "What risks does the report lay out?": a list of things, not one fact (unless it asks a
# figure: "What were the changes in cash?").
_LIST = re.compile(_OPENER + r"(?:what|which) (?:[\w-]+ ){0,3}(?:risks|reasons|factors|challenges|steps|changes|measures|"
                   r"restrictions|limitations|advantages|benefits|drawbacks|differences|improvements|techniques|"
                   r"strategies|uncertainties|trends|consequences|lessons)\b", re.I)

# "How did … change?", "How does … score on …?": how much, asked with "how".
_MEASURED = re.compile(r"\bhow (?:do|does|did) .{2,80}?\b(?:do|perform|score|change|grow|increase|decrease|rise|fall)\b",
                       re.I)


def is_explanation(question: str) -> bool:
    """A question that asks why or how (not how much: "how did … change?"), to explain,
    compare or describe, or has several parts not all of which want a figure or a kind of answer.

    >>> is_explanation("Why did the shares fall?"), is_explanation("How much cash did Acme hold?")
    (True, False)
    >>> is_explanation("What supply risks does Acme's 10-K describe?"), is_explanation("Which risk is largest?")
    (True, False)
    >>> is_explanation("What were the changes in cash in 2030?"), is_explanation("So why is it lower?")
    (False, True)
    >>> is_explanation("How does Zeta-7B score on AlphaBench?"), is_explanation("How does Zeta-7B read tables?")
    (False, True)
    >>> is_explanation("How many drones did Acme ship, and how many weeks did delivery last?")
    False
    """
    parts, why = question_parts(question), _EXPLAIN.match(question)
    # "How did Acme's revenue change?" and "How does Zeta-7B score on X?" want figures, and a
    # many-part question each of whose parts wants a kind of answer is a factoid many times.
    return (bool(why and not (why.group("how") and _MEASURED.search(question) and answer_type(question))
                 or _LIST.match(question) and not asks_figure(question))
            or len(parts) > 1 and not all(answer_type(p) is not None for p in parts))


def limit(question: str) -> int:
    """The most characters an answer to ``question`` shows (its ``[n]`` markers included).

    >>> limit("What was Acme's 2030 revenue?"), limit("Why did Acme's revenue fall?")
    (600, 1000)
    """
    return EXPLAIN_CHARS if is_explanation(question) else FACTOID_CHARS


def lead_clause(sentence: str, question: str, max_chars: int = LEAD_CHARS) -> str:
    """A long lead cut to the clause (between semicolons) that states a figure and shares the
    most words with the question; a short one, or one without such clauses, as it is.

    >>> lead_clause("Revenue rose 5% to $9 billion; headcount grew; we opened stores in ten new markets "
    ...             "across the region.", "What was revenue?", max_chars=40)
    'Revenue rose 5% to $9 billion.'
    """
    if len(sentence) <= max_chars or ";" not in sentence:
        return sentence
    asked = set(tokens(question))
    clauses = [c.strip() for c in sentence.split(";") if len(re.findall(r"[A-Za-z]{2,}", c)) >= 3]
    # A figure the question does not give: the asked year is not the answer.
    with_figure = [c for c in clauses if any(is_number(t) and t not in asked for t in tokens(c))]
    if not with_figure:
        return sentence
    best = max(with_figure, key=lambda c: (len(asked & set(tokens(c))), -len(c)))
    return best.rstrip(" .,") + "."


def shape(aligned: Sequence[Aligned], question: str, keep: int = 0) -> list[Aligned]:
    """The checked sentences in answer order and within the length limit; the unsupported
    ones after them, untouched (they are reported, not shown).

    >>> from rag.types import Chunk, Hit
    >>> h = Hit(Chunk("c", "d", "x", 0, 1), 1.0)
    >>> said = [Aligned("Acme is a maker of tools.", h, 1.0), Aligned("Acme sold $5 million of tools in 2030.", h, 1.0),
    ...         Aligned("Pigs fly.", None, 0.0)]
    >>> [a.sentence for a in shape(said, "How much did Acme sell in 2030?")]
    ['Acme sold $5 million of tools in 2030.', 'Acme is a maker of tools.', 'Pigs fly.']
    """
    checked = [a for a in aligned if a.hit is not None]
    dropped = [a for a in aligned if a.hit is None]
    if not checked:
        return dropped
    if keep:  # the rows a computed answer is worked out from: each is needed to redo it
        return checked[:keep] + dropped
    parts = len(question_parts(question))
    lead = checked[0]
    if parts == 1 and asks_figure(question):
        lead = next((a for a in checked if any(is_number(t) for t in tokens(a.sentence))), lead)
    rest = [a for a in checked if a is not lead]
    lead = Aligned(lead_clause(lead.sentence, question), lead.hit, lead.score)
    # One sentence per part, then two in support (one more for a why or how), within the limit.
    budget, most = limit(question), max(parts, 1) + SUPPORTING + bool(_EXPLAIN.match(question))
    out, used = [lead], len(lead.sentence) + 5
    for at, a in enumerate(rest):
        if len(out) >= most:
            break
        # Each part's own sentence (they come first) whatever its length: a part left unanswered
        # for a shorter answer is no answer to it.
        if at < parts - 1 or used + len(a.sentence) + 5 <= budget:  # " [n]" and a space per sentence
            out.append(a)
            used += len(a.sentence) + 5
    return out + dropped


def computation_note(asked) -> str:
    """What a ratio, margin or average question leaves to do: filings state line items, not
    the analyst's metric, so the answer cites the inputs and says the value is computed.

    >>> from rag.question import parse
    >>> computation_note(parse("What is Acme's ROA? ROA is defined as: net income / average total assets."))
    'If the value is not stated above, compute it from the cited line items: net income / average total assets.'
    >>> computation_note(parse("What is MLA?"))
    ''
    """
    if not asked.computed:
        return ""
    how = "; ".join(asked.definitions) or "the figures the question combines"
    return f"If the value is not stated above, compute it from the cited line items: {how}."


def notes(query: str, aligned, citations, asked, years, computed=None) -> str:
    """What the answer leaves to arithmetic: a computed metric worked out from its cited rows;
    else its first cited figure in the unit the question asks for, and what a computed
    metric is made of."""
    marker = {c.chunk_id: c.marker for c in citations}
    if computed is not None:  # each row's marker is that of the passage its sentence was checked against
        row_marker = {a.sentence: marker.get(a.hit.chunk.id) for a in aligned if a.hit is not None}
        return describe(computed, lambda f: row_marker.get(f.row) or marker.get(f.hit.chunk.id))
    quoted = [(marker[a.hit.chunk.id], a.sentence) for a in aligned if a.hit is not None]
    return " ".join(n for n in (unit_note(query, quoted, years), computation_note(asked)) if n)
