"""Server-sent events: how the Playground's frames reach the page.

Training only ever talks to the browser one way, and the browser's ``EventSource`` reconnects by
itself, so events over a plain HTTP response need no WebSocket library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.responses import Response

__all__ = ["EventStream", "dumps", "event"]


def dumps(payload: Any) -> str:
    """JSON for the page: a non-finite float becomes ``null`` (``JSON.parse`` refuses NaN)."""
    try:
        return json.dumps(payload, allow_nan=False, separators=(",", ":"))
    except ValueError:
        return json.dumps(_finite(payload), allow_nan=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def event(name: str, payload: Any) -> bytes:
    return f"event: {name}\ndata: {dumps(payload)}\n\n".encode()



class EventStream(Response):
    """A ``text/event-stream`` response fed by ``pump(send)``; it ends when the client leaves.

    Unlike ``StreamingResponse`` it always listens for the disconnect, so a paused stream, which
    sends nothing, still learns at once that its page is gone.
    """

    media_type = "text/event-stream"

    def __init__(self, pump: Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[None]]):
        self.pump = pump
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})

        async def body(chunk: bytes) -> None:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

        async with anyio.create_task_group() as group:

            async def listen() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(listen)
            try:
                await self.pump(body)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass  # the client left while we were sending
            group.cancel_scope.cancel()
