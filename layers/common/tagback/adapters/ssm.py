"""Secrets come from SSM Parameter Store (SecureString) by the names in the configs; the venue's Instagram token is
also written back there (by `tagback connect` and by the token's refresh)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tagback.adapters.aws import boto3_client

SECRET_CACHE_SECONDS = 300


@dataclass(frozen=True)
class StoredSecret:
    value: str
    stored_at: datetime  # when this value was written (SSM's LastModifiedDate)
    version: int  # the parameter's version holding it


class SsmSecrets:
    """Reads and decrypts parameters, each cached for a few minutes so a warm function does not call SSM per message;
    `forget` drops one, so the next read sees a value renewed meanwhile (a token Meta refused).

    One per function's dependencies, with its own client and cache: what a function reads is read with that
    function's own credentials."""

    def __init__(
        self, client: Any = None, max_age: float = SECRET_CACHE_SECONDS, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._max_age = max_age
        self._now = now
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> str:
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and self._now() - cached[1] < self._max_age:
            return cached[0]
        return self.read(name).value

    def forget(self, name: str) -> None:
        with self._lock:
            self._cache.pop(name, None)

    def read(self, name: str) -> StoredSecret:
        """The parameter now (no cache), and when it was written."""
        parameter = self._ssm().get_parameter(Name=name, WithDecryption=True)["Parameter"]
        value = parameter.get("Value")
        if not isinstance(value, str) or not value:
            raise LookupError(f"SSM parameter {name} is empty or not a string")
        with self._lock:
            self._cache[name] = (value, self._now())
        return StoredSecret(value, parameter["LastModifiedDate"], parameter["Version"])

    def store(self, name: str, value: str) -> int:
        """Write a new SecureString value: the new version of the parameter that holds it."""
        version: int = self._ssm().put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)["Version"]
        with self._lock:
            self._cache[name] = (value, self._now())
        return version

    def _ssm(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = boto3_client("ssm")
            return self._client


class SsmToken:
    """A token as a client sends with it: read through the secrets' cache; `renewed` drops the cached value when Meta
    refused it and tells whether SSM now holds another (renewed while this container cached the old one)."""

    def __init__(self, secrets: SsmSecrets, name: str) -> None:
        self._secrets = secrets
        self._name = name

    def __call__(self) -> str:
        return self._secrets(self._name)

    def renewed(self) -> bool:
        refused = self._secrets(self._name)
        self._secrets.forget(self._name)
        return self._secrets(self._name) != refused
