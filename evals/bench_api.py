"""What the REST API adds to an answer: ``ask()`` in process against the same question through
``POST /v1/chat/completions`` of a real ``rag serve`` on loopback. Target: p50 added ≤ 20 ms.

    python evals/bench_api.py --home RAG_HOME --set ../shared/evals/dev.jsonl [--backend extractive] [--repeat 3] [--json]

For each question of the set (its history too), the in-process time is the median of
``--repeat`` warm ``ask()`` calls, the API time the median of as many HTTP round trips
with the official ``openai`` client (server warm: each question is asked once before it is
timed, on both sides, so caches are equal). Printed: p50/p95 of each and of the
difference per question. A benchmark, not a test: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True, help="RAG_HOME of an index")
    ap.add_argument("--set", type=Path, required=True, help="golden set (JSONL) whose questions are asked")
    ap.add_argument("--backend", default="extractive")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from openai import OpenAI

    from rag.answer import ask
    from rag.config import Settings

    items = [json.loads(line) for line in args.set.read_text().splitlines() if line.strip()][: args.limit]
    settings = Settings.load(home=str(args.home))
    port = free_port()
    env = {**os.environ, "RAG_HOME": str(args.home)}
    env.pop("RAG_API_KEYS", None)
    log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
    server = subprocess.Popen([str(Path(sys.executable).parent / "rag"), "serve", "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"rag serve did not start; see {log.name}")
                time.sleep(0.3)
        client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused")
        local, remote, added = [], [], []
        for item in items:
            history = item.get("history") or []
            messages = history + [{"role": "user", "content": item["question"]}]

            def in_process():
                t = time.perf_counter()
                ask(item["question"], history=history, settings=settings, backend=args.backend)
                return time.perf_counter() - t

            def over_http():
                t = time.perf_counter()
                client.chat.completions.create(model=args.backend, messages=messages)
                return time.perf_counter() - t

            in_process(), over_http()  # warm: the same caches on both sides
            a = statistics.median(in_process() for _ in range(args.repeat))
            b = statistics.median(over_http() for _ in range(args.repeat))
            local.append(a)
            remote.append(b)
            added.append(b - a)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {"questions": len(items), "backend": args.backend,
              "ask_p50_ms": round(1000 * pct(local, 0.5), 1), "ask_p95_ms": round(1000 * pct(local, 0.95), 1),
              "api_p50_ms": round(1000 * pct(remote, 0.5), 1), "api_p95_ms": round(1000 * pct(remote, 0.95), 1),
              "added_p50_ms": round(1000 * pct(added, 0.5), 1), "added_p95_ms": round(1000 * pct(added, 0.95), 1),
              "target": "added p50 <= 20 ms"}
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:14} {value}")


if __name__ == "__main__":
    main()
