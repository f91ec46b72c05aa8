"""What a question asks, apart from how it is asked.

Analysts write questions with a role ("Assume that you are a public equities analyst."),
instructions ("Answer in USD millions. Round your answer to two decimal places."), the
statement to use ("…by relying on the details shown in the cash flow statement") and
definitions ("ROA is defined as: net income / average total assets"). None of that is the
subject: judged on the whole text, such a question covers little of any passage and is
refused. ``parse`` keeps the asking part (``core``) apart from the rest, so the refusal
gate judges the subject and the quantity asked for, retrieval still reads the statement
and line items named, and a ratio question can cite the line items it needs.
``question_parts`` splits a many-part question into its sub-questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text import split_sentences


@dataclass(frozen=True)
class Question:
    text: str  # as asked
    core: str  # the asking sentences, without role, instructions, units or definitions
    asked: str = ""  # the core with its lead-ins kept ("According to the 10-K, …": where to look)
    definitions: tuple[str, ...] = ()  # "ROA is defined as: …" (what a computed figure is made of)
    statements: tuple[str, ...] = ()  # the financial statements the asker points at
    computed: bool = False  # a ratio, margin, average or change: arithmetic over line items

    @property
    def retrieval_query(self) -> str:
        """The core plus what names where the answer lives: the statements and the line
        items of the definitions (the words a filing's tables use)."""
        extra = " ".join(self.statements + self.definitions)
        return f"{self.asked or self.core} {extra}".strip()


# Whole sentences that set a role or give instructions ("Answer in USD billions.").
_BOILERPLATE = re.compile(
    r"^(?:assume|imagine|pretend|suppose you|you are|act as|as an? \w+ analyst|respond|give a response|give your|"
    r"answer(?! the question)|answer the (?:following )?question by|round|please|calculate|compute|use |using |"
    r"bas(?:e|ing) your|rely|relying|utiliz|we (?:want|need)|here'?s the question|provide|show your|"
    r"address the question|if (?:the )?[\w &/%-]{2,60} (?:is|are) not (?:a |an )?(?:useful|relevant|meaningful|"
    r"something)|if [\w &/%-]{2,60} (?:is|are) not explicitly)", re.I)
# A leading clause that only says where to look: "Using only the balance sheet, how much…".
_LEAD = re.compile(r"^(?:according to|based on|basing your|by drawing|by primarily|by relying|when (?:primarily )?"
                   r"referencing|using only|using the|looking at|from the|with reference to|by using)\b[^,:?]{0,200}[,:]\s*",
                   re.I)
_ASKS = re.compile(r"^(?:what|how|which|who|when|where|why|is|are|does|did|do|was|were|has|have|can)\b", re.I)
_DEFINITION = re.compile(r"\b(?:is|are) (?:here )?defined as\b|^define\b|\bhere is defined\b|^\w[\w &/-]{0,40} = ", re.I)
_UNITS = re.compile(r"\s*\((?:in )?(?:usd|us\$|\$)? ?(?:millions|billions|thousands|percent(?:s|age)?)\)|"
                    r"\s*\bin (?:usd|us\$) ?(?:millions|billions|thousands)\b|\s*\bin units of \w+\b", re.I)
_STATEMENTS = re.compile(r"\b(?:balance sheet|statement of financial position|cash flow statement|statement of cash "
                         r"flows|income statement|statement of income|statement of operations|p&l(?: statement)?|"
                         r"statement of (?:comprehensive )?income)\b", re.I)
# An analyst's metric, which a filing rarely states: its value is arithmetic over line items.
_COMPUTED = re.compile(r"\b(?:\w+ ratio|turnover|return on (?:assets|equity|invested capital)|roa|roe|roic|cagr|"
                       r"conversion cycle|days \w+ outstanding|(?:3|three|two|five)[- ]year average|as a % of|"
                       r"% margin|ebitda)\b", re.I)


def parse(question: str) -> Question:
    """The question's parts.

    >>> q = parse("Imagine you are a credit analyst. Answer the question by reading only the balance sheet: "
    ...           "how much cash did Acme hold at the end of FY2030? Answer in USD billions.")
    >>> q.core, q.statements
    ('How much cash did Acme hold at the end of FY2030?', ('balance sheet',))
    >>> q = parse("What is the FY2017 return on assets (ROA) for Acme? ROA is defined as: FY2017 net income / "
    ...           "(average total assets between FY2016 and FY2017). Round your answer to two decimal places.")
    >>> q.core, q.definitions, q.computed
    ('What is the FY2017 return on assets (ROA) for Acme?', ('FY2017 net income / (average total assets between FY2016 and FY2017)',), True)
    >>> parse("What is the capital expenditure amount (in USD millions) for Acme?").core
    'What is the capital expenditure amount for Acme?'
    >>> parse("How many GPUs were used?").core
    'How many GPUs were used?'
    """
    text = " ".join(question.split())
    # A sentence of instructions may end in a colon that opens the real question.
    pieces = [p for s in split_sentences(text) for p in re.split(r":\s+(?=(?:what|how|which|is|are|does|did|was|were|"
                                                                  r"can|who|when|why)\b)", s, flags=re.I)]
    core, asked, definitions = [], [], []
    for piece in pieces:
        piece = piece.strip()
        if _DEFINITION.search(piece):
            definitions.append(_definition_body(piece))
            continue
        bare = _LEAD.sub("", piece)
        if _BOILERPLATE.match(bare) and not _ASKS.match(bare):
            continue
        bare, piece = _UNITS.sub("", bare).strip(), _UNITS.sub("", piece).strip()
        if bare:
            core.append(bare[0].upper() + bare[1:] if bare[0].islower() and not core else bare)
            asked.append(piece if _BOILERPLATE.match(piece) is None else bare)
    core_text = " ".join(core) or text
    statements = tuple(dict.fromkeys(m.group(0).lower() for m in _STATEMENTS.finditer(text)))
    computed = bool(definitions) or bool(_COMPUTED.search(core_text))
    return Question(question, core_text, " ".join(asked) or text, tuple(definitions), statements, computed)


# Periods are judged by the period checks, not by word coverage: "FY2023" is never written
# in a filing, which says "fiscal 2023".
_PERIOD = re.compile(r"\bFY\s?'?\d{2,4}(?:\s?Q[1-4])?\b|\bQ[1-4](?:\s?'?\d{2,4})?\b|\b[1-4]Q\d\d\b|\bH[12]\b|"
                     r"\b\d{1,2}(?:st|nd|rd|th)\b|\b(?:10-?[KQ]|8-?K)\b", re.I)  # and forms: the hints judge them


def subjects(question: Question) -> list[str]:
    """What the coverage test judges, each on its own: the core without its periods, and
    the line items of its definitions (a computed metric's name is rarely a filing's words).

    >>> subjects(parse("What is the FY2022 EBITDA margin for Acme? EBITDA is defined as: operating income + D&A."))
    ['What is the EBITDA margin for Acme?', 'operating income + D&A']
    """
    core = " ".join(_PERIOD.sub(" ", question.core).split()).replace(" ?", "?")
    return [core] + (["; ".join(question.definitions)] if question.definitions else [])


def _definition_body(sentence: str) -> str:
    """ "ROA is defined as: a / b." → "a / b" (the line items, not the name being defined)."""
    m = re.search(r"defined as:?\s*(.+)|^define\s+.+?\s+as\s+(.+)", sentence, re.I)
    body = (m.group(1) or m.group(2)) if m else sentence
    return body.strip().rstrip(".")


def question_parts(query: str, names: Sequence[str] = (), tails: bool = False) -> list[str]:
    """The sub-questions of a many-part question: split at "?", at ", and <wh-word>" (", and
    on what terms?" too), at ", and did / is / has …", after a statement that a question
    follows ("A report said … . What does …?"), at "<Name> and <Name>" or "<Name> than
    <Name>" (one sub-question per name), at one preposition twice ("for X versus for Y", "of X and of Y"), at "both X
    and Y", and at "between <dated period> and <dated period>" (a quarter or a date on each
    side: "between 2029 and 2031" is a range, not two periods). Splits once per piece. With
    ``tails``, a piece after a "?" that asks nothing (a follow-up's carried subject, which
    every part shares) is left out, so it is not taken for a subject compared with another.

    Each part gets its own best sentence, so "what was the mix, and how many tokens in
    total?" is not answered twice about the mix and never about the total, and "on
    AlphaBench and Beta-QA" gets a score for each.

    >>> question_parts("Which chips trained Model-X and how long did that take?")
    ['Which chips trained Model-X', 'how long did that take?']
    >>> question_parts("How does Model-X score on the AlphaBench and Beta-QA suites?")
    ['How does Model-X score on the AlphaBench suites?', 'How does Model-X score on the Beta-QA suites?']
    >>> question_parts("How much larger is Acme-2 than Acme-1?")
    ['How much larger is Acme-2?', 'How much larger is Acme-1?']
    >>> question_parts("What were Acme's and Zeta's 2030 sales?", names=["Acme", "Zeta"])
    ["What were Acme's 2030 sales?", "What were Zeta's 2030 sales?"]
    >>> question_parts("How does Model-X read tables for search versus for summaries?")
    ['How does Model-X read tables for search?', 'How does Model-X read tables for summaries?']
    >>> question_parts("Who were both the largest buyer and the biggest seller?")
    ['Who were the largest buyer?', 'Who were the biggest seller?']
    >>> question_parts("How did sales change between the quarter ended May 2, 2030 and the one ended May 1, 2031?")
    ['How did sales change in the quarter ended May 2, 2030?', 'How did sales change in the one ended May 1, 2031?']
    >>> question_parts("How many leases end between fiscal 2030 and 2032?"), question_parts("Is the trade-off between speed and cost shown?")
    (['How many leases end between fiscal 2030 and 2032?'], ['Is the trade-off between speed and cost shown?'])
    >>> question_parts("Was the permit granted, and on what terms?")
    ['Was the permit granted', 'on what terms?']
    >>> question_parts("A report said Acme spent $9 billion. What do its own filings show?")
    ['A report said Acme spent $9 billion.', 'What do its own filings show?']
    >>> question_parts("How much did Acme Inc. Do its rivals spend more?"), question_parts("Is glass, and can safer?")
    (['How much did Acme Inc. Do its rivals spend more?'], ['Is glass, and can safer?'])
    >>> question_parts("How much did Acme spend, and did Zeta spend anything?")
    ['How much did Acme spend', 'did Zeta spend anything?']
    >>> question_parts("What were Research and Development expenses?")
    ['What were Research and Development expenses?']
    >>> question_parts("What is MLA?")
    ['What is MLA?']
    >>> question_parts("And the gross margin? Acme FY2030 sales", tails=True)
    ['And the gross margin?']
    """
    pieces = []
    for piece in (p.strip(" ,;") for p in _PART.split(query.strip())):
        # A tail that asks nothing ("… net revenue? Acme FY2030": a follow-up's carried subject) is no part.
        if not (tails and pieces and pieces[-1].endswith("?") and not piece.endswith("?") and not _ASKING.match(piece)):
            pieces.append(piece)
    pieces = [r for p in pieces for q in _per_name(p, names) for r in _per_phrase(q)]
    return [p for p in pieces if len(re.findall(r"[A-Za-z]{3,}", p)) >= 2] or [query.strip()]


def rejoin(parts: Sequence[str]) -> str:
    """Parts as one question again, each ending in "?" (a statement keeps its full stop), so
    ``question_parts`` finds them again (joined by a space alone, "…in Q3 2030" + "did Zeta
    buy any?" would read as one part).

    >>> rejoin(["How much did Acme spend", "did Zeta spend anything?"])
    'How much did Acme spend? did Zeta spend anything?'
    >>> question_parts(rejoin(["How much did Acme spend", "did Zeta spend anything?"]))
    ['How much did Acme spend?', 'did Zeta spend anything?']
    """
    return " ".join(p if p.rstrip()[-1:] in "?." else f"{p.rstrip(' ,;')}?" for p in parts)


_ASKING = re.compile(r"(?:how|what|which|why|where|when|who|whether|is|are|was|were|do|does|did|can|could|and|also|"
                   r"list|name|give|explain|describe|compare|tell)\b", re.I)
# A statement before the question ("A report said… . What does…?"), not after an abbreviation ("Acme Inc. Do…").
_ABBREVIATION = r"(?<!\bInc\.)(?<!\bCorp\.)(?<!\bCo\.)(?<!\bLtd\.)(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bvs\.)(?<!\bNo\.)(?<!\bSt\.)"
_PART = re.compile(
    r"(?<=\?)\s+"
    r"|(?<=[a-z0-9%)]\.)" + _ABBREVIATION + r"\s+(?=(?-i:What|How|Which|Who|When|Where|Why|Does|Did|Do|Is|Are|Was|Were)\b)"
    r"|,?\s+and\s+(?=(?:(?:on|in|at|for|by|with|from|to|under)\s+)?(?:how|what|which|why|where|when|who|whether)\b)"
    r"|,\s+and\s+(?=(?:did|does|do|is|are|was|were|has|have|had|could|would)\s)",  # ", and did Zeta…?" ("can": a noun too)
    re.I)
_NAME = r"[A-Z][\w.-]*[A-Za-z0-9](?:\s[A-Z][\w.-]*[A-Za-z0-9])*"
_NAMES = re.compile(rf"(?<!^)\b({_NAME}(?:['’]s)?) (?:and|than|versus|vs\.?|against|compared (?:with|to)) (?:the )?"
                    rf"({_NAME}(?:['’]s)?)(?![\w-])")


# "for understanding versus for generation", "in Europe and in Asia": one preposition twice.
_PHRASES = re.compile(r"\b(for|in|on|of|with|to|from|at) ([^?,;]+?) (?:versus|vs\.?|as opposed to|compared (?:with|to)|and|or) "
                      r"\1 ([^?;]+?)(?=[?,;.]|$)|\b(both|between) ([^?;]+?) and ([^?;]+?)(?=[?;]|\.(?:\s|$)|$)", re.I)


_DATED = re.compile(r"\b(?:quarter|Q[1-4]|half|H[12]|month|(?:January|February|March|April|May|June|July|August|"
                    r"September|October|November|December)\s+\d{1,2},?)\b.*\b(?:19|20)\d\d\b|"
                    r"\b(?:Q[1-4]|H[12])\s*(?:FY\s?)?(?:19|20)?\d\d\b", re.I)


def _per_phrase(part: str) -> list[str]:
    m = _PHRASES.search(part)
    if not m:
        return [part]
    if m.group(4):  # "both the largest X and the biggest Y": each alone; "between X and Y": in each
        between = m.group(4).lower() == "between"
        if between and not all(_DATED.search(phrase) for phrase in (m.group(5), m.group(6))):
            return [part]  # a range ("between 2029 and 2031", "between speed and cost"), not two periods
        lead = "in " if between else ""
        return [f"{part[:m.start()]}{lead}{phrase}{part[m.end():]}" for phrase in (m.group(5), m.group(6))]
    return [f"{part[:m.start()]}{m.group(1)} {phrase}{part[m.end():]}" for phrase in (m.group(2), m.group(3))]


def _per_name(part: str, names: Sequence[str] = ()) -> list[str]:
    m = _NAMES.search(part)
    # Names of models, benchmarks or firms ("Zorblax-3", "AlphaBench", "ACME", a company of
    # the index), not a line item in title case ("Research and Development").
    bare = [re.sub(r"['’]s$", "", n) for n in m.groups()] if m else []
    if not m or not all(re.search(r"[0-9-]|[a-z][A-Z]|^[A-Z]{2,}", n) or n in names for n in bare):
        return [part]
    return [part[:m.start()] + name + part[m.end():] for name in m.groups()]
