"""Helpers for tests: requests driven through an ASGI app by hand, without a server."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def scope(
    path: str,
    *,
    query: str = "",
    headers: Sequence[tuple[bytes, bytes]] = (),
    method: str = "GET",
) -> dict[str, Any]:
    """The ASGI scope of one HTTP request from a local client."""
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": list(headers),
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }


async def get(
    app: Any,
    path: str,
    *,
    query: str = "",
    headers: Sequence[tuple[bytes, bytes]] = (),
    method: str = "GET",
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One whole request: (status, response headers, body)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope(path, query=query, headers=headers, method=method), receive, send)
    start = next(s for s in sent if s["type"] == "http.response.start")
    body = b"".join(bytes(s.get("body", b"")) for s in sent if s["type"] == "http.response.body")
    return int(start["status"]), dict(start["headers"]), body


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: the browser tests' Playwright keeps an
    event loop running on this one when they share a pytest process."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
