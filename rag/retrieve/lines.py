"""What a passage's lines are, before any is scored: prose or a table's debris, markdown to
strip, and a list introduction to read with its items' labels. Pure text functions that
key sentences (``rag.retrieve.sentences``) and passage widening (``rag.retrieve.passages``)
share."""

from __future__ import annotations

import re

from rag.text import STOPWORDS, split_sentences

MAX_CHARS = 600  # a key sentence's most characters: a longer one is a run-on of table cells or a list
# Captions and table-of-contents lines name a topic without saying anything about it; a
# sentence ending in ":" only introduces the list that holds the content.
CAPTION = re.compile(r"^(?:Table|Figure|Fig\.)\s*\d+\s*[|:.]|^\d+(?:\.\d+)*\s+\d+(?:\.\d+)+\s")


def prose_share(sentence: str) -> float:
    """Share of whitespace-separated pieces that are words: of 3+ letters, or a stop word
    ("There were no sales in 2030 or 2031." is prose, however short its words).

    >>> prose_share("Revenue was $44.1 billion."), prose_share("55.0 74.7 43.0 ZORB 63.2")
    (0.75, 0.2)
    >>> prose_share("There were no sales in 2030 or 2031.")
    0.75
    """
    pieces = sentence.split()
    return sum(bool(re.search(r"[A-Za-z]{3}", p)) or p.lower() in STOPWORDS for p in pieces) / max(1, len(pieces))


_LISTED = re.compile(r"([^\n]*?:)[ \t]*\n((?:[ \t]*[•▪●◦*-][ \t]*[^\n]*(?:\n|$)(?:(?![ \t]*[•▪●◦*-])[^\n]+(?:\n|$))*)+)")
_BULLET = re.compile(r"^[ \t]*[•▪●◦*-][ \t]*", re.M)
_LABEL = re.compile(r"^[ \t]*[•▪●◦*-][ \t]*([^:\n]{2,60}):", re.M)


def listed(text: str) -> list[tuple[int, int, str]]:
    r"""A list's introduction with the labels of its items, with where in ``text`` the lines
    it restates start and end: "…two kinds of losses:" says what kind only with "Span loss"
    and "Tag loss", which open the bullets below it. For a list whose every item opens with
    a "Label:" (it restates the introduction); a short list of short items (reasons, steps)
    is read whole, items and all: "…lower for the following reasons:" says nothing without
    them, and an item alone tells one reason of several.

    >>> listed("Zeta uses two\nlosses:\n• Span loss: it scores spans.\n• Tag loss: it scores\ntags.\nNext.")
    [(0, 21, 'Zeta uses two losses: Span loss; Tag loss.')]
    >>> listed("Revenue is lower for these reasons:\n- prices are lower,\n- some use is free.")
    [(0, 75, 'Revenue is lower for these reasons: prices are lower; some use is free.')]
    >>> listed("Steps:\n- first do this\n- then that")  # an introduction of one word says nothing
    []
    """
    out = []
    for m in _LISTED.finditer(text):
        labels = _LABEL.findall(m.group(2))
        start = max(0, m.start(1) - MAX_CHARS)
        before = split_sentences(text[start:m.end(1)])  # the intro may span lines
        intro = before[-1] if before else ""
        whole = [" ".join(x.split()).rstrip(",;.") for x in _BULLET.split(m.group(2))[1:]]  # each item, whole
        if intro and len(labels) == len(whole) >= 2:
            named, end = labels, m.end(1)
        elif intro and len(re.findall(r"[A-Za-z]{3,}", intro)) >= 3 and 2 <= len(whole) <= SHORT_LIST \
                and all(len(x) <= SHORT_ITEM for x in whole):
            named, end = whole, m.end()
        else:
            continue
        at = text.rfind(intro, start, m.end(1))
        out.append((max(at, 0), end, f"{' '.join(intro.split())} {'; '.join(' '.join(x.split()) for x in named)}."))
    return out


SHORT_LIST, SHORT_ITEM = 5, 120  # a list read whole: a few items of a clause each


def plain(sentence: str) -> str:
    """A README sentence without its markdown or HTML: link targets, tags and emphasis marks
    are noise to the scorer (a URL's words count as coverage) and to the reader of an answer.

    >>> plain("We end up with **12.5M** pages, see [the paper](https://example.org/1).")
    'We end up with 12.5M pages, see the paper.'
    >>> plain('Read <a href="https://example.org/2"><b>the Zeta report</b></a> first.')
    'Read the Zeta report first.'
    """
    sentence = re.sub(r"!?\[([^\]]*)\]\([^)\s]*\)", r"\1", sentence)
    sentence = _TAG.sub("", sentence)
    return re.sub(r"(\*\*|__|`)", "", sentence)


# A line that is a link and nothing else (a README's "<a href=…>Paper title</a>") names a
# document; it states nothing, yet its title shares every word of a question about it.
LINK_ONLY = re.compile(r"^\W*(?:<a\b[^>]*>(?:(?!</?a\b).)*</a>|!?\[[^\]]*\]\([^)]*\))\W*$", re.S)
# The tags a README wraps text in; "--model <name>" keeps its placeholder.
_TAG = re.compile(r"</?(?:a|b|i|em|strong|img|br|p|span|div|sup|sub|code|h[1-6]|center|font)\b[^<>]*>", re.I)
