"""The CDK app as `cdk synth` builds it from agency.yaml and the demo client (bundling skipped: no pip run in tests),
synthesized once for the infra tests, and helpers that read its templates."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Template

from infra.app import build_app
from infra.assets import ROOT
from infra.names import EDGE_STACK
from tagback.config.agency import AgencyConfig, load_agency_config
from tagback.config.model import ClientConfig

AGENCY_CONFIG = ROOT / "agency.yaml"


@pytest.fixture(scope="session")
def agency_config() -> AgencyConfig:
    return load_agency_config(AGENCY_CONFIG)


# What every function's role may do for X-Ray active tracing (CDK's grant; X-Ray has no resources to scope them to).
TRACING = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]


def unbundled_app(outdir: Path) -> App:
    return App(context={"aws:cdk:bundling-stacks": []}, outdir=str(outdir))


@pytest.fixture(scope="session")
def demo_app(agency_config: AgencyConfig, demo_config: ClientConfig, tmp_path_factory: pytest.TempPathFactory) -> App:
    app = unbundled_app(tmp_path_factory.mktemp("cdk.out"))
    return build_app(agency_config, [demo_config], app=app, build_dir=tmp_path_factory.mktemp("build"))


def stack_of(app: App, name: str) -> Stack:
    stack = app.node.find_child(name)
    assert isinstance(stack, Stack)
    return stack


@pytest.fixture(scope="session")
def template(demo_app: App) -> Template:
    """The demo venue's stack, `Tagback-demo`."""
    return Template.from_stack(stack_of(demo_app, "Tagback-demo"))


@pytest.fixture(scope="session")
def edge_template(demo_app: App) -> Template:
    """The agency's edge, `Tagback-Edge`."""
    return Template.from_stack(stack_of(demo_app, EDGE_STACK))


def only(template: Template, resource_type: str) -> tuple[str, Mapping[str, Any]]:
    (item,) = template.find_resources(resource_type).items()
    return item


def function(template: Template, service: str) -> tuple[str, Mapping[str, Any]]:
    """The function whose POWERTOOLS_SERVICE_NAME is `service`."""
    (item,) = [
        (logical_id, resource)
        for logical_id, resource in template.find_resources("AWS::Lambda::Function").items()
        if resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == service
    ]
    return item


def role_statements(template: Template, function_id: str) -> list[dict[str, Any]]:
    role_ref = template.find_resources("AWS::Lambda::Function")[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role_ref}]
    ]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_of(statements: list[dict[str, Any]]) -> list[str]:
    return sorted(a for s in statements for a in listed(s["Action"]))


def statements_with(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [s for s in statements if action in listed(s["Action"])]


def ssm_parameter(template: Template, name: str) -> str:
    """The logical id of the template's parameter that CloudFormation resolves from the SSM parameter `name`."""
    (logical_id,) = [
        logical_id
        for logical_id, parameter in template.to_json()["Parameters"].items()
        if parameter["Type"] == "AWS::SSM::Parameter::Value<String>" and parameter["Default"] == name
    ]
    return logical_id


@pytest.fixture(params=["Tagback-demo", EDGE_STACK])
def each_template(request: pytest.FixtureRequest, demo_app: App) -> Template:
    """Each stack of the app in turn: the venue's and the edge's."""
    return Template.from_stack(stack_of(demo_app, request.param))


def each_alarm(app: App) -> list[tuple[str, Mapping[str, Any]]]:
    """Every CloudWatch alarm of every stack of the app, with its stack's name."""
    return [
        (stack.stack_name, alarm["Properties"])
        for stack in app.node.children
        if isinstance(stack, Stack)
        for alarm in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()
    ]
