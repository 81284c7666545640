"""A guest's rights through the running sandbox: Meta's data deletion callback (signed as Meta signs it) erases the
guest in every venue — table items, the coupon image, the pending schedules, the owner's sheet and CRM — under each
function's own IAM role; `tagback guest export` and `guest erase` do the same for an operator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import boto3
import pytest
import requests

from sandbox.chat import Guest
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.adapters.meta.deletion import sign_request
from tagback.cli import main as cli
from tagback.domain.stats import month_of
from tagback.store.schema import guest_key

pytestmark = pytest.mark.e2e
VENUES = ("demo", "luna")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        yield running


def signed_request(sandbox: Sandbox, user_id: str, *, secret: str | None = None, valid_for: float = 3600) -> str:
    """What Meta posts when a person asks it to delete their data (../shared/reference/meta-messaging.md)."""
    now = int(sandbox.clock.now().timestamp())
    payload = {"algorithm": "HMAC-SHA256", "expires": int(now + valid_for), "issued_at": now, "user_id": user_id}
    return sign_request(payload, secret or sandbox.options.app_secret)


def held_anywhere(sandbox: Sandbox, *traces: str) -> list[str]:
    """Where the sandbox's AWS, sheet and schedules still hold any of `traces`: every item of every venue's table and
    the edge's, every object of every venue's bucket, every schedule, every sheet cell."""
    found: list[str] = []
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    tables = [sandbox.edge.table_name, *(sandbox.venue(c).resources.table_name for c in VENUES)]
    for table in tables:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            found += [f"{table}: {item}" for item in page["Items"] if any(t in json.dumps(item) for t in traces)]
    for client in VENUES:
        bucket = sandbox.venue(client).resources.bucket
        for listed in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read()
            found += [f"s3://{bucket}/{listed['Key']}" for t in traces if t in listed["Key"] or t.encode() in body]
        found += [f"schedule {s['Name']}" for s in sandbox.schedules(client) if any(t in json.dumps(s) for t in traces)]
    cells = [cell for rows in sandbox.google.rows.values() for row in rows for cell in row]
    found += [f"sheet cell {cell!r}" for cell in cells if any(t in cell for t in traces)]
    return found


def printed_json(out: str) -> Any:
    """The JSON document the command printed (indented), among the functions' one-line metrics the sandbox prints."""
    return json.JSONDecoder().raw_decode(out[out.index("{\n") :])[0]


def month_counters(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    return {
        client: sandbox.venue(client).store.stats.month_totals(
            month_of(sandbox.clock.now(), sandbox.venue(client).config.tz)
        )
        for client in VENUES
    }


def test_metas_deletion_callback_erases_the_guest_in_every_venue(sandbox: Sandbox) -> None:
    guest_id, name, email = "6170000000000801", "Erika Mustermann", "erika.mustermann@example.com"
    sandbox.graph.profiles[guest_id] = {"name": name, "username": "erika.m"}
    erika = Guest(sandbox, guest_id)
    erika.mention()
    erika.tap("English")
    erika.tap("Yes")
    erika.say(email)
    at_luna = Guest(sandbox, guest_id, client_id="luna")  # the same person at the agency's other venue
    at_luna.mention()
    at_luna.tap("English")
    sandbox.settle()
    award = next(i for i in sandbox.store.table.items_under(guest_key(guest_id)) if i["item_type"] == "award")
    code = str(award["coupon_code"])
    # What there is to erase: the award and contact rows in the sheet, both events at the CRM, a pending follow-up.
    assert {row[1] for row in sandbox.google.rows["Entries"] if guest_id in row[0]} == {"award", "contact"}
    delivered = [r for r in sandbox.crm.requests if r["json"]["guest_id"] == guest_id and r["status"] == 200]
    assert {r["event"] for r in delivered} == {"award", "contact"}
    assert any(s["Name"].startswith(f"followup-{guest_id}") for s in sandbox.schedules())
    before = boto3.client("s3").list_objects_v2(Bucket=sandbox.resources.bucket, Prefix="coupons/")["Contents"]
    assert any(image["Key"].endswith(f"/{code}.png") for image in before)  # coupons/<valid days>d/<code>.png
    counters = month_counters(sandbox)
    assert len(held_anywhere(sandbox, guest_id, name, email)) > 10  # the probe finds them where they are

    # A forged request and an expired one are refused; nothing is erased.
    forged = signed_request(sandbox, guest_id, secret="not-the-app-secret")
    expired = signed_request(sandbox, guest_id, valid_for=-1)
    for refused in (forged, expired):
        answer = requests.post(f"{sandbox.url}/meta/data-deletion", data={"signed_request": refused}, timeout=10)
        assert answer.status_code == 403
    sandbox.settle()
    assert sandbox.store.table.items_under(guest_key(guest_id))

    answer = requests.post(
        f"{sandbox.url}/meta/data-deletion", data={"signed_request": signed_request(sandbox, guest_id)}, timeout=10
    )
    assert answer.status_code == 200
    confirmation = answer.json()
    assert confirmation["url"] == f"{sandbox.url}/meta/data-deletion/{confirmation['confirmation_code']}"
    sandbox.settle()  # each venue's prize function erases from its stream; then the outbox reaches sheet and CRM

    page = requests.get(confirmation["url"], timeout=10)
    assert page.status_code == 200 and "Data deletion request: Done" in page.text and "<script" not in page.text
    assert held_anywhere(sandbox, guest_id, name, email) == []
    images = boto3.client("s3").list_objects_v2(Bucket=sandbox.resources.bucket, Prefix="coupons/").get("Contents", [])
    assert not any(image["Key"].endswith(f"/{code}.png") for image in images)  # named by the code, gone all the same
    (erased,) = [r for r in sandbox.crm.requests if r["event"] == "guest.erased"]
    assert erased["signature_valid"] and erased["status"] == 200
    assert (erased["json"]["guest_id"], erased["json"]["email"]) == (guest_id, email)
    assert month_counters(sandbox) == counters
    # The coupon stays redeemable at the counter, by no one's id.
    assert cli(["redeem", "--client", "demo", code, "--sandbox", sandbox.url]) == 0


def test_a_person_no_venue_knows_gets_a_code_and_nothing_held(sandbox: Sandbox) -> None:
    answer = requests.post(
        f"{sandbox.url}/meta/data-deletion",
        data={"signed_request": signed_request(sandbox, "6170000000000899")},
        timeout=10,
    )
    assert answer.status_code == 200
    sandbox.settle()
    assert "Data deletion request: Nothing held" in requests.get(answer.json()["url"], timeout=10).text


def test_an_operator_exports_a_guest_then_erases_them_by_email(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    guest_id, email = "6170000000000802", "ben.export@example.com"
    ben = Guest(sandbox, guest_id)
    ben.mention()
    ben.tap("English")
    ben.tap("Yes")
    ben.say(email)
    sandbox.settle()
    assert cli(["guest", "export", "--client", "demo", "--igsid", guest_id, "--sandbox", sandbox.url]) == 0
    held = printed_json(capsys.readouterr().out)
    assert held["guest_id"] == guest_id and held["contacts"][0]["value"] == email
    assert held["contacts"][0]["consent_version"] == sandbox.config.contact_capture.consent_version
    assert len(held["awards"]) == 1 and len(held["coupons"]) == 1 and held["inbound_events"]
    sent = {event["event_type"]: event["delivered"] for event in held["outbox_events"]}
    assert set(sent["award"]) == set(sent["contact"]) == {"google_sheets", "webhook"}

    assert cli(["guest", "erase", "--client", "demo", "--email", email.upper(), "--sandbox", sandbox.url]) == 0
    out = capsys.readouterr().out
    assert f"guest {guest_id} erased from demo:" in out and "kept anonymous award 1, coupon 1" in out
    assert "schedules: " in out and "guest.erased queued" in out
    sandbox.settle()
    assert held_anywhere(sandbox, guest_id, email) == []
    assert cli(["guest", "export", "--client", "demo", "--igsid", guest_id, "--sandbox", sandbox.url]) == 0
    assert f"nothing held about guest {guest_id} in demo" in capsys.readouterr().out


def test_an_unknown_guest_has_nothing_held_and_a_wrong_client_is_named_with_the_clients(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    for action in ("erase", "export"):
        assert cli(["guest", action, "--client", "luna", "--igsid", "6170000000000898", "--sandbox", sandbox.url]) == 0
        assert "nothing held about guest 6170000000000898 in luna" in capsys.readouterr().out
    assert cli(["guest", "erase", "--client", "luna", "--email", "nobody@example.com", "--sandbox", sandbox.url]) == 0
    assert "nothing held about the guest with email nobody@example.com in luna" in capsys.readouterr().out
    assert cli(["guest", "export", "--client", "sol", "--igsid", "1", "--sandbox", sandbox.url]) == 2
    assert "no client 'sol'; the clients are: demo, luna" in capsys.readouterr().err
