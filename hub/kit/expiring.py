"""A bounded map whose entries are forgotten after a while: for answers that may be a little
stale without harm (the plan a query gets, never its result)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Generic, TypeVar

T = TypeVar("T")


class Expiring(Generic[T]):
    """At most `entries` values, each kept `seconds` after it was put."""

    def __init__(self, *, entries: int, seconds: float) -> None:
        self.entries, self.seconds = entries, seconds
        self._held: OrderedDict[tuple, tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> T | None:
        with self._lock:
            held = self._held.get(key)
            if held is None:
                return None
            if held[0] < time.monotonic():
                del self._held[key]
                return None
            return held[1]

    def put(self, key: tuple, value: T) -> None:
        with self._lock:
            self._held[key] = (time.monotonic() + self.seconds, value)
            self._held.move_to_end(key)
            while len(self._held) > self.entries:
                self._held.popitem(last=False)
