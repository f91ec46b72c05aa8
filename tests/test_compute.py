"""Computed answers (rag/compute.py, rag/formula.py): a metric worked out from a filing's rows.

The formula and row matching are tested on hand-made statement pages (the search is a
stand-in that returns them); the whole path (a filing ingested, ``ask()``, the note and
its citation markers) on a real index of a small filing, and on the FinanceBench filings
with questions in our own words.
"""

from __future__ import annotations

import re

import pytest

from rag.compute import compute
from rag.formula import definitions, shaped
from rag.types import Chunk, Hit

META = {"company": "Zorblax Industries", "fiscal_year": "2030", "period_end": "2030-12-31", "form": "10-K"}
INCOME = ("CONSOLIDATED STATEMENTS OF INCOME (in millions)\nYear Ended December 31,\n2030 | 2029 | 2028\n"
          "Net sales | 1,000 | 900 | 800\nCost of sales | 600 | 560 | 500\nOperating income | 250 | 200 | 180\n"
          "Net income attributable to noncontrolling interests | 5 | 4 | 3\nNet income | 150 | 120 | 100\n")
BALANCE = ("CONSOLIDATED BALANCE SHEETS (in millions)\nDecember 31, 2030 | December 31, 2029\n"
           "Inventories | 110 | 90\nTotal current assets | 400 | 380\nTotal assets | 2,200 | 1,800\n"
           "Total current liabilities | 320 | 300\n")
CASH = ("CONSOLIDATED STATEMENTS OF CASH FLOWS (in millions)\nYear Ended December 31,\n2030 | 2029 | 2028\n"
        "Depreciation and amortization | 70 | 65 | 60\nNet cash provided by operating activities | 300 | 280 | 250\n"
        "Purchases of property, plant and equipment | (90) | (80) | (70)\nDividends paid | (45) | (40) | (35)\n")
PAGES = [Hit(Chunk(f"c{i}", "zx-10k-2030", text, 0, len(text), page=40 + i, meta=META), 1.0)
         for i, text in enumerate((INCOME, BALANCE, CASH))]


def search(text: str) -> list[Hit]:
    return PAGES


def run(question: str, year: int = 2030, unit=("", None)):
    from rag.question import parse

    return compute(question, parse(question).core, year, "Zorblax Industries", search, unit)


def test_the_questions_own_definition_is_worked_out_with_each_figure_from_its_row():
    done = run("What was Zorblax Industries' return on assets in FY2030? Return on assets is defined as: FY2030 net "
               "income divided by the average total assets of FY2029 and FY2030.")
    assert done.shown == "0.08"  # 150 / ((1,800 + 2,200) / 2) = 0.075
    assert [(f.item, f.year, f.value) for f in done.figures] == [
        ("net income", "2030", 150.0), ("total assets", "2029", 1800.0), ("total assets", "2030", 2200.0)]
    assert done.figures[0].row.startswith("Net income: 150 (2030)")  # not the noncontrolling interests' row


def test_standard_metrics_shapes_and_units():
    fcf = run("What was Zorblax Industries' free cash flow in FY2030?")
    assert fcf.value == 210.0 and fcf.shown == "210 (in millions)"  # 300 operating cash less 90 of capex (an outflow)
    assert run("What was Zorblax Industries' free cash flow in FY2030? Answer in USD billions.",
               unit=("billions", None)).shown == "0.21 (in billions)"
    assert run("What is Zorblax Industries' FY2030 cost of sales as a % of net sales?").shown == "60.0%"
    assert run("What is Zorblax Industries' three year average of cost of sales as a % of revenue from FY2028 to FY2030?"
               ).value == pytest.approx((60 + 560 / 9 + 62.5) / 3)
    assert run("What was Zorblax Industries' FY2030 working capital ratio?").shown == "1.25"
    assert run("What is Zorblax Industries' FY2030 EBITDA less capex?").value == 250 + 70 - 90
    assert run("What is Zorblax Industries' FY2030 inventory turnover?").value == pytest.approx(600 / 100)
    # The question's definition wins over the standard one.
    assert run("What is Zorblax Industries' FY2030 working capital ratio? Working capital ratio is defined as: "
               "total current assets - total current liabilities.").value == 80.0


def test_nothing_is_computed_for_a_plain_line_item_or_a_missing_input():
    assert run("What was Zorblax Industries' FY2030 net income?") is None  # the key sentences state it
    assert run("What is Zorblax Industries' FY2030 interest coverage ratio?") is None  # no interest expense row
    assert run("What was Zorblax Industries' FY2027 free cash flow?", year=2027) is None  # no FY2027 column
    assert run("Who founded Zorblax Industries?") is None


def test_formula_language():
    assert definitions("CCC is defined as: DIO + DSO - DPO. DIO is defined as: 365 * inventory / COGS.") == {
        "ccc": "DIO + DSO - DPO", "dio": "365 * inventory / COGS"}
    assert shaped("EBITDA less capex") == ("-", "EBITDA", "capex")
    assert shaped("operating income plus depreciation") == ("+", "operating income", "depreciation")


FILING = """UNITED STATES SECURITIES AND EXCHANGE COMMISSION
Washington, D.C. 20549
FORM 10-K
ANNUAL REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT OF 1934
For the fiscal year ended December 31, 2030
Commission File Number 001-99999
Quenby Turbines, Inc.
(Exact name of registrant as specified in its charter)

Item 8. Financial Statements

""" + INCOME.replace("Zorblax", "Quenby") + "\n" + BALANCE + "\n" + CASH


def one_cell_a_line(text: str) -> str:
    """A statement as a text export of an HTML table writes it: each cell on a line of its
    own, and a negative's ")" on the next ("(90\n)")."""
    cells = [cell.strip() for line in text.splitlines() for cell in line.split(" | ")]
    return "\n".join(re.sub(r"^\((.+)\)$", "(\\1\n)", cell) for cell in cells)


# A second company's filing, exported one cell a line, with a net income of its own.
SECOND = FILING.replace("Quenby", "Vantor").replace("Turbines", "Wholesale").replace("001-99999", "001-88888")
SECOND = SECOND[:SECOND.index("CONSOLIDATED")] + one_cell_a_line(SECOND[SECOND.index("CONSOLIDATED"):]).replace(
    "Net income\n150", "Net income\n200")


@pytest.fixture(scope="module")
def filing_settings(tmp_path_factory):
    import rag
    from rag.config import Settings

    folder = tmp_path_factory.mktemp("filing")
    (folder / "quenby-10k-2030.txt").write_text(FILING, encoding="utf-8")
    (folder / "vantor-10k-2030.txt").write_text(SECOND, encoding="utf-8")
    settings = Settings(home=tmp_path_factory.mktemp("filing-home"), backend="extractive")
    assert rag.ingest([folder], settings=settings, progress=False).ok
    return settings


@pytest.mark.slow
def test_a_computed_answer_cites_each_row_and_shows_the_arithmetic(filing_settings):
    from rag.answer import ask

    answer = ask("What was Quenby Turbines' return on assets in fiscal 2030?", settings=filing_settings)
    assert not answer.refused, answer.reason
    assert "= 0.08." in answer.note, answer.note  # 150 / average of 1,800 and 2,200
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.note)}
    assert markers and markers <= {c.marker for c in answer.citations}  # every figure points at a cited row
    assert "Net income: 150 (2030)" in answer.text and "Total assets: 2,200 (December 31, 2030)" in answer.text
    assert any("Net income | 150" in c.quote for c in answer.citations)  # the row as the filing writes it
    other = ask("What was Zeta Motors' return on assets in fiscal 2030?", settings=filing_settings)
    assert "Computed" not in other.note  # another company's metric is not the indexed one's


@pytest.mark.slow
def test_a_statement_exported_one_cell_a_line_is_read_and_compared_in_a_follow_up(filing_settings):
    from rag.answer import ask

    history = [{"role": "user", "content": "What was Quenby Turbines' return on assets in fiscal 2030?"},
               {"role": "assistant", "content": "0.08"}]
    answer = ask("How does that compare with Vantor Wholesale's return on assets for its fiscal 2030?",
                 history=history, settings=filing_settings)
    assert not answer.refused, answer.reason
    assert "= 0.10." in answer.note, answer.note  # 200 / average of 1,800 and 2,200: Vantor's rows, joined again
    assert "Net income: 200 (" in answer.text, answer.text


@pytest.mark.slow
def test_computed_answers_on_other_companies_filings(financebench_index):
    """FinanceBench's filings, asked in our own words (not its questions): the rows come from
    the named company's statements in its own fiscal calendar."""
    from rag.answer import ask

    turnover = ask("What was Nike's inventory turnover in fiscal 2021?", settings=financebench_index)
    assert "= 3.46." in turnover.note, turnover.note  # cost of sales 24,576 / average inventories of 7,367 and 6,854
    fcf = ask("What was General Mills' free cash flow in fiscal 2020, in USD millions?", settings=financebench_index)
    assert "= 3,215.4 (in millions)." in fcf.note, fcf.note  # 3,676.2 operating cash less 460.8 of purchases

