"""IAM in the sandbox, as strict as AWS about actions: every function acts with its own role's credentials.

The roles and their allowed actions come from the synthesized templates of the edge and of each client's stack
(`roles_from_template`), so a grant missing from a stack is missing here too. moto enforces actions but matches every
resource as `*` (../shared/reference/aws-facts.md), so each role is granted its template's actions on `*`; tests/infra
checks the resources. What a venue's table lets the edge's webhook do (its resource-based policy, which moto does not
read) is added to the actions of the edge's role it names (the webhook's, the redemption page's), as AWS would allow
it.

In AWS each function runs in its own process with its role's credentials in the environment. Here the functions
share one process, so `Identities.acting_as(role)` marks the current invocation (a context variable) and every
botocore client created under it signs with that role's credentials; outside of it (the sandbox's own work, the
demo, the tests) clients sign as the operator, an IAM user allowed everything, as a person deploying would.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

import botocore.session
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from moto.iam.access_control import IAMRequestBase

from infra.names import EDGE_REDEMPTION_ROLE_PARAMETER, EDGE_WEBHOOK_ROLE_PARAMETER

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "sandbox-iam"
OPERATOR = "tagback-sandbox-operator"
RoleActions = dict[str, list[str]]  # role → the actions it is allowed

_acting_as: ContextVar[tuple[str, Credentials] | None] = ContextVar("sandbox_role", default=None)  # name, keys


class StackRoles(NamedTuple):
    """The stack's IAM roles, each named for whom it serves (`prize`, `review_followup-scheduler`), not by its place in
    the stack's construct tree, which a refactoring of the stack moves."""

    actions: RoleActions
    functions: dict[str, str]  # function (its service name, POWERTOOLS_SERVICE_NAME) → the role it runs as
    schedulers: dict[str, str]  # function → the role EventBridge Scheduler invokes it with
    edge_grants: dict[str, list[str]]  # edge function → what the stack's table's resource-based policy lets its role do


def acting_role() -> str | None:
    """The role the code running now acts as (a function's, by its name in the sandbox), None for the operator."""
    acting = _acting_as.get()
    return acting[0] if acting is not None else None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def roles_from_template(template: dict[str, Any]) -> StackRoles:
    """Each IAM role's allowed actions, and the roles of each function and of the schedules that invoke it."""
    resources: dict[str, dict[str, Any]] = template["Resources"]
    statements: dict[str, list[dict[str, Any]]] = {  # role's logical id → what it is allowed
        logical_id: [
            s for policy in resource["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]
        ]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Role"
    }
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Policy":
            for role in resource["Properties"].get("Roles", []):
                statements[role["Ref"]] += resource["Properties"]["PolicyDocument"]["Statement"]
    services = {
        logical_id: resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    function_roles = {services[id_]: resources[id_]["Properties"]["Role"]["Fn::GetAtt"][0] for id_ in services}
    scheduler_roles: dict[str, str] = {}
    for role, allowed in statements.items():
        trusted = resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if any(s["Principal"].get("Service") == "scheduler.amazonaws.com" for s in trusted):
            for statement in (s for s in allowed if "lambda:InvokeFunction" in _listed(s["Action"])):
                for target in _listed(statement["Resource"]):  # {"Fn::GetAtt": [function, "Arn"]}
                    scheduler_roles[services[target["Fn::GetAtt"][0]]] = role
    names = {role: re.sub(r"[0-9A-F]{8}$", "", role) for role in statements}  # else its construct id: no hash
    edge_grants = {}
    for function, published in (
        ("webhook", EDGE_WEBHOOK_ROLE_PARAMETER),
        ("redemption", EDGE_REDEMPTION_ROLE_PARAMETER),
    ):
        edge_role = [name for name, p in template.get("Parameters", {}).items() if p.get("Default") == published]
        granted = sorted(
            {
                action
                for resource in resources.values()
                if resource["Type"] == "AWS::DynamoDB::Table"
                for s in resource["Properties"].get("ResourcePolicy", {}).get("PolicyDocument", {}).get("Statement", [])
                if s.get("Effect") == "Allow"
                and any(parameter in json.dumps(s.get("Principal")) for parameter in edge_role)
                for action in _listed(s["Action"])
            }
        )
        if granted:
            edge_grants[function] = granted
    names |= {role: service for service, role in function_roles.items()}
    names |= {role: f"{service}-scheduler" for service, role in scheduler_roles.items()}
    return StackRoles(
        {
            names[role]: sorted({a for s in allowed if s.get("Effect") == "Allow" for a in _listed(s["Action"])})
            for role, allowed in statements.items()
        },
        {service: names[role] for service, role in function_roles.items()},
        {service: names[role] for service, role in scheduler_roles.items()},
        edge_grants,
    )


def moto_actions(actions: list[str]) -> list[str]:
    """The actions as moto names them. AWS authorizes a DynamoDB transaction by its parts (PutItem, UpdateItem, …);
    moto by the call, `dynamodb:TransactWriteItems`, which no AWS policy grants. Our transactions put an item and update
    (the claims) or delete (the registry) another, so a role allowed those may make them."""
    granted = set(actions)
    if "dynamodb:PutItem" in granted and granted & {"dynamodb:UpdateItem", "dynamodb:DeleteItem"}:
        return [*actions, "dynamodb:TransactWriteItems"]
    return actions


def synthesize(agency_path: Path, config_paths: list[Path]) -> dict[str, dict[str, Any]]:
    """The edge's and the clients' stack templates by stack name, as `cdk synth` makes them (assets not bundled: only
    IAM is read)."""
    from aws_cdk import App  # noqa: PLC0415 - only a cache miss pays for the CDK

    from infra.app import build_app  # noqa: PLC0415
    from tagback.config.agency import load_agency_config  # noqa: PLC0415
    from tagback.config.loading import load_client_config  # noqa: PLC0415

    build = CACHE / "synth"
    app = App(context={"aws:cdk:bundling-stacks": []}, outdir=str(build / "cdk.out"))
    build_app(load_agency_config(agency_path), [load_client_config(p) for p in config_paths], app=app, build_dir=build)
    return {stack.stack_name: dict(stack.template) for stack in app.synth().stacks}


def _cache_key(agency_path: Path, config_paths: list[Path]) -> str:
    digest = hashlib.sha256(agency_path.read_bytes())
    for config_path in config_paths:
        digest.update(config_path.read_bytes())
    digest.update(version("aws-cdk-lib").encode())
    sources = [*(ROOT / "infra").rglob("*.py"), *(ROOT / "layers" / "common" / "tagback").rglob("*.py")]
    for source in [*sorted(sources), Path(__file__)]:  # and this file, which reads the roles from the template
        digest.update(source.read_bytes())
    return digest.hexdigest()[:20]


def stack_roles(agency_path: Path, config_paths: list[Path]) -> dict[str, StackRoles]:
    """Each stack's roles by stack name, synthesized once per change of the stacks' code or the config files (a synth
    takes seconds: it runs in a child process, whose Node.js output stays out of the sandbox's console)."""
    cached = CACHE / f"{_cache_key(agency_path, config_paths)}.json"
    if not cached.exists():
        result = subprocess.run(
            [sys.executable, "-m", "sandbox.iam", str(agency_path), *map(str, config_paths)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"could not synthesize the stack to read its IAM roles:\n{result.stderr[-4000:]}")
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_text(result.stdout, encoding="utf-8")
    return {stack: StackRoles(*roles) for stack, roles in json.loads(cached.read_text(encoding="utf-8")).items()}


@dataclass
class Identities:
    """The operator and the stack's roles in moto's IAM, and the credentials each signs with."""

    endpoint: str
    region: str
    operator: Credentials | None = None
    roles: dict[str, Credentials] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)  # role → its ARN
    _get_credentials: Callable[..., Any] | None = None
    _check_signature: Callable[..., Any] | None = None

    def create_operator(self) -> Credentials:
        """An IAM user allowed everything: the sandbox's own work, the demo, tests and the CLI act as it."""
        iam = self._client("iam", Credentials("bootstrap", "bootstrap"))  # before enforcement starts
        iam.create_user(UserName=OPERATOR)
        iam.put_user_policy(
            UserName=OPERATOR,
            PolicyName="everything",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            ),
        )
        key = iam.create_access_key(UserName=OPERATOR)["AccessKey"]
        self.operator = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
        return self.operator

    def create_roles(self, roles: RoleActions, prefix: str) -> None:
        """Each role, named `<prefix>-<role>`, with its template's actions on `*`, assumed once (the session lasts the
        sandbox's life)."""
        assert self.operator is not None
        iam, sts = self._client("iam", self.operator), self._client("sts", self.operator)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        for name, actions in roles.items():
            role_name = f"{prefix}-{name}"
            arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            self.arns[role_name] = arn
            statement = {"Effect": "Allow", "Action": moto_actions(actions), "Resource": "*"}
            iam.put_role_policy(
                RoleName=role_name,
                PolicyName="from-template",
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
            )
            session = sts.assume_role(RoleArn=arn, RoleSessionName=name, DurationSeconds=43200)["Credentials"]
            self.roles[role_name] = Credentials(
                session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]
            )

    @contextmanager
    def acting_as(self, role: str) -> Iterator[None]:
        """botocore clients created in this context (this thread, or a task it starts) sign as `role`."""
        token = _acting_as.set((role, self.roles[role]))
        try:
            yield
        finally:
            _acting_as.reset(token)

    def install(self) -> None:
        """Make every botocore session hand out the current role's credentials (the operator's otherwise).

        moto's own re-computation of SigV4 signatures is wrong for some requests that botocore signs right (a REST
        GET with a query string: Scheduler's ListSchedules; SES SendRawEmail), answering SignatureDoesNotMatch where
        AWS answers; so the sandbox leaves signatures to botocore and keeps moto's checks of who is calling (the
        access key, the role session) and of what they may do (the action)."""
        self._get_credentials = botocore.session.Session.get_credentials

        def get_credentials(session: botocore.session.Session) -> Any:
            # Not the environment's: boto3's default session keeps the first it read, perhaps an earlier sandbox's.
            acting = _acting_as.get()
            return acting[1] if acting is not None else self.operator

        botocore.session.Session.get_credentials = get_credentials
        self._check_signature = IAMRequestBase.check_signature
        setattr(IAMRequestBase, "check_signature", lambda _request: None)  # noqa: B010 - a method, replaced

    def uninstall(self) -> None:
        if self._get_credentials is not None:
            botocore.session.Session.get_credentials = self._get_credentials
            setattr(IAMRequestBase, "check_signature", self._check_signature)  # noqa: B010
            self._get_credentials = None

    def download_presigned(self, url: str) -> bytes | None:
        """GET an S3 presigned URL as S3 would serve it: while it has not expired, with the rights of whoever signed
        it. (moto's IAM checks cannot read a signature from the query string, so the sandbox makes the same request
        signed in the header with the signer's credentials, and moto checks that role's s3:GetObject.)"""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        access_key = query.get("X-Amz-Credential", "").split("/")[0]
        signer = next((c for c in [self.operator, *self.roles.values()] if c and c.access_key == access_key), None)
        signed_at = datetime.strptime(query.get("X-Amz-Date", "19700101T000000Z"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if signer is None or datetime.now(UTC) > signed_at + timedelta(seconds=int(query.get("X-Amz-Expires", "0"))):
            return None  # S3 refuses an unknown signer or an expired URL
        bucket, key = parts.path.lstrip("/").split("/", 1)
        try:
            return bytes(self._client("s3", signer).get_object(Bucket=bucket, Key=unquote(key))["Body"].read())
        except ClientError:
            return None  # refused (the signer's role may not s3:GetObject) or missing

    def _client(self, service: str, credentials: Credentials) -> Any:
        import boto3  # noqa: PLC0415

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
        )


def main() -> None:
    agency, *configs = map(Path, sys.argv[1:])
    print(json.dumps({stack: roles_from_template(t) for stack, t in synthesize(agency, configs).items()}))


if __name__ == "__main__":
    main()
