"""A small per-process cache of rendered browse results.

The browse page is the market's busiest read; its results depend only on the
street, the language and the filters, not on who asks. Each gunicorn worker
keeps the rendered list for MARKET_BROWSE_CACHE_SECONDS (0 turns it off), so
a change (a new rating, a paused item, a suspended provider) shows on the
list within that time. What costs money never relies on it: the provider's
page and the booking form read live rows, and a booking refuses a price that
changed since the page was shown.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Flask, current_app

MAX_ENTRIES = 512  # filter combinations per worker; the least recently used go first


class FragmentCache:
    """Rendered fragments by key, each kept for ``seconds``; thread-safe."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        """The fragment stored under ``key`` if it is still fresh, else None."""
        if self.seconds <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, fragment = entry
            if self.clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return fragment

    def put(self, key: Hashable, fragment: str) -> None:
        """Keep ``fragment`` under ``key`` for the cache's lifetime (no-op when turned off)."""
        if self.seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (self.clock() + self.seconds, fragment)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def browse_cache(app: Flask | None = None) -> FragmentCache:
    """The app's browse-results cache (one per app, so tests never share one)."""
    app = app or current_app
    cache = app.extensions.get("linli_browse_cache")
    if cache is None:
        seconds = app.config["MARKET_BROWSE_CACHE_SECONDS"]
        cache = app.extensions.setdefault("linli_browse_cache", FragmentCache(seconds))
    return cache
