"""The environment every function is deployed with, validated once at cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class FunctionSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(validation_alias="TABLE_NAME", min_length=3)
    client_config: Path = Field(validation_alias="TAGBACK_CLIENT_CONFIG")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> FunctionSettings:
        try:
            return cls.model_validate(dict(environ))
        except ValidationError as error:
            problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
            raise RuntimeError(f"function environment is incomplete: {problems}") from None
