"""The login holds against a real `rag serve`: wrong passwords slow down, Gradio's session
endpoints want a session, and HTTPS serves with the user's own certificate."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time

import httpx
import pytest

from tests.servers import free_port, running_server
from tests.ui.conftest import serve

pytestmark = pytest.mark.server
CANCEL = {"session_hash": "s", "fn_index": 0, "event_id": "e"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    yield from serve(tmp_path_factory.mktemp("guard-home"), tmp_path_factory.mktemp("guard-log"), RAG_AUTH="ada:s3cret")


def _login(url: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}/login", data={"username": "ada", "password": password})


def test_session_endpoints_want_a_session(guarded):
    for method, path, body in (("POST", "/gradio_api/cancel", CANCEL), ("POST", "/gradio_api/reset", CANCEL),
                               ("GET", "/gradio_api/heartbeat/s", None), ("GET", "/gradio_api/info", None),
                               ("POST", "/gradio_api/queue/join", {})):
        response = httpx.request(method, guarded.url + path, json=body)
        assert response.status_code == 401, (path, response.status_code, response.text)
    assert httpx.get(f"{guarded.url}/gradio_api/login_check").status_code == 401  # open, and says "sign in"
    assert httpx.get(f"{guarded.url}/healthz").json()["ok"] is True  # needs no session


def test_wrong_passwords_slow_down_and_the_right_one_then_works(guarded):
    codes = [_login(guarded.url, f"guess{i}").status_code for i in range(6)]
    assert codes == [400] * 6  # five free failures, and the sixth is checked too
    locked = _login(guarded.url, "s3cret")  # even the right password waits its turn now
    assert locked.status_code == 429 and "try again in" in locked.json()["detail"]
    wait = int(locked.headers["retry-after"])
    assert 1 <= wait <= 300
    time.sleep(wait + 0.2)
    signed = _login(guarded.url, "s3cret")
    assert signed.status_code == 200 and signed.json() == {"success": True}
    cookies = signed.cookies
    assert httpx.post(f"{guarded.url}/gradio_api/cancel", json=CANCEL, cookies=cookies).status_code == 200
    assert _login(guarded.url, "guess").status_code == 400, "a success clears the record: the next failure is free"


def _env(tmp_path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return {**clean, "RAG_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}


def _self_signed(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_https_with_the_users_certificate(tmp_path):
    cert, key = _self_signed(tmp_path)
    port = free_port()
    trust = ssl.create_default_context(cafile=str(cert))
    args = [sys.executable, "-m", "rag.cli", "serve", "--port", str(port), "--certfile", str(cert), "--keyfile", str(key)]
    with running_server(args, f"https://127.0.0.1:{port}/healthz", tmp_path / "serve.log", env=_env(tmp_path),
                        ssl_context=trust):
        assert httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trust).json()["ok"] is True
        with pytest.raises(httpx.HTTPError):  # no plain HTTP on that port
            httpx.get(f"http://127.0.0.1:{port}/healthz")
    assert f"https://127.0.0.1:{port}" in (tmp_path / "serve.log").read_text()


def test_a_key_that_is_not_pem_is_named_before_anything_listens(tmp_path):
    cert, _ = _self_signed(tmp_path)
    bogus = tmp_path / "key.txt"
    bogus.write_text("not a key\n")
    out = subprocess.run([sys.executable, "-m", "rag.cli", "serve", "--port", "1", "--certfile", str(cert),
                          "--keyfile", str(bogus)], env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "key.txt" in out.stderr and "PEM" in out.stderr and "Traceback" not in out.stderr


def test_guesses_sent_at_once_are_throttled_too(tmp_path):
    """Twenty wrong passwords in parallel: no more than the free five are checked."""
    from concurrent.futures import ThreadPoolExecutor

    served = serve(tmp_path / "home", tmp_path, RAG_AUTH="ada:s3cret")
    site = next(served)
    try:
        with ThreadPoolExecutor(20) as pool:
            codes = list(pool.map(lambda i: _login(site.url, f"guess{i}").status_code, range(20)))
    finally:
        served.close()
    assert codes.count(400) <= 6 and codes.count(429) >= 14, codes
