"""A small least-recently-used cache of response bodies, bounded in entries and in bytes. A
release never changes while it is served, so documents and query results can be kept for as
long as the process lives."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

V = TypeVar("V")


class Cache:
    def __init__(self, size: int, max_bytes: int = 64 << 20):
        self.size = size
        self.max_bytes = max_bytes
        self.max_item = max(0, max_bytes // 16)  # no one body takes more than 1/16 of it
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], V], weight: Callable[[V], int]) -> V:
        """The cached value, or a new one from ``make``; ``weight`` says its size in bytes
        (0 for values whose size is bounded by the release, such as page query rows)."""
        if self.size <= 0 or self.max_bytes <= 0:
            return make()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]  # type: ignore[return-value]
        value = make()
        size = weight(value)
        if size <= self.max_item:
            with self._lock:
                if key not in self._items:
                    self._items[key] = (value, size)
                    self.bytes += size
                while self._items and (len(self._items) > self.size
                                       or self.bytes > self.max_bytes):
                    _, (_, dropped) = self._items.popitem(last=False)
                    self.bytes -= dropped
        return value
