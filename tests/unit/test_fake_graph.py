"""The fake Graph API the sandbox and the tests use: many venue accounts, their tokens' lifetimes, faults per venue."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.fake_graph import FakeGraphApi
from tagback.domain.clock import ManualClock

CAFE, BAR = "17841400000000001", "17841400000000002"
MESSAGE = {"recipient": {"id": "g1"}, "message": {"text": "hi"}}


@dataclass
class Meta:
    api: FakeGraphApi
    url: str
    cafe: str  # a valid token of each account
    bar: str

    def send(self, token: str, sender: str = CAFE, **query: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if not query else {}
        return requests.post(
            f"{self.url}/v25.0/{sender}/messages", json=MESSAGE, headers=headers, params=query, timeout=5
        )

    def get(self, path: str, **query: str) -> requests.Response:
        return requests.get(f"{self.url}{path}", params=query, timeout=5)


@pytest.fixture
def meta(clock: ManualClock) -> Iterator[Meta]:
    api = FakeGraphApi(clock.now)
    cafe, bar = api.add_account(CAFE, "cafe.aurora"), api.add_account(BAR, "bar.norte")
    server: BaseWSGIServer = make_server("127.0.0.1", 0, api, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Meta(api, f"http://127.0.0.1:{server.port}", cafe, bar)
    server.shutdown()


def error_of(response: requests.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def test_each_message_records_the_venue_account_and_token_it_was_sent_with(meta: Meta) -> None:
    assert meta.send(meta.cafe).status_code == 200
    assert meta.send(meta.bar, BAR).status_code == 200
    assert meta.send(meta.bar, "me", access_token=meta.bar).status_code == 200  # Facebook Login: as the token's
    assert [(m["account_id"], m["token"]) for m in meta.api.sent_messages()] == [
        (CAFE, meta.cafe),
        (BAR, meta.bar),
        (BAR, meta.bar),
    ]


def test_a_venue_cannot_send_as_another_venue(meta: Meta) -> None:
    refused = meta.send(meta.bar, CAFE)
    assert refused.status_code == 400 and error_of(refused)["code"] == 190
    assert meta.api.sent_messages() == []


def test_faults_for_one_venue_leave_the_other_alone(meta: Meta) -> None:
    meta.api.fail_next("send", "token", account_id=CAFE)
    assert meta.send(meta.bar, BAR).status_code == 200
    assert error_of(meta.send(meta.cafe))["code"] == 190
    assert meta.send(meta.cafe).status_code == 200  # one fault, used once


def test_faults_for_no_venue_in_particular_hit_the_next_request_of_any(meta: Meta) -> None:
    meta.api.fail_next("send", "5xx")
    assert meta.send(meta.bar, BAR).status_code == 500
    assert meta.send(meta.cafe).status_code == 200


def test_unknown_faults_or_calls_are_refused_by_name(meta: Meta) -> None:
    with pytest.raises(ValueError, match="got send \\['typo'\\]"):
        meta.api.fail_next("send", "typo")
    with pytest.raises(ValueError, match="got me"):
        meta.api.fail_next("me", "token")


def test_revoked_tokens_are_refused_until_a_new_one_is_issued(meta: Meta) -> None:
    meta.api.revoke_tokens(CAFE)
    refused = error_of(meta.send(meta.cafe))
    assert (refused["code"], refused["error_subcode"]) == (190, 460)
    assert meta.send(meta.bar, BAR).status_code == 200  # the other venue's token still works
    assert meta.send(meta.api.issue_token(CAFE)).status_code == 200


def test_tokens_expire_as_meta_documents(meta: Meta, clock: ManualClock) -> None:
    short = meta.api.issue_token(CAFE, short_lived=True)
    clock.advance(timedelta(minutes=59))
    assert meta.send(short).status_code == 200
    clock.advance(timedelta(minutes=1))
    expired = error_of(meta.send(short))
    assert (expired["code"], expired["error_subcode"]) == (190, 463)
    assert expired["message"].startswith("Error validating access token: Session has expired on ")
    clock.advance(timedelta(days=59, hours=23))
    assert error_of(meta.send(meta.cafe))["error_subcode"] == 463  # 60 days after it was issued


def test_only_an_unexpired_long_lived_token_is_refreshed(meta: Meta, clock: ManualClock) -> None:
    short = meta.api.issue_token(CAFE, short_lived=True)
    clock.advance(timedelta(minutes=30))
    refused = meta.get("/refresh_access_token", grant_type="ig_refresh_token", access_token=short)
    assert "long-lived" in error_of(refused)["message"]
    clock.advance(timedelta(days=60))
    expired = meta.get("/refresh_access_token", grant_type="ig_refresh_token", access_token=meta.cafe)
    assert error_of(expired)["code"] == 190


def test_the_long_lived_exchange_takes_short_lived_tokens_and_the_apps_secret(meta: Meta) -> None:
    short = meta.api.issue_token(CAFE, short_lived=True)
    wrong = meta.get("/access_token", grant_type="ig_exchange_token", client_secret="x", access_token=short)
    assert error_of(wrong)["message"] == "Error validating client secret."
    secret = meta.api.app_secret
    long = meta.get("/access_token", grant_type="ig_exchange_token", client_secret=secret, access_token=meta.cafe)
    assert "short-lived" in error_of(long)["message"]
    exchanged = meta.get("/access_token", grant_type="ig_exchange_token", client_secret=secret, access_token=short)
    assert exchanged.json()["token_type"] == "bearer" and exchanged.json()["expires_in"] == 60 * 24 * 3600


def test_a_login_code_expires_within_the_hour(meta: Meta, clock: ManualClock) -> None:
    code = meta.api.login_code(BAR)
    clock.advance(timedelta(hours=1))
    form = {"client_id": meta.api.app_id, "client_secret": meta.api.app_secret, "code": code}
    answer = requests.post(
        f"{meta.url}/oauth/access_token", data=form | {"grant_type": "authorization_code"}, timeout=5
    )
    assert answer.status_code == 400 and answer.json()["error_message"] == "Invalid authorization code"


def test_subscribing_needs_fields(meta: Meta) -> None:
    refused = requests.post(
        f"{meta.url}/v25.0/me/subscribed_apps", headers={"Authorization": f"Bearer {meta.bar}"}, timeout=5
    )
    assert error_of(refused)["code"] == 100 and meta.api.subscriptions == {}


def test_me_answers_only_the_fields_asked_for(meta: Meta) -> None:
    answer = meta.get("/v25.0/me", fields="username", access_token=meta.bar).json()
    assert answer == {"username": "bar.norte", "id": f"app-scoped-{BAR}"}


def test_an_unknown_path_is_metas_unknown_path_error(meta: Meta) -> None:
    refused = meta.get("/v25.0/me/accounts", access_token=meta.cafe)
    assert error_of(refused)["type"] == "GraphMethodException"
    assert meta.api.requests[-1]["account_id"] == CAFE


def test_tokens_are_issued_for_known_accounts_only(meta: Meta) -> None:
    with pytest.raises(ValueError, match="add_account it first"):
        meta.api.issue_token("17841400000000009")


def test_the_conversations_api_lists_what_a_venue_sent_a_guest_newest_first(meta: Meta, clock: ManualClock) -> None:
    first = meta.send(meta.cafe).json()["message_id"]
    clock.advance(timedelta(minutes=1))
    second = meta.send(meta.cafe).json()["message_id"]
    meta.send(meta.bar, BAR)  # another venue's conversation with the same guest
    auth = {"access_token": meta.cafe}
    (found,) = meta.get(f"/v25.0/{CAFE}/conversations", platform="instagram", user_id="g1", **auth).json()["data"]
    assert meta.get("/v25.0/me/conversations", platform="instagram", user_id="g1", **auth).json()["data"] == [found]
    assert meta.get(f"/v25.0/{CAFE}/conversations", user_id="g2", **auth).json()["data"] == []
    listed = meta.get(f"/v25.0/{found['id']}", fields="messages", **auth).json()
    assert [m["id"] for m in listed["messages"]["data"]] == [second, first]
    assert listed["messages"]["data"][0]["created_time"] == clock.now().strftime("%Y-%m-%dT%H:%M:%S+0000")
    detail = meta.get(f"/v25.0/{second}", fields="id,created_time,from,to,message", **auth).json()
    assert detail["from"] == {"username": "cafe.aurora", "id": CAFE}
    assert detail["to"] == {"data": [{"username": "guest_g1", "id": "g1"}]}
    assert detail["message"] == "hi"
    assert meta.get(f"/v25.0/{second}", fields="message", access_token=meta.bar).status_code == 400  # not its own
    assert json.loads(json.dumps(meta.api.sent_messages()))[0]["message_id"] == first  # as /_sandbox/messages shows it


def test_only_a_conversations_20_most_recent_messages_are_detailed(meta: Meta) -> None:
    oldest = meta.send(meta.cafe).json()["message_id"]
    for _ in range(20):
        meta.send(meta.cafe)
    refused = meta.get(f"/v25.0/{oldest}", fields="message", access_token=meta.cafe)
    assert refused.status_code == 400 and "deleted" in error_of(refused)["message"]


def test_a_send_can_be_delivered_with_its_answer_lost_or_dropped_undelivered(meta: Meta) -> None:
    meta.api.fail_next("send", "gateway_timeout", "disconnect")
    gateway = meta.send(meta.cafe)
    assert gateway.status_code == 504 and "error" not in gateway.text  # a gateway's, not Meta's error body
    with pytest.raises(requests.ConnectionError):
        meta.send(meta.cafe)
    assert len(meta.api.sent_messages()) == 1  # the first delivered, the dropped one not
    assert [r["status"] for r in meta.api.requests] == [504, None]
