"""The app's TTL cache: expiry, bounds, and one computation per key under concurrency."""

from __future__ import annotations

import threading
import time

import pytest

from caremap.app.cache import TTLCache

pytestmark = pytest.mark.unit


def _race(cache: TTLCache, n: int) -> tuple[list, int]:
    """``n`` threads ask ``cache`` for one key at the same moment."""
    calls = []
    start = threading.Barrier(n)
    out = [None] * n

    def compute():
        calls.append(1)
        time.sleep(0.05)  # long enough for every thread to arrive
        return len(calls)

    def worker(i: int) -> None:
        start.wait()
        out[i] = cache.get_or_compute("page", compute)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out, len(calls)


def test_a_missing_entry_is_computed_once_however_many_ask_at_once():
    cache = TTLCache(60)
    out, calls = _race(cache, 8)
    assert calls == 1 and out == [1] * 8
    assert cache._flights == {}  # no lock left behind


def test_without_caching_every_caller_computes():
    out, calls = _race(TTLCache(0), 4)
    assert calls == 4 and sorted(out) != [1] * 4


def test_entries_expire_and_the_oldest_go_first():
    cache = TTLCache(0.05, max_entries=2)
    for k in "abc":
        cache.put(k, k.upper())
    assert cache.get("a") is None and cache.get("b") == "B" and cache.get("c") == "C"
    time.sleep(0.06)
    assert cache.get("b") is None


def test_a_failed_computation_is_not_cached_and_the_next_caller_retries():
    cache = TTLCache(60)
    with pytest.raises(ZeroDivisionError):
        cache.get_or_compute("k", lambda: 1 / 0)
    assert cache.get_or_compute("k", lambda: 7) == 7 and cache._flights == {}


def test_an_expired_page_is_served_while_one_caller_rebuilds_it():
    cache = TTLCache(0.05, serve_stale=True)
    cache.put("page", "old")
    time.sleep(0.06)
    assert cache.get("page") is None  # expired
    started, release = threading.Event(), threading.Event()
    result = {}

    def rebuild():
        started.set()
        release.wait(5)
        return "new"

    builder = threading.Thread(
        target=lambda: result.setdefault("builder", cache.get_or_compute("page", rebuild))
    )
    builder.start()
    started.wait(5)
    assert cache.get_or_compute("page", lambda: "not asked") == "old"  # no waiting
    release.set()
    builder.join()
    assert result["builder"] == "new" and cache.get("page") == "new"


def test_without_serve_stale_an_expired_entry_is_gone():
    cache = TTLCache(0.05)
    cache.put("page", "old")
    time.sleep(0.06)
    assert cache.get("page") is None and cache._stale("page") is None
