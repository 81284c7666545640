"""The Graph API client over real HTTP, against the fake Graph API server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.fake_graph import FakeGraphApi
from tagback.adapters.meta.graph import GraphClient, classify, refusal
from tagback.domain.clock import ManualClock
from tagback.domain.messaging import ErrorKind, GraphError, QuickReply, UrlButton

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


def test_a_timeout_is_temporary(fake: Meta) -> None:
    api = fake.api
    api.fail_next("send", "timeout")
    with pytest.raises(GraphError) as raised:
        client(fake, timeout=(1.0, 0.2), max_attempts=1).send_text("g1", "hi")
    assert raised.value.kind is ErrorKind.TEMPORARY and "Timeout" in str(raised.value)


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
        (502, None, None, ErrorKind.TEMPORARY),
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
