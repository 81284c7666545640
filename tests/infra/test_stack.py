"""A venue's stack (`Tagback-demo`), its synthesized template checked property by property (bundling skipped: no pip
run in tests). The edge's stack: test_edge_stack.py."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Match, Template

from infra.app import build_app
from infra.assets import CLIENT_CONFIG_IN_LAYER, LAYERS, ROOT
from infra.event_sources import TOKEN_REFRESH
from infra.names import (
    EDGE_REDEMPTION_ROLE_PARAMETER,
    EDGE_REGISTRAR_PARAMETER,
    EDGE_STACK,
    EDGE_TABLE_PARAMETER,
    EDGE_URL_PARAMETER,
    EDGE_WEBHOOK_ROLE_PARAMETER,
)
from sandbox.resources import Resources, lifecycle_configuration
from tagback.adapters.font_tables import coverage, coverage_table, measured_coverage
from tagback.config.agency import AgencyConfig
from tagback.config.model import ClientConfig
from tagback.domain.retention import coupon_image_key
from tagback.store.schema import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, table_definition
from tests.coupon_gallery import CJK_FONT, config_with_fonts
from tests.infra.conftest import (
    TRACING,
    actions_of,
    function,
    listed,
    only,
    role_statements,
    ssm_parameter,
    stack_of,
    statements_with,
    unbundled_app,
)
from tests.infra.lambda_runtime import LAYER_EXPORT, RUNTIME_PACKAGES, lock_export, requirements

pytestmark = pytest.mark.infra
VENUE_SERVICES = ("prize", "review_followup", "monthly_report", "owner_delivery")


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
# (The venue's own HTTP API, its stage and routes are gone since issue 11: the edge serves every venue's routes.)
DEPLOYED_LOGICAL_IDS = {
    # The guests' data and the coupon images, retained: a new id would be a new, empty table or bucket beside them.
    "TableCD117FA1": "AWS::DynamoDB::Table",
    "CouponBucket3EA33F23": "AWS::S3::Bucket",
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


def test_every_venue_function_is_named_for_its_venue(template: Template) -> None:
    """The watchdog names a function's venue by its name (tagback-<client-id>-…) when the StreamLag alarm goes off: a
    name CloudFormation made up (Tagback-demo-ConversationPrize…-a1b2) would be "no registered venue"."""
    names = {
        f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]: f["Properties"].get("FunctionName")
        for f in template.find_resources("AWS::Lambda::Function").values()
        if "POWERTOOLS_SERVICE_NAME" in f["Properties"].get("Environment", {}).get("Variables", {})
    }
    assert names == {
        "prize": "tagback-demo-prize",
        "review_followup": "tagback-demo-review-followup",
        "owner_delivery": "tagback-demo-owner-delivery",
        "monthly_report": "tagback-demo-monthly-report",
    }


def test_the_venue_has_no_api_of_its_own(template: Template) -> None:
    """The edge serves the venue's public routes; the venue's outputs are what the CLI reads, no webhook URL."""
    resources = template.to_json()["Resources"].values()
    assert not [r["Type"] for r in resources if r["Type"].startswith("AWS::ApiGatewayV2::")]
    assert "webhook" not in {
        f["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for f in template.find_resources("AWS::Lambda::Function").values()
    }
    assert sorted(template.to_json()["Outputs"]) == [
        "BucketName",
        "FollowUpFailureQueueUrl",
        "FollowUpFunctionName",
        "IntegrationDeadLetterQueueUrl",
        "OwnerDeliveryFunctionName",
        "PrizeDeadLetterQueueUrl",
        "PrizeFunctionName",
        "ReportFailureQueueUrl",
        "ReportFunctionName",
        "TableName",
    ]


def test_the_venue_deploys_after_the_edge(demo_app: App) -> None:
    """`cdk deploy Tagback-<client-id>` deploys the edge first when it is not up to date."""
    assert stack_of(demo_app, EDGE_STACK) in stack_of(demo_app, "Tagback-demo").dependencies


def test_the_edges_webhook_and_redemption_roles_may_do_what_they_need_in_the_table_and_nothing_else(
    template: Template,
) -> None:
    """The table's resource-based policy: its principals are the roles the edge publishes, read from SSM at deploy."""
    _, table = only(template, "AWS::DynamoDB::Table")
    policy = table["Properties"]["ResourcePolicy"]["PolicyDocument"]
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": {"Ref": ssm_parameter(template, EDGE_WEBHOOK_ROLE_PARAMETER)}},
            "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
            # In a table's own policy `*` is that table (and its indexes); its ARN would be a circular reference.
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": {"Ref": ssm_parameter(template, EDGE_REDEMPTION_ROLE_PARAMETER)}},
            # The coupon, its guest's name, its wrong PINs; the redemption and the month's counter; the outbox event
            # and the wrong PINs. No Query, Scan or DeleteItem: it never lists or removes anything.
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": "*",
        },
    ]


def test_the_venue_registers_with_the_edges_registrar(template: Template, demo_config: ClientConfig) -> None:
    (registration,) = template.find_resources("Custom::TagbackRegistration").values()
    table_id, _ = only(template, "AWS::DynamoDB::Table")
    assert registration["Properties"] == {
        "ServiceToken": {"Ref": ssm_parameter(template, EDGE_REGISTRAR_PARAMETER)},
        "client_id": "demo",
        "account_id": demo_config.instagram_account_id,
        "venue_name": demo_config.venue_name,
        "table": {"Ref": table_id},
        "region": {"Ref": "AWS::Region"},
        "timezone": demo_config.timezone,
        "retention_days": str(demo_config.retention_days),
        "link_prefix": {"Fn::Join": ["", [{"Ref": ssm_parameter(template, EDGE_URL_PARAMETER)}, "/l/demo"]]},
        # What the edge's watchdog checks (the client file's alerts: the defaults)
        "no_mention_days": "7",
        "closed": "",
        # What the edge's staff redemption page shows: the venue's language and the prizes' names in it
        "language": "en",
        "prize_names": json.dumps(
            {"espresso": "Free espresso", "pastel-de-nata": "Free pastel de nata", "brunch-for-two": "Brunch for two"}
        ),
    }
    # Deleting the venue's stack deletes the registration: the registry unregisters the venue.
    assert registration["DeletionPolicy"] == "Delete"


def test_the_venue_reads_what_the_edge_publishes_from_ssm(template: Template) -> None:
    parameters = template.to_json()["Parameters"]
    published = {p["Default"] for p in parameters.values() if p["Type"] == "AWS::SSM::Parameter::Value<String>"}
    assert published >= {
        EDGE_URL_PARAMETER,
        EDGE_WEBHOOK_ROLE_PARAMETER,
        EDGE_REDEMPTION_ROLE_PARAMETER,
        EDGE_REGISTRAR_PARAMETER,
        EDGE_TABLE_PARAMETER,
    }
    assert "Fn::ImportValue" not in json.dumps(template.to_json())  # no export ties the venue to the edge


def layer_descriptions(template: Template, service: str) -> set[str]:
    """What the layers of the function `service` say they are."""
    layers = template.find_resources("AWS::Lambda::LayerVersion")
    references = function(template, service)[1]["Properties"]["Layers"]
    return {layers[reference["Ref"]]["Properties"]["Description"] for reference in references}


@pytest.mark.parametrize(
    ("service", "need"),
    [
        ("prize", "conversation"),
        ("review_followup", "conversation"),
        ("monthly_report", "report"),
        ("owner_delivery", "owner"),
    ],
)
def test_venue_functions_run_on_the_layer_of_their_need_and_the_clients_config(
    template: Template, service: str, need: str
) -> None:
    assert layer_descriptions(template, service) == {
        f"tagback {need} layer: {LAYERS[need].description}",
        "validated client config of demo",
    }


def test_venue_functions_run_with_their_table_and_config(template: Template) -> None:
    table_id, _ = only(template, "AWS::DynamoDB::Table")
    for service in VENUE_SERVICES:
        properties = function(template, service)[1]["Properties"]
        assert properties["Runtime"] == "python3.13"
        assert properties["Handler"] == "handler.lambda_handler"
        environment = properties["Environment"]["Variables"]
        assert environment["TABLE_NAME"] == {"Ref": table_id}
        assert environment["TAGBACK_CLIENT_CONFIG"] == CLIENT_CONFIG_IN_LAYER


def test_no_aws_managed_policies(each_template: Template) -> None:
    for role in each_template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_template_holds_no_secret_values(each_template: Template) -> None:
    rendered = json.dumps(each_template.to_json())
    assert "sandbox-app-secret" not in rendered and "test_app_secret" not in rendered


def test_config_layer_ships_the_validated_config(
    agency_config: AgencyConfig, demo_config: ClientConfig, tmp_path: Path
) -> None:
    build_app(agency_config, [demo_config], app=unbundled_app(tmp_path / "out"), build_dir=tmp_path / "build")
    layer = tmp_path / "build" / "client-config" / "demo"
    shipped = ClientConfig.model_validate_json((layer / "client.json").read_text(encoding="utf-8"))
    assert shipped.model_dump() == demo_config.model_dump()
    assert demo_config.coupon.logo is not None
    assert (layer / demo_config.coupon.logo).read_bytes() == demo_config.asset(demo_config.coupon.logo).read_bytes()


@pytest.mark.parametrize("need", sorted(LAYERS))
def test_layer_requirements_are_what_the_lock_exports(need: str) -> None:
    exported = lock_export("--only-group", f"layer-{need}", *LAYER_EXPORT)
    assert LAYERS[need].requirements.read_text(encoding="utf-8") == exported, (
        f"{LAYERS[need].requirements.relative_to(ROOT)} is not the export of uv.lock: run `make lock`"
    )
    assert all("--hash=sha256:" in requirement for requirement in requirements(exported).values())
    assert not set(requirements(exported)) & set(RUNTIME_PACKAGES), "the runtime has boto3 and its dependencies"
    assert "fonttools" not in requirements(exported), "the fonts' tables are written at build (font_tables.py)"


def test_the_conversation_layer_ships_no_google_auth_the_owner_layer_does() -> None:
    """The owner's sinks are owner_delivery's alone (issue 15): Google's auth and its RSA (cryptography, pyasn1) stay
    out of the layer every cold prize function unpacks."""
    google_auth = {"google-auth", "cryptography", "pyasn1", "pyasn1-modules"}
    conversation = requirements(LAYERS["conversation"].requirements.read_text(encoding="utf-8"))
    assert not google_auth & set(conversation)
    owner = requirements(LAYERS["owner"].requirements.read_text(encoding="utf-8"))
    assert google_auth <= set(owner)
    assert not {"pillow", "qrcode", "phonenumberslite"} & set(owner)  # it draws no coupon, reads no phone number


def test_config_layer_ships_a_coverage_table_beside_each_client_font(
    agency_config: AgencyConfig, tmp_path: Path
) -> None:
    config = config_with_fonts(tmp_path / "client", [CJK_FONT])
    build_app(agency_config, [config], app=unbundled_app(tmp_path / "out"), build_dir=tmp_path / "build")
    shipped = tmp_path / "build" / "client-config" / config.client_id / config.coupon.fonts[0]
    assert coverage(shipped) == measured_coverage(CJK_FONT)
    assert coverage_table(shipped).is_file()


@pytest.mark.parametrize("stack_name", ["Tagback-demo", EDGE_STACK])
def test_cdk_nag_passes_and_is_live(
    agency_config: AgencyConfig, demo_config: ClientConfig, tmp_path: Path, stack_name: str
) -> None:
    from aws_cdk import aws_iam as iam  # noqa: PLC0415

    app = build_app(agency_config, [demo_config], app=unbundled_app(tmp_path / "ok"), build_dir=tmp_path / "build")
    app.synth()  # raises on any unacknowledged AwsSolutions error, in either stack

    broken = build_app(
        agency_config, [demo_config], app=unbundled_app(tmp_path / "broken"), build_dir=tmp_path / "build"
    )
    iam.Role(
        stack_of(broken, stack_name),
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


def test_a_bad_agency_config_stops_the_synth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from infra.app import main  # noqa: PLC0415

    agency = tmp_path / "agency.yaml"
    agency.write_text(
        (ROOT / "agency.yaml").read_text(encoding="utf-8").replace("app_id:", "app_idd:"), encoding="utf-8"
    )
    assert main(ROOT / "clients", agency) == 1
    error = capsys.readouterr().err
    assert error.startswith("Refusing to synthesize:")
    assert str(agency) in error  # the file,
    assert "meta.app_idd: unknown field" in error  # each field and the reason
    assert "meta.app_id: Field required" in error


def test_every_client_is_a_stack_beside_the_one_edge(
    agency_config: AgencyConfig, demo_config: ClientConfig, tmp_path: Path
) -> None:
    second = demo_config.model_copy(update={"client_id": "second", "instagram_account_id": "17841400000000002"})
    app = build_app(agency_config, [demo_config, second], app=unbundled_app(tmp_path), build_dir=tmp_path / "build")
    assert sorted(s.stack_name for s in app.synth().stacks) == ["Tagback-Edge", "Tagback-demo", "Tagback-second"]
    assert [s.node.id for s in stack_of(app, "Tagback-second").dependencies] == [EDGE_STACK]
    only_edge = build_app(agency_config, [], app=unbundled_app(tmp_path / "edge"), build_dir=tmp_path / "build")
    assert [s.stack_name for s in only_edge.synth().stacks] == [EDGE_STACK]  # deployable before any venue


@pytest.mark.parametrize(
    ("service", "item_types", "retries", "dead_letters"),
    [
        ("prize", ["inbound_event", "erasure_request"], 3, "PrizeDeadLettersB344552F"),
        ("owner_delivery", ["outbox"], 30, "IntegrationDeadLetters6A9F4563"),
    ],
)
def test_each_item_kind_has_a_filtered_mapping_on_its_function_with_partial_failures_and_a_dlq(
    template: Template, service: str, item_types: list[str], retries: int, dead_letters: str
) -> None:
    function_id, _ = function(template, service)
    table_id, _ = only(template, "AWS::DynamoDB::Table")
    mappings = template.find_resources("AWS::Lambda::EventSourceMapping")
    (properties,) = [
        m["Properties"]
        for m in mappings.values()
        if json.loads(m["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"])["dynamodb"]["NewImage"]["item_type"]
        == {"S": item_types}
    ]
    assert json.loads(properties["FilterCriteria"]["Filters"][0]["Pattern"])["eventName"] == ["INSERT"]
    assert properties["FunctionName"] == {"Ref": function_id}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["BatchSize"] == 10
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["MaximumRetryAttempts"] == retries
    assert properties["MaximumRecordAgeInSeconds"] == 24 * 3600
    assert properties["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [dead_letters, "Arn"]}
    assert template.find_resources("AWS::SQS::Queue")[dead_letters]["Properties"]["SqsManagedSseEnabled"] is True
    assert len(mappings) == 2


# What the conversation engine does (the prize function, and review_followup's language-timeout step).
CONVERSATION_ACTIONS = [
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",  # the guest's latest award
    "ssm:GetParameter",
    "s3:PutObject",
    "s3:GetObject",
    "scheduler:CreateSchedule",
    "iam:PassRole",
    *TRACING,
]
SEND_TO_QUEUE = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]


# What erasing a guest takes beyond the conversation (the prize function fulfils erasure requests).
ERASURE_ACTIONS = [
    "dynamodb:Query",  # the guest's partition
    "dynamodb:Scan",  # the items elsewhere that name the guest
    "dynamodb:DeleteItem",
    "s3:DeleteObject",  # coupon images
    "scheduler:DeleteSchedule",  # pending follow-ups and language timeouts
    "dynamodb:UpdateItem",  # the outcome of Meta's data deletion request, in the edge's table
]


def test_prize_function_permissions_are_exactly_what_it_does(template: Template, demo_config: ClientConfig) -> None:
    statements = role_statements(template, function(template, "prize")[0])
    assert actions_of(statements) == sorted(
        [
            *CONVERSATION_ACTIONS,
            *ERASURE_ACTIONS,
            *SEND_TO_QUEUE,  # its dead-letter queue
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
    assert "google-service-account" not in rendered and "crm-webhook-secret" not in rendered  # owner_delivery's


def test_owner_delivery_may_do_exactly_what_delivering_outbox_items_takes(template: Template) -> None:
    owner_id, owner = function(template, "owner_delivery")
    table_id, _ = only(template, "AWS::DynamoDB::Table")
    statements = role_statements(template, owner_id)
    assert actions_of(statements) == sorted(
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "dynamodb:GetItem",  # the sinks an outbox item reached
            "dynamodb:UpdateItem",  # each sink's mark; a guest.erased event's contacts removed
            "ssm:GetParameter",  # the sinks' secrets
            *SEND_TO_QUEUE,  # the integrations dead-letter queue: the mapping's, and what a sink refuses
            "dynamodb:ListStreams",
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            *TRACING,
        ]
    )
    (items,) = statements_with(statements, "dynamodb:UpdateItem")
    assert listed(items["Action"]) == ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    assert listed(items["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]
    assert items["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["OUTBOX#*"]}}
    (secrets,) = statements_with(statements, "ssm:GetParameter")
    rendered = json.dumps(secrets["Resource"])
    assert "google-service-account" in rendered and "crm-webhook-secret" in rendered
    assert "meta-access-token" not in rendered and "coupon-signing-key" not in rendered
    (send,) = statements_with(statements, "sqs:SendMessage")
    assert send["Resource"] == {"Fn::GetAtt": ["IntegrationDeadLetters6A9F4563", "Arn"]}
    environment = owner["Properties"]["Environment"]["Variables"]
    assert environment["OUTBOX_DLQ_URL"] == {"Ref": "IntegrationDeadLetters6A9F4563"}
    assert owner["Properties"]["Timeout"] == 300  # ten records each waiting out both sinks' timeouts


def test_a_venue_without_sinks_reads_no_secret_for_them(agency_config: AgencyConfig, tmp_path: Path) -> None:
    from tagback.config.loading import load_client_config  # noqa: PLC0415

    luna = load_client_config(ROOT / "clients" / "luna.yaml")
    assert luna.integrations.google_sheets is None and luna.integrations.webhook is None
    app = build_app(agency_config, [luna], app=unbundled_app(tmp_path / "out"), build_dir=tmp_path / "build")
    template = Template.from_stack(stack_of(app, f"Tagback-{luna.client_id}"))
    owner_id, _ = function(template, "owner_delivery")
    assert not statements_with(role_statements(template, owner_id), "ssm:GetParameter")


def test_the_prize_function_knows_nothing_of_the_owners_sinks_and_changes_after_the_outbox_mapping_moves(
    template: Template,
) -> None:
    _, prize = function(template, "prize")
    assert "OUTBOX_DLQ_URL" not in prize["Properties"]["Environment"]["Variables"]
    # On an update, the mapping deployed on the prize function turns to owner_delivery first (same logical id).
    assert "PrizeFunctionOwnerIntegrationsFFCA211E" in prize["DependsOn"]


@pytest.mark.parametrize("service", ["prize", "review_followup"])
def test_engine_environment_names_the_follow_up_target_and_the_venues_link_prefix(
    template: Template, service: str
) -> None:
    _, engine = function(template, service)
    environment = engine["Properties"]["Environment"]["Variables"]
    # Tracked links start at the edge's /l/<client-id>: the edge's URL, read from SSM at deploy.
    assert environment["TAGBACK_LINK_PREFIX"] == {
        "Fn::Join": ["", [{"Ref": ssm_parameter(template, EDGE_URL_PARAMETER)}, "/l/demo"]]
    }
    # The coupon's QR code opens the edge's staff redemption page, /c/<client-id>/<code>.
    assert environment["TAGBACK_COUPON_PREFIX"] == {
        "Fn::Join": ["", [{"Ref": ssm_parameter(template, EDGE_URL_PARAMETER)}, "/c/demo"]]
    }
    assert "TAGBACK_PUBLIC_URL" not in environment
    _, followup = function(template, "review_followup")
    assert environment["SCHEDULE_GROUP"] == "tagback-demo"
    assert followup["Properties"]["FunctionName"] == "tagback-demo-review-followup"
    assert "function:tagback-demo-review-followup" in json.dumps(environment["FOLLOWUP_FUNCTION_ARN"])
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    assert environment["COUPON_BUCKET"] == {"Ref": bucket_id}
    template.has_resource_properties("AWS::Scheduler::ScheduleGroup", {"Name": "tagback-demo"})


# The token step: the refreshed token written back; the awards waiting for the token found and their markers removed.
TOKEN_UPKEEP_ACTIONS = ["ssm:PutParameter", "dynamodb:Query", "dynamodb:DeleteItem"]


def test_review_followup_may_deliver_the_prize_after_the_language_timeout_and_keep_the_token(
    template: Template,
) -> None:
    followup_id, _ = function(template, "review_followup")
    statements = role_statements(template, followup_id)
    # + its on-failure queue
    assert actions_of(statements) == sorted([*CONVERSATION_ACTIONS, *SEND_TO_QUEUE, *TOKEN_UPKEEP_ACTIONS])
    (secrets,) = statements_with(statements, "ssm:GetParameter")
    rendered = json.dumps(secrets["Resource"])
    assert "meta-access-token" in rendered and "coupon-signing-key" in rendered and "app-secret" not in rendered


def test_review_followup_writes_back_only_the_venues_token_and_queries_only_its_table(
    template: Template, demo_config: ClientConfig
) -> None:
    statements = role_statements(template, function(template, "review_followup")[0])
    (put,) = statements_with(statements, "ssm:PutParameter")
    assert put["Action"] == "ssm:PutParameter"
    (token_arn,) = listed(put["Resource"])
    assert token_arn["Fn::Join"][1][-1] == f":parameter{demo_config.secrets.meta_access_token}"
    table_id, _ = only(template, "AWS::DynamoDB::Table")
    for action in ("dynamodb:Query", "dynamodb:DeleteItem"):
        granted = [listed(statement["Resource"]) for statement in statements_with(statements, action)]
        assert granted and all(r == [{"Fn::GetAtt": [table_id, "Arn"]}] for r in granted)  # the table, no index
    # Erasing is the prize function's alone.
    assert not {"dynamodb:Scan", "s3:DeleteObject", "scheduler:DeleteSchedule"} & set(actions_of(statements))
    assert not [s for s in statements if "Condition" in s]  # nothing on the edge's table


def test_the_prize_function_erases_in_its_own_table_bucket_schedules_and_reports_to_the_edge(
    template: Template,
) -> None:
    statements = role_statements(template, function(template, "prize")[0])
    table_id, _ = only(template, "AWS::DynamoDB::Table")
    for action in ("dynamodb:Query", "dynamodb:Scan", "dynamodb:DeleteItem"):
        granted = [listed(statement["Resource"]) for statement in statements_with(statements, action)]
        assert granted and all(r == [{"Fn::GetAtt": [table_id, "Arn"]}] for r in granted)  # the table, no index
    (images,) = statements_with(statements, "s3:DeleteObject")
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    assert listed(images["Resource"]) == [{"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/coupons/*"]]}]
    (schedules,) = statements_with(statements, "scheduler:DeleteSchedule")
    assert json.dumps(schedules["Resource"]).endswith(':schedule/tagback-demo/*"]]}')
    # The edge's table, read from SSM at deploy: only Meta's data deletion requests' items.
    (edge,) = [s for s in statements_with(statements, "dynamodb:UpdateItem") if "Condition" in s]
    assert listed(edge["Resource"]) == [{"Ref": ssm_parameter(template, EDGE_TABLE_PARAMETER)}]
    assert edge["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["DELETION#*"]}}
    (own,) = [s for s in statements_with(statements, "dynamodb:UpdateItem") if "Condition" not in s]
    assert listed(own["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]


def test_the_token_is_refreshed_daily_in_the_venues_timezone(template: Template, demo_config: ClientConfig) -> None:
    followup_id, _ = function(template, "review_followup")
    (schedule,) = [
        s["Properties"]
        for s in template.find_resources("AWS::Scheduler::Schedule").values()
        if s["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [followup_id, "Arn"]}
    ]
    assert TOKEN_REFRESH.name == "TokenRefresh"
    assert schedule["ScheduleExpression"] == TOKEN_REFRESH.expression == "cron(15 4 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == demo_config.timezone
    assert schedule["GroupName"] == "tagback-demo"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert json.loads(target["Input"]) == {"step": "token"}
    # The conversation's scheduler role, which may invoke review_followup (and dead-letter to its queue).
    assert target["RoleArn"] == {"Fn::GetAtt": ["SchedulerRole59E73443", "Arn"]}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["FollowUpDeadLetters99660499", "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 21600}


def test_a_renewed_token_runs_the_token_step_at_once(template: Template, demo_config: ClientConfig) -> None:
    followup_id, _ = function(template, "review_followup")
    (rule_id, rule) = only(template, "AWS::Events::Rule")
    properties = rule["Properties"]
    assert "EventBusName" not in properties  # the default bus, where SSM sends its events
    assert properties["EventPattern"] == {
        "source": ["aws.ssm"],
        "detail-type": ["Parameter Store Change"],
        "detail": {"name": [demo_config.secrets.meta_access_token], "operation": ["Create", "Update"]},
    }
    (target,) = properties["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [followup_id, "Arn"]}
    assert json.loads(target["Input"]) == {"step": "token"}
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": [followup_id, "Arn"]},
            "Principal": "events.amazonaws.com",
            "SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]},
        },
    )


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


def test_every_grant_names_its_resources(each_template: Template) -> None:
    """moto (the sandbox) checks actions only: here, that no role is granted an action on everything."""
    for policy in each_template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "*" in listed(statement["Resource"]):  # these have no resource scope in IAM
                # ListStreams; GetMetricData (the watchdog naming late streams); X-Ray's two
                unscoped = ("dynamodb:ListStreams", "cloudwatch:GetMetricData")
                assert statement["Action"] in unscoped or sorted(statement["Action"]) == TRACING


def test_the_sandbox_grants_each_function_what_the_template_grants(template: Template) -> None:
    from sandbox.iam import roles_from_template  # noqa: PLC0415

    stack_roles = roles_from_template(dict(template.to_json()))
    roles, function_roles, scheduler_roles = stack_roles.actions, stack_roles.functions, stack_roles.schedulers
    for service in VENUE_SERVICES:
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
            *TRACING,
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
    environment = report["Properties"]["Environment"]["Variables"]
    assert environment["REPORT_BUCKET"] == {"Ref": bucket_id}
    assert environment["AGENCY_NAME"] == "Demo Agency"  # agency.yaml's, in the report's header


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


def test_the_bucket_expires_coupon_images_with_their_coupons_and_report_copies_after_retention(
    template: Template, demo_config: ClientConfig
) -> None:
    _, bucket = only(template, "AWS::S3::Bucket")
    rules = {rule["Prefix"]: rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert sorted(p.valid_days for p in demo_config.prizes) == [14, 14, 30] and demo_config.retention_days == 90
    assert {prefix: rule["ExpirationInDays"] for prefix, rule in rules.items()} == {
        "coupons/14d/": 16,  # the validity and two days' margin
        "coupons/30d/": 32,
        "coupons/": 32,  # whatever no validity's rule covers: the longest
        "reports/": 90,  # the report's CSV names guests: the client's retention
    }
    assert {rule["Status"] for rule in rules.values()} == {"Enabled"}


def test_the_sandbox_bucket_has_the_stacks_lifecycle_rules(template: Template, demo_config: ClientConfig) -> None:
    _, bucket = only(template, "AWS::S3::Bucket")
    declared = [
        (rule["Id"], rule["Prefix"], rule["ExpirationInDays"], rule["Status"])
        for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    ]
    sandbox = [
        (rule["ID"], rule["Filter"]["Prefix"], rule["Expiration"]["Days"], rule["Status"])
        for rule in lifecycle_configuration(demo_config)["Rules"]
    ]
    assert sandbox == declared


def granted_object_patterns(template: Template, service: str, action: str) -> list[str]:
    """The object keys `service` may `action` in the bucket, as IAM patterns (`coupons/*`)."""
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    patterns = []
    for statement in statements_with(role_statements(template, function(template, service)[0]), action):
        for resource in listed(statement["Resource"]):
            arn, suffix = resource["Fn::Join"][1]
            assert arn == {"Fn::GetAtt": [bucket_id, "Arn"]}
            patterns.append(suffix.removeprefix("/"))
    return patterns


@pytest.mark.parametrize("service", ["prize", "review_followup"])
def test_the_engine_may_store_and_presign_coupon_images_under_their_rules_only(
    template: Template, demo_config: ClientConfig, service: str
) -> None:
    for action in ("s3:PutObject", "s3:GetObject"):  # GetObject: a presigned URL acts with its signer's rights
        assert granted_object_patterns(template, service, action) == ["coupons/*"]
    for prize in demo_config.prizes:
        key = coupon_image_key("7KQ4-M2XZ-9HJT", prize.valid_days)
        assert fnmatchcase(key, "coupons/*") and key.startswith(f"coupons/{prize.valid_days}d/")


def test_the_report_writes_its_copies_under_the_rule_that_expires_them(template: Template) -> None:
    assert granted_object_patterns(template, "monthly_report", "s3:PutObject") == ["reports/*"]
    assert not granted_object_patterns(template, "monthly_report", "s3:GetObject")


def test_the_venue_has_no_alarm_of_its_own_the_edges_watch_it(template: Template) -> None:
    """Every alarm is the agency's, in the edge (test_edge_stack.py): an alarm per venue would cost per venue."""
    assert template.find_resources("AWS::CloudWatch::Alarm") == {}
    queues = template.find_resources("AWS::SQS::Queue")
    assert queues and all(q["Properties"]["SqsManagedSseEnabled"] for q in queues.values())


@pytest.mark.parametrize("service", VENUE_SERVICES)
def test_every_function_is_traced(template: Template, service: str) -> None:
    function_id, properties = function(template, service)
    assert properties["Properties"]["TracingConfig"] == {"Mode": "Active"}
    assert sorted(a for s in role_statements(template, function_id) for a in listed(s["Action"]) if "xray" in a) == (
        TRACING
    )


def test_every_package_tagback_imports_is_pinned_in_a_layer() -> None:
    import ast  # noqa: PLC0415
    import sys  # noqa: PLC0415
    from importlib.metadata import packages_distributions  # noqa: PLC0415

    pinned = {name for need in LAYERS.values() for name in requirements(need.requirements.read_text(encoding="utf-8"))}
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
    provided_by_lambda = {"boto3", "botocore", "urllib3"}
    read_at_build = {"fontTools"}  # the fonts' tables (font_tables.py): a dev dependency
    # The client and agency files' YAML, read by the CLI, the deploy and the sandbox: the functions read the shipped
    # client.json (test_lambda_runtime.py checks that no function loads yaml on Lambda's Python).
    read_off_lambda = {"yaml"}
    for module in sorted(third_party - provided_by_lambda - read_at_build - read_off_lambda):
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        assert owners & pinned, f"{module} ({owners}) is imported by tagback but not pinned in any layer"


def test_the_sandbox_publishes_the_venues_outputs_by_the_stacks_keys(template: Template) -> None:
    # `tagback status` reads a venue's queues from its stack's outputs, or the sandbox's (/_sandbox/status).
    resources = Resources(
        client_id="demo",
        table_name="tagback-demo",
        stream_arn="arn:stream",
        bucket="tagback-demo-coupons",
        schedule_group="tagback-demo",
        scheduler_role_arns={},
        prize_dlq_url="https://sqs/prize-dlq",
        outbox_dlq_url="https://sqs/integrations-dlq",
        followup_dlq_arn="arn:followup-dlq",
        failure_queue_urls={"review_followup": "https://sqs/f", "monthly_report": "https://sqs/r"},
    )
    outputs = set(template.to_json()["Outputs"])
    assert set(resources.outputs()) <= outputs
    assert {o for o in outputs if o.endswith("QueueUrl")} <= set(resources.outputs())  # what status reads
