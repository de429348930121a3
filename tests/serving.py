"""Serving the app for a test or a benchmark: free ports, and waiting for a started
server to answer its health check (``/_stcore/health`` runs no page script, so the
first page request stays the caller's)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports on 127.0.0.1 that nothing listens on now (all bound at
    once, so none is handed out twice)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    return free_ports(1)[0]


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Until the Streamlit server at ``url`` answers its health check; raises
    RuntimeError if ``process`` exits or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server did not answer within {timeout:g} s")
