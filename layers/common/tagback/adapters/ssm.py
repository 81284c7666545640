"""Secrets come from SSM Parameter Store (SecureString) by the names in the client config."""

from __future__ import annotations

import threading
from typing import Any

SECRET_CACHE_SECONDS = 300


class SsmSecrets:
    """Reads and decrypts parameters, each cached for a few minutes so a warm function does not call SSM again.

    One per function's dependencies, with its own client and cache (rather than Powertools' process-wide default
    provider): what a function reads is read with that function's own credentials."""

    def __init__(self) -> None:
        self._provider: Any = None
        self._lock = threading.Lock()

    def __call__(self, name: str) -> str:
        with self._lock:
            if self._provider is None:
                from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415 - light imports

                self._provider = SSMProvider()
        value = self._provider.get(name, decrypt=True, max_age=SECRET_CACHE_SECONDS)
        if not isinstance(value, str) or not value:
            raise LookupError(f"SSM parameter {name} is empty or not a string")
        return value
