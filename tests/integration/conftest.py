from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sandbox.moto_server import moto_server
from tagback.store.registry import edge_table_definition
from tagback.store.schema import TTL_ATTRIBUTE, table_definition

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The sandbox's moto server: atomic per request, as DynamoDB is per item (the concurrency tests rely on it)."""
    server = moto_server()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point every default boto3 client (as the functions build them) at the moto server."""
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    return moto_endpoint


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def table(moto_endpoint: str) -> str:
    name = f"tagback-test-{uuid.uuid4().hex[:8]}"
    dynamodb = client("dynamodb", moto_endpoint)
    dynamodb.create_table(**table_definition(name))
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
    return name


@pytest.fixture
def edge_table(moto_endpoint: str) -> str:
    """The edge's table (registrations and the quarantine), as the edge stack declares it."""
    name = f"tagback-edge-{uuid.uuid4().hex[:8]}"
    dynamodb = client("dynamodb", moto_endpoint)
    dynamodb.create_table(**edge_table_definition(name))
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
    return name
