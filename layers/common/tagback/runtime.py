"""Lazily built per-function dependencies: nothing is created at import, everything once per container.

The sandbox and the tests `override` them (a manual clock, in-memory stores) without patching modules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value

    def override(self, value: T | None) -> None:
        """Use `value` from now on; None goes back to building from the environment on next use."""
        with self._lock:
            self._value = value
