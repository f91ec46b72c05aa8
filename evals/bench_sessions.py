"""Many chat sessions asking the local model at once: how long each waits, and whether a pool
of model workers would answer them sooner than one worker taking turns.

    python evals/bench_sessions.py --home RAG_HOME --questions FILE.jsonl [--sessions 8] [--json]

``--questions`` is a golden set (its ``question`` fields, the first ``--sessions`` of them).

1. **sessions**: ``--sessions`` threads call ``ask_stream`` with the local backend at the same
   moment, as that many browser tabs would. Prints the p50/p95 of each answer's total seconds and
   of its time in the model's line, and how many sessions were told their place ("N questions
   ahead of yours") before their text began.
2. **pool**: the same prompts sent straight to model workers: one worker with every core, against
   one worker per core with one thread each, all requests at once. Prints the wall time and the
   p50/p95 latency of each layout. This is what decides whether answers should run in parallel.

Nothing is asserted: a shared machine is noisy, so the figures are for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 2)


def sessions(questions: list[str], settings) -> dict:
    from rag.answer import assistant
    from rag.types import Answer, Waiting

    helper = assistant(settings)
    list(helper.stream(questions[0], backend="local"))  # the model loaded, the retriever warm
    rows: list[dict] = [{} for _ in questions]
    start = threading.Barrier(len(questions))

    def one(i: int) -> None:
        start.wait()
        t, told = time.perf_counter(), 0
        for event in helper.stream(questions[i], backend="local"):
            if isinstance(event, Waiting):
                told += 1
            elif isinstance(event, Answer):
                rows[i] = {"total": time.perf_counter() - t, "queued": event.timings.get("queued", 0.0),
                           "told": told > 0, "refused": event.refused}

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(questions))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    totals, queued = [r["total"] for r in rows], [r["queued"] for r in rows]
    return {"sessions": len(rows), "total_p50": _pct(totals, 0.5), "total_p95": _pct(totals, 0.95),
            "queued_p50": _pct(queued, 0.5), "queued_p95": _pct(queued, 0.95),
            "told_their_place": sum(r["told"] for r in rows), "refused": sum(r["refused"] for r in rows)}


def pool(questions: list[str], settings, workers: int, threads: int) -> dict:
    from rag.answer import assistant
    from rag.generate import get_generator
    from rag.generate.base import build_messages
    from rag.generate.supervisor import ModelWorker

    helper, local = assistant(settings), get_generator("local", settings)
    prompts = []
    for q in questions:
        gate = helper.gate(q)
        prompts.append(build_messages(gate.query, gate.hits, (), local.context_chars(), gate.evidence))
    config = {**local.worker.config, "n_threads": threads}
    team = [ModelWorker(config, python=local.worker.python, load_timeout=300, idle_timeout=300) for _ in range(workers)]
    for w in team:
        w.ready()
    latencies = [0.0] * len(prompts)
    request = {"max_tokens": settings.llm_max_tokens, "temperature": settings.llm_temperature, "repeat_penalty": 1.3}

    def one(i: int, begun: float) -> None:
        "".join(p for p in team[i % workers].stream({**request, "messages": prompts[i]}) if isinstance(p, str))
        latencies[i] = time.perf_counter() - begun

    begun = time.perf_counter()
    jobs = [threading.Thread(target=one, args=(i, begun)) for i in range(len(prompts))]
    for th in jobs:
        th.start()
    for th in jobs:
        th.join()
    wall = time.perf_counter() - begun
    for w in team:
        w.stop()
    return {"workers": workers, "threads_each": threads, "wall": round(wall, 2),
            "latency_p50": _pct(latencies, 0.5), "latency_p95": _pct(latencies, 0.95)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=None, help="RAG_HOME of an index (default: the configured one)")
    ap.add_argument("--questions", type=Path, required=True, help="a golden set (.jsonl) whose questions to ask")
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rag.config import Settings

    settings = Settings.load(home=str(args.home)) if args.home else Settings.load()
    rows = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [r["question"] for r in rows if r.get("question") and not r.get("history")][: args.sessions]
    if len(questions) < 2:
        sys.exit(f"{args.questions} has fewer than 2 questions without history")
    cores = os.cpu_count() or 2
    result = {"cores": cores, "sessions": sessions(questions, settings),
              "pool": [pool(questions, settings, 1, cores), pool(questions, settings, cores, 1)]}
    if args.json:
        print(json.dumps(result))
        return
    s = result["sessions"]
    print(f"{s['sessions']} sessions at once: total p50 {s['total_p50']} s, p95 {s['total_p95']} s; in the model's "
          f"line p50 {s['queued_p50']} s, p95 {s['queued_p95']} s; told their place: {s['told_their_place']}")
    print(f"{'layout':28} {'wall s':>7} {'p50 s':>6} {'p95 s':>6}")
    for p in result["pool"]:
        name = f"{p['workers']} worker(s) x {p['threads_each']} thread(s)"
        print(f"{name:28} {p['wall']:>7.2f} {p['latency_p50']:>6.2f} {p['latency_p95']:>6.2f}")


if __name__ == "__main__":
    main()
