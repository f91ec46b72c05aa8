"""Ingest into a real `chroma run` server on 127.0.0.1, and a clear error when none is there."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

import rag
from rag.errors import StoreUnavailableError
from rag.store import open_store
from tests.ingestion.test_pipeline import write_docs
from tests.servers import free_port, running_server


@pytest.fixture
def chroma_server(tmp_path):
    # Beside this Python first: the project venv's scripts need not be on PATH (`make test` does not activate it).
    exe = shutil.which("chroma", path=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    if exe is None:
        pytest.fail("the `chroma` command (from the chromadb package) is not beside this Python or on PATH")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [exe, "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1", "--port", str(port)]
    with running_server(args, f"{url}/api/v2/heartbeat", tmp_path / "chroma.log", timeout=60):
        yield url


@pytest.mark.slow
@pytest.mark.server
def test_ingest_into_chroma_server(chroma_server, settings, tmp_path):
    remote = settings.replace(chroma_url=chroma_server)
    folder = write_docs(tmp_path / "docs")
    first = rag.ingest([folder], settings=remote, progress=False)
    assert first.failed == () and first.added == 3
    store = open_store(remote)
    assert store.location == chroma_server
    assert store.count() == first.chunks > 0
    assert not (remote.index_dir / "chroma").exists()  # nothing went to the embedded store

    again = rag.ingest([folder], settings=remote, progress=False)
    assert again.unchanged == 3 and again.chunks == first.chunks

    (folder / "beta.txt").unlink()
    pruned = rag.ingest([folder], settings=remote, progress=False, prune=True)
    assert pruned.removed == 1 and open_store(remote).count() == pruned.chunks < first.chunks


def test_unreachable_server_names_the_url(settings):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailableError) as info:
        open_store(settings.replace(chroma_url=url))
    assert url in str(info.value) and "RAG_CHROMA_URL" in str(info.value)
