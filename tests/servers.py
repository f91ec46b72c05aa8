"""Real servers for tests: started on a free 127.0.0.1 port, awaited, and always stopped."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(args: list[str], ready_url: str, log_path: Path, timeout: float = 120,
                   env: dict[str, str] | None = None, ssl_context=None) -> Iterator[subprocess.Popen]:
    """Run ``args`` (with ``env``, default: this process's) until the context ends; ready when ``ready_url``
    answers (over HTTPS, trusting ``ssl_context``).

    Output goes to ``log_path``, not a pipe: a chatty server blocks once a pipe nobody reads fills.
    """
    with open(log_path, "w") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(ready_url, timeout=1, context=ssl_context)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"{args[0]} did not start: {log_path.read_text()[-2000:]}")
                    time.sleep(0.2)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
