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


def test_a_key_missing_for_many_threads_at_once_is_computed_once() -> None:
    """The room's screens ask for one change's reads in the same moment: one computes,
    the others wait for its value (``get_or_compute`` let each of them compute)."""
    cache: LRUCache[int] = LRUCache(4)
    calls: list[int] = []
    together = threading.Barrier(8, timeout=10)
    got: list[int] = []

    def compute() -> int:
        calls.append(1)
        threading.Event().wait(0.05)  # long enough for the others to arrive
        return 42

    def ask() -> None:
        together.wait()
        got.append(cache.get_or_compute_once("k", compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and got == [42] * 8


def test_a_failed_computation_lets_the_next_one_try() -> None:
    cache: LRUCache[int] = LRUCache(4)

    def fail() -> int:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        cache.get_or_compute_once("k", fail)
    assert cache.get_or_compute_once("k", lambda: 7) == 7
    assert not cache._computing  # nobody is left computing it
