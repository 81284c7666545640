"""The synthesized template, checked property by property (bundling skipped: no pip run in tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra.api_routes import API_ROUTES
from infra.app import build_app
from infra.assets import CLIENT_CONFIG_IN_LAYER, ROOT
from tagback.config.model import ClientConfig
from tagback.store.schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, table_definition
from tests.infra.lambda_runtime import LAYER_EXPORT, lock_export, requirements

pytestmark = pytest.mark.infra
LAYER_REQUIREMENTS = ROOT / "layers" / "common" / "requirements.txt"


@pytest.fixture(scope="module")
def template(demo_config: ClientConfig, tmp_path_factory: pytest.TempPathFactory) -> Template:
    app = App(context={"aws:cdk:bundling-stacks": []}, outdir=str(tmp_path_factory.mktemp("cdk.out")))
    build_app([demo_config], app=app, build_dir=tmp_path_factory.mktemp("build"))
    stack = app.node.find_child("Tagback-demo")
    return Template.from_stack(stack)  # type: ignore[arg-type]


def only(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    (item,) = template.find_resources(resource_type).items()
    return item


def function(template: Template, service: str) -> tuple[str, dict[str, Any]]:
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
    return policy["Properties"]["PolicyDocument"]["Statement"]


def actions_of(statements: list[dict[str, Any]]) -> list[str]:
    return sorted(a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))


def test_table_streams_new_images_expires_items_and_recovers(template: Template) -> None:
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [
                    {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
                    {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
                ],
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
                "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            },
            "DeletionPolicy": "Retain",
        },
    )


# CloudFormation knows a deployed resource by its logical id: given a new one (a construct moved in the tree), it
# creates a second resource, then deletes the first (infra/components/deployed.py). These keep the ids they have.
DEPLOYED_LOGICAL_IDS = {
    # The guests' data and the coupon images, retained: a new id would be a new, empty table or bucket beside them.
    "TableCD117FA1": "AWS::DynamoDB::Table",
    "CouponBucket3EA33F23": "AWS::S3::Bucket",
    # Their URL is in Meta's dashboard and in every tracked link sent; a route key and `$default` exist once per API.
    "ApiF70053CD": "AWS::ApiGatewayV2::Api",
    "DefaultStageEE28A986": "AWS::ApiGatewayV2::Stage",
    "ApiGETwebhookB644CFD5": "AWS::ApiGatewayV2::Route",
    "ApiPOSTwebhook9AE25E58": "AWS::ApiGatewayV2::Route",
    "ApiGETltokenF72C9ADF": "AWS::ApiGatewayV2::Route",
    # Named: a second one by the same name cannot be created. The group holds the pending follow-ups, which name the
    # scheduler role and the follow-up dead-letter queue.
    "FollowUpSchedules": "AWS::Scheduler::ScheduleGroup",
    "SchedulerRole59E73443": "AWS::IAM::Role",
    "ReviewFollowupFunction7FFF792C": "AWS::Lambda::Function",
    # Dead letters waiting to be replayed.
    "PrizeDeadLettersB344552F": "AWS::SQS::Queue",
    "FollowUpDeadLetters99660499": "AWS::SQS::Queue",
    "IntegrationDeadLetters6A9F4563": "AWS::SQS::Queue",
    "FollowUpFailuresF5142176": "AWS::SQS::Queue",
    "ReportFailuresE9AC0EB9": "AWS::SQS::Queue",
    # One per resource: deleting the old one would delete the settings the new one just made.
    "CouponBucketPolicy5F73A833": "AWS::S3::BucketPolicy",
    "PrizeDeadLettersPolicy8CFF8D69": "AWS::SQS::QueuePolicy",
    "FollowUpDeadLettersPolicy6B9E7AE9": "AWS::SQS::QueuePolicy",
    "IntegrationDeadLettersPolicyB35B5E61": "AWS::SQS::QueuePolicy",
    "FollowUpFailuresPolicy98906A96": "AWS::SQS::QueuePolicy",
    "ReportFailuresPolicyD9A6217E": "AWS::SQS::QueuePolicy",
    "ReviewFollowupFunctionEventInvokeConfig330120A2": "AWS::Lambda::EventInvokeConfig",
    # A new mapping would read the stream again from its oldest record, beside the old one until it goes.
    "PrizeFunctionInboundEventsFA9F5B64": "AWS::Lambda::EventSourceMapping",
    "PrizeFunctionOwnerIntegrationsFFCA211E": "AWS::Lambda::EventSourceMapping",
}


def test_deployed_resources_keep_their_logical_ids(template: Template) -> None:
    resources = template.to_json()["Resources"]
    assert {logical_id: resources.get(logical_id, {}).get("Type") for logical_id in DEPLOYED_LOGICAL_IDS} == (
        DEPLOYED_LOGICAL_IDS
    )


def test_sandbox_table_matches_the_stack(template: Template) -> None:
    _, table = only(template, "AWS::DynamoDB::Table")
    sandbox = table_definition("t")
    assert table["Properties"]["KeySchema"] == sandbox["KeySchema"]
    assert table["Properties"]["AttributeDefinitions"] == sandbox["AttributeDefinitions"]
    assert (
        table["Properties"]["StreamSpecification"]["StreamViewType"] == sandbox["StreamSpecification"]["StreamViewType"]
    )


def test_every_route_reaches_the_webhook_function(template: Template) -> None:
    function_id, _ = function(template, "webhook")
    integrations = template.find_resources("AWS::ApiGatewayV2::Integration")
    routes = template.find_resources("AWS::ApiGatewayV2::Route")
    assert sorted(r["Properties"]["RouteKey"] for r in routes.values()) == sorted(
        f"{r.method} {r.path}" for r in API_ROUTES
    )
    for route in routes.values():
        integration_id = route["Properties"]["Target"]["Fn::Join"][1][1]["Ref"]
        integration = integrations[integration_id]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        assert integration["IntegrationUri"] == {"Fn::GetAtt": [function_id, "Arn"]}
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [function_id, "Arn"]},
            "Principal": "apigateway.amazonaws.com",
        },
    )


def test_stage_is_throttled_and_logged(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100},
            "AccessLogSettings": {"DestinationArn": Match.any_value()},
        },
    )


def test_webhook_function_environment_and_layers(template: Template) -> None:
    _, webhook = function(template, "webhook")
    properties = webhook["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Handler"] == "handler.lambda_handler"
    assert properties["Timeout"] <= 10
    environment = properties["Environment"]["Variables"]
    assert environment["TAGBACK_CLIENT_CONFIG"] == CLIENT_CONFIG_IN_LAYER
    assert environment["POWERTOOLS_SERVICE_NAME"] == "webhook"
    table_id, _ = only(template, "AWS::DynamoDB::Table")
    assert environment["TABLE_NAME"] == {"Ref": table_id}
    layer_ids = {ref["Ref"] for ref in properties["Layers"]}
    assert layer_ids == set(template.find_resources("AWS::Lambda::LayerVersion"))


def test_webhook_may_only_write_items_and_read_its_two_secrets(template: Template, demo_config: ClientConfig) -> None:
    statements = role_statements(template, function(template, "webhook")[0])
    assert actions_of(statements) == [
        "dynamodb:PutItem",  # inbound events
        "dynamodb:UpdateItem",  # link clicks and the month's counters
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ssm:GetParameter",
    ]
    (ssm,) = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    rendered = json.dumps(ssm["Resource"])
    assert demo_config.secrets.meta_app_secret.lstrip("/") in rendered
    assert demo_config.secrets.meta_verify_token.lstrip("/") in rendered
    assert demo_config.secrets.meta_access_token.lstrip("/") not in rendered  # the webhook never calls Meta


def test_no_aws_managed_policies(template: Template) -> None:
    for role in template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_template_holds_no_secret_values(template: Template) -> None:
    rendered = json.dumps(template.to_json())
    assert "sandbox-app-secret" not in rendered and "test_app_secret" not in rendered


def test_config_layer_ships_the_validated_config(demo_config: ClientConfig, tmp_path: Path) -> None:
    app = App(context={"aws:cdk:bundling-stacks": []}, outdir=str(tmp_path / "out"))
    build_app([demo_config], app=app, build_dir=tmp_path / "build")
    layer = tmp_path / "build" / "client-config" / "demo"
    shipped = ClientConfig.model_validate_json((layer / "client.json").read_text(encoding="utf-8"))
    assert shipped.model_dump() == demo_config.model_dump()
    assert demo_config.coupon.logo is not None
    assert (layer / demo_config.coupon.logo).read_bytes() == demo_config.asset(demo_config.coupon.logo).read_bytes()


def test_layer_requirements_are_what_the_lock_exports() -> None:
    exported = lock_export(*LAYER_EXPORT)
    assert LAYER_REQUIREMENTS.read_text(encoding="utf-8") == exported, (
        f"{LAYER_REQUIREMENTS.relative_to(ROOT)} is not the export of uv.lock: run `make lock`"
    )
    assert all("--hash=sha256:" in requirement for requirement in requirements(exported).values())


def test_cdk_nag_passes_and_is_live(demo_config: ClientConfig, tmp_path: Path) -> None:
    from aws_cdk import aws_iam as iam  # noqa: PLC0415

    app = App(context={"aws:cdk:bundling-stacks": []}, outdir=str(tmp_path / "ok"))
    build_app([demo_config], app=app, build_dir=tmp_path / "build")
    app.synth()  # raises ValidationFailed on any unacknowledged AwsSolutions error

    broken = App(context={"aws:cdk:bundling-stacks": []}, outdir=str(tmp_path / "broken"))
    build_app([demo_config], app=broken, build_dir=tmp_path / "build")
    stack = broken.node.find_child("Tagback-demo")
    iam.Role(
        stack,
        "Lax",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("AdministratorAccess")],
    )
    with pytest.raises(RuntimeError, match="AwsSolutions-IAM4"):
        broken.synth()


def test_a_bad_client_config_stops_the_synth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from infra.app import main  # noqa: PLC0415

    text = (ROOT / "clients" / "demo.yaml").read_text(encoding="utf-8").replace("weight: 60", "weight: 65")
    (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
    assert main(tmp_path) == 1
    assert "prizes: weights sum to 105, must be 100" in capsys.readouterr().err


@pytest.mark.parametrize(("item_type", "retries"), [("inbound_event", 3), ("outbox", 30)])
def test_prize_function_has_a_filtered_mapping_per_item_kind_with_partial_failures_and_a_dlq(
    template: Template, item_type: str, retries: int
) -> None:
    prize_id, _ = function(template, "prize")
    table_id, _ = only(template, "AWS::DynamoDB::Table")
    mappings = template.find_resources("AWS::Lambda::EventSourceMapping")
    (properties,) = [
        m["Properties"]
        for m in mappings.values()
        if json.loads(m["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"])["dynamodb"]["NewImage"]["item_type"]
        == {"S": [item_type]}
    ]
    assert json.loads(properties["FilterCriteria"]["Filters"][0]["Pattern"])["eventName"] == ["INSERT"]
    assert properties["FunctionName"] == {"Ref": prize_id}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["MaximumRetryAttempts"] == retries
    dlq_id = properties["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert template.find_resources("AWS::SQS::Queue")[dlq_id]["Properties"]["SqsManagedSseEnabled"] is True
    assert len(mappings) == 2


# What the conversation engine does (the prize function, and review_followup's language-timeout step).
CONVERSATION_ACTIONS = [
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "ssm:GetParameter",
    "s3:PutObject",
    "s3:GetObject",
    "scheduler:CreateSchedule",
    "iam:PassRole",
]
SEND_TO_QUEUE = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]


def test_prize_function_permissions_are_exactly_what_it_does(template: Template, demo_config: ClientConfig) -> None:
    statements = role_statements(template, function(template, "prize")[0])
    assert actions_of(statements) == sorted(
        [
            *CONVERSATION_ACTIONS,
            *SEND_TO_QUEUE * 2,  # the two dead-letter queues
            "dynamodb:ListStreams",
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        ]
    )
    (schedules,) = [s for s in statements if s["Action"] == "scheduler:CreateSchedule"]
    assert json.dumps(schedules["Resource"]).endswith(':schedule/tagback-demo/*"]]}')
    (secrets,) = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    rendered = json.dumps(secrets["Resource"])
    assert "meta-access-token" in rendered and "coupon-signing-key" in rendered and "app-secret" not in rendered
    assert "google-service-account" in rendered and "crm-webhook-secret" in rendered  # the owner's sinks


def test_prize_environment_names_the_follow_up_target(template: Template) -> None:
    _, prize = function(template, "prize")
    api_id, _ = only(template, "AWS::ApiGatewayV2::Api")
    assert prize["Properties"]["Environment"]["Variables"]["TAGBACK_PUBLIC_URL"] == {
        "Fn::GetAtt": [api_id, "ApiEndpoint"]
    }
    _, followup = function(template, "review_followup")
    environment = prize["Properties"]["Environment"]["Variables"]
    assert environment["SCHEDULE_GROUP"] == "tagback-demo"
    assert followup["Properties"]["FunctionName"] == "tagback-demo-review-followup"
    assert "function:tagback-demo-review-followup" in json.dumps(environment["FOLLOWUP_FUNCTION_ARN"])
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    assert environment["COUPON_BUCKET"] == {"Ref": bucket_id}
    template.has_resource_properties("AWS::Scheduler::ScheduleGroup", {"Name": "tagback-demo"})


def test_review_followup_may_deliver_the_prize_after_the_language_timeout(template: Template) -> None:
    followup_id, _ = function(template, "review_followup")
    statements = role_statements(template, followup_id)
    assert actions_of(statements) == sorted([*CONVERSATION_ACTIONS, *SEND_TO_QUEUE])  # + its on-failure queue
    (secrets,) = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    rendered = json.dumps(secrets["Resource"])
    assert "meta-access-token" in rendered and "coupon-signing-key" in rendered and "app-secret" not in rendered


@pytest.mark.parametrize(
    ("service", "queue"), [("review_followup", "FollowUpFailures"), ("monthly_report", "ReportFailures")]
)
def test_scheduled_functions_retry_twice_within_the_hour_then_their_on_failure_queue(
    template: Template, service: str, queue: str
) -> None:
    function_id, _ = function(template, service)
    (queue_id,) = [q for q in template.find_resources("AWS::SQS::Queue") if q.startswith(queue)]
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": function_id},
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 3600,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}},
        },
    )
    send = [s for s in role_statements(template, function_id) if "sqs:SendMessage" in s["Action"]]
    assert [s["Resource"] for s in send] == [{"Fn::GetAtt": [queue_id, "Arn"]}]  # Lambda sends with the role


def test_every_grant_names_its_resources(template: Template) -> None:
    """moto (the sandbox) checks actions only: here, that no role is granted an action on everything."""
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if "*" in resources:
                assert statement["Action"] == "dynamodb:ListStreams"  # it has no resource scope in IAM


def test_the_sandbox_grants_each_function_what_the_template_grants(template: Template) -> None:
    from sandbox.iam import roles_from_template  # noqa: PLC0415

    roles, function_roles, scheduler_roles = roles_from_template(template.to_json())
    for service in ("webhook", "prize", "review_followup", "monthly_report"):
        function_id, _ = function(template, service)
        assert roles[function_roles[service]] == sorted(set(actions_of(role_statements(template, function_id))))
    assert roles[scheduler_roles["review_followup"]] == sorted(["lambda:InvokeFunction", *SEND_TO_QUEUE])
    assert roles[scheduler_roles["monthly_report"]] == ["lambda:InvokeFunction"]


def scheduler_role_policies(template: Template) -> list[list[dict[str, Any]]]:
    roles = template.find_resources(
        "AWS::IAM::Role",
        {
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [Match.object_like({"Principal": {"Service": "scheduler.amazonaws.com"}})]
                }
            }
        },
    )
    return [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::IAM::Policy").values()
        if p["Properties"]["Roles"][0]["Ref"] in roles
    ]


@pytest.mark.parametrize(
    ("service", "extra"),
    [
        ("review_followup", ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]),
        ("monthly_report", []),
    ],
)
def test_each_scheduler_role_may_invoke_one_function_only(template: Template, service: str, extra: list[str]) -> None:
    function_id, _ = function(template, service)
    (statements,) = [
        st
        for st in scheduler_role_policies(template)
        if any(s.get("Resource") == {"Fn::GetAtt": [function_id, "Arn"]} for s in st)
    ]
    assert actions_of(statements) == sorted(["lambda:InvokeFunction", *extra])


def test_the_report_goes_out_on_the_first_at_eight_local_time(template: Template, demo_config: ClientConfig) -> None:
    report_id, report = function(template, "monthly_report")
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "cron(0 8 1 * ? *)",
            "ScheduleExpressionTimezone": demo_config.timezone,
            "Target": Match.object_like({"Arn": {"Fn::GetAtt": [report_id, "Arn"]}, "Input": '{"send": true}'}),
        },
    )
    statements = role_statements(template, report_id)
    assert actions_of(statements) == sorted(
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "dynamodb:GetItem",
            "dynamodb:Scan",
            "dynamodb:UpdateItem",  # the daily snapshot
            "s3:PutObject",
            "ses:SendRawEmail",
            "ssm:GetParameter",
            *SEND_TO_QUEUE,  # its on-failure queue
        ]
    )
    (secrets,) = [s for s in statements if s["Action"] == "ssm:GetParameter"]
    assert "meta-access-token" in json.dumps(secrets) and "google-places-api-key" in json.dumps(secrets)
    template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "cron(30 23 * * ? *)",
            "ScheduleExpressionTimezone": demo_config.timezone,
            "Target": Match.object_like({"Input": '{"action": "snapshot"}'}),
        },
    )
    (ses,) = [s for s in statements if s["Action"] == "ses:SendRawEmail"]
    assert "identity/reports@tagback.example" in json.dumps(ses["Resource"])
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    assert report["Properties"]["Environment"]["Variables"]["REPORT_BUCKET"] == {"Ref": bucket_id}


def test_coupon_bucket_is_private_encrypted_and_tls_only(template: Template) -> None:
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
                ]
            }
        },
    )


def test_token_failures_and_dead_letters_raise_alarms(template: Template) -> None:
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "DmFailedAuth",
            "Namespace": "Tagback",
            "Dimensions": Match.array_with(
                [{"Name": "client_id", "Value": "demo"}, {"Name": "service", "Value": "prize"}]
            ),
        },
    )
    queue_alarms = template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "ApproximateNumberOfMessagesVisible"}}
    )
    alarmed = {json.dumps(a["Properties"]["Dimensions"][0]["Value"]) for a in queue_alarms.values()}
    queues = template.find_resources("AWS::SQS::Queue")
    # Every queue holds what failed (dead letters, on-failure records) and is alarmed and encrypted.
    assert alarmed == {json.dumps({"Fn::GetAtt": [queue_id, "QueueName"]}) for queue_id in queues}
    assert all(q["Properties"]["SqsManagedSseEnabled"] for q in queues.values())


def test_every_package_the_layer_imports_is_pinned() -> None:
    import ast  # noqa: PLC0415
    import sys  # noqa: PLC0415
    from importlib.metadata import packages_distributions  # noqa: PLC0415

    pinned = set(requirements(LAYER_REQUIREMENTS.read_text(encoding="utf-8")))
    distributions = packages_distributions()
    imported: set[str] = set()
    for source in (ROOT / "layers" / "common" / "tagback").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            )
            imported.update(name.split(".")[0] for name in names)
    third_party = {m for m in imported if m != "tagback" and m not in sys.stdlib_module_names}
    provided_by_lambda = {"boto3", "botocore"}
    for module in sorted(third_party - provided_by_lambda):
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        assert owners & pinned, f"{module} ({owners}) is imported by tagback but not pinned in the layer"
