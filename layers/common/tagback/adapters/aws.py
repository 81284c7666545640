"""boto3 clients for the adapters, created when first used: importing a module never builds one."""

from __future__ import annotations

from typing import Any


def boto3_client(service: str, **options: Any) -> Any:
    import boto3  # noqa: PLC0415 - deferred: a module import must not pay for (or need) boto3

    return boto3.client(service, **options)
