"""Retrieval: lexical (BM25), dense (Chroma) and their fusion."""
