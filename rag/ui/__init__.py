"""The web UI (``rag serve``): a Gradio page over ``ask_stream()`` and ``ingest()``.

``render``, ``library`` and ``feedback`` are plain Python (HTML for answers and sources, the
corpus and uploads, ratings); only ``app`` and ``handlers`` import Gradio, which is loaded
when the page is served, never by ``import rag`` or ``rag --help``.
"""
