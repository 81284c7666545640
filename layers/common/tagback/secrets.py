"""Secrets come from SSM Parameter Store (SecureString) by the names in the client config."""

from __future__ import annotations

from typing import Protocol

SECRET_CACHE_SECONDS = 300


class SecretReader(Protocol):
    def __call__(self, name: str) -> str: ...


def ssm_secret(name: str) -> str:
    """Read and decrypt a parameter, cached for a few minutes so a warm function does not call SSM again."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - keeps cold imports light

    value = parameters.get_parameter(name, decrypt=True, max_age=SECRET_CACHE_SECONDS)
    if not isinstance(value, str) or not value:
        raise LookupError(f"SSM parameter {name} is empty or not a string")
    return value
