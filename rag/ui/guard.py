"""The login's guard: failed sign-ins slow down per client, and no Gradio endpoint answers without one.

Gradio checks ``RAG_AUTH`` itself, but it (6.x) accepts wrong passwords as fast as they come,
and some of its endpoints act on a session without asking who is calling (``/gradio_api/cancel``,
``/reset``, ``/heartbeat``, ``/stream``). ``Guard`` is an ASGI middleware in front of the mounted
page that closes both gaps; the page's own login flow is unchanged.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable

# What a browser needs before it has signed in: the login form, its script and style, and the
# check that tells the page to show the form. Everything else under /gradio_api/ needs the cookie.
LOOPBACK = ("127.0.0.1", "::1", "localhost")  # the addresses only this machine reaches: bind hosts and clients
OPEN_API = ("/gradio_api/login_check", "/gradio_api/startup-events", "/gradio_api/app_id")


class LoginThrottle:
    """Per-client budget of failed sign-ins: ``free`` failures, then a wait that doubles with each
    further failure, up to ``cap`` seconds. A success clears the client's record.

    >>> clock = [0.0]
    >>> t = LoginThrottle(free=2, base=1.0, cap=8.0, clock=lambda: clock[0])
    >>> [t.fail("10.0.0.9") for _ in range(4)], t.wait("10.0.0.9"), t.wait("10.0.0.7")
    ([0.0, 0.0, 1.0, 2.0], 2.0, 0.0)
    >>> clock[0] = 2.5; t.wait("10.0.0.9"); t.succeed("10.0.0.9"); t.wait("10.0.0.9")
    0.0
    0.0
    """

    def __init__(self, free: int = 5, base: float = 1.0, cap: float = 300.0, forget: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic):
        self.free, self.base, self.cap, self.forget, self.clock = free, base, cap, forget, clock
        self._failures: dict[str, tuple[int, float]] = {}  # client -> (failures, time of the last)
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds before ``client`` may try again (0: now)."""
        with self._lock:
            count, last = self._failures.get(client, (0, 0.0))
            return max(0.0, last + self._delay(count) - self.clock()) if count else 0.0

    def fail(self, client: str) -> float:
        """Record a failed sign-in; returns the wait it earns."""
        with self._lock:
            now = self.clock()
            count, last = self._failures.get(client, (0, now))
            count = 1 if now - last > self.forget else count + 1
            self._failures[client] = (count, now)
            if len(self._failures) > 10_000:  # many addresses: drop those that stopped long ago
                self._failures = {c: v for c, v in self._failures.items() if now - v[1] <= self.forget}
            return self._delay(count)

    def succeed(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _delay(self, count: int) -> float:
        over = count - self.free
        return 0.0 if over <= 0 else min(self.cap, self.base * 2 ** (over - 1))


class Guard:
    """ASGI middleware: throttles ``POST /login`` and asks for a session on ``/gradio_api/``.

    ``signed_in(cookies)`` tells whether a request's cookies hold a live Gradio session.
    """

    def __init__(self, app, signed_in: Callable[[dict[str, str]], bool], throttle: LoginThrottle | None = None):
        self.app, self.signed_in, self.throttle = app, signed_in, throttle or LoginThrottle()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, client = scope["path"], (scope.get("client") or ("?", 0))[0]
        if scope["method"] == "POST" and path.rstrip("/") == "/login":
            return await self._login(scope, receive, send, client)
        if path.startswith("/gradio_api/") and not path.startswith(OPEN_API) and not self.signed_in(_cookies(scope)):
            return await _reply(send, 401, {"detail": "Not authenticated: sign in on the page first."})
        return await self.app(scope, receive, send)

    async def _login(self, scope, receive, send, client: str):
        wait = self.throttle.wait(client)
        if wait > 0:
            return await _reply(send, 429, {"detail": f"Too many failed sign-ins from this address: try again in "
                                                      f"{math.ceil(wait)} s."}, retry_after=math.ceil(wait))
        # Counted as a failure before it is checked, so guesses sent in parallel cannot all pass
        # the wait above at once; a success then clears the record.
        self.throttle.fail(client)
        status = {}

        async def watch(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status.get("code") == 200:
            self.throttle.succeed(client)


def _cookies(scope) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no session
                pass
    return {key: morsel.value for key, morsel in jar.items()}


async def _reply(send, status: int, body: dict, retry_after: int | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
