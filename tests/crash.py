"""A real native crash on demand: find the local model's worker process and signal it while it
is answering (its CPU time is growing: an idle worker waits on a queue and uses none)."""

from __future__ import annotations

import os
import signal
import threading
import time

import psutil

WORKER = "llama_worker.py"


def workers(parent_pid: int | None = None) -> list[psutil.Process]:
    """The model workers under ``parent_pid`` (default: this process)."""
    parent = psutil.Process(parent_pid or os.getpid())
    found = []
    for child in parent.children(recursive=True):
        try:
            if any(WORKER in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def kill_when_busy(parent_pid: int | None = None, sig: int = signal.SIGSEGV, busy_s: float = 0.1,
                   timeout: float = 600) -> dict:
    """Start a thread that waits for a worker (under ``parent_pid``) to spend ``busy_s`` of CPU
    from now, that is to be in the middle of an answer, and sends it ``sig``. The dict it
    returns gets ``pid`` once the signal is sent."""
    result: dict = {}
    idle = {p.pid: _cpu(p) for p in workers(parent_pid)}

    def watch() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for proc in workers(parent_pid):
                try:
                    if _cpu(proc) - idle.setdefault(proc.pid, _cpu(proc)) >= busy_s:
                        os.kill(proc.pid, sig)
                        result["pid"] = proc.pid
                        return
                except psutil.NoSuchProcess:
                    continue
            time.sleep(0.01)

    result["thread"] = threading.Thread(target=watch, daemon=True)
    result["thread"].start()
    return result
