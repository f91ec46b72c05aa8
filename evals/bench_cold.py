"""Cold-start benchmark: what a new ``rag ask`` process spends before it answers, part by part.

Run: ``python evals/bench_cold.py [--home DIR] [--engine auto|onnx|torch] [--runs 3] [--json]``.
``--home`` is a rag home holding ``index/`` (default: bench_query's, ``~/.cache/rag-bench/home``).

* parts: one fresh process loads what ``rag ask`` loads, in its order, timing each step: the
  CLI and answer modules, the embedding engine's imports (torch + sentence-transformers, or
  onnxruntime), the BM25 index with its token sets and idf table, the Chroma store, the
  embedding model, the first query vector, the whole retrieval, the GGUF. It also lists which
  heavy modules ended up imported (the ONNX engine should leave torch out).
* total: ``rag ask QUESTION --backend local --json`` in a new process (bench_query's cold-start
  command), start to exit, ``--runs`` times, median; and start to the first generated token.

``--engine torch`` gives the sentence-transformers path (the figures before the ONNX engine).
A benchmark, not a test: it prints figures and asserts nothing. On a shared machine the figures
move a lot; compare runs made back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))  # bench_query beside this script

import bench_query  # noqa: E402

HEAVY = ("torch", "sentence_transformers", "transformers", "onnxruntime", "scipy", "bm25s", "chromadb", "llama_cpp")


def worker_parts(home: Path) -> dict:
    """Runs in a fresh process: each step of a cold ``rag ask``, in seconds."""
    t0 = time.perf_counter()
    parts: dict[str, float] = {}

    def lap(name: str, start=[t0]) -> None:
        now = time.perf_counter()
        parts[name] = round(now - start[0], 3)
        start[0] = now

    import dataclasses

    import rag.answer  # noqa: F401
    import rag.cli  # noqa: F401
    from rag.config import Settings

    lap("import rag.cli + rag.answer")
    settings = dataclasses.replace(Settings.load(home=home, index=home / "index"), chroma_url=None)
    engine = getattr(settings, "embed_engine", "torch")  # a checkout from before the ONNX engine: torch
    if engine == "torch":
        import torch  # noqa: F401

        lap("import torch")
        import sentence_transformers  # noqa: F401

        lap("import sentence_transformers")
    else:
        import onnxruntime  # noqa: F401

        lap("import onnxruntime")
    retriever = rag.answer.assistant(settings).retriever
    retriever.bm25  # noqa: B018
    lap("BM25 index + token sets + idf")
    retriever.store.count()
    lap("Chroma open")
    embedder = retriever.embedder
    engine = getattr(embedder, "engine", "torch")
    embedder.model if engine == "torch" else embedder.session  # noqa: B018
    lap(f"embedding model load ({engine})")
    embedder.embed_query(bench_query.WARMUP)
    lap("first query vector")
    hits = retriever.retrieve(bench_query.WARMUP, settings.top_k)
    retriever.key_sentences(bench_query.WARMUP, hits)
    lap("retrieve + key sentences (warm)")
    from rag.generate.base import get_generator

    get_generator("local", settings).worker.ready()
    lap("GGUF load (worker process)")
    parts["total"] = round(time.perf_counter() - t0, 3)
    return {"parts": parts, "engine": engine, "imported": [m for m in HEAVY if m in sys.modules]}


def run_parts(home: Path) -> dict:
    cmd = [sys.executable, str(HERE), "--_worker", "--home", str(home)]
    env = dict(os.environ, **bench_query.ENV, PYTHONPATH=os.pathsep.join(
        filter(None, [str(HERE.parents[1]), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-1500:]}"}


def run_total(home: Path, backend: str, runs: int) -> dict:
    """``rag ask`` as a user runs it (bench_query's command), ``runs`` times. Besides the wall
    time, "to first token" = wall − the answer's own ``total`` + its ``first_token``: process
    start to the first generated token, which does not move with the answer's length (a small
    model on a busy machine can take from 2 s to minutes to finish one)."""
    env = {"RAG_HOME": str(home), "RAG_INDEX": str(home / "index"), "RAG_DOCUMENTS": str(home / "documents"),
           "RAG_CHROMA_URL": "", "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parents[1]),
                                                                             os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-c", "import sys; from rag.cli import main; sys.argv[0] = 'rag'; sys.exit(main())",
           "ask", bench_query.WARMUP, "--backend", backend, "--json"]
    out = []
    for _ in range(runs):
        print(f"[bench] cold rag ask --backend {backend} ...", file=sys.stderr, flush=True)
        answer, wall = bench_query._last_json(cmd, env)
        if "error" in answer:
            return answer
        t = answer["timings"]
        first = wall - t["total"] + t.get("first_token", t["total"])
        out.append({"s": wall, "to_first_token_s": round(first, 2), "timings": {k: round(v, 2) for k, v in t.items()}})
    median = bench_query.percentile
    return {"backend": backend, "runs": out, "median_s": round(median([r["s"] for r in out], 50), 2),
            "median_to_first_token_s": round(median([r["to_first_token_s"] for r in out], 50), 2)}


def table(result: dict) -> str:
    lines = [f"engine: {result['engine']}  home: {result['home']}"]
    parts = result["parts"]
    if "error" in parts:
        lines.append(f"parts: {parts['error']}")
    else:
        lines += [f"  {name:40s} {s:6.2f} s" for name, s in parts["parts"].items()]
        lines.append(f"  heavy modules imported: {', '.join(parts['imported']) or 'none'}")
    total = result.get("total")
    if total and "error" in total:
        lines.append(f"rag ask: {total['error']}")
    elif total:
        walls = ", ".join(f"{r['s']:.2f}" for r in total["runs"])
        lines.append(f"rag ask --backend {total['backend']}, process start to exit: median {total['median_s']:.2f} s "
                     f"({walls}); to first token: median {total['median_to_first_token_s']:.2f} s")
        for i, r in enumerate(total["runs"], 1):
            lines.append(f"  run {i} in-process: " + ", ".join(f"{k} {v:.2f}" for k, v in r["timings"].items()))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=bench_query.CACHE / "home", help="rag home holding index/")
    ap.add_argument("--engine", choices=("auto", "onnx", "torch"), help="RAG_EMBED_ENGINE for the processes")
    ap.add_argument("--runs", type=int, default=bench_query.COLD_RUNS, help="rag ask runs (0: parts only)")
    ap.add_argument("--backend", default="local", help="the rag ask backend (extractive: no LLM)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--_worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    home = args.home.expanduser().resolve()
    if args._worker:
        print(json.dumps(worker_parts(home)))
        return
    if args.engine:
        os.environ["RAG_EMBED_ENGINE"] = args.engine  # inherited by every process below
    print("[bench] cold parts ...", file=sys.stderr, flush=True)
    parts = run_parts(home)
    total = None
    if args.runs:
        total = run_total(home, args.backend, args.runs)
    result = {"home": str(home), "engine": args.engine or os.environ.get("RAG_EMBED_ENGINE", "auto"),
              "parts": parts, "total": total}
    print(json.dumps(result, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
