"""The agency's edge (`Tagback-Edge`), its synthesized template checked property by property (bundling skipped)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.api_routes import API_ROUTES
from infra.names import (
    EDGE_REGISTRAR_PARAMETER,
    EDGE_TABLE_PARAMETER,
    EDGE_URL_PARAMETER,
    EDGE_WEBHOOK_ROLE_PARAMETER,
)
from tagback.config.agency import AgencyConfig
from tagback.store.schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE
from tests.infra.conftest import actions_of, function, listed, only, role_statements, statements_with

pytestmark = pytest.mark.infra
EDGE_SERVICES = ("webhook", "registry")


def test_the_registry_table_expires_items_recovers_and_is_retained(edge_template: Template) -> None:
    _, table = only(edge_template, "AWS::DynamoDB::Table")
    properties = table["Properties"]
    assert properties["KeySchema"] == [
        {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
    ]
    assert properties["AttributeDefinitions"] == [
        {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
        {"AttributeName": SORT_KEY, "AttributeType": "S"},
    ]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert "StreamSpecification" not in properties  # nothing reacts to its items
    assert table["DeletionPolicy"] == "Retain"


def test_sandbox_registry_table_matches_the_stack(edge_template: Template) -> None:
    from tagback.store.registry import edge_table_definition  # noqa: PLC0415

    _, table = only(edge_template, "AWS::DynamoDB::Table")
    sandbox = edge_table_definition("t")
    for key in ("KeySchema", "AttributeDefinitions", "BillingMode"):
        assert table["Properties"][key] == sandbox[key]
    assert "StreamSpecification" not in sandbox


# Once deployed, these keep their logical ids (as infra/components/deployed.py explains for a venue's resources).
EDGE_LOGICAL_IDS = {
    # The registrations of every venue: a new id would be a new, empty registry that routes nothing.
    "RegistryTableDB777839": "AWS::DynamoDB::Table",
    # Its URL is Meta's callback URL and starts every tracked link sent; `$default` exists once per API.
    "ApiF70053CD": "AWS::ApiGatewayV2::Api",
    "ApiDefaultStage189A7074": "AWS::ApiGatewayV2::Stage",
    # Every venue's table policy names its ARN: a new role could write no venue's table until each venue redeploys.
    "ApiWebhookRoleD80365BE": "AWS::IAM::Role",
    # Its ARN is every registration's ServiceToken, which CloudFormation does not let change (its name is fixed too).
    "RegistryRegistrarFunctionC5D341DE": "AWS::Lambda::Function",
    # Named: a second one by the same name cannot be created.
    "UrlParameter351E52E9": "AWS::SSM::Parameter",
    "WebhookRoleParameter35EA2942": "AWS::SSM::Parameter",
    "RegistrarParameterD2F17A4D": "AWS::SSM::Parameter",
    "TableParameterC56E81CA": "AWS::SSM::Parameter",
}


def test_edge_resources_keep_their_logical_ids(edge_template: Template) -> None:
    resources = edge_template.to_json()["Resources"]
    assert {logical_id: resources.get(logical_id, {}).get("Type") for logical_id in EDGE_LOGICAL_IDS} == (
        EDGE_LOGICAL_IDS
    )


def test_every_route_reaches_the_webhook_function(edge_template: Template) -> None:
    function_id, _ = function(edge_template, "webhook")
    integrations = edge_template.find_resources("AWS::ApiGatewayV2::Integration")
    routes = edge_template.find_resources("AWS::ApiGatewayV2::Route")
    assert sorted(r["Properties"]["RouteKey"] for r in routes.values()) == sorted(
        f"{r.method} {r.path}" for r in API_ROUTES
    )
    keys = {r["Properties"]["RouteKey"] for r in routes.values()}
    assert {"GET /l/{client}/{token}", "POST /meta/data-deletion", "GET /meta/data-deletion/{code}"} <= keys
    for route in routes.values():
        integration_id = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
        integration = integrations[integration_id]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        assert integration["IntegrationUri"] == {"Fn::GetAtt": [function_id, "Arn"]}
    edge_template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "apigateway.amazonaws.com",
        },
    )


def test_stage_is_throttled_for_the_agency_and_logged(edge_template: Template) -> None:
    (stage,) = edge_template.find_resources("AWS::ApiGatewayV2::Stage").values()
    properties = stage["Properties"]
    assert properties["StageName"] == "$default"
    assert properties["AutoDeploy"] is True
    assert properties["DefaultRouteSettings"] == {"ThrottlingRateLimit": 500, "ThrottlingBurstLimit": 1000}
    destination = properties["AccessLogSettings"]["DestinationArn"]
    assert destination["Fn::GetAtt"][0] in edge_template.find_resources("AWS::Logs::LogGroup")
    assert destination["Fn::GetAtt"][0].startswith("ApiAccessLogs")


def test_edge_functions_run_on_the_common_layer_only(edge_template: Template) -> None:
    (layer_id,) = edge_template.find_resources("AWS::Lambda::LayerVersion")
    for service in EDGE_SERVICES:
        properties = function(edge_template, service)[1]["Properties"]
        assert properties["Runtime"] == "python3.13"
        assert properties["Handler"] == "handler.lambda_handler"
        assert properties["Layers"] == [{"Ref": layer_id}]  # no client's config


def test_webhook_environment_names_the_registry_and_the_agency_apps_secrets(
    edge_template: Template, agency_config: AgencyConfig
) -> None:
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    properties = function(edge_template, "webhook")[1]["Properties"]
    assert properties["Timeout"] <= 10  # Meta waits 5 seconds at most
    assert properties["Environment"]["Variables"] == {
        "REGISTRY_TABLE": {"Ref": table_id},
        "META_APP_SECRET_PARAM": agency_config.secrets.meta_app_secret,
        "META_VERIFY_TOKEN_PARAM": agency_config.secrets.meta_verify_token,
        "POWERTOOLS_SERVICE_NAME": "webhook",
        "POWERTOOLS_METRICS_NAMESPACE": "Tagback",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_registry_environment_names_the_registry_and_its_name_is_fixed(edge_template: Template) -> None:
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    properties = function(edge_template, "registry")[1]["Properties"]
    assert properties["FunctionName"] == "tagback-edge-registry"
    assert properties["Environment"]["Variables"] == {
        "REGISTRY_TABLE": {"Ref": table_id},
        "POWERTOOLS_SERVICE_NAME": "registry",
        "POWERTOOLS_METRICS_NAMESPACE": "Tagback",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def parameter_arn_suffix(resource: dict[str, Any]) -> str:
    """`:parameter/tagback/edge/x` of an SSM parameter's ARN as the stack builds it."""
    suffix: str = resource["Fn::Join"][1][-1]
    return suffix


def test_webhook_may_read_and_quarantine_in_the_registry_and_read_the_agency_apps_two_secrets(
    edge_template: Template, agency_config: AgencyConfig
) -> None:
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    statements = role_statements(edge_template, function(edge_template, "webhook")[0])
    assert actions_of(statements) == [
        "dynamodb:DeleteItem",  # a deleted person's quarantined deliveries
        "dynamodb:GetItem",  # registrations, a data deletion request's status
        "dynamodb:PutItem",  # deliveries for an unknown account, quarantined; Meta's data deletion requests
        "dynamodb:Scan",  # every venue to ask to erase, and the quarantined deliveries naming the person
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ssm:GetParameter",
    ]
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:DeleteItem"):
        (statement,) = statements_with(statements, action)
        assert listed(statement["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]
    (ssm,) = statements_with(statements, "ssm:GetParameter")
    assert sorted(parameter_arn_suffix(arn) for arn in listed(ssm["Resource"])) == sorted(
        f":parameter{name}" for name in (agency_config.secrets.meta_app_secret, agency_config.secrets.meta_verify_token)
    )


def test_registry_may_read_put_and_delete_registrations_only(edge_template: Template) -> None:
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    statements = role_statements(edge_template, function(edge_template, "registry")[0])
    # TransactWriteItems of Puts and Deletes: AWS authorizes a transaction by the action on each of its items.
    assert actions_of(statements) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]
    (dynamodb,) = statements_with(statements, "dynamodb:GetItem")
    assert listed(dynamodb["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]


def test_no_edge_identity_policy_grants_anything_on_a_venues_table(edge_template: Template) -> None:
    """The venues' tables grant the webhook their writes in their own resource-based policies, each its own table."""
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    for policy in edge_template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if any(action.startswith("dynamodb:") for action in listed(statement["Action"])):
                assert listed(statement["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]
    rendered = json.dumps(edge_template.to_json())
    assert ":table/" not in rendered and "tagback-demo" not in rendered


def test_the_edge_publishes_its_url_webhook_role_registrar_and_table_in_ssm(edge_template: Template) -> None:
    api_id, _ = only(edge_template, "AWS::ApiGatewayV2::Api")
    webhook = function(edge_template, "webhook")[1]
    registry_id, _ = function(edge_template, "registry")
    published = {
        p["Properties"]["Name"]: p["Properties"] for p in edge_template.find_resources("AWS::SSM::Parameter").values()
    }
    assert {name: p["Type"] for name, p in published.items()} == {
        EDGE_URL_PARAMETER: "String",  # discovery, not secrets
        EDGE_WEBHOOK_ROLE_PARAMETER: "String",
        EDGE_REGISTRAR_PARAMETER: "String",
        EDGE_TABLE_PARAMETER: "String",
    }
    # The API's endpoint: https://<id>.execute-api.<region>.amazonaws.com, no trailing slash.
    assert published[EDGE_URL_PARAMETER]["Value"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}
    assert published[EDGE_WEBHOOK_ROLE_PARAMETER]["Value"] == webhook["Properties"]["Role"]
    assert published[EDGE_REGISTRAR_PARAMETER]["Value"] == {"Fn::GetAtt": [registry_id, "Arn"]}
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    assert published[EDGE_TABLE_PARAMETER]["Value"] == {"Fn::GetAtt": [table_id, "Arn"]}


def test_outputs_give_the_callback_url_and_the_names_the_operator_reads(edge_template: Template) -> None:
    api_id, _ = only(edge_template, "AWS::ApiGatewayV2::Api")
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    outputs = edge_template.to_json()["Outputs"]
    assert outputs["WebhookUrl"]["Value"] == {"Fn::Join": ["", [{"Fn::GetAtt": [api_id, "ApiEndpoint"]}, "/webhook"]]}
    assert outputs["WebhookUrl"]["Description"].startswith("Callback URL for Meta's app dashboard")
    assert outputs["DataDeletionUrl"]["Value"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [api_id, "ApiEndpoint"]}, "/meta/data-deletion"]]
    }
    assert "Data deletion request URL" in outputs["DataDeletionUrl"]["Description"]
    assert outputs["RegistryTableName"]["Value"] == {"Ref": table_id}
    assert outputs["WebhookFunctionName"]["Value"] == {"Ref": function(edge_template, "webhook")[0]}
    assert outputs["RegistryFunctionName"]["Value"] == {"Ref": function(edge_template, "registry")[0]}


def test_the_sandbox_grants_each_edge_function_what_the_template_grants(edge_template: Template) -> None:
    from sandbox.iam import roles_from_template  # noqa: PLC0415

    stack_roles = roles_from_template(dict(edge_template.to_json()))
    for service in EDGE_SERVICES:
        function_id, _ = function(edge_template, service)
        expected = sorted(set(actions_of(role_statements(edge_template, function_id))))
        assert stack_roles.actions[stack_roles.functions[service]] == expected
