"""The local model's own process: loads one GGUF with llama-cpp-python and streams chat replies.

Why a process of its own: llama.cpp is native code. An instruction the CPU lacks (SIGILL), a
corrupt GGUF or a bug in a kernel (SIGSEGV) kills the process it runs in; here that is this
worker, never the web page, a ``rag chat`` session or an eval run. ``rag.generate.supervisor``
starts it, watches it and starts a new one after a crash.

It imports nothing from ``rag``, so any Python with llama-cpp-python can run it
(``RAG_LLM_PYTHON``: say, a venv with a CUDA build): ``python llama_worker.py CONFIG_JSON``.

The protocol is one JSON object a line:

- stdout, once: ``{"ready": {"n_ctx", "pid", "system_info", "chat_template"}}``, or
  ``{"error": text, "kind": "import" | "load" | "template"}`` and exit.
- stdin, per request: ``{"id", "messages", "max_tokens", "temperature", "repeat_penalty"}``;
  stdout answers ``{"id", "piece"}``... then ``{"id", "done": true, "stats"}`` (llama.cpp's token
  counts and times) or ``{"id", "error"}``.
- stdin ``{"cancel": id}`` stops that request after the current token (the caller has read
  enough); end of stdin means the caller is gone, and the worker exits.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time

# Run as a script, this folder is sys.path[0], and rag's own llama_cpp.py beside this file
# would shadow the llama_cpp package.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)


def main(argv: list[str]) -> int:
    config = json.loads(argv[1])
    # The protocol gets its own copy of stdout, and fd 1 is pointed at stderr: whatever native
    # code prints can then never corrupt a message.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    write_lock = threading.Lock()

    def send(message: dict) -> None:
        with write_lock:
            out.write(json.dumps(message) + "\n")
            out.flush()

    try:
        import llama_cpp
        from llama_cpp import Llama, llama_print_system_info
    except ImportError as exc:
        send({"error": f"{exc} (Python {sys.executable})", "kind": "import"})
        return 3
    try:
        # verbose: llama.cpp's own load errors ("tensor data is not within the file bounds") go
        # to stderr, which the supervisor keeps and quotes; quiet, they would be lost.
        llm = Llama(model_path=config["path"], n_ctx=config["n_ctx"], n_threads=config["n_threads"], seed=0,
                    chat_format=config.get("chat_format") or None, verbose=True)
    except Exception as exc:  # noqa: BLE001 - any load failure is reported, not raised
        send({"error": f"{type(exc).__name__}: {exc}", "kind": "load"})
        return 4
    template = bool(llm.metadata.get("tokenizer.chat_template"))
    if not template and not config.get("chat_format"):
        send({"error": "the GGUF has no chat template (tokenizer.chat_template)", "kind": "template"})
        return 5
    send({"ready": {"n_ctx": llm.n_ctx(), "pid": os.getpid(), "chat_template": template,
                    "system_info": llama_print_system_info().decode(errors="replace").strip()}})

    requests: queue.Queue = queue.Queue()
    cancelled: set = set()

    def read_stdin() -> None:
        for line in sys.stdin:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not from the supervisor; nothing to answer
            if "cancel" in message:
                cancelled.add(message["cancel"])
            else:
                requests.put(message)
        os._exit(0)  # the supervisor closed the pipe or died: nobody is left to answer

    threading.Thread(target=read_stdin, daemon=True).start()
    while True:
        request = requests.get()
        rid = request["id"]
        try:
            # As many threads as cores are free now: llama.cpp's threads spin while they wait
            # for each other, and one on a core another process holds stalls them all
            # (measured: 128 tokens in 1.6 s idle; 40 s with both cores busy on 2 threads, 4.0 s on 1).
            threads = free_threads(config["n_threads"])
            llama_cpp.llama_set_n_threads(llm.ctx, threads, threads)
            llama_cpp.llama_perf_context_reset(llm.ctx)
            stream = llm.create_chat_completion(request["messages"], max_tokens=request["max_tokens"],
                                                temperature=request["temperature"],
                                                repeat_penalty=request["repeat_penalty"], stream=True)
            for part in stream:
                if rid in cancelled:
                    break
                text = part["choices"][0]["delta"].get("content")
                if text:
                    send({"id": rid, "piece": text})
            perf = llama_cpp.llama_perf_context(llm.ctx)  # after prefix reuse: what was really evaluated
            send({"id": rid, "done": True, "stats": {"prompt_tokens": perf.n_p_eval, "prompt_ms": round(perf.t_p_eval_ms),
                                                     "gen_tokens": perf.n_eval, "gen_ms": round(perf.t_eval_ms)}})
        except Exception as exc:  # noqa: BLE001 - one bad request must not end the worker
            send({"id": rid, "error": f"{type(exc).__name__}: {exc}"})
        cancelled.discard(rid)


def free_threads(most: int, busy: float | None = None, cores: int | None = None) -> int:
    """Threads for the next generation: the cores no other process is using, at least one.
    ``busy``: cores in use (sampled from /proc/stat when not given) of ``cores`` (this machine's).

    >>> free_threads(2, busy=0.1, cores=2), free_threads(2, busy=1.9, cores=2), free_threads(8, busy=3.2, cores=8)
    (2, 1, 5)
    """
    busy = busy_cores() if busy is None else busy
    cores = cores or os.cpu_count() or most
    return max(1, min(most, cores - int(busy + 0.5)))


def busy_cores(interval: float = 0.05) -> float:
    """Cores busy over ``interval`` seconds, from /proc/stat (0 where it cannot be read)."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(interval)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    spent = total1 - total0
    return (os.cpu_count() or 1) * (1 - (idle1 - idle0) / spent) if spent > 0 else 0.0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
