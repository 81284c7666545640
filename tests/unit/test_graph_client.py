"""The Graph API client over real HTTP, against the fake Graph API server on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from urllib3 import HTTPConnectionPool
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.fake_graph import FakeGraphApi
from tagback.adapters.meta.graph import GraphClient, classify, lost_answer, never_connected, refusal
from tagback.domain.clock import ManualClock
from tagback.domain.messaging import ErrorKind, GraphError, QuickReply, SentMessage, UrlButton

ACCOUNT = "17841400000000001"


@dataclass(frozen=True)
class Meta:
    api: FakeGraphApi
    url: str
    token: str  # a valid token of ACCOUNT


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[Meta]:
    api = FakeGraphApi(clock.now)
    token = api.add_account(ACCOUNT, "cafe.aurora")
    server: BaseWSGIServer = make_server("127.0.0.1", 0, api, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Meta(api, f"http://127.0.0.1:{server.port}", token)
    server.shutdown()


def client(meta: Meta, sleeps: list[float] | None = None, **kwargs: Any) -> GraphClient:
    options: dict[str, Any] = {
        "access_token": lambda: meta.token,
        "account_id": ACCOUNT,
        "login": "instagram",
        "api_version": "v25.0",
        "base_url": meta.url,
        "jitter": lambda: 1.0,
    }
    options["sleep"] = sleeps.append if sleeps is not None else lambda _: None
    return GraphClient(**(options | kwargs))


def test_instagram_login_sends_as_the_account_with_a_bearer_token(fake: Meta) -> None:
    api = fake.api
    mid = client(fake).send_text("g1", "olá", [QuickReply("Yes", "REVIEW_YES:a"), QuickReply("", "", "user_email")])
    (sent,) = api.sent_messages()
    assert mid.startswith("m_sandbox_")
    assert sent["path"] == f"/v25.0/{ACCOUNT}/messages" and sent["query"] == {}  # no token in the URL
    assert sent["json"] == {
        "recipient": {"id": "g1"},
        "message": {
            "text": "olá",
            "quick_replies": [
                {"content_type": "text", "title": "Yes", "payload": "REVIEW_YES:a"},
                {"content_type": "user_email"},
            ],
        },
    }


def test_facebook_login_sends_as_me(fake: Meta) -> None:
    api = fake.api
    client(fake, login="facebook").send_buttons("g1", "Pick one", [UrlButton("Google", "https://g.example/r")])
    (sent,) = api.sent_messages()
    assert sent["path"] == "/v25.0/me/messages"
    assert sent["json"]["message"]["attachment"]["payload"]["buttons"] == [
        {"type": "web_url", "url": "https://g.example/r", "title": "Google"}
    ]


def test_throttled_twice_then_sent_once_with_growing_backoff(fake: Meta) -> None:
    api = fake.api
    api.fail_next("send", "throttle", "rate_limit")
    sleeps: list[float] = []
    client(fake, sleeps).send_text("g1", "hi")
    assert [r["status"] for r in api.requests] == [400, 400, 200]
    assert len(api.sent_messages()) == 1
    assert sleeps == [0.5, 1.0]  # jitter pinned at its top: 0.5 s, then 1 s


def test_temporary_errors_are_retried_a_bounded_number_of_times(fake: Meta) -> None:
    api = fake.api
    api.fail_next("send", *["5xx"] * 10)
    with pytest.raises(GraphError) as raised:
        client(fake, max_attempts=4).send_text("g1", "hi")
    assert raised.value.kind is ErrorKind.TEMPORARY and raised.value.status == 500
    assert len(api.requests) == 4


def test_no_retry_starts_that_the_invocation_has_no_time_left_for(fake: Meta) -> None:
    api = fake.api
    api.fail_next("send", *["5xx"] * 10)
    # 16 s left: the first retry (0.5 s + 13.05 s of timeouts + 2 s margin) fits, the second (1 s + …) does not.
    sleeps: list[float] = []
    with pytest.raises(GraphError) as raised:
        client(fake, sleeps, max_attempts=4, seconds_left=lambda: 16.0).send_text("g1", "hi")
    assert raised.value.retryable and len(api.requests) == 2 and sleeps == [0.5]


def test_the_time_left_is_the_invocation_s_own() -> None:
    from tagback.domain.runtime import seconds_left, time_limited  # noqa: PLC0415

    class Context:
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 30_000

    assert seconds_left() == float("inf")  # outside an invocation (the CLI, tests): no limit
    left = time_limited(lambda _event, _context: seconds_left())({}, Context())
    assert 29.0 < left <= 30.0
    assert seconds_left() == float("inf")


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("outside_window", ErrorKind.OUTSIDE_WINDOW),
        ("user_unavailable", ErrorKind.USER_UNAVAILABLE),
        ("token", ErrorKind.AUTH),
        ("permission", ErrorKind.AUTH),
    ],
)
def test_permanent_errors_are_not_retried(fake: Meta, fault: str, kind: ErrorKind) -> None:
    api = fake.api
    api.fail_next("send", fault)
    with pytest.raises(GraphError) as raised:
        client(fake).send_text("g1", "hi")
    assert raised.value.kind is kind and not raised.value.retryable
    assert len(api.requests) == 1
    assert fake.token not in str(raised.value)


@pytest.mark.parametrize(
    ("fault", "delivered"),
    [
        ("timeout", True),  # Meta sent it and answered late: past the read timeout
        ("gateway_timeout", True),  # a 504 without Meta's error body, the message sent behind it
        ("invalid_json_reply", True),  # 1/1357046: Meta documents it for messages "all sent successfully"
        ("disconnect", False),  # the connection closed unanswered: to the client, like a reset after sending
    ],
)
def test_a_send_whose_answer_is_lost_is_uncertain_and_not_sent_again(fake: Meta, fault: str, delivered: bool) -> None:
    api = fake.api
    api.fail_next("send", fault)
    sleeps: list[float] = []
    with pytest.raises(GraphError) as raised:
        client(fake, sleeps, timeout=(1.0, 0.3), max_attempts=4).send_text("g1", "hi")
    assert raised.value.kind is ErrorKind.UNCERTAIN and not raised.value.retryable
    assert sleeps == [] and len([r for r in api.requests if r["kind"] == "send"]) <= 1  # one try, no retry
    assert len(api.sent_messages()) == (1 if delivered else 0)


def test_a_read_whose_answer_is_lost_is_tried_again(fake: Meta) -> None:
    fake.api.fail_next("profile", "disconnect", "gateway_timeout")
    sleeps: list[float] = []
    assert client(fake, sleeps).profile("6170001").name == "Guest 0001"
    assert sleeps == [0.5, 1.0]


def test_a_refused_connection_never_reached_meta_so_the_send_is_tried_again(clock: ManualClock) -> None:
    api = FakeGraphApi(clock.now)
    token = api.add_account(ACCOUNT, "cafe.aurora")
    with socket.socket() as probe:  # a port nothing listens on, until the client's first backoff
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    servers: list[BaseWSGIServer] = []

    def meta_comes_back(_seconds: float) -> None:
        servers.append(make_server("127.0.0.1", port, api, threaded=True))
        threading.Thread(target=servers[0].serve_forever, daemon=True).start()

    meta = Meta(api, f"http://127.0.0.1:{port}", token)
    try:
        mid = client(meta, sleep=meta_comes_back).send_text("g1", "hi")
    finally:
        for server in servers:
            server.shutdown()
    assert len(servers) == 1  # refused once, then sent
    assert [m["message_id"] for m in api.sent_messages()] == [mid]


def test_only_a_connection_never_made_counts_as_never_reaching_meta() -> None:
    pool = HTTPConnectionPool("graph.instagram.com")
    refused = NewConnectionError(pool, "Connection refused")
    dns = NameResolutionError("graph.instagram.com", pool, socket.gaierror("Name or service not known"))
    assert never_connected(requests.ConnectionError(MaxRetryError(pool, "/", refused)))
    assert never_connected(requests.ConnectionError(MaxRetryError(pool, "/", dns)))
    assert never_connected(requests.ConnectTimeout())
    assert not never_connected(requests.ReadTimeout())
    reset = ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    assert not never_connected(requests.ConnectionError(reset))


def test_an_answer_without_a_message_id_is_uncertain() -> None:
    def accepts_without_an_id(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"recipient_id": "g1"}']

    server = make_server("127.0.0.1", 0, accepts_without_an_id, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(GraphError) as raised:
            client(Meta(FakeGraphApi(datetime.now), f"http://127.0.0.1:{server.port}", "t")).send_text("g1", "hi")
    finally:
        server.shutdown()
    assert raised.value.kind is ErrorKind.UNCERTAIN


def test_what_the_venue_sent_a_guest_is_read_from_the_conversation(fake: Meta, clock: ManualClock) -> None:
    graph = client(fake)
    first = graph.send_text("g1", "first")
    clock.advance(timedelta(minutes=5))
    since = clock.now()
    second = graph.send_text("g1", "second")
    graph.send_text("g2", "another guest's")
    assert graph.sent_since("g1", since) == [SentMessage(second, "second")]
    assert graph.sent_since("g1", since - timedelta(minutes=10)) == [
        SentMessage(second, "second"),
        SentMessage(first, "first"),
    ]
    assert graph.sent_since("g3", since) == []  # no conversation: nothing was sent
    conversation, listing, detail = [r for r in fake.api.requests if r["kind"] == "conversations"][:3]
    assert conversation["path"] == f"/v25.0/{ACCOUNT}/conversations"
    assert conversation["query"] == {"platform": "instagram", "user_id": "g1"}
    assert listing["query"] == {"fields": "messages"}
    assert detail["query"] == {"fields": "id,created_time,from,to,message"}


def test_a_conversation_meta_will_not_show_is_a_graph_error(fake: Meta) -> None:
    graph = client(fake)
    graph.send_text("g1", "hi")
    fake.api.fail_next("conversations", "permission")
    with pytest.raises(GraphError) as raised:
        graph.sent_since("g1", datetime(2026, 1, 1, tzinfo=UTC))
    assert raised.value.kind is ErrorKind.AUTH


def test_a_wrong_token_is_an_auth_error(fake: Meta) -> None:
    with pytest.raises(GraphError) as raised:
        client(fake, access_token=lambda: "wrong").profile("123")
    assert raised.value.kind is ErrorKind.AUTH and raised.value.code == 190


def test_profile_gives_the_display_name(fake: Meta) -> None:
    api = fake.api
    api.profiles["6170001"] = {"name": "Ana Sousa", "username": "ana.eats"}
    profile = client(fake).profile("6170001")
    assert (profile.name, profile.username) == ("Ana Sousa", "ana.eats")
    assert api.requests[-1]["query"] == {"fields": "name,username"}


def test_an_image_meta_cannot_fetch_is_refused(fake: Meta) -> None:
    with pytest.raises(GraphError) as raised:
        client(fake).send_image("g1", f"{fake.url}/not-an-image")
    assert raised.value.kind is ErrorKind.REJECTED and raised.value.code == 100


def test_limits_are_checked_before_sending(clock: ManualClock) -> None:
    graph = client(Meta(FakeGraphApi(clock.now), "http://127.0.0.1:9", "unused"))
    with pytest.raises(ValueError, match="1000"):
        graph.send_text("g1", "é" * 501)
    with pytest.raises(ValueError, match="over 20"):
        graph.send_text("g1", "x", [QuickReply("a title longer than twenty", "p")])
    with pytest.raises(ValueError, match="13"):
        graph.send_text("g1", "x", [QuickReply(str(i), str(i)) for i in range(14)])


@pytest.mark.parametrize(
    ("status", "code", "subcode", "kind"),
    [
        (400, 4, None, ErrorKind.THROTTLED),
        (400, 17, None, ErrorKind.THROTTLED),
        (400, 32, None, ErrorKind.THROTTLED),
        (400, 613, None, ErrorKind.THROTTLED),
        (400, 80002, None, ErrorKind.THROTTLED),
        (500, 2, None, ErrorKind.TEMPORARY),
        (400, 1200, None, ErrorKind.TEMPORARY),
        (502, None, None, ErrorKind.TEMPORARY),  # for a send: uncertain (lost_answer)
        (400, 10, 2018278, ErrorKind.OUTSIDE_WINDOW),
        (400, 10, 2534022, ErrorKind.OUTSIDE_WINDOW),
        (400, 10, None, ErrorKind.AUTH),  # "API Permission Denied"
        (400, 10, 2018065, ErrorKind.REJECTED),
        (400, 551, 1545041, ErrorKind.USER_UNAVAILABLE),
        (400, 190, None, ErrorKind.AUTH),
        (403, 200, None, ErrorKind.AUTH),
        (400, 100, None, ErrorKind.REJECTED),
    ],
)
def test_error_classification_follows_metas_codes(
    status: int, code: int | None, subcode: int | None, kind: ErrorKind
) -> None:
    assert classify(status, code, subcode) is kind


@pytest.mark.parametrize(
    ("status", "code", "lost"),
    [
        (500, 2, False),  # "An unexpected error has occurred. Please retry your request later."
        (400, 1200, False),  # "Temporary send message failure. Please try again later."
        (500, 1, True),  # "An unknown error occurred": 1/1357046 comes with messages that were sent
        (502, None, True),  # a gateway's, without Meta's error body
        (504, None, True),
        (400, 4, False),  # throttled: refused
        (400, 100, False),
    ],
)
def test_which_answers_to_a_send_may_hide_a_delivered_message(status: int, code: int | None, lost: bool) -> None:
    body = {"error": {"code": code, "message": "m"}} if code is not None else None
    assert lost_answer(refusal(status, "Reason", body)) is lost


def test_account_insights_read_total_values_and_the_follower_total(fake: Meta) -> None:
    insights = client(fake).account_insights(ACCOUNT, 1_764_000_000, 1_764_086_400)
    assert insights == {
        "reach": 380.0,
        "views": 1450.0,
        "engaged": 64.0,
        "profile_links_taps": 9.0,
        "follows_and_unfollows": 4.0,
        "followers": 1184.0,
    }


def test_an_account_without_insights_gives_nothing_rather_than_zeros(fake: Meta) -> None:
    fake.api.insights = {}
    assert client(fake).account_insights(ACCOUNT, 1_764_000_000, 1_764_086_400) == {}


def test_the_token_is_read_for_each_request_so_a_renewed_one_is_used_at_once(fake: Meta) -> None:
    stored = [fake.token]
    graph = client(fake, access_token=lambda: stored[0])
    graph.send_text("g1", "before")
    fake.api.revoke_tokens(ACCOUNT)
    stored[0] = fake.api.issue_token(ACCOUNT)  # renewed in SSM meanwhile
    graph.send_text("g1", "after")
    assert [m["token"] for m in fake.api.sent_messages()] == [fake.token, stored[0]]


def test_each_retry_reads_the_token_again(fake: Meta) -> None:
    fake.api.fail_next("send", "5xx")
    reads: list[str] = []

    def token() -> str:
        reads.append(fake.token)
        return fake.token

    client(fake, access_token=token).send_text("g1", "hi")
    assert len(reads) == 2


def test_another_accounts_token_cannot_send_as_this_account(fake: Meta) -> None:
    other = fake.api.add_account("17841400000000002", "other.venue")
    with pytest.raises(GraphError) as raised:
        client(fake, access_token=lambda: other).send_text("g1", "hi")
    assert raised.value.kind is ErrorKind.AUTH and raised.value.code == 190
    assert fake.api.sent_messages() == []


@pytest.mark.parametrize(
    ("status", "body", "kind", "code", "text"),
    [
        (
            400,
            {"error": {"code": 190, "error_subcode": 463, "message": "Session has expired"}},
            ErrorKind.AUTH,
            190,
            "Session has expired",
        ),
        # api.instagram.com's OAuth endpoint: its "code" is the HTTP status, not a Graph error code.
        (
            400,
            {"error_type": "OAuthException", "code": 400, "error_message": "Invalid platform app"},
            ErrorKind.REJECTED,
            None,
            "Invalid platform app",
        ),
        (502, None, ErrorKind.TEMPORARY, None, "Bad Gateway"),
    ],
)
def test_refusals_are_read_from_either_of_metas_error_shapes(
    status: int, body: object, kind: ErrorKind, code: int | None, text: str
) -> None:
    error = refusal(status, "Bad Gateway" if status == 502 else "Bad Request", body)
    assert (error.kind, error.status, error.code) == (kind, status, code)
    assert text in str(error)


def test_a_token_renewed_since_it_was_cached_is_used_at_once(fake: Meta) -> None:
    fake.api.revoke_tokens(ACCOUNT)
    renewed = fake.api.issue_token(ACCOUNT)
    current = [fake.token]  # what this container cached: refused now

    def token_renewed() -> bool:
        current[0] = renewed
        return True

    client(fake, access_token=lambda: current[0], token_renewed=token_renewed).send_text("g1", "hi")
    (sent,) = fake.api.sent_messages()
    assert sent["token"] == renewed


def test_a_refused_token_with_none_newer_is_an_auth_error_after_one_look(fake: Meta) -> None:
    fake.api.revoke_tokens(ACCOUNT)
    looks: list[bool] = []
    with pytest.raises(GraphError) as refused:
        client(fake, token_renewed=lambda: looks.append(True) or False).send_text("g1", "hi")
    assert refused.value.kind is ErrorKind.AUTH and looks == [True]
