"""The push path at the service level: what one change costs the server when 200 stream
clients watch its canvas, and what they cost while nothing changes.

Two hundred simulated clients hold the real event route (strategy_canvas.server) open
through its ASGI interface, on one event loop as under uvicorn; a write through the
services (a note added) commits, the hub wakes the streams, and each client records
when its event arrived. Printed: the time from the commit to the last client's event
(median and p95 over the rounds), the CPU the process spent on the fan-out per change
and per client, and the CPU of 200 idle streams per second. A baseline in the same run:
the cost of the write alone, with no stream open.

Run: ``.venv/bin/python -m bench.bench_push``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from typing import Any

from bench.common import temp_database
from strategy_canvas import db, live, server
from strategy_canvas.live.hub import HUB
from strategy_canvas.services import canvases
from strategy_canvas.services import workshops as ws
from tests import asgikit

CLIENTS = 200
ROUNDS = 30


class Client:
    """One simulated browser on the event route: it counts the events it received."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token
        self.events: list[tuple[float, str]] = []
        self.leave = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def receive(self) -> dict[str, Any]:
        await self.leave.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        body = message.get("body")
        if message["type"] == "http.response.body" and body and b"data:" in body:
            self.events.append((time.perf_counter(), body.decode()))

    def start(self) -> None:
        scope = asgikit.scope(live.EVENTS_PATH, query=f"token={self.token}")
        self.task = asyncio.ensure_future(self.app(scope, self.receive, self.send))


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    url = temp_database()
    engine = db.get_engine(url)
    with db.session_scope(engine) as s:
        token = canvases.create_canvas(session=s, canvas_in={"name": "Fan-out"}).token
        started = ws.start_workshop(session=s, canvas_token=token, title="Big room")
        people = [
            ws.join(session=s, display_name=f"P{i}", link_token=started.link_token).token
            for i in range(CLIENTS)
        ]
    writer = people[0]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    HUB.start(loop)
    from starlette.applications import Starlette

    app = Starlette(routes=server.routes())

    def write(text: str) -> float:
        with db.session_scope(engine) as s:
            ws.add_note(session=s, participant_token=writer, step=1, text=text)
        return time.perf_counter()

    # Baseline: the write alone, nobody watching.
    for i in range(5):
        write(f"warm {i}")
    alone = []
    for i in range(ROUNDS):
        began = time.process_time()
        write(f"alone {i}")
        alone.append(time.process_time() - began)

    clients = [Client(app, t) for t in people]

    async def open_all() -> None:
        for client in clients:
            client.start()

    asyncio.run_coroutine_threadsafe(open_all(), loop).result(30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(c.events for c in clients):
        time.sleep(0.05)
    print(f"{CLIENTS} stream clients connected (each got the current counter at once)")

    time.sleep(1)
    idle_began, idle_cpu = time.monotonic(), time.process_time()
    time.sleep(5)
    idle = (time.process_time() - idle_cpu) / (time.monotonic() - idle_began)

    latencies, cpu = [], []
    for i in range(ROUNDS):
        seen = [len(c.events) for c in clients]
        began_cpu = time.process_time()
        committed = write(f"round {i}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
            len(c.events) <= n for c, n in zip(clients, seen, strict=True)
        ):
            time.sleep(0.001)
        cpu.append(time.process_time() - began_cpu)
        arrived = [c.events[n][0] for c, n in zip(clients, seen, strict=True) if len(c.events) > n]
        missed = CLIENTS - len(arrived)
        latencies.append(max(arrived) - committed if not missed else float("inf"))
        time.sleep(0.05)

    async def close_all() -> None:
        for client in clients:
            client.leave.set()
        await asyncio.gather(*(c.task for c in clients if c.task), return_exceptions=True)

    asyncio.run_coroutine_threadsafe(close_all(), loop).result(30)
    HUB.stop()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)

    fanout = statistics.median(cpu) - statistics.median(alone)
    print(
        f"one change to {CLIENTS} clients: commit to the last client's event median "
        f"{statistics.median(latencies) * 1000:.1f} ms, p95 {_pct(latencies, 0.95) * 1000:.1f} ms "
        f"({ROUNDS} rounds)"
    )
    print(
        f"CPU per change: {statistics.median(cpu) * 1000:.1f} ms with {CLIENTS} clients, "
        f"{statistics.median(alone) * 1000:.1f} ms for the write alone -> fan-out "
        f"{fanout * 1000:.1f} ms, {fanout / CLIENTS * 1e6:.0f} µs per client"
    )
    print(
        f"{CLIENTS} idle streams: {idle:.4f} cores for the whole process "
        f"({idle / CLIENTS:.6f} per stream; budget per idle viewer 0.002)"
    )


if __name__ == "__main__":
    main()
