"""A cited figure restated in the unit the question asks for (pure: no model, no index)."""

from __future__ import annotations

import pytest

from rag.units import asked_unit, convert, unit_note

ROW = "Cash flows Dividends paid: (1,389) (2031); (1,353) (2030), in millions."


@pytest.mark.parametrize("question, unit", [
    ("How much did Acme pay in dividends (in USD billions)?", ("billions", None)),
    ("What were Acme's total assets? Answer in USD thousands. Round your answer to one decimal place.", ("thousands", 1)),
    ("What is the capex in US$ millions?", ("millions", None)),
    ("How many stores does Acme have?", ("", None)),
])
def test_the_asked_unit_and_decimals(question, unit):
    assert asked_unit(question) == unit


def test_the_column_of_the_asked_year_is_converted_with_its_sign_notation():
    note = unit_note("What were Acme's FY2030 dividends paid? Answer in USD billions.", [(2, ROW)], ["2030"])
    assert note == "In billions: (1,353) (2030, in millions) [2] is (1.4)."


def test_asked_decimals_win_over_the_default():
    note = unit_note("Acme's dividends paid in USD billions? Round to two decimal places.", [(1, ROW)])
    assert note.endswith("[1] is (1.39).")


def test_a_figure_in_prose_is_converted():
    note = unit_note("How much did Acme spend on dividends, in USD billions?", [(1, "Acme paid dividends of $389 million.")])
    assert note == "In billions: $389 million [1] is $0.4."


@pytest.mark.parametrize("question, quoted", [
    ("Acme's dividends paid in USD millions?", [(1, ROW)]),  # already in the asked unit
    ("Acme's capital expenditure in USD billions?", [(1, ROW)]),  # a figure of something else
    ("Acme's dividends paid?", [(1, ROW)]),  # no unit asked
    ("Acme's dividends paid in USD billions?", [(1, "Dividends paid: 5 (2031); 6 (2030).")]),  # the row has no unit
])
def test_no_note_without_a_figure_to_convert(question, quoted):
    assert unit_note(question, quoted) == ""


def test_a_larger_unit_is_restated_in_a_smaller_one_without_decimals():
    assert convert("$1.25", "billions", "millions") == "$1,250"
    assert convert("-2,500", "thousands", "millions") == "-2.5"
