"""Exports prepared ahead of the click, in the background, so the PDF is ready when asked.

Preparing a PDF takes a second or more (the charts drawn by vl-convert, then Typst).
The Export page asks for the export it would make with the options shown as soon as it
is drawn (:func:`prepare`), and keeps asking for it after every change of the canvas
while someone works on it (:func:`watch`, then :func:`changed` from every page run):
by the time "Prepare the export" is clicked, the work is done or under way, and the
click waits only for what is left (docs/ARCHITECTURE.md, "The PDF pipeline").

The work runs in a process of its own, started once per server and kept (its caches of
chart images with it), at a lower CPU priority (:data:`NICE`): an export takes most of a
second of CPU on a large canvas, and done in a thread of the server it held the
interpreter, and one of the two cores at the server's priority, just when the save that
changed the canvas was being drawn. One export at a time (Typst compiles one at a time
anyway), so a busy server is not swamped: a request for a canvas's newer state replaces
the older one still waiting. Results are kept for the last few requests. Nothing here is
Streamlit: the page hands over a plain function of plain values that reads the canvas
through the services (:func:`strategy_canvas.export.jobs.prepared`); it must pickle.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

#: how long a canvas stays watched after its Export page was last drawn
WATCH_SECONDS = 30 * 60
#: how many prepared exports the process keeps (a PDF and its cover: about 1 MB)
KEEP = 16

#: (key of the export, the work that makes it) for a canvas at a change counter
Job = tuple[Hashable, Callable[[], Any]]

#: how much lower the worker process's CPU priority is than the server's (os.nice): it
#: gets a core when the server and the browsers leave one, and little while they are busy
NICE = 10

#: one thread hands the exports to the worker process one at a time and waits for each
#: (blocked on a pipe, so it holds no interpreter lock); the queue stays here, where a
#: request not yet started can still be withdrawn
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sc-export")
_process: ProcessPoolExecutor | None = None
_process_lock = threading.Lock()
#: how many exports the worker process has made since :func:`forget`
_made = 0
_lock = threading.Lock()
_done: OrderedDict[Hashable, Future[Any]] = OrderedDict()
#: (database, canvas) -> (when it was last watched, what to prepare at a revision)
_watched: dict[tuple[str, str], tuple[float, Callable[[int], Sequence[Job]]]] = {}
#: (database, canvas) -> the people (their personal keys) who watch it: a change one of
#: them made is prepared at once, at the server's priority (:func:`changed`)
_watchers: dict[tuple[str, str], set[str]] = {}
#: (database, canvas) -> the revision last prepared for it by :func:`changed`
_last: dict[tuple[str, str], int] = {}
#: (database, canvas) -> its latest request, which may not have started yet
_waiting: dict[tuple[str, str], list[Future[Any]]] = {}


def _set_nice(pid: int, nice: int) -> None:
    """Set the niceness of every thread of process ``pid`` (on Linux a niceness is a
    thread's: vl-convert draws in threads of its own), and of its child processes (the
    worker's chart-drawing helper). Raising a priority needs the right to (root, or
    CAP_SYS_NICE); without it the priority stays as it was."""
    tasks = Path(f"/proc/{pid}/task")
    ids = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [pid]
    children: set[int] = set()
    for tid in ids:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        with contextlib.suppress(OSError, ValueError):
            children.update(map(int, (tasks / str(tid) / "children").read_text().split()))
    for child in children:
        _set_nice(child, nice)


def _worker_started(low: int) -> None:
    """In the worker process, once: lower its priority, then import what an export
    uses, so the first export does not pay for it."""
    _set_nice(os.getpid(), low)
    import strategy_canvas.export.jobs  # noqa: F401


def _low(work: Callable[[], Any], low: int) -> Any:
    """In the worker process: ``work()`` at the priority ``low`` (:func:`hurry` may have
    raised the worker for the export before; an export someone waited for before it
    started starts at the server's priority)."""
    _set_nice(os.getpid(), low)
    from strategy_canvas.charts import svg

    # A PDF's changed charts are drawn two at a time, in a helper at this priority
    # (started here, not as the worker starts: a process being started cannot start one).
    svg.start_helper()
    return work()


#: the exports not made yet -> set once someone waits for one: it then starts at the
#: server's priority (a :func:`hurry` before its start would be undone by it)
_waited: dict[Future[Any], threading.Event] = {}


def _worker() -> ProcessPoolExecutor:
    global _process
    with _process_lock:
        if _process is None:
            _process = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),  # the server has threads
                initializer=_worker_started,
                initargs=(_low_nice(),),
            )
        return _process


def _low_nice() -> int:
    return min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICE)


def hurry(future: Future[Any] | None = None) -> None:
    """Someone waits for the export under way (or for ``future``, which then starts at
    the server's priority if it has not started yet): the worker runs at the server's
    own priority until its next export (where the system lets the server raise it)."""
    waited = _waited.get(future) if future is not None else None
    if waited is not None:
        waited.set()
    with _process_lock:
        processes = list(getattr(_process, "_processes", None) or {})
    for pid in processes:
        _set_nice(pid, os.getpriority(os.PRIO_PROCESS, 0))


def wait(future: Future[Any]) -> Any:
    """The result of ``future``, a prepared export someone asked for: hurried if it is
    not made yet."""
    if not future.done():
        hurry(future)
    return future.result()


def start() -> None:
    """Start the worker process now (the server does, as it starts): its imports take a
    second or two, which the first export after a start would otherwise wait for."""
    _worker().submit(_low, os.getpid, _low_nice())  # the drawing helper starts too


def stop() -> None:
    """Stop the worker process (a new one starts when an export is asked for)."""
    global _process
    with _process_lock:
        process, _process = _process, None
    if process is not None:
        process.shutdown(wait=True, cancel_futures=True)


def _in_worker(work: Callable[[], Any], waited: threading.Event) -> Any:
    """``work()``, done in the worker process (started again if it died)."""
    global _made

    def nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, 0) if waited.is_set() else _low_nice()

    try:
        result = _worker().submit(_low, work, nice()).result()
    except BrokenProcessPool:
        stop()
        result = _worker().submit(_low, work, nice()).result()
    with _lock:
        _made += 1
    return result


def made() -> int:
    """How many exports the worker process has made since :func:`forget` (the tests
    count them)."""
    with _lock:
        return _made


def prepare(
    key: Hashable, work: Callable[[], Any], *, canvas: tuple[str, str] | None = None
) -> Future[Any]:
    """The export ``key``: already made or under way, or started now in the background.
    A request for a ``canvas`` (database, token) withdraws that canvas's previous one if
    it has not started yet: only the newest state is worth making."""
    return prepare_all(((key, work),), canvas=canvas)[0]


def prepare_all(
    jobs: Sequence[Job], *, canvas: tuple[str, str] | None = None, hurried: bool = False
) -> list[Future[Any]]:
    """:func:`prepare` for the parts of one export (a PDF, then its cover as an image),
    made in this order; for a ``canvas``, they replace its previous request together.
    ``hurried``: the first part is made at the server's priority, as if waited for
    already (marked so before the worker can start it at the low one)."""
    raise_now: Future[Any] | None = None
    with _lock:
        if canvas is not None:
            for waiting in _waiting.pop(canvas, ()):
                waiting.cancel()  # a no-op once it runs
        futures: list[Future[Any]] = []
        for index, (key, work) in enumerate(jobs):
            first = hurried and index == 0
            found = _done.get(key)
            if (
                found is not None
                and not found.cancelled()
                and not (found.done() and found.exception() is not None)
            ):
                _done.move_to_end(key)
                futures.append(found)
                if first and not found.done():
                    raise_now = found
                continue
            waited = threading.Event()
            if first:
                waited.set()
            future = _pool.submit(_in_worker, work, waited)
            _waited[future] = waited
            future.add_done_callback(_made_now)
            _done[key] = future
            futures.append(future)
        if canvas is not None:
            _waiting[canvas] = [f for f in futures if not f.done()]
        while len(_done) > KEEP:
            _done.popitem(last=False)
    if raise_now is not None:
        hurry(raise_now)
    return futures


def _made_now(future: Future[Any]) -> None:
    _waited.pop(future, None)


def watch(
    database_url: str,
    canvas_token: str,
    jobs_at: Callable[[int], Sequence[Job]],
    *,
    by: str | None = None,
) -> None:
    """Keep preparing ``jobs_at(revision)`` for this canvas after each change, for
    :data:`WATCH_SECONDS` from now (the Export page calls it every time it is drawn),
    ``by`` the person with this personal key."""
    where = (database_url, canvas_token)
    with _lock:
        _watched[where] = (time.monotonic(), jobs_at)
        if by is not None:
            _watchers.setdefault(where, set()).add(by)


def changed(
    database_url: str, canvas_token: str, revision: int, *, by: str | None = None
) -> list[Future[Any]] | None:
    """The canvas is at ``revision`` now: prepare its watched export again, if anyone
    watches it (every page run calls this; it costs a dictionary lookup otherwise).

    A change seen first by a person who watches the export (``by``: their personal key;
    the run that follows their own save) is prepared at the server's priority, as if
    they waited for it already: they are the one likely to ask for it next, and at the
    worker's low priority it got little of the machine while their save was drawn.
    Everyone else's changes (a workshop's notes) are prepared at the low priority."""
    where = (database_url, canvas_token)
    with _lock:
        watched = _watched.get(where)
        if watched is None:
            return None
        since, jobs_at = watched
        if time.monotonic() - since > WATCH_SECONDS:
            del _watched[where]
            _watchers.pop(where, None)
            return None
        if _last.get(where) == revision:
            return None
        _last[where] = revision
        theirs = by is not None and by in _watchers.get(where, ())
    return prepare_all(jobs_at(revision), canvas=where, hurried=theirs)


def settle(timeout: float = 120) -> None:
    """Wait until every export asked for so far is made (the tests use it)."""
    with _lock:
        pending = list(_done.values())
    for future in pending:
        if not future.cancelled():
            future.exception(timeout=timeout)


def forget() -> None:
    """Drop every prepared export and watch (the tests and benchmarks use it)."""
    global _made
    with _lock:
        _made = 0
        _done.clear()
        _watched.clear()
        _watchers.clear()
        _last.clear()
        _waiting.clear()
