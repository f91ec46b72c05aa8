"""`rag serve`: the page mounted on our own FastAPI app, served by uvicorn, optionally over TLS.

Gradio's ``launch()`` owns its server, and a started Starlette app takes no more middleware; so
the page is mounted with ``gr.mount_gradio_app`` on an app that also carries the login guard
(``guard.py``), ``/healthz`` and the REST API (``rag/api/routes.py``).

Gradio keeps copies of uploads in ``GRADIO_TEMP_DIR``; each server gets its own, removed
when it stops (the library has copied every accepted upload by then).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import sys
import tempfile
from pathlib import Path

from rag.config import Settings
from rag.errors import ConfigError, RagError
from rag.ui.guard import LOOPBACK

API_DOC = ("The assistant's REST API: `POST /v1/chat/completions` (OpenAI Chat Completions; the message carries "
           "`citations`, `refused`, `reason` and `note`), `GET /v1/models` (one per backend), `POST /v1/search` "
           "(retrieval only) and `/v1/documents`. Send `Authorization: Bearer <key>` when the server has RAG_API_KEYS.")


def tls_paths(certfile: str | None, keyfile: str | None) -> tuple[str, str] | None:
    """Both TLS files, or neither; a missing one is a ConfigError naming it.

    >>> tls_paths(None, None) is None
    True
    """
    if not certfile and not keyfile:
        return None
    if not (certfile and keyfile):
        raise ConfigError("HTTPS needs both --certfile and --keyfile (PEM files).")
    for flag, path in (("--certfile", certfile), ("--keyfile", keyfile)):
        if not Path(path).is_file():
            raise ConfigError(f"{flag} {path}: no such file. Give the PEM file's path (see the README, 'Serving on a network').")
    try:  # read now, so a wrong file is named here and not as a bind failure later
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"--certfile {certfile} with --keyfile {keyfile} cannot be used ({exc}): both must be PEM, "
                          "and the key must match the certificate.") from None
    return certfile, keyfile


def warnings_for(host: str, auth: bool, tls: bool, keys: bool) -> list[str]:
    """What to tell the person starting a server that others can reach.

    >>> warnings_for("127.0.0.1", False, False, False)
    []
    >>> [w.split(":")[0] for w in warnings_for("0.0.0.0", True, False, False)]
    ['Warning', 'Note']
    """
    if host in LOOPBACK:
        return []
    said = []
    if not auth:
        said.append(f"Warning: {host} is reachable from the network and RAG_AUTH is not set, so anyone who can "
                    "reach it can use the page and upload. Set RAG_AUTH=user:password.")
    elif not tls:
        said.append(f"Warning: on {host} the password crosses the network in plain HTTP. Serve over HTTPS with "
                    "--certfile and --keyfile, or put a TLS proxy in front.")
    if not keys:
        said.append("Note: RAG_API_KEYS is not set, so the REST API (/v1) answers this machine only. Set "
                    "RAG_API_KEYS=key1,key2 to open it to the network.")
    return said


def build(settings: Settings, auth: tuple[str, str] | None, scratch: str | None = None):
    """The FastAPI app: the page at ``/``, ``/healthz``, and the login guard when ``auth`` is set.
    ``scratch`` (Gradio's upload copies) is removed when the app shuts down."""
    import contextlib

    import fastapi
    import gradio as gr

    from rag.api.routes import ApiError, api_keys, build_router
    from rag.ui.app import build_app, launch_options
    from rag.ui.guard import Guard

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        # Here, not after uvicorn's run(): on SIGTERM uvicorn shuts down, then re-raises the
        # signal, which ends the process before code after run() would.
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    api = fastapi.FastAPI(title="Sources Q&A", description=API_DOC, docs_url="/docs", redoc_url=None,
                          openapi_url="/openapi.json", lifespan=lifespan)

    @api.get("/healthz", summary="Up, with how many documents the index holds")
    def healthz() -> dict:
        from rag.ui import library

        try:
            return {"ok": True, "documents": len(library.documents(settings))}
        except RagError as exc:
            return {"ok": True, "documents": 0, "warning": str(exc)}

    api.include_router(build_router(settings, api_keys(os.environ.get("RAG_API_KEYS"))))
    api.add_exception_handler(ApiError, lambda _request, exc: exc.response())

    blocks = build_app(settings)
    blocks.queue(default_concurrency_limit=4)
    gr.mount_gradio_app(api, blocks, path="/", auth=auth, auth_message="Sign in to ask the sources.",
                        **launch_options(settings))
    if auth:
        page = next(route.app for route in api.routes if getattr(route, "path", None) == "")

        def signed_in(cookies: dict[str, str]) -> bool:
            token = cookies.get(f"access-token-{page.cookie_id}") or cookies.get(f"access-token-unsecure-{page.cookie_id}")
            return bool(token) and token in page.tokens

        api.add_middleware(Guard, signed_in=signed_in)
    return api


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860,
          certfile: str | None = None, keyfile: str | None = None) -> None:
    """Run the page until interrupted. The socket is bound first, so a busy port is an OSError here."""
    import uvicorn

    from rag.ui.app import parse_auth

    auth = parse_auth(os.environ.get("RAG_AUTH"))
    tls = tls_paths(certfile, keyfile)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    uploads = tempfile.mkdtemp(prefix="rag-serve-uploads-")
    os.environ["GRADIO_TEMP_DIR"] = uploads  # read by Gradio when the app is built
    try:
        app = build(settings, auth, scratch=uploads)
        config = uvicorn.Config(app, log_level="warning", ssl_certfile=tls and tls[0], ssl_keyfile=tls and tls[1],
                                timeout_graceful_shutdown=5)
        scheme = "https" if tls else "http"
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        from rag.api.routes import api_keys

        keys = bool(api_keys(os.environ.get("RAG_API_KEYS")))
        for line in warnings_for(host, bool(auth), bool(tls), keys):
            print(line, file=sys.stderr, flush=True)
        print(f"The page is up: open {scheme}://{shown}:{port} in your browser (Ctrl-C to stop).",
              file=sys.stderr, flush=True)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        shutil.rmtree(uploads, ignore_errors=True)
