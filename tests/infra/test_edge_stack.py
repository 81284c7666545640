"""The agency's edge (`Tagback-Edge`), its synthesized template checked property by property (bundling skipped)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra.api_routes import API_ROUTES
from infra.assets import LAYERS
from infra.names import (
    EDGE_REDEMPTION_ROLE_PARAMETER,
    EDGE_REGISTRAR_PARAMETER,
    EDGE_STACK,
    EDGE_TABLE_PARAMETER,
    EDGE_URL_PARAMETER,
    EDGE_WEBHOOK_ROLE_PARAMETER,
)
from tagback import observability
from tagback.app.watchdog import STREAM_LAG_CHECK
from tagback.config.agency import AgencyConfig
from tagback.observability import (
    DMS_UNCERTAIN,
    DMS_UNCERTAIN_METRIC,
    FUNCTION_ERRORS_METRIC,
    METRICS_NAMESPACE,
    PER_VENUE_METRICS,
    TOKEN_REFRESH_REFUSED,
    TOKEN_REFUSED_METRIC,
    WEBHOOK_REJECTED,
    WEBHOOK_REJECTED_METRIC,
    count,
    errors_counted,
    for_venue,
)
from tagback.store.schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE
from tests.infra.conftest import (
    TRACING,
    actions_of,
    each_alarm,
    function,
    listed,
    only,
    role_statements,
    stack_of,
    statements_with,
)

pytestmark = pytest.mark.infra
EDGE_SERVICES = ("webhook", "registry", "watchdog", "redemption")


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


def test_every_route_reaches_its_function(edge_template: Template) -> None:
    function_ids = {name: function(edge_template, name)[0] for name in ("webhook", "redemption")}
    integrations = edge_template.find_resources("AWS::ApiGatewayV2::Integration")
    routes = edge_template.find_resources("AWS::ApiGatewayV2::Route")
    assert sorted(r["Properties"]["RouteKey"] for r in routes.values()) == sorted(
        f"{r.method} {r.path}" for r in API_ROUTES
    )
    keys = {r["Properties"]["RouteKey"] for r in routes.values()}
    assert {"GET /l/{client}/{token}", "POST /meta/data-deletion", "GET /meta/data-deletion/{code}"} <= keys
    assert {"GET /c/{client}/{code}", "POST /c/{client}/{code}"} <= keys
    by_key = {r.method + " " + r.path: r.function for r in API_ROUTES}
    for route in routes.values():
        integration_id = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
        integration = integrations[integration_id]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        function_id = function_ids[by_key[route["Properties"]["RouteKey"]]]
        assert integration["IntegrationUri"] == {"Fn::GetAtt": [function_id, "Arn"]}
    for function_id in function_ids.values():
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


@pytest.mark.parametrize("service", EDGE_SERVICES)
def test_edge_functions_run_on_the_edge_layer_only(edge_template: Template, service: str) -> None:
    layers = edge_template.find_resources("AWS::Lambda::LayerVersion")
    properties = function(edge_template, service)[1]["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Handler"] == "handler.lambda_handler"
    described = [layers[reference["Ref"]]["Properties"]["Description"] for reference in properties["Layers"]]
    assert described == [f"tagback edge layer: {LAYERS['edge'].description}"]  # no client's config, no imaging


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
        *TRACING,
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
        *TRACING,
    ]
    (dynamodb,) = statements_with(statements, "dynamodb:GetItem")
    assert listed(dynamodb["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]


def test_redemption_may_read_registrations_and_each_venues_signing_key_and_staff_pins_only(
    edge_template: Template,
) -> None:
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    statements = role_statements(edge_template, function(edge_template, "redemption")[0])
    # Nothing on any venue's table here: each venue's table policy grants it GetItem, PutItem and UpdateItem.
    assert actions_of(statements) == [
        "dynamodb:GetItem",  # the venue's registration
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ssm:GetParameter",
        *TRACING,
    ]
    (registry,) = statements_with(statements, "dynamodb:GetItem")
    assert listed(registry["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]
    (ssm,) = statements_with(statements, "ssm:GetParameter")
    # Each venue's two, under its /tagback/<client-id>/: never a venue's Instagram token or sink secrets.
    assert sorted(parameter_arn_suffix(arn) for arn in listed(ssm["Resource"])) == [
        ":parameter/tagback/*/coupon-signing-key",
        ":parameter/tagback/*/staff-pins",
    ]


def test_every_route_has_its_own_throttle_and_together_they_stay_below_the_stages(edge_template: Template) -> None:
    _, stage = only(edge_template, "AWS::ApiGatewayV2::Stage")

    def limits(rate: int, burst: int) -> dict[str, int]:
        return {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}

    settings = stage["Properties"]["RouteSettings"]
    assert settings == {
        "GET /webhook": limits(2, 5),
        "POST /webhook": limits(200, 400),
        "GET /l/{client}/{token}": limits(50, 100),
        "POST /meta/data-deletion": limits(5, 10),
        "GET /meta/data-deletion/{code}": limits(5, 10),
        "GET /c/{client}/{code}": limits(10, 20),
        "POST /c/{client}/{code}": limits(10, 20),
    }
    default = stage["Properties"]["DefaultRouteSettings"]
    assert sum(s["ThrottlingRateLimit"] for s in settings.values()) < default["ThrottlingRateLimit"]
    routes = edge_template.find_resources("AWS::ApiGatewayV2::Route")
    assert set(routes) <= set(stage["DependsOn"])  # the settings name routes that must exist first


def test_redemption_environment_names_the_registry_only(edge_template: Template) -> None:
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    properties = function(edge_template, "redemption")[1]["Properties"]
    assert properties["Environment"]["Variables"] == {
        "REGISTRY_TABLE": {"Ref": table_id},
        "POWERTOOLS_SERVICE_NAME": "redemption",
        "POWERTOOLS_METRICS_NAMESPACE": "Tagback",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def test_no_edge_identity_policy_writes_a_venues_table_and_only_the_watchdog_reads_them(
    edge_template: Template,
) -> None:
    """The venues' tables grant the webhook their writes in their own resource-based policies, each its own table; the
    watchdog reads every venue's month figures (GetItem) by the name CloudFormation gives a venue's table."""
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    watchdog_id, _ = function(edge_template, "watchdog")
    (venue_reads,) = [s for s in role_statements(edge_template, watchdog_id) if s["Action"] == "dynamodb:GetItem"]
    assert json.dumps(venue_reads["Resource"]).endswith(':table/Tagback-*"]]}')
    for policy in edge_template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if any(action.startswith("dynamodb:") for action in listed(statement["Action"])) and (
                statement is not venue_reads and statement != venue_reads
            ):
                assert listed(statement["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]
    assert "tagback-demo" not in json.dumps(edge_template.to_json())


def test_the_edge_publishes_its_url_webhook_role_registrar_and_table_in_ssm(edge_template: Template) -> None:
    api_id, _ = only(edge_template, "AWS::ApiGatewayV2::Api")
    webhook = function(edge_template, "webhook")[1]
    redemption = function(edge_template, "redemption")[1]
    registry_id, _ = function(edge_template, "registry")
    published = {
        p["Properties"]["Name"]: p["Properties"] for p in edge_template.find_resources("AWS::SSM::Parameter").values()
    }
    assert {name: p["Type"] for name, p in published.items()} == {
        EDGE_URL_PARAMETER: "String",  # discovery, not secrets
        EDGE_WEBHOOK_ROLE_PARAMETER: "String",
        EDGE_REDEMPTION_ROLE_PARAMETER: "String",
        EDGE_REGISTRAR_PARAMETER: "String",
        EDGE_TABLE_PARAMETER: "String",
    }
    # The API's endpoint: https://<id>.execute-api.<region>.amazonaws.com, no trailing slash.
    assert published[EDGE_URL_PARAMETER]["Value"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}
    assert published[EDGE_WEBHOOK_ROLE_PARAMETER]["Value"] == webhook["Properties"]["Role"]
    assert published[EDGE_REDEMPTION_ROLE_PARAMETER]["Value"] == redemption["Properties"]["Role"]
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


def test_the_alerts_topic_emails_the_agency_and_takes_cloudwatchs_and_eventbridges_messages(
    edge_template: Template, agency_config: AgencyConfig
) -> None:
    topic_id, _ = only(edge_template, "AWS::SNS::Topic")
    emails = [
        s["Properties"]["Endpoint"]
        for s in edge_template.find_resources("AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": topic_id} and s["Properties"]["Protocol"] == "email"
    ]
    assert sorted(emails) == sorted(agency_config.alerts.emails)
    (policy,) = edge_template.find_resources("AWS::SNS::TopicPolicy").values()
    publishers = {
        s["Principal"]["Service"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow" and s["Action"] == "sns:Publish"
    }
    assert publishers == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}


def test_every_alarm_of_both_stacks_has_the_alerts_topic_as_its_action(demo_app: App) -> None:
    edge = Template.from_stack(stack_of(demo_app, EDGE_STACK))
    topic_id, _ = only(edge, "AWS::SNS::Topic")
    alarms = each_alarm(demo_app)
    assert alarms
    for stack, alarm in alarms:
        assert stack == EDGE_STACK, "a venue's alarm would cost per venue"
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], alarm


def grouped_alarm(template: Template, query_part: str) -> dict[str, Any]:
    (alarm,) = [
        a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if any(query_part in m.get("Expression", "") for m in a["Properties"].get("Metrics", []))
    ]
    return alarm


@pytest.mark.parametrize(
    ("query", "period", "threshold"),
    [
        # a function failed: counted by the function itself, with the venue's client_id (tagback.observability)
        ('SELECT SUM(FunctionErrors) FROM "Tagback" GROUP BY client_id, service', 300, 1),
        # Meta refused a venue's token: the venue must reconnect, within a minute
        ('SELECT SUM(TokenRefused) FROM "Tagback" GROUP BY client_id', 60, 1),
        # a dead-letter or on-failure queue holds something
        ('SELECT MAX(ApproximateNumberOfMessagesVisible) FROM SCHEMA("AWS/SQS", QueueName) GROUP BY QueueName', 300, 1),
        # a message may or may not have reached a guest of the venue, for good
        ('SELECT SUM(DmsUncertain) FROM "Tagback" GROUP BY client_id', 300, 1),
    ],
)
def test_one_alarm_watches_every_venue_by_a_metrics_insights_query_and_a_rule_names_the_venue(
    edge_template: Template, query: str, period: int, threshold: int
) -> None:
    alarm = grouped_alarm(edge_template, query)
    (metric,) = alarm["Metrics"]
    assert (metric["Expression"], metric["Period"], metric["ReturnData"]) == (query, period, True)
    assert alarm["Threshold"] == threshold and alarm["EvaluationPeriods"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    alarm_id = next(
        k for k, a in edge_template.find_resources("AWS::CloudWatch::Alarm").items() if a["Properties"] == alarm
    )
    topic_id, _ = only(edge_template, "AWS::SNS::Topic")
    (rule,) = [
        r["Properties"]
        for r in edge_template.find_resources("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("resources") == [{"Fn::GetAtt": [alarm_id, "Arn"]}]
    ]
    assert rule["EventPattern"]["detail-type"] == ["CloudWatch Alarm Contributor State Change"]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Ref": topic_id}
    grouped_by = query.rsplit("GROUP BY ", 1)[1].split(", ")
    assert set(target["InputTransformer"]["InputPathsMap"].values()) == {
        *(f"$.detail.alarmContributor.attributes.{name}" for name in grouped_by),
        "$.detail.state.reason",
        "$.detail.configuration.description",
    }


@pytest.mark.parametrize(
    ("namespace", "metric", "dimensions", "threshold"),
    [
        ("AWS/Lambda", "Throttles", None, 1),  # the account's concurrency, which every venue shares
        # any venue's stream read half an hour late: the account's metric, one at a flat price (docs/cost.md)
        ("AWS/Lambda", "IteratorAge", None, 1_800_000),
        ("AWS/ApiGateway", "5xx", ["ApiId"], 1),  # the edge's API
        ("Tagback", "WebhookRejected", [{"Name": "service", "Value": "webhook"}], 10),  # a spike of refused deliveries
    ],
)
def test_what_concerns_the_whole_agency_is_one_plain_alarm(
    edge_template: Template, namespace: str, metric: str, dimensions: Any, threshold: int
) -> None:
    (alarm,) = [
        a["Properties"]
        for a in edge_template.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric
    ]
    assert alarm["Namespace"] == namespace and alarm["Threshold"] == threshold
    assert alarm["Statistic"] == ("Maximum" if metric == "IteratorAge" else "Sum")
    if dimensions is None:
        assert "Dimensions" not in alarm
    elif dimensions == ["ApiId"]:
        api_id, _ = only(edge_template, "AWS::ApiGatewayV2::Api")
        assert alarm["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": api_id}}]
    else:
        assert alarm["Dimensions"] == dimensions


def _function_failed() -> None:
    @errors_counted
    def handler(event: dict[str, Any], context: object) -> None:
        raise RuntimeError("failed")

    with contextlib.suppress(RuntimeError):
        handler({}, None)


# How the code publishes each of its own metrics that an alarm watches.
PUBLISHED_BY: dict[str, Callable[[], None]] = {
    TOKEN_REFUSED_METRIC: lambda: count(TOKEN_REFRESH_REFUSED),
    FUNCTION_ERRORS_METRIC: _function_failed,
    WEBHOOK_REJECTED_METRIC: lambda: count(WEBHOOK_REJECTED),
    DMS_UNCERTAIN_METRIC: lambda: count(DMS_UNCERTAIN),
}


def published(
    metric: str,
    service: str,
    client_id: str | None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> list[dict[str, str]]:
    """Each series (its dimensions and their values) `metric` is published as by the function `service`, working
    for the venue `client_id` (None: an edge function's)."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", service)  # as the stack sets it
    monkeypatch.setattr(observability.metrics, "service", service)
    observability.metrics.clear_metrics()
    monkeypatch.setattr(observability, "_venue", ContextVar("tagback_venue", default=None))  # a fresh invocation
    capsys.readouterr()
    if client_id is not None:
        for_venue(client_id)
    PUBLISHED_BY[metric]()
    observability.metrics.flush_metrics()
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    return [
        {name: record[name] for name in dimensions}
        for record in records
        for directive in record["_aws"]["CloudWatchMetrics"]
        if any(m["Name"] == metric for m in directive["Metrics"])
        for dimensions in directive["Dimensions"]
    ]


def tagback_queries(template: Template) -> dict[str, list[str]]:
    """The grouped alarms over Tagback's own metrics: each metric with the dimensions its query groups by."""
    queries = [
        m["Expression"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        for m in a["Properties"].get("Metrics", [])
        if f'FROM "{METRICS_NAMESPACE}"' in m.get("Expression", "")
    ]
    found = [re.fullmatch(r"SELECT SUM\((\w+)\) FROM \"\w+\" GROUP BY ([\w, ]+)", q) for q in queries]
    assert all(found), queries
    return {m[1]: m[2].split(", ") for m in found if m}


def test_what_the_alarms_group_by_venue_is_what_a_venues_functions_publish(
    edge_template: Template, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    grouped = tagback_queries(edge_template)
    assert set(grouped) == {TOKEN_REFUSED_METRIC, FUNCTION_ERRORS_METRIC, DMS_UNCERTAIN_METRIC}
    for metric, group_by in grouped.items():
        assert "client_id" in group_by and metric in PER_VENUE_METRICS
        # One series per venue and function, and none without the venue: a query over the namespace would see
        # that series as a venue of its own ("Other") and tell it apart.
        (series,) = published(metric, "prize", "demo", capsys, monkeypatch)
        assert series == {"client_id": "demo", "service": "prize"} and set(group_by) <= set(series)
        # The edge's functions work for no venue: their series is the contributor client_id "Other".
        (series,) = published(metric, "webhook", None, capsys, monkeypatch)
        assert series == {"service": "webhook"} and set(group_by) - {"client_id"} <= set(series)


def test_a_plain_alarm_on_tagbacks_metrics_watches_the_series_the_edge_publishes(
    edge_template: Template, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = [
        a["Properties"]
        for a in edge_template.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == METRICS_NAMESPACE
    ]
    assert plain and {a["MetricName"] for a in plain} | set(tagback_queries(edge_template)) == set(PUBLISHED_BY)
    for alarm in plain:
        watched = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert published(alarm["MetricName"], watched["service"], None, capsys, monkeypatch) == [watched]


def test_the_watchdog_runs_hourly_and_may_read_figures_claim_alerts_and_publish(edge_template: Template) -> None:
    table_id, _ = only(edge_template, "AWS::DynamoDB::Table")
    topic_id, _ = only(edge_template, "AWS::SNS::Topic")
    watchdog_id, watchdog = function(edge_template, "watchdog")
    assert watchdog["Properties"]["Environment"]["Variables"]["ALERTS_TOPIC_ARN"] == {"Ref": topic_id}
    statements = role_statements(edge_template, watchdog_id)
    assert actions_of(statements) == sorted(
        [
            "cloudwatch:GetMetricData",  # which functions read their streams late, when StreamLag goes off
            "dynamodb:DeleteItem",  # an alert's mark released when sending failed
            "dynamodb:GetItem",  # each venue's month figures
            "dynamodb:GetItem",  # a quiet venue's silence, in the edge's table
            "dynamodb:PutItem",  # an alert's mark, claimed before it is sent; a quiet venue's silence kept
            "dynamodb:Scan",  # every registered venue
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "sns:Publish",
            *TRACING,
        ]
    )
    for action in ("dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem"):
        (statement,) = statements_with(statements, action)
        assert listed(statement["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]
    read = [r for s in statements_with(statements, "dynamodb:GetItem") for r in listed(s["Resource"])]
    assert {"Fn::GetAtt": [table_id, "Arn"]} in read  # a quiet venue's silence, beside its alerts' marks
    (publish,) = statements_with(statements, "sns:Publish")
    assert publish["Resource"] == {"Ref": topic_id}
    edge_template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(5 * * * ? *)",
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [watchdog_id, "Arn"]}, "Input": "{}"})],
        },
    )


def test_the_stream_lag_alarm_runs_the_watchdog_to_name_the_venues(edge_template: Template) -> None:
    watchdog_id, _ = function(edge_template, "watchdog")
    (alarm_id,) = [
        k
        for k, a in edge_template.find_resources("AWS::CloudWatch::Alarm").items()
        if a["Properties"].get("MetricName") == "IteratorAge"
    ]
    (rule,) = [
        r["Properties"]
        for r in edge_template.find_resources("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("resources") == [{"Fn::GetAtt": [alarm_id, "Arn"]}]
    ]
    assert rule["EventPattern"]["detail-type"] == ["CloudWatch Alarm State Change"]
    assert rule["EventPattern"]["detail"] == {"state": {"value": ["ALARM"]}}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [watchdog_id, "Arn"]}
    assert json.loads(target["Input"]) == STREAM_LAG_CHECK
    (metrics,) = statements_with(role_statements(edge_template, watchdog_id), "cloudwatch:GetMetricData")
    assert metrics["Resource"] == "*"  # GetMetricData has no resource to scope it to


@pytest.mark.parametrize("service", EDGE_SERVICES)
def test_every_edge_function_is_traced(edge_template: Template, service: str) -> None:
    assert function(edge_template, service)[1]["Properties"]["TracingConfig"] == {"Mode": "Active"}
