"""The Playground answers this machine only: the loopback test and the guard on every request."""

from __future__ import annotations

import ipaddress

from starlette.responses import JSONResponse

__all__ = ["LocalOnly", "is_loopback"]


class LocalOnly:
    """ASGI middleware: answer only requests meant for this machine.

    The socket listens on a loopback address, but a web page elsewhere could still reach it
    through the browser: by a DNS name rebound to 127.0.0.1 (so the ``Host`` must be a loopback
    name) or by a cross-site ``POST`` (so an ``Origin``, when sent, must be the page's own).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = {key.decode("latin-1"): value.decode("latin-1")
                       for key, value in scope["headers"]}
            host = headers.get("host", "")
            name = host[1:host.index("]")] if host.startswith("[") and "]" in host \
                else host.rsplit(":", 1)[0]
            origin = headers.get("origin")
            if not is_loopback(name):
                await _refuse(400, f"the Playground answers requests for this machine only, "
                                   f"not for host {host!r}")(scope, receive, send)
                return
            if origin is not None and origin.split("://", 1)[-1] != host:
                await _refuse(403, f"the Playground answers its own page only, not a page "
                                   f"from {origin!r}")(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

