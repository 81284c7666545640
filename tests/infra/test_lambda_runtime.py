"""Every function on Lambda's Python as `cdk synth` builds it: imported and invoked in a fresh CPython 3.13 that sees
only the function's asset, its layer and a boto3 like the runtime's, against the moto server; so every layer is
shown to serve the functions on it."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer
from PIL import Image
from werkzeug.serving import make_server

from infra.assets import CLIENT_CONFIG_IN_LAYER, LAYERS
from sandbox.apigw import http_api_event
from sandbox.fake_google import FakeCrm, FakeGoogle
from tagback.adapters.coupon_image import render_coupon
from tagback.config.agency import AgencyConfig
from tagback.config.model import ClientConfig
from tagback.domain.awards import CouponFace
from tagback.domain.events import EventKind, InboundEvent, OutboxEvent
from tagback.store.codec import to_dynamo
from tagback.store.inbound import inbound_event_items
from tagback.store.outbox import outbox_item
from tagback.store.registry import edge_table_definition
from tagback.store.schema import table_definition
from tests.infra.lambda_runtime import install_runtime_packages, run_in_lambda_python, synthesized_assets

pytestmark = pytest.mark.infra

REGION = "eu-west-1"
ACCOUNT = "123456789012"
TABLE = "tagback-runtime-test"
REGISTRY = "tagback-runtime-test-registry"
BUCKET = "tagback-runtime-test-coupons"
VERIFY_TOKEN = "runtime-test-verify-token"
CRM_SECRET = "runtime-test-crm-secret"
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked
# What the events below never reach, run on the conversation's layer: a coupon drawn (Pillow, qrcode, the fonts'
# tables, the emoji font's bitmaps), a phone number read, and in every offered language a date and every offered
# language's name (from the venue's Babel locale data only), all loaded on first use; each of Pillow's extension
# modules the layer ships loaded (so none lacks a library it needs), and a WebP opened, which it cannot read.
CONVERSATION_LIBRARIES = """
import importlib
import io
import sys
import warnings
from datetime import date
from pathlib import Path
import PIL
from PIL import Image, UnidentifiedImageError
from tagback.adapters.coupon_image import render_coupon
from tagback.adapters.phones import valid_phone
from tagback.config.loading import load_client_config
from tagback.domain.awards import CouponFace
from tagback.domain.languages import language_name, names_of
from tagback.messages.render import format_date

def lambda_handler(event, context):
    config = load_client_config(Path(event["config"]))
    image = render_coupon(CouponFace(*event["face"]), config)
    extensions = sorted(module.name.split(".")[0] for module in Path(PIL.__file__).parent.glob("_*.so"))
    for extension in extensions:
        importlib.import_module(f"PIL.{extension}")
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        try:
            Image.open(io.BytesIO(bytes.fromhex(event["webp"])))
        except UnidentifiedImageError:
            pass
    return {
        "png": image.png.hex(),
        "extensions": extensions,
        "webp": [str(warning.message) for warning in warned],
        "missing": image.missing_glyphs,
        "phone": valid_phone(event["phone"], "PT"),
        "fontTools": "fontTools" in sys.modules,
        "yaml": "yaml" in sys.modules,  # the config is the stack's JSON
        "dates": {language: format_date(date(2026, 12, 4), language) for language in config.languages},
        "names": {
            language: sorted(names_of(language, tuple(config.languages))[0]) + [language_name(language)]
            for language in config.languages
        },
    }
"""


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto keeps one state per process: start from an empty AWS whatever ran before (a sandbox's parameters).
    requests.post(f"http://{host}:{port}/moto-api/reset", timeout=10).raise_for_status()
    yield f"http://{host}:{port}"
    server.stop()


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )


def local_environment(template_environment: dict[str, Any], endpoint: str, client_config: Path) -> dict[str, str]:
    """A function's environment as the template declares it, its references resolved to the moto resources."""
    resolved = {
        "TABLE_NAME": TABLE,
        "COUPON_BUCKET": BUCKET,
        "REPORT_BUCKET": BUCKET,
        "FOLLOWUP_FUNCTION_ARN": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tagback-demo-review-followup",
        "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
        "FOLLOWUP_DLQ_ARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:followup-dead-letters",
        "TAGBACK_LINK_PREFIX": "https://edge.example/l/demo",
        "TAGBACK_COUPON_PREFIX": "https://edge.example/c/demo",
        "REGISTRY_TABLE": REGISTRY,
        "OUTBOX_DLQ_URL": f"{endpoint}/{ACCOUNT}/outbox-dead-letters",
        "ALERTS_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:tagback-runtime-test-alerts",
    }
    unresolved = [name for name, value in template_environment.items() if not isinstance(value, str)]
    assert set(unresolved) <= set(resolved), f"give these a local value: {set(unresolved) - set(resolved)}"
    venue = "TAGBACK_CLIENT_CONFIG" in template_environment  # the edge's functions have no client
    assert not venue or template_environment["TAGBACK_CLIENT_CONFIG"] == CLIENT_CONFIG_IN_LAYER
    return {
        **{name: resolved.get(name, value) for name, value in template_environment.items()},
        # the config layer's file, where Lambda would unpack it
        **({"TAGBACK_CLIENT_CONFIG": str(client_config)} if venue else {}),
        "TAGBACK_GRAPH_URL": "http://127.0.0.1:9",  # nothing here may reach Meta
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def deleted_message_record() -> dict[str, Any]:
    """A stream record of a guest deleting a message: the engine reads the guest and ignores it."""
    moment = datetime(2026, 11, 20, 12, tzinfo=UTC)
    (item,) = inbound_event_items([InboundEvent(EventKind.DELETED, "m1", "g1", "1", moment)], moment, moment)
    return stream_record(to_dynamo(item))


def award_outbox_item() -> dict[str, Any]:
    """An award's outbox item, as the engine writes it for the owner's sinks."""
    moment = datetime(2026, 11, 20, 12, tzinfo=UTC)
    event = OutboxEvent("award-runtime-test", "award", moment, "g1", "Ana Sousa", prize="Free espresso")
    return to_dynamo(outbox_item(event, datetime(2027, 11, 20, tzinfo=UTC)))


def stream_record(image: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}/stream/x",
        "dynamodb": {"Keys": {"PK": image["PK"], "SK": image["SK"]}, "NewImage": image, "SequenceNumber": "100"},
    }


@pytest.fixture
def sinks(demo_config: ClientConfig) -> Iterator[tuple[FakeGoogle, FakeCrm, str]]:
    """The owner's sheet and CRM, served here: owner_delivery signs in to the fake Google with google-auth."""
    assert demo_config.integrations.google_sheets is not None
    google, crm = FakeGoogle(demo_config.integrations.google_sheets.spreadsheet_id), FakeCrm(CRM_SECRET)
    servers = [make_server("127.0.0.1", 0, app, threaded=True) for app in (google, crm)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    google.url = f"http://127.0.0.1:{servers[0].port}"
    yield google, crm, f"http://127.0.0.1:{servers[1].port}/hooks/tagback"
    for server in servers:
        server.shutdown()


@pytest.fixture
def cloudformation() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for CloudFormation's presigned response URL: it records what a custom resource's provider PUTs."""
    answers: list[dict[str, Any]] = []

    class Answers(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            answers.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/response", answers
    server.shutdown()


def test_every_handler_runs_on_lambdas_python_from_the_synthesized_assets(
    *,
    agency_config: AgencyConfig,
    demo_config: ClientConfig,
    moto_endpoint: str,
    cloudformation: tuple[str, list[dict[str, Any]]],
    sinks: tuple[FakeGoogle, FakeCrm, str],
    tmp_path: Path,
) -> None:
    google, crm, crm_url = sinks
    assert demo_config.integrations.google_sheets is not None and demo_config.integrations.webhook is not None
    assets = synthesized_assets(agency_config, demo_config, tmp_path / "cdk.out", tmp_path / "build")
    runtime = tmp_path / "runtime"
    install_runtime_packages(runtime)

    dynamodb = client("dynamodb", moto_endpoint)
    dynamodb.create_table(**table_definition(TABLE))
    dynamodb.create_table(**edge_table_definition(REGISTRY))
    client("s3", moto_endpoint).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    ssm = client("ssm", moto_endpoint)
    for name, value in (
        (agency_config.secrets.meta_verify_token, VERIFY_TOKEN),
        (demo_config.secrets.meta_access_token, "runtime-test-access-token"),
        (demo_config.secrets.coupon_signing_key, "runtime-test-signing-key"),
        (demo_config.integrations.google_sheets.service_account_param, json.dumps(google.service_account())),
        (demo_config.integrations.webhook.secret_param, CRM_SECRET),
    ):
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)  # moto is per process

    award = award_outbox_item()
    dynamodb.put_item(TableName=TABLE, Item=award)
    client("sqs", moto_endpoint).create_queue(QueueName="outbox-dead-letters")

    challenge = "1158201444"
    handshake = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": challenge}
    cases: dict[str, tuple[dict[str, Any], Any]] = {
        "webhook": (
            http_api_event("GET", "/webhook", query=urlencode(handshake)),
            lambda response: response["statusCode"] == 200 and response["body"] == challenge,
        ),
        "registry": (  # CloudFormation deleting a venue that never registered: nothing to do, and says so
            {
                "RequestType": "Delete",
                "ResponseURL": cloudformation[0],
                "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/Tagback-gone/1",
                "RequestId": "r1",
                "LogicalResourceId": "Registration",
                "PhysicalResourceId": "tagback-registration-gone",
                "ResourceProperties": {"client_id": "gone"},
            },
            lambda response: response["Status"] == "SUCCESS" and cloudformation[1] == [response],
        ),
        "prize": ({"Records": [deleted_message_record()]}, lambda response: response == {"batchItemFailures": []}),
        "review_followup": (
            {"step": "followup", "guest_id": "g1", "period": "2026-11-20"},
            lambda response: response["outcome"] == "followup_unknown_award",
        ),
        "monthly_report": (
            {"month": "2026-10", "send": False},
            lambda response: response["copy"] == f"s3://{BUCKET}/reports/2026-10.html",
        ),
        "watchdog": ({}, lambda response: response == {"venues": 0, "alerts": []}),  # no venue registered here
        "owner_delivery": (  # an award to the owner's sheet (google-auth, cryptography) and CRM
            {"Records": [stream_record(award)]},
            lambda response: (
                response == {"batchItemFailures": []}
                and [row[0] for row in google.rows["Entries"]][1:] == ["award-runtime-test"]  # below the header
                and [request["signature_valid"] for request in crm.requests] == [True]
            ),
        ),
        "redemption": (  # a coupon link of a client the registry does not know: its page, 404
            http_api_event("GET", "/c/gone/AAAA-BBBB-CCCC", route="/c/{client}/{code}"),
            lambda response: response["statusCode"] == 404 and "Unknown code" in response["body"],
        ),
    }
    assert sorted(assets.functions) == sorted(cases), "every function gets an event here"
    assert {path.name for path in assets.layers.values()} == {"python"}
    assert len(assets.layer_folders) == len(LAYERS), "every layer serves a function here"
    # A venue's layers keep Babel's data of the demo's locales (en, de, pt; its report's en_PT) and their parents.
    for name in ("prize", "review_followup", "monthly_report", "owner_delivery"):
        kept = {data.stem for data in (assets.layers[name] / "babel" / "locale-data").glob("*.dat")}
        assert kept == {"root", "en", "en_001", "en_150", "en_PT", "de", "pt"}, name
    magics = set()
    for name, (event, succeeded) in cases.items():
        outcome = run_in_lambda_python(
            "handler",
            [assets.functions[name], assets.layers[name], runtime],  # Lambda's order: function, layer, runtime
            local_environment(assets.environments[name], moto_endpoint, assets.client_config)
            | {"TAGBACK_SHEETS_URL": google.url, "TAGBACK_CRM_URL": crm_url},
            tmp_path / f"{name}.json",
            event,
        )
        assert succeeded(outcome["response"]), f"{name}: {outcome['response']}"
        magics.add(bytes.fromhex(outcome["magic"]))

    driver = tmp_path / "conversation-libraries"
    driver.mkdir()
    (driver / "libraries.py").write_text(CONVERSATION_LIBRARIES, encoding="utf-8")
    face = ["Café Aurora", "Free cake 🍰 + coffee ☕ 🇵🇹", "7KQ4-M2XZ-9HJT", "Valid until 28 Sep", "Show this"]
    webp = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(webp, format="WEBP")  # this machine's Pillow has every codec
    drawn = run_in_lambda_python(
        "libraries",
        [driver, assets.layers["prize"], runtime],
        {},
        tmp_path / "libraries.json",
        {"face": face, "config": str(assets.client_config), "phone": "912 345 678", "webp": webp.getvalue().hex()},
    )["response"]
    # The layer's Pillow draws the coupon (text, emoji, QR code) pixel for pixel as the whole wheel here does.
    with Image.open(io.BytesIO(bytes.fromhex(drawn.pop("png")))) as decoded:
        assert decoded.format == "PNG"
        assert decoded.tobytes() == Image.open(io.BytesIO(render_coupon(CouponFace(*face), demo_config).png)).tobytes()
    # Pillow's modules the coupon never loads are not shipped, nor the libraries only they need (AVIF, WebP, colour
    # management); opening a WebP says why it cannot.
    bundled = {library.name.split("-")[0] for library in (assets.layers["prize"] / "pillow.libs").iterdir()}
    assert not bundled & {"libavif", "libwebp", "libwebpmux", "libwebpdemux", "libsharpyuv", "liblcms2"}
    assert drawn == {
        "extensions": ["_imaging", "_imagingft"],
        "webp": ["image file could not be identified because WEBP support not installed"],
        "missing": "",
        "phone": "+351912345678",
        "fontTools": False,
        "yaml": False,
        "dates": {"en": "4 Dec 2026", "de": "4. Dez. 2026", "pt": "4 de dez. de 2026"},
        "names": {
            "en": ["Englisch", "English", "inglês", "English"],
            "de": ["Deutsch", "German", "alemão", "Deutsch"],
            "pt": ["Portugiesisch", "Portuguese", "português", "Português"],
        },
    }

    # The layers and every function ship bytecode the runtime uses as is: 3.13's, never checked against the source.
    shipped = (*assets.layer_folders, *assets.functions.values())
    sources = [path for folder in shipped for path in folder.rglob("*.py")]
    compiled = [source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc" for source in sources]
    missing = [source for source, pyc in zip(sources, compiled, strict=True) if not pyc.is_file()]
    assert not missing, f"{len(missing)} modules ship without 3.13 bytecode, e.g. {missing[:3]}"
    headers = {pyc.read_bytes()[:8] for pyc in compiled}
    assert headers == {magic + UNCHECKED_HASH.to_bytes(4, "little") for magic in magics}
