"""The one text module: tokens, stop words and sentences, shared by retrieval, citing and evals.

The lexical index stores each passage's token set (``rag.retrieve.bm25``) with a
fingerprint of ``STOPWORDS`` and ``tokens``, so editing either here rebuilds those sets
instead of silently mismatching them.
"""

from __future__ import annotations

import re

STOPWORDS = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
only or other our out over own same she should so some such than that the their them then there these they this
those through to too under until up very was we were what when where which while who whom why will with would you
your yours s t don per via according reportedly said says say many much tell give describe explain show
whose use used using get got lay lays laid outline outlines mention mentions discuss discusses""".split())
# A sentence ends at . ! ? (plus closing quotes) before whitespace ("1.8" and "U.S." do
# not end one), at a blank line, or at a line break before a table row, bullet or heading.
# A single line break alone does not: PDF text breaks lines mid-sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b[A-Z]\.)[\"'”’)\]]*\s+|\n\s*\n\s*|\n(?=\s*(?:[-*•#]|\d+\.\s|.*\s\|\s))")
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,]\d+)*")


def split_sentences(text: str) -> list[str]:
    """Sentences of an answer or passage (decimals like ``1.8`` do not end a sentence).

    >>> split_sentences("It was 1.8 times\\nfaster. Really! Done")
    ['It was 1.8 times\\nfaster.', 'Really!', 'Done']
    >>> split_sentences("Revenue | $44 | $26\\nNet income | $18 | $14\\n\\nNext paragraph")
    ['Revenue | $44 | $26', 'Net income | $18 | $14', 'Next paragraph']
    """
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append(text[start:m.start() + len(m.group(0).rstrip())])
        start = m.end()
    out.append(text[start:])
    return [s.strip() for s in out if len(s.strip()) > 1]


def tokens(text: str) -> list[str]:
    """Lower-case, stemmed content tokens; numbers lose thousands separators ("4,635" → "4635").

    >>> tokens("The $80 billion, 4,635 chunks and 1.8x of it produces")
    ['80', 'billion', '4635', 'chunk', '1.8', 'produc']
    """
    out = []
    for tok in _TOKEN.findall(text.lower().replace("’", "'")):
        tok = re.sub(r"(?<=\d),(?=\d{3})", "", tok)
        if tok not in STOPWORDS and (len(tok) > 1 or tok.isdigit()):
            out.append(tok)
    return [t if is_number(t) else _stem(t) for t in out]


def _stem(word: str) -> str:
    return _STEMMER.stemWord(word) if _STEMMER else word


try:  # the same Snowball stemmer BM25 uses: "produces" and "produce" are one word
    import Stemmer

    _STEMMER = Stemmer.Stemmer("english")
except ImportError:  # pragma: no cover - PyStemmer is a dependency; degrade to exact words
    _STEMMER = None


def is_number(tok: str) -> bool:
    return any(ch.isdigit() for ch in tok)


# A sentence end: not "U.S." or "e.g." (a capital or lower-case letter before the dot), nor a
# list marker ("1. ").
SENTENCE_DONE = re.compile(r"(?<=[.!?])(?<!\b[A-Za-z]\.)(?<!\b\d\.)[\"')\]]*\s")
