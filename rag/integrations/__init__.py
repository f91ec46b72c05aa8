"""Adapters that put our retrieval and checked answers inside other frameworks (llama-index)."""
