"""Uploads into a real index (real embedder, real Chroma): checked, stored safely, all-or-nothing per file."""

from __future__ import annotations

import pytest

from rag.ui import library

pytestmark = pytest.mark.slow

FACT = "# Zorblax reactor\n\nThe Zorblax reactor produces 42 megawatts of power.\n"


def _snapshot(settings) -> tuple[bytes, bytes]:
    index = settings.index_dir
    return (index / "files.json").read_bytes(), (index / "bm25" / "chunks.jsonl").read_bytes()


@pytest.fixture
def indexed(settings, tmp_path):
    first = tmp_path / "in" / "fleet.txt"
    first.parent.mkdir()
    first.write_text("Fleet report.\n\nThe Vantor fleet has 17 cargo drones.\n")
    assert library.add_uploads([first], settings)[0].ok
    return settings


def test_upload_is_ingested_listed_and_named_safely(indexed, tmp_path):
    src = tmp_path / "..%2F..%2Fevil name (draft).md"
    src.write_text(FACT)
    steps = []
    [result] = library.add_uploads([src], indexed, step=lambda f, s: steps.append((f, s)))
    assert result.ok, result.message
    stored = sorted(p.name for p in library.upload_dir(indexed).iterdir())
    assert stored == ["2F-2Fevil-name-draft.md", "fleet.txt"]
    docs = {d.file: d for d in library.documents(indexed)}
    assert docs["2F-2Fevil-name-draft.md"].title == "Zorblax reactor" and docs["2F-2Fevil-name-draft.md"].uploaded
    assert docs["2F-2Fevil-name-draft.md"].chunks >= 1 and steps[-1][0] == 1.0
    assert library.choices(list(docs.values()))["doc_id"]


def test_failed_upload_leaves_the_index_as_it_was(indexed, tmp_path):
    before = _snapshot(indexed)
    bad_pdf = tmp_path / "broken.pdf"
    bad_pdf.write_bytes(b"%PDF-1.7 this is not really a pdf")
    binary = tmp_path / "tool.exe"
    binary.write_bytes(b"MZ\x90\x00")
    results = {r.name: r for r in library.add_uploads([bad_pdf, binary], indexed)}
    assert not results["broken.pdf"].ok and "could not be read" in results["broken.pdf"].message
    assert not results["tool.exe"].ok and ".exe files are not accepted" in results["tool.exe"].message
    assert _snapshot(indexed) == before
    assert [p.name for p in library.upload_dir(indexed).iterdir()] == ["fleet.txt"]


def test_limits_duplicates_and_name_clashes(indexed, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    [too_big] = library.add_uploads([big], indexed.replace(max_upload_mb=0.001))
    assert not too_big.ok and "upload limit" in too_big.message
    empty = tmp_path / "empty.md"
    empty.write_text("")
    assert "empty" in library.add_uploads([empty], indexed)[0].message
    again = tmp_path / "again" / "fleet.txt"
    again.parent.mkdir()
    again.write_text("Fleet report.\n\nThe Vantor fleet has 17 cargo drones.\n")
    assert "already in the index" in library.add_uploads([again], indexed)[0].message
    again.write_text("A different fleet report: the Vantor fleet has 19 drones now.\n")
    [renamed] = library.add_uploads([again], indexed)
    assert renamed.ok and "as fleet-2.txt" in renamed.message
    assert {d.file for d in library.documents(indexed)} == {"fleet.txt", "fleet-2.txt"}
