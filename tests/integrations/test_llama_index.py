"""Our retriever, query engine and backend inside the real llama-index-core, with a real
llama-index LLM (llama-index's own ``LlamaCPP`` over the packaged SmolLM2 GGUF)."""

from __future__ import annotations

import pytest

from rag.answer import ask
from rag.generate.llama_cpp import default_gguf

pytestmark = pytest.mark.slow
QUESTION = "How many megawatts does the Zorblax reactor produce?"


def chatml(messages) -> str:  # SmolLM2's chat template, as llama-index's completion-style LlamaCPP needs it
    turns = "".join(f"<|im_start|>{m.role.value}\n{m.content}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


@pytest.fixture(scope="module")
def llm():
    from llama_index.llms.llama_cpp import LlamaCPP

    return LlamaCPP(model_path=default_gguf(), temperature=0.0, max_new_tokens=48, context_window=2048,
                    messages_to_prompt=chatml,
                    completion_to_prompt=lambda text: f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n",
                    model_kwargs={"n_threads": 2}, verbose=False)


def test_retriever_nodes_carry_provenance_in_a_retriever_query_engine(facts_settings, llm):
    from llama_index.core.query_engine import RetrieverQueryEngine

    from rag.integrations.llama_index import RagRetriever

    retriever = RagRetriever(facts_settings, k=2)
    nodes = retriever.retrieve("cargo drones of the Vantor fleet")
    assert len(nodes) == 2 and "17 cargo drones" in nodes[0].node.get_content()
    meta = nodes[0].node.metadata
    assert meta["file"] == "fleet.txt" and {"doc_id", "title", "page", "section", "char_start", "char_end"} <= set(meta)
    assert meta["char_end"] > meta["char_start"] >= 0 and nodes[0].score > 0
    engine = RetrieverQueryEngine.from_args(retriever, llm=llm)
    response = engine.query("How many cargo drones does the Vantor fleet have?")
    assert response.source_nodes and response.source_nodes[0].node.metadata["file"] == "fleet.txt"
    assert isinstance(str(response), str) and str(response).strip()


def test_query_engine_gives_our_checked_answer_with_cited_source_nodes(facts_settings):
    from rag.integrations.llama_index import RagQueryEngine

    response = RagQueryEngine(settings=facts_settings, backend="extractive").query(QUESTION)
    same = ask(QUESTION, settings=facts_settings, backend="extractive")
    assert str(response) == same.text and "42 megawatts" in str(response)
    assert [n.node.node_id for n in response.source_nodes] == list(dict.fromkeys(c.chunk_id for c in same.citations))
    assert response.source_nodes[0].node.metadata["title"] == "Zorblax reactor"
    assert response.metadata["refused"] is False and response.metadata["citations"][0]["quote"]
    refused = RagQueryEngine(settings=facts_settings, backend="extractive").query("Who won the 2018 World Cup?")
    assert refused.metadata["refused"] and refused.metadata["reason"] and not refused.source_nodes


def test_a_llama_index_llm_answers_through_our_checker(facts_settings, llm):
    from rag.integrations.llama_index import RagQueryEngine, use_llm

    name = use_llm(llm, "smollm2-llamaindex")
    answer = ask(QUESTION, settings=facts_settings, backend=name)
    assert answer.backend == name and not answer.refused
    assert "42" in answer.text and answer.citations and all(c.supported for c in answer.citations)
    response = RagQueryEngine(settings=facts_settings, backend=name).query(QUESTION)
    assert response.metadata["backend"] == name and response.source_nodes
