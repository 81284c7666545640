"""Lazily built per-function dependencies: nothing is created at import, everything once per container.

The sandbox and the tests `override` them (a manual clock, in-memory stores) without patching modules.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()
        self._bound: ContextVar[T | None] = ContextVar(f"lazy_{id(self)}", default=None)

    def get(self) -> T:
        bound = self._bound.get()
        if bound is not None:
            return bound
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value

    def override(self, value: T | None) -> None:
        """Use `value` from now on; None goes back to building from the environment on next use."""
        with self._lock:
            self._value = value

    @contextmanager
    def bound(self, value: T) -> Iterator[None]:
        """Use `value` within this context only (this thread, or a task it starts): one process can then play several
        containers of one function, each with its own dependencies (the sandbox's venues)."""
        token = self._bound.set(value)
        try:
            yield
        finally:
            self._bound.reset(token)


_ends_at: ContextVar[float | None] = ContextVar("invocation_ends_at", default=None)
Handler = TypeVar("Handler", bound=Callable[[Any, Any], Any])


def time_limited(handler: Handler) -> Handler:
    """Lets what the handler calls see how long the invocation has left: Lambda ends it at the function's timeout,
    so retries (the Graph client's) stop in time for the function to report the failure itself."""

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        token = _ends_at.set(time.monotonic() + context.get_remaining_time_in_millis() / 1000)
        try:
            return handler(event, context)
        finally:
            _ends_at.reset(token)

    return run  # type: ignore[return-value]


def seconds_left() -> float:
    """Seconds until the current invocation's timeout (infinite outside of one: the CLI, tests)."""
    ends_at = _ends_at.get()
    return math.inf if ends_at is None else ends_at - time.monotonic()
