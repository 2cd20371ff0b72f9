"""A bounded map shared by threads: answers kept for reuse (keyed by the data version they were
computed at, hub/http/cache.py), or a query's plan that may be a little stale without harm
(hub/events/queries.py), which is forgotten after a while."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class BoundedMap(Generic[T]):
    """At most `entries` values, the least recently used forgotten first; with `seconds`, each
    value is also forgotten that long after it was put."""

    def __init__(self, *, entries: int = 512, seconds: float | None = None) -> None:
        self.entries, self.seconds = entries, seconds
        self._held: OrderedDict[tuple, tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> T | None:
        with self._lock:
            held = self._held.get(key)
            if held is None:
                return None
            if self.seconds is not None and held[0] < time.monotonic():
                del self._held[key]
                return None
            self._held.move_to_end(key)
            return held[1]

    def put(self, key: tuple, value: T) -> None:
        until = time.monotonic() + self.seconds if self.seconds is not None else 0.0
        with self._lock:
            self._held[key] = (until, value)
            self._held.move_to_end(key)
            while len(self._held) > self.entries:
                self._held.popitem(last=False)
