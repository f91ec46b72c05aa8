"""Local-model benchmark: load time, first token and tokens/s of llama.cpp builds, on the prompts
the assistant really sends.

Run: ``python evals/bench_llm.py --home DIR --python .venv/bin/python [--python OTHER/bin/python ...]
[--dev FILE] [--n N] [--json]``.

Each ``--python`` is an interpreter with its own llama-cpp-python build (a venv); the model runs
in that interpreter's worker process (``RAG_LLM_PYTHON``), exactly as ``ask()`` runs it. The
prompts are built once, in this process, from the index in ``--home``: for each golden question
its retrieved passages and key sentences, formatted by ``build_messages``. A build that crashes
is reported with its signal. A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))
DEV = HERE.parents[2] / "shared" / "evals" / "dev.jsonl"


def prompts(home: Path, dev: Path, n: int) -> list[list[dict]]:
    from rag.answer import assistant
    from rag.followup import resolve
    from rag.config import Settings
    from rag.generate.base import build_messages
    from rag.retrieve.sentences import answer_size

    settings = Settings.load(home=home)
    helper = assistant(settings)
    out = []
    for line in dev.read_text().splitlines()[:n]:
        item = json.loads(line)
        query = resolve(item["question"], item.get("history"))
        hits = helper.retriever.retrieve(query, settings.top_k)
        evidence = helper.retriever.key_sentences(query, hits, answer_size(query))
        out.append(build_messages(query, hits, item.get("history") or (), 8000, evidence))
    return out


def run_build(python: str, messages: list[list[dict]], max_tokens: int) -> dict:
    from rag.config import Settings
    from rag.errors import RagError
    from rag.generate.llama_cpp import LlamaCppGenerator

    # The generator ask() uses, with this build's Python: the same worker config and sampling.
    try:
        generator = LlamaCppGenerator(Settings(llm_python=python, llm_load_timeout=600, llm_timeout=600))
    except RagError as exc:
        return {"python": python, "error": str(exc)[:200]}
    worker = generator.worker
    t = time.perf_counter()
    try:
        info = worker.ready()
        load_s = time.perf_counter() - t
        rows = []
        for m in [messages[0], *messages]:  # the first one again as a warm-up, not counted
            t, first, text = time.perf_counter(), None, ""
            for piece in generator.chat(m, max_tokens=max_tokens):
                first = first if first is not None else time.perf_counter() - t
                text += piece
            rows.append({"first_s": first or 0.0, "total_s": time.perf_counter() - t, **worker.last_stats,
                         "text": text})
        rows = rows[1:]
    except RagError as exc:
        return {"python": python, "error": str(exc)[:200]}
    finally:
        worker.stop()

    def rate(tokens: str, ms: str) -> float:
        return round(sum(r[tokens] for r in rows) / max(sum(r[ms] for r in rows), 1) * 1000, 1)

    firsts, totals = [r["first_s"] for r in rows], [r["total_s"] for r in rows]
    return {"python": python, "features": info.get("system_info", ""), "load_s": round(load_s, 2),
            "first_token_p50_s": round(statistics.median(firsts), 3),
            "first_token_p95_s": round(sorted(firsts)[int(0.95 * (len(firsts) - 1))], 3),
            "answer_p50_s": round(statistics.median(totals), 3),
            "prompt_tokens_per_s": rate("prompt_tokens", "prompt_ms"), "gen_tokens_per_s": rate("gen_tokens", "gen_ms"),
            "prompt_tokens_mean": round(statistics.mean(r["prompt_tokens"] for r in rows)),
            "gen_tokens_mean": round(statistics.mean(r["gen_tokens"] for r in rows)), "answers": len(rows),
            "texts": [r["text"] for r in rows]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="RAG_HOME of an ingested index")
    parser.add_argument("--python", action="append", required=True, help="an interpreter with a llama-cpp-python build")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    messages = prompts(args.home, args.dev, args.n)
    results = [run_build(p, messages, args.max_tokens) for p in args.python]
    texts = [r.pop("texts", None) for r in results]
    base = next((t for t in texts if t), None)
    for r, t in zip(results, texts):  # the same prompts and seed: do the builds write the same answers?
        if t:
            r["same_answers_as_first"] = sum(a == b for a, b in zip(t, base))
    if args.json:
        print(json.dumps(results))
        return
    for r in results:
        if "error" in r:
            print(f"{r['python']}: FAILED {r['error']}")
            continue
        print(f"{r['python']}\n  {r['features']}\n  load {r['load_s']} s; first token p50 {r['first_token_p50_s']} s, "
              f"p95 {r['first_token_p95_s']} s; answer p50 {r['answer_p50_s']} s; prompt {r['prompt_tokens_per_s']} "
              f"tok/s ({r['prompt_tokens_mean']} a question), generation {r['gen_tokens_per_s']} tok/s "
              f"({r['gen_tokens_mean']}); same answers as the first build: {r['same_answers_as_first']}")


if __name__ == "__main__":
    main()
