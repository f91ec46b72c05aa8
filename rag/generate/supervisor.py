"""Runs the local model in a worker process (``llama_worker.py``), watches it, and restarts it.

A crash of native code (a signal) becomes a ``RagError`` for that one question, naming the
signal and the fix; a new worker is started at once, so the next question is answered. A
worker that stops answering is killed after ``idle_timeout`` seconds without a token.

Messages come back on a reader thread into a queue, so every wait has a timeout and a dead
worker is seen as the end of its stdout, not as a hang.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

from rag.errors import BackendUnavailableError, ConfigError, MissingExtraError, ModelCrashError, ModelMissingError
from rag.types import Waiting

WORKER_SCRIPT = Path(__file__).with_name("llama_worker.py")
_EOF = object()
_LIVE: weakref.WeakSet = weakref.WeakSet()
SIGILL_HINT = ("SIGILL means llama-cpp-python was compiled for instructions this CPU cannot run: rebuild it "
               "portably (`make install` does; see the README's 'Local model build'), then run `rag doctor`.")


def describe_exit(returncode: int) -> str:
    """A process's end in words.

    >>> describe_exit(-11), describe_exit(3)
    ('signal 11, SIGSEGV', 'exit status 3')
    """
    if returncode < 0:
        try:
            return f"signal {-returncode}, {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


class ModelWorker:
    """One worker process for one model ``config`` (path, n_ctx, n_threads, chat_format)."""

    def __init__(self, config: dict, *, python: str, load_timeout: float, idle_timeout: float):
        self.config, self.python = config, python
        self.load_timeout, self.idle_timeout = load_timeout, idle_timeout
        self.info: dict | None = None  # the worker's "ready" message
        self.last_stats: dict = {}  # llama.cpp's counts for the last finished request (benchmarks read them)
        self._proc: subprocess.Popen | None = None
        self._messages: queue.Queue = queue.Queue()
        self._stderr: collections.deque = collections.deque(maxlen=60)
        self._ids = itertools.count(1)
        self._spawn_lock = threading.Lock()
        # One llama.cpp context: one generation at a time. Requests wait in a line (first come,
        # first served) whose order a caller can report: "2 questions ahead of yours".
        self._line: list[object] = []
        self._turn = threading.Condition()
        _LIVE.add(self)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        """Start the worker unless one is running; returns at once (the model loads meanwhile)."""
        with self._spawn_lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            self.info, self._messages, self._stderr = None, queue.Queue(), collections.deque(maxlen=60)
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            # llama.cpp's threads meet at an OpenMP barrier after every layer, and GNU OpenMP spins
            # there for ~300k iterations first: a thread whose core another process takes stalls
            # the others while they spin. A short spin, then sleep: 64 tokens on 2 threads with
            # both cores busy, 3.6–4.1 s → 1.8–2.4 s (idle 0.9–1.0 s either way). It matters when
            # the load comes mid-answer; one that is there at the start gets 1 thread anyway
            # (``free_threads``), and evals/bench_contention.py moved only 3.87× → 3.69×.
            env.setdefault("GOMP_SPINCOUNT", "30000")
            try:
                self._proc = subprocess.Popen([self.python, str(WORKER_SCRIPT), json.dumps(self.config)],
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              env=env, text=True, encoding="utf-8", errors="replace", bufsize=1)
            except OSError as exc:
                self._proc = None
                raise BackendUnavailableError(
                    f"The local model worker could not start ({self.python}: {exc.strerror or exc}). Set "
                    "RAG_LLM_PYTHON to a Python that has llama-cpp-python installed, or unset it.") from None
            proc, messages, stderr = self._proc, self._messages, self._stderr
            threading.Thread(target=_read_messages, args=(proc, messages), daemon=True).start()
            threading.Thread(target=_read_stderr, args=(proc, stderr), daemon=True).start()

    def ready(self) -> dict:
        """The worker's ready message (n_ctx, pid, system_info); starts and waits for it if needed."""
        if self._proc is None or self._proc.poll() is not None:
            self.start()
        if self.info is None:
            with self._spawn_lock:
                if self.info is None:
                    self.info = self._await_ready()
        return self.info

    def _await_ready(self) -> dict:
        path = self.config["path"]
        try:
            message = self._messages.get(timeout=self.load_timeout)
        except queue.Empty:
            self.stop()
            raise BackendUnavailableError(f"The local model {path} did not load within {self.load_timeout:g} s; "
                                          "the machine may be overloaded. Raise RAG_LLM_LOAD_TIMEOUT or use a smaller GGUF.") from None
        if message is _EOF:
            returncode = self._wait()
            how = describe_exit(returncode)
            if returncode >= 0:  # Python itself failed: its last words say why
                hint = f"It said: {self.last_words() or '(nothing)'}. Check RAG_LLM_PYTHON and the llama-cpp-python install."
            elif "SIGILL" in how:
                hint = SIGILL_HINT
            else:
                hint = "The file may be truncated or corrupt: re-download it, or set RAG_LLM_PATH to another GGUF."
            raise ModelCrashError(f"The local model worker stopped ({how}) while loading {path}. {hint}")
        if "ready" in message:
            return message["ready"]
        kind, error = message.get("kind"), message.get("error", "")
        self._wait()
        if kind == "import" and self.python == sys.executable:
            raise MissingExtraError("The local backend", "llama-cpp-python", "local")
        if kind == "import":
            raise BackendUnavailableError(f"RAG_LLM_PYTHON={self.python} cannot import llama_cpp ({error}). Fix: "
                                          f"{self.python} -m pip install llama-cpp-python, or unset RAG_LLM_PYTHON.")
        if kind == "template":
            raise ConfigError(f"{path} has no chat template, so there is no way to know how to prompt it. Use an "
                              "instruct (chat) GGUF, or set RAG_LLM_CHAT_FORMAT to one of llama-cpp-python's chat "
                              "formats (chatml, llama-2, llama-3, gemma, mistral-instruct, ...).")
        said = self.last_words()
        raise ModelMissingError(f"Cannot load the GGUF model {path}: {error}{f' ({said})' if said else ''}. The file "
                                "may be truncated or corrupt: re-download it, or set RAG_LLM_PATH to another GGUF.")

    def stream(self, request: dict, report_wait: bool = False) -> Iterator[str | Waiting]:
        """Stream the reply pieces of one chat ``request`` (messages, max_tokens, ...).

        With ``report_wait``, a ``Waiting`` comes first whenever the number ahead changes.
        """
        ticket = object()
        with self._turn:
            self._line.append(ticket)
        try:
            yield from self._await_turn(ticket, report_wait)
            yield from self._generate(request)
        finally:  # answered, failed, or abandoned while waiting: the next in line goes
            with self._turn:
                self._line.remove(ticket)
                self._turn.notify_all()

    def _await_turn(self, ticket: object, report: bool) -> Iterator[Waiting]:
        told = None
        while True:
            with self._turn:
                ahead = self._line.index(ticket)
                if ahead == 0:
                    return
                if not report or ahead == told:
                    self._turn.wait(timeout=1.0)
                    continue
            told = ahead
            yield Waiting(ahead)

    def _generate(self, request: dict) -> Iterator[str]:
        self.ready()
        rid, proc = next(self._ids), self._proc
        done = False
        try:
            self._send({**request, "id": rid})
            while not done:
                message = self._next(rid)
                if "piece" in message:
                    yield message["piece"]
                elif "error" in message:  # the worker is done with this request, and still up
                    done = True
                    raise BackendUnavailableError(f"The local model failed on this question: {message['error']}. "
                                                  "Ask again; if it keeps failing, run `rag doctor`.")
                else:
                    done = True
                    self.last_stats = message.get("stats", {})
        finally:
            if not done and self._proc is proc:  # else that worker died, and the request with it
                self._finish(rid)

    def _next(self, rid: int) -> dict:
        """The next message for request ``rid``; a dead or silent worker raises (and is restarted)."""
        while True:
            try:
                message = self._messages.get(timeout=self.idle_timeout)
            except queue.Empty:
                self.stop()
                self.start()
                raise BackendUnavailableError(
                    f"The local model gave no output for {self.idle_timeout:g} s and was restarted; ask again. "
                    "The machine may be overloaded (RAG_LLM_TIMEOUT sets the limit).") from None
            if message is _EOF:
                how = describe_exit(self._wait())
                self.start()  # the next question gets a fresh worker, already loading
                hint = SIGILL_HINT if "SIGILL" in how else "If it keeps happening, run `rag doctor` or set RAG_LLM_PATH to another GGUF."
                raise ModelCrashError(f"The local model stopped ({how}) while answering and was restarted; "
                                      f"ask again. {hint}")
            if message.get("id") == rid:
                return message

    def _finish(self, rid: int) -> None:
        """The caller stopped reading: cancel ``rid`` and drain it, so the next request starts clean."""
        try:
            self._send({"cancel": rid})
            while "piece" in self._next(rid):
                pass
        except Exception:  # noqa: BLE001 - a crash now costs nothing shown; _next restarted the worker
            pass

    def _send(self, message: dict) -> None:
        try:
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()
        except (OSError, ValueError):  # the worker is gone; _next sees its end and says how
            pass

    def _wait(self) -> int:
        try:
            return self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            return self._proc.wait()

    def last_words(self) -> str:
        """The last error-looking lines the worker wrote to stderr (llama.cpp's reasons)."""
        lines = [ln.strip() for ln in list(self._stderr) if ln.strip()]
        picked = [ln for ln in lines if any(w in ln.lower() for w in ("error", "failed", "invalid", "exception"))]
        return " | ".join((picked or lines)[-2:])[:400]

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.stdin.close()  # the worker exits on end of input
            proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


def _read_messages(proc: subprocess.Popen, messages: queue.Queue) -> None:
    for line in proc.stdout:
        try:
            messages.put(json.loads(line))
        except ValueError:
            continue
    messages.put(_EOF)


def _read_stderr(proc: subprocess.Popen, lines: collections.deque) -> None:
    for line in proc.stderr:  # read always: a full pipe would block the worker
        lines.append(line)


@atexit.register
def _stop_all() -> None:
    for worker in list(_LIVE):
        worker.stop()
