"""A small least-recently-used cache of response bodies. A release never changes while it is
served, so documents and query results can be kept for as long as the process lives."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

V = TypeVar("V")
MAX_BODY = 1 << 20  # bodies over 1 MiB are not kept


class Cache:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], V], weight: Callable[[V], int]) -> V:
        if self.size <= 0:
            return make()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
        value = make()
        if weight(value) <= MAX_BODY:
            with self._lock:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value
