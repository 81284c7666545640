"""boto3 clients, created when first used (importing a module never builds one, nor imports boto3): for the
functions, with the runtime's credentials; for the operator's commands, against AWS itself (the credential chain
and region the AWS CLI uses) or a running sandbox's moto."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def boto3_client(service: str, **options: Any) -> Any:
    import boto3  # noqa: PLC0415 - deferred: a module import must not pay for (or need) boto3

    return boto3.client(service, **options)


@dataclass(frozen=True)
class Aws:
    """Where the operator's AWS calls go: by default AWS itself; with an endpoint, a sandbox's moto."""

    endpoint: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    table: str | None = None
    client_id: str | None = None

    def client(self, service: str) -> Any:
        return boto3_client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )


class SandboxUnavailable(Exception):
    """No Tagback sandbox answers at the URL given: the message says why, in one line."""


def sandbox_status(sandbox: str) -> dict[str, Any]:
    """A running sandbox's status (`GET <url>/_sandbox/status`)."""
    import requests  # noqa: PLC0415 - only the commands given --sandbox need it

    url = f"{sandbox.rstrip('/')}/_sandbox/status"
    try:
        answer = requests.get(url, timeout=10)
        answer.raise_for_status()
        status = answer.json()
    except requests.RequestException as error:
        problem = type(error).__name__
        raise SandboxUnavailable(f"no sandbox answers at {url} ({problem}); start one with `make sandbox`") from None
    if not isinstance(status, dict):
        raise SandboxUnavailable(f"{url} is not a Tagback sandbox's status (not an object)")
    return status


def sandbox_aws(sandbox: str, client_id: str | None = None) -> Aws:
    """A running sandbox's AWS (its moto endpoint, region, table and operator credentials), from its status; with
    `client_id`, that venue's table when the sandbox runs several (its status's "clients")."""
    status = sandbox_status(sandbox)
    url = f"{sandbox.rstrip('/')}/_sandbox/status"
    try:
        table, client = status["table"], status["client_id"]
        venues = status.get("clients") or []
        if client_id is not None and venues:
            tables = {venue["client_id"]: venue["table"] for venue in venues}
            if client_id not in tables:
                raise SandboxUnavailable(
                    f"the sandbox at {sandbox} runs clients {', '.join(sorted(tables))}, not {client_id!r}"
                )
            table, client = tables[client_id], client_id
        return Aws(
            endpoint=status["aws_endpoint"],
            region=status["region"],
            # The operator credentials of a sandbox that enforces IAM; one that publishes none accepts any key.
            access_key_id=status.get("aws_access_key_id", "sandbox"),
            secret_access_key=status.get("aws_secret_access_key", "sandbox"),
            table=table,
            client_id=client,
        )
    except (KeyError, TypeError) as error:
        raise SandboxUnavailable(f"{url} is not a Tagback sandbox's status (no {error})") from None


def stack_outputs(stack: str, cloudformation: Any = None) -> dict[str, str]:
    """A deployed stack's outputs, by key (through the default credential chain and region unless given a client)."""
    client = cloudformation or boto3_client("cloudformation")
    (description,) = client.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}


def aws_problem(error: Exception) -> str | None:
    """What the operator must set up or fix when an AWS call failed, in one line; None for any other error."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError  # noqa: PLC0415

    if isinstance(error, NoRegionError):
        return "no AWS region configured: set AWS_DEFAULT_REGION or a profile's region (or give --sandbox URL)"
    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found: configure them as for the AWS CLI (or give --sandbox URL)"
    if isinstance(error, BotoCoreError | ClientError):
        return str(error)
    return None
