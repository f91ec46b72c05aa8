"""Follow-up resolution (pure): which turns stand alone, what a follow-up carries, and periods."""

from __future__ import annotations

from rag.followup import MAX_CHARS, anchored, resolve, stands_alone

SUBJECTS = {"acme", "zeta", "v3", "v2"}  # what the documents are about (their titles' words)


def subject(word: str) -> bool:
    return word.lower() in SUBJECTS


def turns(*questions: str) -> list[dict]:
    out = []
    for q in questions:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": "An answer. [1]"}]
    return out


def test_the_issue_forms_are_follow_ups_without_any_pronoun_rule():
    for question in ("And in Q2?", "How does that compare with Zeta?", "What about its active parameters?", "Why?",
                     "Active parameters?", "Payload per drone?", "And the year before?"):
        assert not stands_alone(question, subject=subject), question
    for question in ("What was Zeta's revenue in 2030?", "Why did Acme's shares fall in 2030?", "What is V2?"):
        assert stands_alone(question, subject=subject), question


def test_a_follow_up_carries_the_subject_two_and_three_turns_deep():
    history = turns("How many parameters does V3 have?")
    # It asks its own thing: the earlier subject carries over, not the earlier ask.
    assert resolve("What about its active parameters?", history, subject=subject).endswith("does V3 have?")  # elliptical
    assert resolve("What about its expert routing layers?", history, subject=subject) == \
        "What about its expert routing layers? V3"
    two = resolve("And its gross operating margin in Q2?",
                  turns("What were Acme Foods' Q1 2030 sales?", "Who runs its retail stores?"),
                  common=lambda w: w == "Foods", subject=subject)
    assert two == "And its gross operating margin in Q2? Who runs its retail stores? Acme Foods Q2 2030"
    deep = resolve("Why?", turns("How many parameters does V3 have?", "And the active ones?"), subject=subject)
    assert deep == "Why? And the active ones? How many parameters does V3 have?"


def test_a_new_subject_starts_over():
    history = turns("How many parameters does V3 have?", "And the active ones?")
    assert resolve("What was Acme's revenue in 2030?", history, subject=subject) == "What was Acme's revenue in 2030?"


def test_a_follow_up_period_replaces_the_earlier_one():
    history = turns("What were Acme's Q1 2030 sales?")
    assert resolve("And in Q2?", history, subject=subject) == "And in Q2? What were Acme's Q2 2030 sales?"
    # A year of its own replaces the earlier period in the subject carried over.
    assert resolve("What about fiscal 2029 as a whole, its full operating margin?", history, subject=subject) == \
        "What about fiscal 2029 as a whole, its full operating margin? Acme"
    assert "2029" in resolve("And the year before?", turns("What was Acme's revenue in fiscal 2030?"), subject=subject)
    # Three turns deep, the period moves twice.
    assert "2028" in resolve("Two years before that?", turns("What was Acme's 2030 revenue?", "And in 2030?"),
                             subject=subject)


def test_a_full_year_follow_up_keeps_the_year_and_drops_the_quarter():
    history = turns("How much did Acme spend on capital projects in fiscal 2030?", "And its buybacks in Q3 of that year?")
    # "Total" opens the question; it names nothing, so the turn asks its own thing.
    assert resolve("Total revenue for the full year?", history, subject=subject) == \
        "Total revenue for the full year? Acme fiscal 2030"


def test_a_comparison_keeps_each_side_its_own_period():
    query = resolve("How does that compare with Zeta's fiscal 2031?", turns("What did Acme spend in 2030?"),
                    subject=subject)
    assert "Acme spend in 2030" in query and "Zeta's fiscal 2031" in query


def test_a_change_against_the_prior_year_is_not_a_new_period():
    assert not anchored("How did revenue change against the prior year?")
    query = resolve("How did its margin change compared with the year before?", turns("What was Acme's 2030 margin?"),
                    subject=subject)
    assert "Acme's 2030 margin" in query


def test_a_later_part_of_a_name_is_completed_from_the_assistant_s_answer():
    history = [{"role": "user", "content": "Which models did the Zeta lab train with it?"},
               {"role": "assistant", "content": "It trained Zeta-R1 and its first version, Zeta-R1-Zero. [1]"}]
    subject_words = SUBJECTS | {"zero"}  # "Zero" heads a section: on its own it names no model
    query = resolve("Back to the Zero variant: what reward did it use?", history,
                    subject=lambda w: w.lower() in subject_words)
    assert query.endswith("Zeta-R1-Zero"), query


def test_the_next_year_counts_from_the_report_s_year_not_from_an_event_s():
    query = resolve("And in the next year's annual report, what does the rule cover?",
                    turns("How did Acme's 10-K for the year ended May 2030 describe the rules of October 2029?"),
                    subject=subject)
    assert "2031" in query and "2030" not in query, query


def test_a_plural_acronym_is_no_subject_to_carry():
    query = resolve("Does it use one encoder for both tasks?", turns("Which GPUs trained Acme-7B?"), subject=subject)
    assert query.endswith("Acme-7B") and "GPUs" not in query.split("?")[-1], query


def test_a_huge_history_cannot_make_the_query_longer_than_the_question_limit():
    history = turns("x " * 50_000 + "What did Acme earn?", *["And then?"] * 30)
    query = resolve("And in 2031?", history, subject=subject)
    assert len(query) <= MAX_CHARS and query.startswith("And in 2031?")
