"""Analysts' questions: the refusal gate judges the subject, not the role, units or definitions."""

from __future__ import annotations

from rag.question import parse, subjects


def test_role_instructions_and_units_are_not_the_subject():
    q = parse("You are an investment banker. What is the FY2019 capital expenditure amount (in USD millions) for "
              "Zeta? Give a response to the question by relying on the details shown in the cash flow statement.")
    assert q.core == "What is the FY2019 capital expenditure amount for Zeta?"
    assert q.statements == ("cash flow statement",)
    assert "FY2019" not in subjects(q)[0]  # a filing writes "fiscal 2019"; the period checks judge the year
    assert "cash flow statement" in q.retrieval_query


def test_a_definition_is_kept_apart_and_marks_a_computed_value():
    q = parse("What is Zeta's FY2021 fixed asset turnover ratio? Fixed asset turnover ratio is defined as: "
              "FY2021 revenue / (average PP&E between FY2020 and FY2021). Round your answer to two decimal places.")
    assert q.core == "What is Zeta's FY2021 fixed asset turnover ratio?"
    assert q.definitions == ("FY2021 revenue / (average PP&E between FY2020 and FY2021)",) and q.computed


def test_plain_questions_pass_through_unchanged():
    for text in ("How many GPUs were used?", "According to the report, why did margins fall?", "What is MoE?"):
        q = parse(text)
        assert q.core == text.replace("According to the report, why", "Why") and not q.definitions
