"""The client's table in this process's memory: moto's DynamoDB, with the table the stack declares. `tagback
preview` plays the real conversation against the real repositories with it, without AWS (moto is a dev dependency:
an operator tool's, in no layer)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto import mock_aws

from tagback.store.repositories import Repositories
from tagback.store.schema import table_definition


class MemoryTables:
    """Fresh, empty tables on demand: each conversation of a preview starts from nothing, as a new guest would."""

    def __init__(self) -> None:
        self._client = boto3.client("dynamodb", region_name="eu-west-1")  # moto's credentials: never AWS's

    def new(self) -> Repositories:
        name = f"memory-{uuid.uuid4().hex}"  # unique in moto's one backend, which nested blocks share
        self._client.create_table(**table_definition(name))
        return Repositories.on(name, client=self._client)


@contextmanager
def memory_tables() -> Iterator[MemoryTables]:
    """Every AWS call in the block goes to moto in memory, never to AWS."""
    with mock_aws():
        yield MemoryTables()
