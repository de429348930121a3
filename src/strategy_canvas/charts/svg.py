"""Charts drawn as SVG on the server, by vl-convert: the PDF's images and the pages'.

One spec and one renderer for a chart wherever it appears: the PDF embeds the SVG,
the pages show it as an image (``ui/chart_view.py``), which costs the browser a
fraction of embedding the Vega chart (docs/ARCHITECTURE.md, "Budgets"). Text in the
SVG is escaped by vl-convert (``<`` is ``&lt;``), so user text stays text.

vl-convert holds the interpreter lock while it draws (0.1-0.5 s a chart, more under
load): in the server's process that would stall every session. So the pages' SVGs are
drawn in a process of their own, at a lower priority (:func:`drawn`), and a page shows
the Vega chart until its picture is there.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.util
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strategy_canvas.charts.theme import FONT as PAGE_FONT
from strategy_canvas.lru import LRUCache

if TYPE_CHECKING:
    import altair as alt

#: the fonts the project ships (registered with vl-convert, and Typst's for the PDF)
FONT_DIR = Path(__file__).resolve().parents[1] / "fonts"
#: the font charts are measured in (shipped in FONT_DIR): the PDF draws them in it too
FONT = "Noto Sans"
#: the font-family a page's chart names: measured in :data:`FONT` (vl-convert takes
#: the first family it has), drawn in it where the viewer has it, else in the page's
#: fonts, which are no wider, so a label measured to fit still fits
FONT_ON_PAGE = f"'{FONT}', {PAGE_FONT}"

#: how much lower the drawing process's CPU priority is than the server's (os.nice)
NICE = 10

#: SVGs by the digest of their spec, for every caller in the process
_by_spec: LRUCache[str] = LRUCache(256)
#: the drawing process, and the drawings under way by digest
_process: ProcessPoolExecutor | None = None
_pending: dict[str, Future[str]] = {}
_lock = threading.Lock()
#: the process that draws beside the caller's thread in :func:`render_all`, once
#: :func:`start_helper` asked for it (the export worker does: a report's changed charts
#: are drawn two at a time, one per core)
_helper: ProcessPoolExecutor | None = None
_helper_wanted = False


@cache
def _register_fonts() -> None:
    """Give vl-convert the project's fonts, once per process."""
    import vl_convert as vlc

    vlc.register_font_directory(str(FONT_DIR))


def svg_spec(chart: alt.TopLevelMixin, *, font: str = FONT) -> dict[str, Any]:
    """The chart's Vega-Lite spec, drawn in ``font``.

    The charts name web fonts for the browser; vl-convert has only the shipped ones
    and must measure labels with the font they are then drawn in."""
    spec = chart.to_dict(validate=False)
    spec["config"] = {**spec.get("config", {}), "font": font}
    return spec


def digest(spec: Mapping[str, Any]) -> str:
    """The same digest for the same spec."""
    text = json.dumps(spec, sort_keys=True, default=str).encode()
    return hashlib.sha256(text).hexdigest()


def render(spec: Mapping[str, Any]) -> str:
    """The spec drawn as SVG (the slow step: a tenth of a second or more), from inline
    data only (no URL is fetched)."""
    import vl_convert as vlc

    _register_fonts()
    svg = vlc.vegalite_to_svg(dict(spec), allowed_base_urls=[])
    assert isinstance(svg, str)
    return svg


def render_all(specs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each spec drawn as :func:`render` draws it, in order. With a helper process
    (:func:`start_helper`), the helper starts drawing each spec as soon as ``specs``
    yields it (a generator that builds them: the helper draws the first chart while
    this thread builds the next), and once all are built this thread and the helper
    each take the next spec not yet taken until none is left, so two cores draw at once;
    anything the helper could not draw is drawn here."""
    helper = _helper_pool()
    if helper is None:
        return [render(spec) for spec in specs]
    made: list[Mapping[str, Any]] = []
    svgs: dict[int, str] = {}
    waiting: queue.SimpleQueue[int | None] = queue.SimpleQueue()

    def beside() -> None:
        while (index := waiting.get()) is not None:
            try:
                svgs[index] = helper.submit(render, dict(made[index])).result()
            except Exception:  # the helper died or the spec fails: drawn (or raised) here
                _helper_broken(helper)
                break
        waiting.put(None)  # the end, for the other taker

    thread = threading.Thread(target=beside, name="sc-chart-helper", daemon=True)
    thread.start()
    try:
        for spec in specs:
            made.append(spec)
            waiting.put(len(made) - 1)
    finally:
        waiting.put(None)
    while (index := waiting.get()) is not None:
        svgs[index] = render(made[index])
    waiting.put(None)
    thread.join()
    return [svgs[i] if i in svgs else render(made[i]) for i in range(len(made))]


def start_helper() -> None:
    """Have :func:`render_all` draw in a second process beside the caller, started now
    (its start takes a second or two) at the caller's priority, which it inherits."""
    global _helper_wanted
    if _helper_wanted and _helper is not None:
        return
    _helper_wanted = True
    helper = _helper_pool()
    if helper is not None:
        helper.submit(os.getpid)  # spawns it, without waiting for it


def _helper_pool() -> ProcessPoolExecutor | None:
    global _helper
    with _lock:
        if _helper is None and _helper_wanted:
            _helper = _new_pool(nice=0, stop=_stop_helper)  # at the caller's priority
            # A process started by multiprocessing (the export worker) joins its child
            # processes as it exits, before those hooks: stop the helper first.
            multiprocessing.util.Finalize(None, _stop_helper, exitpriority=100)
        return _helper


def _helper_broken(helper: ProcessPoolExecutor) -> None:
    """A helper whose process died is replaced by the next :func:`render_all`."""
    global _helper
    if getattr(helper, "_broken", False):
        with _lock:
            if _helper is helper:
                _helper = None


def _stop_helper() -> None:
    global _helper
    with _lock:
        helper, _helper = _helper, None
    _shut_down(helper)


def _new_pool(*, nice: int, stop: Callable[[], None]) -> ProcessPoolExecutor:
    """A process of one worker that draws, ``nice`` below its starter's priority.

    concurrent.futures joins its workers as the interpreter exits, after every drawing
    still queued: a server told to stop waited for them (more than ten seconds under
    load). Hooks registered later run first: ``stop`` drops the drawings and stops the
    worker before that join."""
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),  # the starter has threads
        initializer=_started,
        initargs=(os.getpid(), nice),
    )
    threading._register_atexit(stop)  # type: ignore[attr-defined]
    return pool


def _shut_down(pool: ProcessPoolExecutor | None) -> None:
    """Drop the drawings not started and stop the pool's worker at once."""
    if pool is None:
        return
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()


def _started(starter: int, nice: int) -> None:
    """In a drawing process, once: its priority, a watch on the process that started
    it, and vl-convert ready."""
    if nice:
        os.nice(nice)
    threading.Thread(target=_watch, args=(starter,), daemon=True).start()
    _register_fonts()


def _watch(server: int) -> None:
    """In the drawing process: end it once the server that started it is gone (a
    server that is killed, or exits without its interpreter's exit hooks, left it
    waiting for work forever)."""
    while os.getppid() == server:
        time.sleep(1)
    os._exit(0)


def _worker() -> ProcessPoolExecutor:
    global _process
    if _process is None:
        _process = _new_pool(nice=NICE, stop=_stop)
    return _process


def _stop() -> None:
    """Drop the drawings not started and stop the drawing process (at exit)."""
    global _process
    with _lock:
        process, _process = _process, None
    _shut_down(process)


def _done(key: str, future: Future[str]) -> None:
    with _lock:
        _pending.pop(key, None)
    if not future.cancelled() and future.exception() is None:
        _by_spec.put(key, future.result())


def drawn(spec: Mapping[str, Any], *, wait: float = 0.0) -> str | None:
    """The spec's SVG if it is drawn, or gets drawn within ``wait`` seconds; else None,
    and it is being drawn in the drawing process (once, however many ask)."""
    global _process
    key = digest(spec)
    svg = _by_spec.get(key)
    if svg is not None:
        return svg
    with _lock:
        future = _pending.get(key)
        if future is None:
            try:
                future = _worker().submit(render, dict(spec))
            except RuntimeError:  # the process died (BrokenProcessPool): start another
                _process = None
                try:
                    future = _worker().submit(render, dict(spec))
                except RuntimeError:  # the interpreter is exiting
                    return None
            _pending[key] = future
            future.add_done_callback(partial(_done, key))
    try:
        return future.result(timeout=wait)
    except Exception:  # not drawn yet, or it could not be: the page draws the Vega chart
        return None
