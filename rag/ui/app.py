"""The Gradio page: chat with streamed, cited answers beside a sources panel; a corpus tab with upload.

``build_app`` lays the page out and wires events to ``Handlers``; ``server.py`` serves it.
Page style and the small script that opens a source when its ``[n]`` is clicked live beside
this file (``style.css``, ``page.js``).
"""

from __future__ import annotations

import os
from html import escape
from importlib import resources
from types import SimpleNamespace

# No usage reports or version checks leave the machine (and none can: the page must work offline).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from rag.config import Settings
from rag.errors import ConfigError
from rag.ui import library, render
from rag.ui.library import PAGE, examples
from rag.ui.handlers import ANY, Handlers, new_session

BACKENDS = [("Local model (GGUF)", "local"), ("OpenAI-compatible API", "openai"), ("Extractive (no LLM)", "extractive")]
ASK_SLOTS = 16
CORPUS_HEADERS = ["Title", "Type", "Publisher", "Date", "Pages", "Passages", "File", "Source"]


def _asset(name: str) -> str:
    return resources.files("rag.ui").joinpath(name).read_text(encoding="utf-8")


def build_app(settings: Settings) -> gr.Blocks:
    h = Handlers(settings)
    with gr.Blocks(title=PAGE["title"], analytics_enabled=False, fill_width=True) as app:
        ui = SimpleNamespace(session=gr.State(new_session()))
        _sidebar(ui, settings)
        ui.header = gr.HTML(elem_id="summary")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                _ask_tab(ui, library.documents(settings))
            with gr.Tab("Corpus", id="corpus"):
                _corpus_tab(ui, settings)
        _wire(ui, h)
        app.load(h.corpus, None, ui.refresh, show_progress="hidden")
    return app


def _sidebar(ui: SimpleNamespace, settings: Settings) -> None:
    with gr.Sidebar(label="Answer settings", open=True, width=300, elem_id="controls"):
        gr.HTML('<div class="brand"><div class="logo">R1</div><div><div class="name">Sources Q&amp;A</div>'
                f'<div class="tag">{escape(PAGE["tag"])}</div></div></div>')
        ui.backend = gr.Radio(BACKENDS, value=settings.backend, label="Answer with", elem_id="backend")
        ui.k = gr.Slider(1, 10, value=settings.top_k, step=1, label="Passages to cite from (top-k)", elem_id="top-k")
        gr.HTML('<div class="side-title">Filters</div>')
        ui.company = gr.Dropdown([ANY], value="", label="Company", elem_id="f-company")
        ui.publisher = gr.Dropdown([ANY], value="", label="Publisher", elem_id="f-publisher")
        ui.doc_type = gr.Dropdown([ANY], value="", label="Document type", elem_id="f-type")
        ui.doc_id = gr.Dropdown([ANY], value="", label="Document", elem_id="f-doc")
        ui.date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD", elem_id="f-from")
        ui.date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD", elem_id="f-to")
        ui.new_chat = gr.Button("New conversation", variant="secondary", elem_id="new-chat")


def _ask_tab(ui: SimpleNamespace, docs) -> None:
    with gr.Row(equal_height=False, elem_id="ask-row"):
        with gr.Column(scale=7, min_width=420):
            ui.chat = gr.Chatbot(
                elem_id="chat", show_label=False, height="68vh", latex_delimiters=[],  # "$" is money here
                placeholder="<h3>Start with a question</h3><p>Type your own below, or pick one of these. "
                            "Click a [n] in an answer to open its source.</p>",
                examples=[{"text": q} for q in examples(docs)], buttons=["copy"])
            with gr.Row(elem_id="ask-box"):
                ui.question = gr.Textbox(show_label=False, placeholder=PAGE["placeholder"], scale=8, max_lines=5, elem_id="question", autofocus=True)
                ui.send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="send")
        with gr.Column(scale=5, min_width=340):
            ui.sources = gr.HTML(render.placeholder_html(), elem_id="sources", js_on_load=None)


def _corpus_tab(ui: SimpleNamespace, settings: Settings) -> None:
    gr.HTML(f'<p class="corpus-intro">Add PDF, HTML, Markdown or text files (up to {settings.max_upload_mb:g} MB '
            f'each): they are parsed, embedded and searchable as soon as the progress bar finishes.</p>')
    ui.upload = gr.File(file_count="multiple", file_types=list(library.UPLOAD_TYPES), label="Upload documents",
                        elem_id="upload", height=120)
    ui.upload_status = gr.HTML(elem_id="upload-status")
    ui.table = gr.Dataframe(headers=CORPUS_HEADERS, interactive=False, wrap=True, elem_id="corpus-table",
                            max_height=560, column_widths=["30%", "8%", "15%", "10%", "7%", "9%", "13%", "8%"],
                            show_search="search")


def _wire(ui: SimpleNamespace, h: Handlers) -> None:
    ui.refresh = [ui.header, ui.table, ui.company, ui.publisher, ui.doc_type, ui.doc_id]
    filters = [ui.company, ui.publisher, ui.doc_type, ui.doc_id, ui.date_from, ui.date_to]
    ask_inputs = [ui.question, ui.chat, ui.session, ui.backend, ui.k, *filters]
    ask_outputs = [ui.chat, ui.sources, ui.session, ui.question]
    # One pool for every way of asking: retrieval overlaps between sessions, the local model takes
    # turns. Wide enough that questions wait in the model's line, which tells each how many are
    # ahead, rather than in Gradio's queue, which (with its progress hidden) would say nothing.
    ask = dict(concurrency_limit=ASK_SLOTS, concurrency_id="ask", show_progress="hidden")
    ui.question.submit(h.respond, ask_inputs, ask_outputs, **ask)
    ui.send.click(h.respond, ask_inputs, ask_outputs, **ask)
    ui.chat.example_select(_example_text, None, ui.question, show_progress="hidden").then(
        h.respond, ask_inputs, ask_outputs, **ask)
    ui.chat.select(h.show_sources, ui.session, ui.sources, show_progress="hidden")
    ui.chat.like(h.rate, ui.session, None, show_progress="hidden")
    for cleared in (ui.chat.clear, ui.new_chat.click):
        cleared(h.clear, None, [ui.chat, ui.sources, ui.session])
    ui.upload.upload(h.upload, ui.upload, [ui.upload, ui.upload_status, *ui.refresh], concurrency_limit=1)


def _example_text(evt: gr.SelectData) -> str:
    return evt.value["text"]


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``RAG_AUTH=user:password`` → (user, password); unset → no login.

    >>> parse_auth("ada:s3cret:x"), parse_auth(None)
    (('ada', 's3cret:x'), None)
    """
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ConfigError("RAG_AUTH must look like user:password (both non-empty).")
    return user, password


def launch_options(settings: Settings) -> dict:
    """How the page is mounted (``server.build``): theme, style, script, limits; nothing from the web."""
    theme = gr.themes.Default(primary_hue="indigo", neutral_hue="slate", radius_size="md",
                              font=["Inter", "ui-sans-serif", "system-ui", "sans-serif"],  # no web-font download
                              font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])
    return dict(max_file_size=int(settings.max_upload_mb * 1e6), show_error=False, footer_links=[], ssr_mode=False,
                theme=theme, css=_asset("style.css"), js=_asset("page.js"))
