"""Instagram Login's account and token calls over real HTTP, against the fake Graph API on loopback."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from sandbox.fake_graph import BASIC, FakeGraphApi
from tagback.adapters.meta.account import AccountIdentity, InstagramAccountApi
from tagback.domain.clock import ManualClock
from tagback.domain.messaging import ErrorKind, GraphError

ACCOUNT = "17841400000000001"
SIXTY_DAYS = 60 * 24 * 3600


@dataclass(frozen=True)
class Meta:
    api: FakeGraphApi
    account: InstagramAccountApi
    token: str  # a valid long-lived token of ACCOUNT, issued at the clock's start


def serve(app: Callable[..., Any]) -> Iterator[str]:
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()


@pytest.fixture
def meta(clock: ManualClock) -> Iterator[Meta]:
    api = FakeGraphApi(clock.now)
    token = api.add_account(ACCOUNT, "cafe.aurora")
    for url in serve(api):
        yield Meta(api, InstagramAccountApi(api_version="v25.0", graph_url=url, oauth_url=url), token)


def answering(status: int, body: bytes, content_type: str = "application/json") -> Iterator[InstagramAccountApi]:
    """An account API whose every call gets this one answer."""

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        Request(environ).get_data()
        return Response(body, status=status, content_type=content_type)(environ, start_response)

    for url in serve(app):
        yield InstagramAccountApi(api_version="v25.0", graph_url=url, oauth_url=url)


def test_me_names_the_tokens_account_with_the_token_in_the_header_only(meta: Meta) -> None:
    assert meta.account.me(meta.token) == AccountIdentity(ACCOUNT, "cafe.aurora")
    (request,) = meta.api.requests
    assert request["path"] == "/v25.0/me" and request["query"] == {"fields": "user_id,username"}


def test_subscribing_enables_the_apps_fields_for_the_account(meta: Meta) -> None:
    meta.account.subscribe(meta.token, ["messages", "messaging_postbacks"])
    assert meta.api.subscriptions == {ACCOUNT: ["messages", "messaging_postbacks"]}


def test_subscribing_without_the_messaging_permission_is_an_auth_error(meta: Meta) -> None:
    basic_only = meta.api.issue_token(ACCOUNT, permissions=[BASIC])
    with pytest.raises(GraphError) as raised:
        meta.account.subscribe(basic_only, ["messages"])
    assert raised.value.kind is ErrorKind.AUTH and raised.value.code == 200
    assert "instagram_business_manage_messages" in str(raised.value)
    assert meta.api.subscriptions == {}


def test_an_expired_token_is_refused_with_190_463(meta: Meta, clock: ManualClock) -> None:
    clock.advance(timedelta(days=60))
    with pytest.raises(GraphError) as raised:
        meta.account.me(meta.token)
    assert (raised.value.kind, raised.value.code, raised.value.subcode) == (ErrorKind.AUTH, 190, 463)
    assert "Session has expired" in str(raised.value)


def test_a_day_old_token_is_refreshed_for_60_days_and_the_old_one_stays_valid(meta: Meta, clock: ManualClock) -> None:
    clock.advance(timedelta(hours=24))
    issued = meta.account.refresh(meta.token)
    assert issued.expires_in_seconds == SIXTY_DAYS and issued.access_token != meta.token
    clock.advance(timedelta(days=59, hours=1))  # past the old token's expiry, within the new one's
    assert meta.account.me(issued.access_token).user_id == ACCOUNT
    with pytest.raises(GraphError):
        meta.account.me(meta.token)


def test_a_token_younger_than_a_day_is_not_refreshed(meta: Meta, clock: ManualClock) -> None:
    clock.advance(timedelta(hours=23))
    with pytest.raises(GraphError) as raised:
        meta.account.refresh(meta.token)
    assert raised.value.kind is ErrorKind.REJECTED and "24 hours" in str(raised.value)


def test_a_login_code_gives_a_short_lived_token_and_then_a_long_lived_one(meta: Meta) -> None:
    meta.api.redirect_uri = "https://agency.example/connected"
    code = meta.api.login_code(ACCOUNT)
    short = meta.account.exchange_code(code, meta.api.app_id, meta.api.app_secret, "https://agency.example/connected")
    long = meta.account.long_lived(short, meta.api.app_secret)
    assert long.expires_in_seconds == SIXTY_DAYS
    assert meta.account.me(long.access_token).username == "cafe.aurora"
    exchange = next(r for r in meta.api.requests if r["kind"] == "oauth")
    assert exchange["query"] == {}  # the app secret and the code travel in the body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"app_id": "1"}, "Invalid platform app"),
        ({"app_secret": "wrong"}, "Invalid Client Secret"),
        ({"redirect_uri": "https://elsewhere.example/"}, "redirect_uri"),
    ],
)
def test_a_code_exchange_meta_refuses_is_rejected(meta: Meta, change: dict[str, str], message: str) -> None:
    meta.api.redirect_uri = "https://agency.example/connected"
    values = {"app_id": meta.api.app_id, "app_secret": meta.api.app_secret, "redirect_uri": meta.api.redirect_uri}
    with pytest.raises(GraphError) as raised:
        meta.account.exchange_code(meta.api.login_code(ACCOUNT), **(values | change))
    assert raised.value.kind is ErrorKind.REJECTED and message in str(raised.value)


def test_a_login_code_works_once(meta: Meta) -> None:
    code = meta.api.login_code(ACCOUNT)
    meta.account.exchange_code(code, meta.api.app_id, meta.api.app_secret, "https://agency.example/")
    with pytest.raises(GraphError) as raised:
        meta.account.exchange_code(code, meta.api.app_id, meta.api.app_secret, "https://agency.example/")
    assert raised.value.kind is ErrorKind.REJECTED and "has been used" in str(raised.value)


def test_the_long_lived_exchange_checks_the_app_secret(meta: Meta) -> None:
    short = meta.api.issue_token(ACCOUNT, short_lived=True)
    with pytest.raises(GraphError) as raised:
        meta.account.long_lived(short, "not-the-secret")
    assert "client secret" in str(raised.value) and "not-the-secret" not in str(raised.value)


def test_the_older_code_exchange_answer_is_accepted_too() -> None:
    for account in answering(200, b'{"access_token": "IGQVJ-short", "user_id": 17841405793187218}'):
        assert account.exchange_code("c", "1", "s", "https://agency.example/") == "IGQVJ-short"


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [(200, b"<html>maintenance</html>", "text/html"), (502, b"Bad Gateway", "text/plain"), (200, b"[]", "x")],
)
def test_an_answer_that_is_not_metas_json_is_temporary(status: int, body: bytes, content_type: str) -> None:
    for account in answering(status, body, content_type):
        with pytest.raises(GraphError) as raised:
            account.me("token")
        assert raised.value.kind is ErrorKind.TEMPORARY


def test_a_success_without_what_was_asked_for_is_not_taken_for_an_answer() -> None:
    for account in answering(200, b'{"success": false}'):
        with pytest.raises(GraphError):
            account.subscribe("token", ["messages"])
        with pytest.raises(GraphError):
            account.refresh("token")
        with pytest.raises(GraphError):
            account.me("token")


def test_the_token_in_a_query_string_reaches_no_log_line_and_no_error(
    meta: Meta, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock.advance(timedelta(hours=25))
    issued = meta.account.refresh(meta.token)
    meta.api.revoke_tokens(ACCOUNT)
    with pytest.raises(GraphError) as refused:
        meta.account.refresh(issued.access_token)
    unreachable = InstagramAccountApi(api_version="v25.0", graph_url="http://127.0.0.1:9")
    app_secret = "-".join(("the", "app", "secret"))  # not in this file's text, which a traceback quotes
    with pytest.raises(GraphError) as failed:
        unreachable.long_lived(meta.token, app_secret)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")  # not the fake Meta's own
    assert "/refresh_access_token?grant_type=ig_refresh_token&access_token=*** " in logged  # urllib3's line
    assert failed.value.kind is ErrorKind.TEMPORARY and str(failed.value).endswith("ConnectionError")
    said = [logged, repr(issued), *("".join(traceback.format_exception(e.value)) for e in (refused, failed))]
    for secret in (meta.token, issued.access_token, app_secret):
        assert not [text for text in said if secret in text]
