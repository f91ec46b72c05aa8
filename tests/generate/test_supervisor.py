"""The local model's line: requests are answered one at a time, first come first served, each
told how many are ahead; one that gives up, waiting or answering, lets the next go."""

from __future__ import annotations

import os
import sys

import pytest

from rag.generate.llama_cpp import default_gguf
from rag.generate.supervisor import ModelWorker
from rag.types import Waiting

pytestmark = pytest.mark.slow
REQUEST = {"messages": [{"role": "user", "content": "Count from one to twenty."}], "max_tokens": 48, "repeat_penalty": 1.3,
           "temperature": 0.0}


@pytest.fixture(scope="module")
def worker():
    w = ModelWorker({"path": default_gguf(), "n_ctx": 512, "n_threads": 2, "chat_format": None},
                    python=sys.executable, load_timeout=120, idle_timeout=120)
    w.ready()
    yield w
    w.stop()


def _text(stream) -> str:
    return "".join(piece for piece in stream if isinstance(piece, str))


def test_each_request_hears_its_place_and_is_served_in_order(worker):
    first = worker.stream(REQUEST)
    assert isinstance(next(first), str)  # generating: the head of the line
    second, third = worker.stream(REQUEST, report_wait=True), worker.stream(REQUEST, report_wait=True)
    assert next(second) == Waiting(1)
    assert next(third) == Waiting(2)
    untold = worker.stream(REQUEST)  # without report_wait it waits silently

    first.close()  # the caller stopped reading: its turn ends, and the next in line starts
    assert isinstance(next(second), str)
    assert next(third) == Waiting(1)
    assert _text(second) and next(third) != Waiting(1) and _text(third)
    assert _text(untold), "a request that was never told its place is still answered"


def test_a_request_that_gives_up_while_waiting_does_not_block_the_line(worker):
    head = worker.stream(REQUEST)
    next(head)
    quitter, patient = worker.stream(REQUEST, report_wait=True), worker.stream(REQUEST, report_wait=True)
    assert next(quitter) == Waiting(1) and next(patient) == Waiting(2)
    quitter.close()  # a browser tab closed while its question waited
    assert next(patient) == Waiting(1)
    head.close()
    assert _text(patient)
    assert _text(worker.stream(REQUEST)), "the line is empty again: a new request goes straight in"



def test_the_worker_spins_briefly_at_llama_cpps_barriers(worker):
    """GNU OpenMP's long default spin stalls every thread when another process takes a core;
    a value the user set is kept."""
    with open(f"/proc/{worker.pid}/environ", "rb") as fh:
        env = dict(item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item)
    assert env.get(b"GOMP_SPINCOUNT") == os.environ.get("GOMP_SPINCOUNT", "30000").encode()
