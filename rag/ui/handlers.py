"""What happens on each page event: ask (streamed), show a turn's sources, rate, upload, refresh.

A ``RagError`` becomes a readable message in the page; any other exception is logged with
its traceback on the server and shown as one line, never as a stack trace.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from html import escape
from pathlib import Path
from typing import Any

import gradio as gr

from rag.config import Settings
from rag.errors import ConfigError, RagError
from rag.types import Answer, Waiting
from rag.ui import feedback, library, render

log = logging.getLogger("rag.ui")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ANY = ("Any", "")  # the first choice of every filter: no filter


def new_session() -> dict[str, Any]:
    """One browser session's memory: the turns sent as history, and each answer by message index."""
    return {"id": "", "turns": [], "answers": {}}


def filters_from(company, publisher, doc_type, doc_id, date_from, date_to) -> dict[str, str]:
    """The filter controls as ``ask()`` filters; a malformed date is a ConfigError the page shows.

    >>> filters_from("Acme", None, "", None, "2025-01-01 00:00:00", "")
    {'company': 'Acme', 'date_from': '2025-01-01'}
    """
    filters = {"company": company, "publisher": publisher, "doc_type": doc_type, "doc_id": doc_id}
    filters = {k: v for k, v in filters.items() if v}
    for key, value in (("date_from", date_from), ("date_to", date_to)):
        value = str(value or "").strip()[:10]  # the date picker may add a time
        if value and not _DATE.match(value):
            raise ConfigError(f"{value!r} is not a date: use YYYY-MM-DD (for example 2025-01-27).")
        if value:
            filters[key] = value
    return filters


def _message(role: str, content: str) -> dict[str, str]:
    return {"role": role, "content": content}


def _describe(exc: Exception) -> str:
    if isinstance(exc, RagError):
        return str(exc)
    log.exception("unexpected error in the web UI")
    return f"Unexpected error ({type(exc).__name__}: {exc}). The server log has the details."


class Handlers:
    """Event functions bound to one ``Settings`` (one index, one model)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def respond(self, question: str, chat: list, session: dict, backend: str, k: float, *filter_values):
        """Stream an answer into the chat; the sources panel follows the answer's progress."""
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        from rag.answer import ask_stream

        session["id"] = session["id"] or uuid.uuid4().hex[:12]
        chat = list(chat or []) + [_message("user", question), _message("assistant", "…")]
        index = len(chat) - 1
        yield chat, render.pending_html("Searching the sources…", index), session, ""
        writing = render.pending_html("Writing the answer, then checking every sentence…", index)
        try:
            filters = filters_from(*filter_values)
            streamed, answer = "", None
            for event in ask_stream(question, history=session["turns"], filters=filters, settings=self.settings,
                                    backend=backend, k=int(k)):
                if isinstance(event, Answer):
                    answer = event
                    continue
                if isinstance(event, Waiting):  # the local model answers others first: say so
                    chat[index] = _message("assistant", f"⏳ {event.message()}")
                    yield chat, render.pending_html(event.message(), index), session, gr.skip()
                    continue
                streamed += event
                chat[index] = _message("assistant", render.md_escape(streamed) + " ▍")
                yield chat, writing, session, gr.skip()
        except Exception as exc:  # noqa: BLE001 - shown in the page, logged when unexpected
            message = _describe(exc)
            chat[index] = _message("assistant", f"⚠️ {render.md_escape(message)}")
            yield chat, render.error_html(message, index), session, gr.skip()
            return
        chat[index] = _message("assistant", render.answer_markdown(answer, index))
        session["turns"] += [_message("user", question), _message("assistant", answer.text)]
        session["answers"][index] = {"answer": answer, "context": {"backend": backend, "k": int(k), "filters": filters}}
        yield chat, render.sources_html(answer, index), session, gr.skip()

    def show_sources(self, session: dict, evt: gr.SelectData):
        """Clicking an earlier message shows that turn's sources (a question selects its answer)."""
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        for key in (index, index + 1):
            if key in session["answers"]:
                return render.sources_html(session["answers"][key]["answer"], key)
        return gr.skip()

    def rate(self, session: dict, data: gr.LikeData) -> None:
        index = data.index if isinstance(data.index, int) else data.index[0]
        entry = session["answers"].get(index)
        if entry is None:  # an error message or a question: nothing to rate
            return
        rating = {True: "up", False: "down"}.get(data.liked) or str(data.liked)  # or a custom feedback option
        try:
            feedback.record(self.settings.feedback_path, entry["answer"], rating, session=session["id"],
                            **entry["context"])
        except OSError as exc:
            raise gr.Error(f"Could not save the rating to {self.settings.feedback_path}: {exc.strerror or exc}")
        gr.Info("Thanks: your rating was saved with the answer and its sources.")

    def clear(self):
        """A fresh conversation, with example questions for what the library holds now (a
        document uploaded since the page opened gets its own)."""
        try:
            asked = library.examples(library.documents(self.settings))
        except RagError:
            asked = []  # the header already says what is wrong with the index
        return gr.Chatbot(value=[], examples=[{"text": q} for q in asked]), render.placeholder_html(), new_session()

    def corpus(self):
        """Everything on the page that depends on the index: header, table, filter choices."""
        try:
            docs = library.documents(self.settings)
        except RagError as exc:
            return (render.error_html(str(exc)), [], *(gr.update(choices=[ANY]) for _ in range(4)))
        options = library.choices(docs)
        rows = [[d.title, d.doc_type, d.publisher, d.date, d.pages or "—", d.chunks, d.file,
                 "upload" if d.uploaded else "corpus"] for d in docs]
        return (summary_html(docs, self.settings), rows,
                *(gr.update(choices=[ANY, *options[key]]) for key in ("company", "publisher", "doc_type", "doc_id")))

    def upload(self, files: list[str] | None, progress=gr.Progress(track_tqdm=True)):
        """Ingest uploaded files with visible progress; then refresh everything the index feeds."""
        results: list[library.UploadResult] = []
        if files:
            try:
                results = library.add_uploads([Path(f) for f in files], self.settings,
                                              step=lambda f, s: progress(f, desc=s))
            except Exception as exc:  # noqa: BLE001
                results = [library.UploadResult("upload", False, _describe(exc))]
            finally:
                _drop_temporary(files)
        return (None, upload_report_html(results), *self.corpus())


def _drop_temporary(files: list[str]) -> None:
    """Delete Gradio's copies of these uploads (the library keeps its own of each accepted file);
    only inside the server's upload folder, never a path elsewhere."""
    folder = os.environ.get("GRADIO_TEMP_DIR")
    if not folder:
        return
    root = Path(folder).resolve()
    for f in files:
        path = Path(f).resolve()
        if root in path.parents:
            path.unlink(missing_ok=True)
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()


def summary_html(docs: list, settings: Settings) -> str:
    """The top bar: what the page is for, and what is in the index."""
    from rag.ui.app import PAGE

    intro = (f'<div class="topbar"><div><h1>Ask the sources</h1><p class="sub">{escape(PAGE["subtitle"])}</p></div>')
    if not docs:
        return intro + ('<div class="summary empty-index"><strong>The index is empty.</strong> Upload documents in '
                        'the Corpus tab, or run <code>rag up</code> to ingest the default corpus.</div></div>')
    pages = sum(d.pages for d in docs)
    stats = [f"<strong>{len(docs)}</strong> document{'s' if len(docs) != 1 else ''}"]
    stats += [f"<strong>{pages:,}</strong> pages"] if pages else []
    stats.append(f"<strong>{sum(d.chunks for d in docs):,}</strong> passages")
    return intro + f'<div class="summary" title="{escape(str(settings.index_dir))}">{" · ".join(stats)}</div></div>'


def upload_report_html(results: list) -> str:
    if not results:
        return ""
    items = "".join(
        f'<li class="{"ok" if r.ok else "failed"}"><span class="mark">{"✓" if r.ok else "✗"}</span>'
        f'<strong>{escape(r.name)}</strong> {escape(r.message)}</li>' for r in results)
    note = ("" if all(r.ok for r in results) else
            '<p class="note">Files that failed were not added; the index is as it was before them.</p>')
    return f'<ul class="upload-report">{items}</ul>{note}'
