"""The REST API (`rag serve` mounts it beside the page): OpenAI-compatible chat, retrieval, documents."""
