"""Reading a request's JSON body: bounded in size, every mistake a ``ValueError`` that says what."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

__all__ = ["MAX_BODY", "read_config", "read_json"]

MAX_BODY = 2 * 1024 * 1024  # a CSV of 5000 rows is far below this


async def read_json(request: Request) -> Any:
    """The request's body as JSON (``{}`` when empty); ``ValueError`` past ``MAX_BODY`` bytes
    (read no further), on text that is not JSON, or nested too deeply to parse."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ValueError(f"the request is larger than {MAX_BODY // 2**20} MiB")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks) or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    except RecursionError:  # the parser recurses once per level of [ or {
        raise ValueError("the body is not JSON the Playground reads: it is nested too "
                         "deeply") from None


async def read_config(request: Request) -> tuple[str, str | None]:
    """``query`` (without a leading ``?``) and ``csv`` of a JSON object body."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    query, csv = body.get("query", ""), body.get("csv")
    if not isinstance(query, str):
        raise ValueError(f"query must be a string, got {type(query).__name__}")
    if csv is not None and not isinstance(csv, str):
        raise ValueError(f"csv must be a string or null, got {type(csv).__name__}")
    return query.removeprefix("?"), csv
