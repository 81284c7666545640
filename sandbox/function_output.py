"""Lambda sends a function's stdout (JSON logs, EMF metrics) to CloudWatch Logs; the sandbox sends it to a file.

Output written while a function is being invoked goes to the log file; everything else (the sandbox's and the
demo's own lines) stays on the console. Routing is per thread, as functions run on the adapter's threads.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TextIO, cast

from tagback.observability import logger

_invocation = threading.local()


def set_log_stream(stream: IO[str] | io.TextIOBase) -> IO[str] | io.TextIOBase:
    """Point the functions' Logger at `stream` (its handler keeps the sys.stdout of import time); returns the
    stream it wrote to before."""
    handler = cast("logging.StreamHandler[Any]", logger.registered_handler)
    previous = handler.setStream(stream)
    return previous if previous is not None else stream


class _Router(io.TextIOBase):
    def __init__(self, console: TextIO, log: TextIO) -> None:
        self.console = console
        self.log = log

    def _target(self) -> TextIO:
        return self.log if getattr(_invocation, "active", False) else self.console

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self.console.flush()
        self.log.flush()


class FunctionOutput:
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path

    def __enter__(self) -> FunctionOutput:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("a", encoding="utf-8")
        self._console = sys.stdout
        self._router = _Router(self._console, self._log)
        sys.stdout = self._router  # Powertools Metrics print() to the current sys.stdout
        self._logger_stream = set_log_stream(self._router)
        return self

    def __exit__(self, *_: object) -> None:
        set_log_stream(self._logger_stream)
        sys.stdout = self._console
        self._log.close()


def invoked(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a Lambda handler so what it prints lands in the functions' log."""

    def invoke(event: dict[str, Any], context: Any) -> Any:
        _invocation.active = True
        try:
            return function(event, context)
        finally:
            _invocation.active = False

    return invoke
