"""A query never writes to the index: every file under it is byte-identical after 20 questions
(the embedded Chroma store writes its sqlite file whenever it is opened, so queries must not open it)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import rag
from rag.config import Settings

FACTS = {
    "reactor.md": "# Zorblax reactor\n\nThe Zorblax reactor produces 42 megawatts of power.\n\n"
                  "## Cooling\n\nIt is cooled by heavy water pumped from Lake Quenby.\n",
    "fleet.md": "# Vantor fleet\n\nThe Vantor fleet has 17 cargo drones. Each drone carries 300 kilograms.\n",
}
QUESTIONS = ["How many megawatts does the Zorblax reactor produce?", "How is the Zorblax reactor cooled?",
             "How many cargo drones does the Vantor fleet have?", "How much does each Vantor drone carry?",
             "What is the capital of Australia?"]


def _sums(folder: Path) -> dict[str, str]:
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root, name)
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_twenty_questions_leave_every_index_file_unchanged(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in FACTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = Settings(home=tmp_path / "home", backend="extractive")
    assert rag.ingest([docs], settings=settings, progress=False).ok
    before = _sums(settings.index_dir)
    # In a process of their own: the store would write when the process ends, too.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_HOME=str(settings.home), HF_HUB_OFFLINE="1", RAG_BACKEND="extractive")
    chat = subprocess.run([sys.executable, "-m", "rag.cli", "chat"], input="\n".join(QUESTIONS * 4) + "\n",
                          env=env, capture_output=True, text=True, timeout=600)
    assert chat.returncode == 0 and chat.stdout.count("42 megawatts") >= 4, chat.stderr[-2000:]
    assert _sums(settings.index_dir) == before
