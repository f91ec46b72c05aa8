"""Grounded-answer evaluation: pure metrics (``metrics``) and a runner over golden JSONL sets."""
