"""Follow-ups: a question that leans on the conversation gets its subject from it.

A question stands alone when it names its own subject (a company, a model, a document)
and asks something about it. A follow-up lacks one of the two, and the earlier turns
supply it: "What about the active ones?" has no name, "And Zeta?" nothing to ask,
"And in Q2?" neither. No pronoun list decides this: "What is its revenue?" and "Active
parameters?" are follow-ups for the same reason (no name), and "Why did Acme's stock
fall?" stands alone whatever pronoun it holds. A period the follow-up gives ("And the
year before?", "What about 2023?") replaces the earlier turn's, so the period checks
and the period boosts read the asked period, not both.

The resolved query is the follow-up, then what it takes from the earlier turns, newest
first. A follow-up that asks its own thing in three words or more ("What about its net
operating income?") takes only their subject: names and periods (``subject_of``), because the earlier ask ("revenue")
would pull passages and key sentences back to the answered question (measured on
evals/followups: correctness 0.24 → 0.36 on ours, 0.00 → 0.25 on FinanceBench). One that
asks nothing of its own ("And in Q2?", "Why?", "How does that compare with Zeta?") takes
the earlier questions whole. The page says "searched as a follow-up".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.periods import QUARTER, WHOLE_YEAR, YEAR, anchored, in_period, one_of, shift_period
from rag.retrieve.hints import MONTHS
from rag.text import STOPWORDS, tokens

MAX_CHARS = 2000  # a resolved query stays within the question limit, however long the history
MAX_TURNS = 10  # earlier user turns a follow-up may lean on

# Capitalized words and model-like tokens ("V3", "X200", "Acme-R1", "Acme's").
_WORD = re.compile(r"[A-Za-z][\w&.-]*[A-Za-z0-9]|[A-Za-z]\d+|\b\d+[A-Za-z][\w&-]*")
_QUESTION_WORDS = frozenset("""what how when where which who whom whose why is are was were do does did can could
would should will has have had and but or so also then tell give show explain describe list compare summarize
please ok okay thanks thank yes no""".split())
_PERIOD_WORD = re.compile(r"^(?:FY\w*|Q[1-4]\w*|H[12]|[1-4]Q\w*|\d+(?:st|nd|rd|th|s)?|" + "|".join(MONTHS) + ")$", re.I)
# Words that relate a follow-up to the earlier turn, not a subject of their own.
_RELATION = frozenset("""compare compared comparison versus vs differ different difference same instead else too
another other year quarter month period before after earlier later previous prior next following last""".split())
# "What is MLA?" asks what a name is; "What about MLA?" asks nothing of its own.
_DEFINES = re.compile(r"^\s*(?:what|who)(?:'s| is| are| was| were)\b", re.I)
_KINDS = re.compile(r"^[A-Z]{2,}s$")  # "GPUs", "LLMs": a kind of thing, which no document is about
COMPARES = re.compile(r"\b(compare[ds]?|comparison|versus|vs\.?|differ\w*)\b", re.I)
def names(question: str, common: Callable[[str], bool] | None = None) -> list[str]:
    """The names a question gives: capitalized or model-like words that are neither
    question words, periods, nor (``common(word)``) words the sources write in lower case.

    >>> names("What about its active parameters?")
    []
    >>> names("How does that compare with Zeta?")
    ['Zeta']
    >>> names("Why did Acme's V3 model cost less than 3M's?")
    ['Acme', 'V3', '3M']
    >>> names("Which GPUs and TPUs trained Acme-7B?")  # a plural acronym is a kind of thing, not a name
    ['Acme-7B']
    """
    out = []
    for m in _WORD.finditer(question):
        word = re.sub(r"['’]s$", "", m.group(0)).rstrip(".")
        if not (word[0].isupper() or any(c.isdigit() for c in word)) or _PERIOD_WORD.match(word) or _KINDS.match(word):
            continue
        if word.lower() in _QUESTION_WORDS or word.lower() in STOPWORDS or (common and common(word)):
            continue
        out.append(word)
    return list(dict.fromkeys(out))


def own_words(question: str, common: Callable[[str], bool] | None = None,
              subject: Callable[[str], bool] | None = None) -> str:
    """What a question asks in words of its own: no names, periods, stop or relation words.
    A first word capitalized only because it opens the question ("Total revenue for the
    year?") is a word of its own unless ``subject`` says it names what a document is about.

    >>> own_words("What about its active parameters?")
    'active parameters'
    >>> own_words("And the year before?")
    ''
    >>> own_words("Total sales for the full year?", subject=lambda w: False)
    'Total sales full'
    """
    first = question.lstrip()
    skip = {t for n in names(question, common)
            if not (subject and first.startswith(n) and n[1:].islower() and not subject(n)) for t in tokens(n)}
    words = [w for w in re.findall(r"[A-Za-z][\w-]*", question) if w.lower() not in STOPWORDS
             and w.lower() not in _QUESTION_WORDS and w.lower() not in _RELATION and not _PERIOD_WORD.match(w)
             and not set(tokens(w)) & skip]
    return " ".join(words)


def stands_alone(question: str, common: Callable[[str], bool] | None = None,
                 subject: Callable[[str], bool] | None = None) -> bool:
    """Whether a question names its subject and asks something of it. A comparison with one
    name ("How does that compare with Acme?") compares with the earlier turn's subject, and
    a relative period ("the year before") counts from the earlier turn's. ``subject(name)``
    says which names are what documents are about (``HybridRetriever.subject_word``): "BF16"
    is a name, but "What does BF16 inference need?" asks about the earlier turn's model.

    >>> stands_alone("How many parameters does Acme-7B have?"), stands_alone("And Acme-9B?")
    (True, False)
    >>> stands_alone("What is its revenue?"), stands_alone("How does that compare with Acme?")
    (False, False)
    >>> stands_alone("What is MLA?"), stands_alone("What about MLA?")
    (True, False)
    """
    if anchored(question):
        return False
    given = [n for n in names(question, common) if subject is None or subject(n)]
    if not given or not (own_words(question, common) or _DEFINES.match(question)):
        return False
    compares = bool(COMPARES.search(question))
    return not (compares and len(given) == 1)


def resolve(question: str, history: Sequence[dict] | None, common: Callable[[str], bool] | None = None,
            subject: Callable[[str], bool] | None = None) -> str:
    """The standalone query for ``question``: itself when it stands alone, else this one,
    then the follow-ups before it and the conversation's last standalone question.

    >>> resolve("And in Q2?", [{"role": "user", "content": "What were Acme's Q1 2024 sales?"}])
    "And in Q2? What were Acme's Q2 2024 sales?"
    >>> resolve("Why?", [{"role": "user", "content": "Did Acme-7B beat Acme-5B?"},
    ...                  {"role": "user", "content": "What about Acme-9B?"}])
    'Why? What about Acme-9B? Did Acme-7B beat Acme-5B?'
    >>> resolve("What is MLA?", [{"role": "user", "content": "Tell me about V2"}])
    'What is MLA?'
    >>> resolve("What about its net operating income?", [{"role": "user", "content": "What was Acme's 2024 revenue?"}])
    'What about its net operating income? Acme 2024'
    """
    asked = [str(t["content"]).strip()[:MAX_CHARS] for t in history or ()
             if t.get("role") == "user" and str(t.get("content") or "").strip()]
    pieces: list[str] = []
    # The last turns only, each within the question limit: a long history costs no more than
    # a few questions (every turn's names are looked up in the corpus).
    asked = asked[-MAX_TURNS:]
    named_years = [y for t in asked for y in YEAR.findall(t)]
    for turn in asked + [question.strip()]:
        if not pieces or stands_alone(turn, common, subject):
            pieces = [turn]
            continue
        own = len(own_words(turn, common, subject).split()) > _ELLIPTICAL  # an ask of its own
        # "Total revenue for the full year?" after a quarter: the year carries over, the quarter does not.
        whole = bool(WHOLE_YEAR.search(turn))
        # "What does its 10-K for the more recent of those years say?": one of the years named.
        chosen = one_of(turn, named_years)
        if [n for n in names(turn, common) if subject is None or subject(n)] and (COMPARES.search(turn) or not own):
            # "…compare with Acme's 2030?", "And Acme?": the earlier ask, in a period counted from it.
            pieces = [shift_period(p, turn) if anchored(turn) else p for p in pieces] + [turn]
        elif own:  # the earlier subject carries over
            # A year of its own ("What about fiscal 2024 as a whole?") replaces the earlier periods;
            # a quarter alone ("in Q2") keeps the earlier year, with the quarter shifted.
            dated = not anchored(turn) and bool(_A_YEAR.search(turn))
            carried = [subject_of(shift_period(p, turn), common, subject, periods=not (dated or chosen),
                                  quarters=not whole) for p in pieces]
            pieces = [p for p in carried if p] + ([chosen] if chosen else []) + [turn]
        else:  # the earlier subject, in the period this turn asks about ("And for the full year?")
            pieces = [in_period(shift_period(p, turn), chosen, whole) for p in pieces] + [turn]
    said = [str(t.get("content") or "")[:MAX_CHARS] for t in (history or ())[-2 * MAX_TURNS:]]
    if full := completed(question, said):
        pieces[-1] = f"{pieces[-1]} {full}"
    while len(pieces) > 2 and len(" ".join(pieces)) > MAX_CHARS:
        del pieces[1]  # the subject and the latest ask matter; the turns between them least
    if len(pieces) > 1 and len(" ".join(pieces)) > MAX_CHARS:  # a very long earlier turn gives way
        pieces[0] = pieces[0][:max(0, MAX_CHARS - len(pieces[-1]) - 1)]
    return " ".join(reversed(pieces)).strip()[:MAX_CHARS]


def completed(question: str, said: Sequence[str]) -> str:
    """The full names a question calls by a later part of them ("the Zero variant" for
    Acme-R1-Zero, "the Pro model" for Zeta-Pro), as the conversation (``said``: its turns, the
    assistant's too) last wrote them; "" when it calls none so.

    >>> completed("Back to the Zero variant: what did it cost?", ["Acme-R1 and Acme-R1-Zero were trained…"])
    'Acme-R1-Zero'
    >>> completed("And the Acme model?", ["Acme-R1 was trained…"])
    ''
    """
    found = []
    for name in re.findall(r"\b(?i:the) ([A-Z][a-z]+) (?i:variant|version|model|edition|release|checkpoint|one)s?\b",
                           question):
        for text in reversed(said):  # the latest mention
            full = re.findall(rf"(?<![\w-])[A-Z0-9][\w.]*(?:-[\w.]+)*-{re.escape(name)}(?:-[\w.]+)*(?![\w-])", text)
            if full:
                found.append(full[-1].rstrip("."))
                break
    return " ".join(dict.fromkeys(found))


# A follow-up of one or two words of its own ("And the active ones?", "The cash proceeds?") leans
# on the earlier ask too. Measured on evals/followups: 0 and 2 give the same on both sets.
_ELLIPTICAL = 2
# Any year a turn names, "Q2 2030" too (``YEAR`` skips a year after a number, for shifting).
_A_YEAR = re.compile(r"(?<![\d,.$])\b(?:FY\s?|fiscal(?: year)?\s)?'?(?:19|20)\d\d\b(?![\d%])", re.I)


def subject_of(question: str, common: Callable[[str], bool] | None = None,
               subject: Callable[[str], bool] | None = None, periods: bool = True, quarters: bool = True) -> str:
    """What an earlier turn gives a follow-up that asks its own thing: its names, with the
    capitalized words they are written with ("General Mills", although "General" alone is a
    common word), and its periods, in the order the turn gives them.

    >>> subject_of("What was Acme Foods's revenue in fiscal 2024?", lambda w: w == "Acme")
    'Acme Foods fiscal 2024'
    >>> subject_of("Starting in 2025, which Zeta segment is sold?")
    '2025 Zeta'
    >>> subject_of("What were Zeta's Q2 2025 sales at ZetaAI?", periods=False)
    'Zeta ZetaAI'
    >>> subject_of("What were Zeta's Q2 2025 sales?", quarters=False)
    'Zeta 2025'

    """
    found = [(m.start(), m.end(), m.group(0)) for m in _A_YEAR.finditer(question)] if periods else []
    # What the turn gave was a period the follow-up replaces ("And in 2023?"): nothing carries over.
    dropped = bool(not periods and (_A_YEAR.search(question) or QUARTER.search(question))
                   or not quarters and QUARTER.search(question))
    found += [(m.start(), m.end(), m.group(0)) for m in QUARTER.finditer(question)] if periods and quarters else []
    for name in names(question, common):
        if question.lstrip().startswith(name) and name[1:].islower() and not (subject and subject(name)):
            continue  # capitalized as the turn's first word ("Starting August 1, …"), not as a name
        m = re.search(rf"(?:\b[A-Z][\w&.-]*\s+)*(?<![\w&-]){re.escape(name)}(?![\w&-])(?:\s+[A-Z][\w&.-]*)*", question)
        if m:
            words = m.group(0).split()
            while words[0] != name and words[0].lower() in _QUESTION_WORDS | STOPWORDS:
                words = words[1:]
            found.append((m.end() - len(" ".join(words)), m.end(), re.sub(r"['’]s$", "", " ".join(words))))
    kept, end = [], -1
    for start, stop, text in sorted(found, key=lambda f: (f[0], -f[1])):
        if start >= end:  # a quarter inside "Acme Q2" is said once
            kept.append(text)
            end = stop
    return " ".join(dict.fromkeys(kept)) or ("" if dropped else question)


