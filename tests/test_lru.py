"""lru.py: the one LRU cache (snapshots, chart specs, PDF charts)."""

from __future__ import annotations

import threading

import pytest

from strategy_canvas.lru import LRUCache


def test_the_least_recently_used_goes_first() -> None:
    cache: LRUCache[int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # now "b" is the least recently used
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None


def test_a_missing_value_is_computed_once_and_kept() -> None:
    cache: LRUCache[list[int]] = LRUCache(4)
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    first = cache.get_or_compute("k", compute)
    assert cache.get_or_compute("k", compute) is first and calls == [1]


def test_threads_share_it_safely() -> None:
    cache: LRUCache[int] = LRUCache(50)

    def work(start: int) -> None:
        for i in range(start, start + 500):
            cache.put(i % 80, i)
            cache.get_or_compute((i % 70) + 1000, lambda i=i: i)

    threads = [threading.Thread(target=work, args=(n * 500,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50


def test_a_cache_holds_something() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LRUCache(0)
