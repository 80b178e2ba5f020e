"""A small thread-safe time-to-live cache for published pages and API answers.

While `caremap serve` runs it holds the workspace open for writing, so no pipeline step can
change the result tables underneath it: cached aggregate answers stay correct, and the TTL
(``cache_seconds``) only bounds memory and staleness of the catalog. Person-level answers
are never cached (each view must be audited).

`TTLCache.get_or_compute` lets one thread compute a missing entry while other requests for
the same key wait for it ("single flight"), or, for pages, are given the expired copy: when a
popular page expires under load it is rebuilt once, not once per waiting user, and only the
user who found it expired waits for the rebuild.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

SAMPLE_ROWS = 64


def approx_size(value: Any) -> int:
    """Bytes an entry holds, roughly (bytes and text exactly; rows of dicts from a sample),
    for the cache's byte bound."""
    if isinstance(value, bytes | bytearray | str):
        return len(value) + 64
    if isinstance(value, tuple | list):
        if value and all(isinstance(v, bytes | str) for v in value):
            return sum(len(v) for v in value) + 64 * len(value)
        head = value[:SAMPLE_ROWS]
        each = sum(approx_size(v) for v in head) / max(1, len(head))
        return int(each * len(value)) + 64
    if isinstance(value, dict):
        items = list(value.items())[:SAMPLE_ROWS]
        each = sum(approx_size(k) + approx_size(v) for k, v in items) / max(1, len(items))
        return int(each * len(value)) + 240
    rows = getattr(value, "rows", None)
    if isinstance(rows, list):  # a query.Page
        return approx_size(rows) + 256
    return sys.getsizeof(value)


class TTLCache:
    """Entries live ``ttl`` seconds (``ttl <= 0``: nothing is kept), at most ``max_entries``
    of them and at most ``max_bytes`` in all (`approx_size`; an entry larger than a quarter of
    that is not kept), least recently used out first.

    With ``serve_stale``, an expired entry is kept until replaced, and while one thread
    recomputes it `get_or_compute` gives the other callers the expired value instead of
    making them wait ("stale-while-revalidate", RFC 5861): for pages of a workspace that
    cannot change while the app runs.
    """

    def __init__(
        self,
        ttl: float,
        max_entries: int = 1024,
        *,
        max_bytes: int | None = None,
        serve_stale: bool = False,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.serve_stale = serve_stale
        self.bytes = 0
        self._data: OrderedDict[Hashable, tuple[float, Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable) -> Any | None:
        """The entry if present and not expired, else None."""
        if self.ttl <= 0:
            return None
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            if time.monotonic() - hit[0] > self.ttl:
                if not self.serve_stale:
                    self._drop(key)
                return None
            self._data.move_to_end(key)
            return hit[1]

    def _stale(self, key: Hashable) -> Any | None:
        with self._lock:
            hit = self._data.get(key)
            return None if hit is None else hit[1]

    def _drop(self, key: Hashable) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self.bytes -= old[2]

    def put(self, key: Hashable, value: Any) -> None:
        if self.ttl <= 0:
            return
        size = approx_size(value) if self.max_bytes is not None else 0
        with self._lock:
            self._drop(key)
            if self.max_bytes is not None and size > self.max_bytes // 4:
                return  # too large to keep: computed again when asked for
            self._data[key] = (time.monotonic(), value, size)
            self.bytes += size
            while len(self._data) > self.max_entries or (
                self.max_bytes is not None and self.bytes > self.max_bytes
            ):
                _, (_, _, dropped) = self._data.popitem(last=False)
                self.bytes -= dropped

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value, else ``compute()``'s, computed by one thread at a time per key
        (with ``serve_stale``, callers that find it being recomputed get the expired value)."""
        hit = self.get(key)
        if hit is not None:
            return hit
        if self.ttl <= 0:
            return compute()
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        if not flight.acquire(blocking=False):
            stale = self._stale(key) if self.serve_stale else None
            if stale is not None:
                return stale
            flight.acquire()
        try:
            hit = self.get(key)  # computed while this thread waited
            if hit is not None:
                return hit
            value = compute()
            self.put(key, value)
            return value
        finally:
            flight.release()
            with self._lock:
                if self._flights.get(key) is flight and not flight.locked():
                    del self._flights[key]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.bytes = 0
