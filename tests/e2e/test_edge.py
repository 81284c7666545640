"""One Meta app, many venues: the sandbox runs the edge and two venues (the demo café, Taquería Luna) behind one
webhook URL; each venue registered itself with the edge as its stack deployed; each has its own token."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import boto3
import pytest
import requests

from sandbox import meta_payloads
from sandbox.chat import Guest
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.cli import main as cli
from tagback.config.model import ClientConfig
from tagback.domain.awards import AwardState
from tagback.store.schema import guest_key

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(replace(SandboxOptions(), port=0)) as running:
        yield running


def award_of(sandbox: Sandbox, guest: str, client_id: str | None = None) -> dict[str, object] | None:
    items = sandbox.venue(client_id).store.table.items_under(guest_key(guest))
    return next((i for i in items if i["item_type"] == "award"), None)


def test_status_names_the_edge_and_both_venues(sandbox: Sandbox) -> None:
    status = requests.get(f"{sandbox.url}/_sandbox/status", timeout=10).json()
    assert status["edge_url"] == sandbox.url
    assert status["client_id"] == "demo" and status["table"] == sandbox.venue("demo").resources.table_name
    assert [(c["client_id"], c["ig_account_id"]) for c in status["clients"]] == [
        ("demo", "17841400000000001"),
        ("luna", "17841400000000002"),
    ]
    assert len({c["table"] for c in status["clients"]}) == 2


def test_one_delivery_for_both_venues_and_a_stranger_lands_where_each_belongs(sandbox: Sandbox) -> None:
    demo, luna = (sandbox.venue(c).config for c in ("demo", "luna"))
    now_ms = int(sandbox.clock.now().timestamp() * 1000)
    stranger = "17841499999999999"
    body, headers = meta_payloads.signed(
        meta_payloads.entries(
            (
                demo.instagram_account_id,
                [meta_payloads.story_mention("6170000000000901", demo.instagram_account_id, "mid.mix.1", now_ms)],
            ),
            (
                luna.instagram_account_id,
                [meta_payloads.story_mention("6170000000000902", luna.instagram_account_id, "mid.mix.2", now_ms)],
            ),
            (stranger, [meta_payloads.story_mention("6170000000000903", stranger, "mid.mix.3", now_ms)]),
        ),
        sandbox.options.app_secret,
    )
    answer = requests.post(f"{sandbox.url}/webhook", data=body, headers=headers, timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"received": 3, "stored": 2, "duplicates": 0, "unknown_account": 1}
    sandbox.settle()

    dana, carla = Guest(sandbox, "6170000000000901"), Guest(sandbox, "6170000000000902", client_id="luna")
    dana.collect(), carla.collect()
    dana.tap("English")
    carla.tap("Español")
    sent = {m["message_id"]: m for m in sandbox.graph.sent_messages()}
    dana_award, carla_award = award_of(sandbox, dana.guest_id, "demo"), award_of(sandbox, carla.guest_id, "luna")
    assert dana_award is not None and carla_award is not None
    dana_prize, carla_prize = sent[str(dana_award["text_mid"])], sent[str(carla_award["text_mid"])]
    assert (dana_prize["account_id"], carla_prize["account_id"]) == (
        demo.instagram_account_id,
        luna.instagram_account_id,
    )
    assert dana_prize["token"] != carla_prize["token"]  # each venue's own token
    spanish = next(p.names["es"] for p in luna.prizes if p.id == carla_award["prize_id"])
    assert spanish in carla_prize["json"]["message"]["text"]
    # Each venue's table holds its own guest only; the stranger's event is quarantined at the edge.
    assert award_of(sandbox, dana.guest_id, "luna") is None
    assert award_of(sandbox, carla.guest_id, "demo") is None
    for client in ("demo", "luna"):
        assert sandbox.venue(client).store.table.items_under(guest_key("6170000000000903")) == []
    day = sandbox.clock.now().date().isoformat()
    quarantined = boto3.client("dynamodb").query(
        TableName=sandbox.edge.table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"QUARANTINE#{day}"}},
    )["Items"]
    assert any(stranger in item["reason"]["S"] for item in quarantined)


def test_a_forged_delivery_for_both_venues_is_refused_whole(sandbox: Sandbox) -> None:
    demo, luna = (sandbox.venue(c).config for c in ("demo", "luna"))
    body, headers = meta_payloads.signed(
        meta_payloads.entries(
            (
                demo.instagram_account_id,
                [meta_payloads.text("6170000000000911", demo.instagram_account_id, "mid.f1", "hi")],
            ),
            (
                luna.instagram_account_id,
                [meta_payloads.text("6170000000000912", luna.instagram_account_id, "mid.f2", "hola")],
            ),
        ),
        "not-the-app-secret",
    )
    assert requests.post(f"{sandbox.url}/webhook", data=body, headers=headers, timeout=10).status_code == 403
    assert sandbox.venue("demo").store.table.items_under(guest_key("6170000000000911")) == []
    assert sandbox.venue("luna").store.table.items_under(guest_key("6170000000000912")) == []


def test_a_refused_token_makes_one_venues_awards_wait_until_it_is_renewed_in_ssm(sandbox: Sandbox) -> None:
    demo = sandbox.venue("demo").config
    sandbox.graph.revoke_tokens(demo.instagram_account_id)
    waiting, other = Guest(sandbox, "6170000000000921"), Guest(sandbox, "6170000000000922", client_id="luna")
    waiting.mention()
    other.mention()
    other.tap("English")
    luna_award = award_of(sandbox, other.guest_id, "luna")
    assert luna_award is not None and luna_award["state"] == AwardState.DM_SENT  # Luna is unaffected
    # The language question was refused too: the prize waits at once, in the default language, not at the timeout.
    award = award_of(sandbox, waiting.guest_id)
    assert award is not None and award["state"] == AwardState.WAITING_FOR_TOKEN
    assert waiting.collect() == []

    renewed = sandbox.graph.issue_token(demo.instagram_account_id)  # as Meta's dashboard would generate it
    boto3.client("ssm").put_parameter(
        Name=demo.secrets.meta_access_token, Value=renewed, Type="SecureString", Overwrite=True
    )
    sandbox.settle()  # nothing else: the stack's rule on the parameter runs the token step
    award = award_of(sandbox, waiting.guest_id)
    assert award is not None and award["state"] == AwardState.DM_SENT
    delivered = [m for m in sandbox.graph.sent_messages() if m["json"]["recipient"]["id"] == waiting.guest_id]
    assert delivered and all(m["token"] == renewed for m in delivered)
    assert any(s["Input"].get("guest_id") == waiting.guest_id for s in sandbox.schedules())  # follow-up comes


def test_connect_stores_a_new_token_and_the_waiting_prizes_go_out(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    luna: ClientConfig = sandbox.venue("luna").config
    sandbox.graph.revoke_tokens(luna.instagram_account_id)
    guest = Guest(sandbox, "6170000000000931", client_id="luna")
    guest.mention()  # the language question is refused too: the guest types the answer
    guest.say("Español")
    award = award_of(sandbox, guest.guest_id, "luna")
    assert award is not None and award["state"] == AwardState.WAITING_FOR_TOKEN

    monkeypatch.setattr("sys.stdin", io.StringIO(sandbox.graph.issue_token(luna.instagram_account_id) + "\n"))
    assert cli(["connect", "--client", "luna", "--sandbox", sandbox.url]) == 0
    out = capsys.readouterr().out
    assert luna.instagram_account_id in out and "Allow access to messages" in out
    sandbox.settle()
    award = award_of(sandbox, guest.guest_id, "luna")
    assert award is not None and award["state"] == AwardState.DM_SENT


def test_a_waiting_prize_past_metas_window_ends_failed(sandbox: Sandbox) -> None:
    demo = sandbox.venue("demo").config
    sandbox.graph.revoke_tokens(demo.instagram_account_id)
    guest = Guest(sandbox, "6170000000000941")
    guest.mention()
    guest.say("English")
    assert award_of(sandbox, guest.guest_id)["state"] == AwardState.WAITING_FOR_TOKEN  # type: ignore[index]
    sandbox.advance(timedelta(hours=25).total_seconds() / 60)
    boto3.client("ssm").put_parameter(
        Name=demo.secrets.meta_access_token,
        Value=sandbox.graph.issue_token(demo.instagram_account_id),
        Type="SecureString",
        Overwrite=True,
    )
    sandbox.settle()
    award = award_of(sandbox, guest.guest_id)
    assert award is not None and award["state"] == AwardState.DM_FAILED_PERMANENT
    assert "window" in str(award["dm_error"])


def test_a_venue_claiming_another_venues_account_is_refused_at_deploy(sandbox: Sandbox) -> None:
    demo = sandbox.venue("demo").config
    impostor = demo.model_copy(update={"client_id": "impostor", "venue_name": "Impostor Bar"})
    with pytest.raises(
        RuntimeError, match=r"Tagback-impostor failed to deploy: .*17841400000000001.*'demo'.*'impostor'"
    ):
        sandbox.register(impostor, "tagback-impostor")


def test_the_daily_refresh_renews_each_venues_token_and_the_next_message_uses_it(sandbox: Sandbox) -> None:
    ssm = boto3.client("ssm")
    names = {client: sandbox.venue(client).config.secrets.meta_access_token for client in ("demo", "luna")}
    for client, name in names.items():  # renewed by hand, as from Meta's dashboard: its expiry is not known
        account = sandbox.venue(client).config.instagram_account_id
        ssm.put_parameter(Name=name, Value=sandbox.graph.issue_token(account), Type="SecureString", Overwrite=True)
    sandbox.settle()
    before = {client: ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"] for client, name in names.items()}
    # Three days: each venue's daily run comes at least twice once the token is over 24 h old for Meta, whatever the
    # time of day the run starts (SSM's stamp is moto's wall clock, not the sandbox's: they differ by minutes or days).
    fired = sandbox.advance(72 * 60)["fired"]
    assert {"tagback-demo-TokenRefresh", "tagback-luna-TokenRefresh"} <= set(fired)
    refreshed = {}
    for client, name in names.items():
        refreshed[client] = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert refreshed[client]["Version"] > before[client]["Version"], client
        assert refreshed[client]["Value"] != before[client]["Value"], client
        record = sandbox.venue(client).store.tokens.get()
        assert record is not None and record.ssm_version == refreshed[client]["Version"]
        assert record.expires_at is not None
        assert timedelta(days=57) < record.expires_at - sandbox.clock.now() <= timedelta(days=60)
    # Its expiry now known, the token is left alone for the next days (refreshed about weekly: unit tests).
    sandbox.advance(24 * 60)
    for client, name in names.items():
        assert ssm.get_parameter(Name=name)["Parameter"]["Version"] == refreshed[client]["Version"], client
    guest = Guest(sandbox, "6170000000000951", client_id="luna")
    guest.mention()
    guest.tap("English")
    sent = [m for m in sandbox.graph.sent_messages() if m["json"]["recipient"]["id"] == guest.guest_id]
    assert sent and {m["token"] for m in sent} == {refreshed["luna"]["Value"]}
