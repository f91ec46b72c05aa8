"""The local model when the cores are shared: one answer idle, then the same answer while
other processes keep every core busy. Target: the busy answer within 3x the idle one.

    python evals/bench_contention.py --home RAG_HOME --question "…" --question "…" [--repeat 3] [--json]

llama.cpp's threads spin while they wait for each other, so one thread on a core another
process holds stalls them all; the worker now runs as many threads as cores are free
(``rag.generate.llama_worker.free_threads``). Prints the generation and total seconds of
each run (median of ``--repeat``), and the ratio. Nothing is asserted: a shared machine
is noisy, so the figures are for reading, not for a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def answer_seconds(questions: list[str], settings, repeat: int) -> dict[str, float]:
    from rag.answer import assistant

    runs = []
    for i in range(repeat):
        # A different question each time, as in a chat: llama.cpp reuses the prompt it has
        # already read, so the same question again would time the generation alone.
        question = questions[i % len(questions)]
        final = [e for e in assistant(settings).stream(question, backend="local")][-1]
        runs.append(final.timings)
    return {stage: round(statistics.median(r.get(stage, 0.0) for r in runs), 3) for stage in ("generate", "total")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, default=None, help="RAG_HOME of an index (default: the configured one)")
    ap.add_argument("--question", required=True, action="append",
                    help="a question the index answers; give several (at least two) so no prompt is read twice")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rag.config import Settings

    settings = Settings.load(home=str(args.home)) if args.home else Settings.load()
    answer_seconds(args.question[-1:], settings, 1)  # the worker started and the model loaded
    idle = answer_seconds(args.question, settings, args.repeat)
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(os.cpu_count() or 2)]
    try:
        time.sleep(1.0)
        busy = answer_seconds(args.question, settings, args.repeat)
    finally:
        for proc in spinners:
            proc.kill()
    ratio = round(busy["total"] / idle["total"], 2) if idle["total"] else None
    result = {"cores": os.cpu_count(), "idle": idle, "busy": busy, "ratio_total": ratio, "target": "<= 3x"}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{'':8} {'generate s':>11} {'total s':>8}")
    for name in ("idle", "busy"):
        print(f"{name:8} {result[name]['generate']:>11.2f} {result[name]['total']:>8.2f}")
    print(f"busy / idle (total): {ratio}x  (target <= 3x; {os.cpu_count()} spinning processes)")


if __name__ == "__main__":
    main()
