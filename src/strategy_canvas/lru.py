"""The one least-recently-used cache of the project, safe across Streamlit's threads.

Every cache keyed by a canvas's change counter uses it: the canvas snapshots
(:mod:`strategy_canvas.services.snapshot`), the pages' chart specs
(:mod:`strategy_canvas.ui.chart_view`) and the PDF's chart images
(:mod:`strategy_canvas.export.pdf`). Values are shared, not copied: read them, never
change them in place.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """The last ``size`` values by key, the least recently used dropped first.

    :meth:`get_or_compute` does not hold the lock while computing, so a slow value
    does not block other keys; two threads asking for the same missing key may both
    compute it, and the later one is kept."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("an LRU cache holds at least one value")
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        #: key -> the lock held by the thread computing it (get_or_compute_once)
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> V | None:
        """The value under ``key`` (now the most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The value under ``key``, computed (and kept) when it is missing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        self.put(key, value)
        return value

    def get_or_compute_once(self, key: Hashable, compute: Callable[[], V]) -> V:
        """As :meth:`get_or_compute`, but a key missing for several threads at once is
        computed by one of them while the others wait for its value (a room's sixteen
        screens ask for one change's board within a few milliseconds: each computed it).
        A compute that raises lets the next waiter try."""
        found = self.get(key)
        if found is not None:
            return found
        with self._lock:
            gate = self._computing.setdefault(key, threading.Lock())
        try:
            with gate:
                found = self.get(key)
                if found is None:
                    found = compute()
                    self.put(key, found)
        finally:
            with self._lock:
                if self._computing.get(key) is gate:
                    del self._computing[key]
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
