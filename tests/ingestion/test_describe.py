"""Documents describe themselves: registrant, form and fiscal period read from the filing,
never from its file name or a list of companies (``rag.ingestion.describe``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingestion.describe import describe
from rag.ingestion.loaders import load
from tests.conftest import FINANCEBENCH, SHARED_CORPUS


def _meta(path: Path) -> dict:
    return load(path, path.stem, max_bytes=200_000_000, sha256="not-in-the-manifest").meta


# (file, company, form, fiscal year, fiscal quarter, period end): covers of every layout the
# FinanceBench sample holds. File names are opaque on purpose (fb-<sha256 prefix>.pdf).
FILINGS = [
    ("fb-faf10c53.pdf", "3M", "10-K", "2018", None, "2018-12-31"),  # no "(Exact name…)" line
    ("fb-71c39c3f.pdf", "Amcor", "10-Q", "2023", "2", "2022-12-31"),  # a June fiscal year: Q2 ends in December
    ("fb-dba7d6cc.pdf", "Johnson & Johnson", "10-K", "2022", None, "2023-01-01"),  # a 52/53-week year into January
    ("fb-62518c05.pdf", "JPMorgan Chase", "10-Q", "2021", "1", "2021-03-31"),  # the date split from its label
    ("fb-1b540737.pdf", "MGM Resorts International", "10-K", "2018", None, "2018-12-31"),  # "R ESORTS I NTERNATIONAL"
    ("fb-b57c75cf.pdf", "Coca-Cola", "10-K", "2017", None, "2017-12-31"),  # the name only in the text
    ("fb-c7df6210.pdf", "Ulta Beauty", "earnings release", "2022", "4", "2023-01-28"),  # "Fourth Quarter Fiscal 2022"
    ("fb-a705483e.pdf", "PepsiCo", "earnings release", "2023", "1", "2023-03-25"),  # quotes "Form 10-Q" further down
    ("fb-0601a4b9.pdf", "Johnson & Johnson", "8-K", None, None, "2023-08-30"),
]


@pytest.mark.parametrize("name,company,form,year,quarter,end", FILINGS, ids=[f[0] for f in FILINGS])
def test_filings_of_other_companies_describe_themselves(name, company, form, year, quarter, end):
    path = FINANCEBENCH / "docs" / name
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    meta = _meta(path)
    assert (meta.get("company"), meta.get("form"), meta.get("fiscal_year"), meta.get("fiscal_quarter"),
            meta.get("period_end")) == (company, form, year, quarter, end)
    assert meta["doc_type"] == form and company in meta["title"]  # the title is composed from the fields


@pytest.mark.parametrize("name,company,form,year,quarter,end", [
    ("nvidia-10q-q2-fy2026.htm", "NVIDIA", "10-Q", "2026", "2", "2025-07-27"),  # iXBRL dei: facts
    ("amazon-10k-fy2024.htm", "Amazon", "10-K", "2024", None, "2024-12-31"),
    ("microsoft-10k-fy2025.txt", "Microsoft", "10-K", "2025", None, "2025-06-30"),  # a text dump, cover glued
    ("nvidia-10k-fy2025.pdf", "NVIDIA", "10-K", "2025", None, "2025-01-26"),
])
def test_our_filings_describe_themselves_without_the_manifest(name, company, form, year, quarter, end):
    path = SHARED_CORPUS / name
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    meta = _meta(path)  # a sha256 the manifest does not hold: only the document speaks
    assert (meta.get("company"), meta.get("form"), meta.get("fiscal_year"), meta.get("fiscal_quarter"),
            meta.get("period_end")) == (company, form, year, quarter, end)


def test_a_paper_states_its_title_and_authors_and_a_memo_states_nothing_it_lacks():
    paper = describe("Sparse Widgets at Scale\nAda Lovelace, Alan Turing\nAbstract\nWe study widgets. "
                     "arXiv:2501.00001v1 [cs.LG] 22 Jan 2025")
    assert paper == {"title": "Sparse Widgets at Scale", "authors": "Ada Lovelace, Alan Turing", "date": "2025-01-22"}
    assert "form" not in describe("notes from the meeting. we talked about budgets.")


def test_the_manifest_overrides_a_field_but_the_document_supplies_the_rest(tmp_path, monkeypatch):
    from rag import corpus
    from rag.ingestion import loaders

    cover = ("UNITED STATES SECURITIES AND EXCHANGE COMMISSION\nFORM 10-K\nFor the fiscal year ended December 31, 2030\n"
             "Commission File Number 001-00001\nZETA WIDGETS, INC.\n(Exact name of registrant as specified in its charter)\n"
             "Zeta Widgets makes widgets.")
    path = tmp_path / "zeta.txt"
    path.write_text(cover)
    monkeypatch.setattr(corpus, "entry_for", lambda sha: {"title": "Zeta's annual report"} if sha == "known" else None)
    told = loaders.metadata(path, cover, {}, "known")
    own = loaders.metadata(path, cover, {}, "unknown")
    assert told["title"] == "Zeta's annual report" and told["company"] == "Zeta Widgets" and told["fiscal_year"] == "2030"
    assert own["title"] == "Zeta Widgets Form 10-K for the fiscal year ended December 31, 2030 (fiscal 2030)"
