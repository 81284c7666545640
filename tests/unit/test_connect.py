"""`tagback connect`'s use case against the fake Graph API over real HTTP, with SSM and the venue's table in memory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from sandbox.fake_graph import BASIC, FakeGraphApi
from tagback.adapters.meta.account import InstagramAccountApi
from tagback.app.connect import Connected, ConnectRefused, connect
from tagback.config.agency import AgencyConfig
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock
from tagback.domain.tokens import TokenRecord

ACCOUNT = "17841400000000001"  # the demo client's
OTHER_ACCOUNT = "17841400000000002"
REDIRECT = "https://agency.example/instagram/connected"
APP_SECRET_PARAM = "/tagback/edge/meta-app-secret"
WEBHOOK_URL = "https://edge.example/webhook"
AGENCY = AgencyConfig.model_validate(
    {
        "agency_name": "Demo Agency",
        "meta": {"app_id": "990000000000001", "login_redirect_uri": REDIRECT},
        "secrets": {"meta_app_secret": APP_SECRET_PARAM, "meta_verify_token": "/tagback/edge/meta-verify-token"},
        "alerts": {"emails": ["alerts@agency.example"]},
    }
)


class Vault:
    """SSM in memory: each write is the parameter's next version."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(values)
        self.versions = dict.fromkeys(values, 1)

    def __call__(self, name: str) -> str:
        if name not in self.values:
            raise LookupError(name)
        return self.values[name]

    def store(self, name: str, value: str) -> int:
        self.values[name] = value
        self.versions[name] = self.versions.get(name, 0) + 1
        return self.versions[name]


class Records:
    def __init__(self) -> None:
        self.records: list[TokenRecord] = []

    def put(self, record: TokenRecord) -> None:
        self.records.append(record)


@dataclass
class Venue:
    graph: FakeGraphApi
    url: str
    config: ClientConfig
    clock: ManualClock
    vault: Vault
    records: Records
    token: str  # a valid long-lived token of the demo venue's account

    def connect(self, *, agency: AgencyConfig = AGENCY, url: str | None = None, **given: Any) -> Connected:
        account = InstagramAccountApi(api_version="v25.0", graph_url=url or self.url, oauth_url=url or self.url)
        return connect(
            given.pop("config", self.config),
            agency,
            account=account,
            vault=self.vault,
            tokens=self.records,
            clock=self.clock,
            client_file="clients/demo.yaml",
            webhook_url=given.pop("webhook_url", WEBHOOK_URL),
            **given,
        )

    def refused(self, **given: Any) -> str:
        """The one line a refusal says, after checking that nothing was stored."""
        before = dict(self.vault.values)
        with pytest.raises(ConnectRefused) as raised:
            self.connect(**given)
        assert self.vault.values == before and self.records.records == [] and self.graph.subscriptions == {}
        said = str(raised.value)
        assert "\n" not in said and self.token not in said
        return said


@pytest.fixture
def venue(demo_config: ClientConfig, clock: ManualClock) -> Iterator[Venue]:
    graph = FakeGraphApi(clock.now)
    graph.redirect_uri = REDIRECT
    token = graph.add_account(ACCOUNT, "cafe.aurora")
    graph.add_account(OTHER_ACCOUNT, "other.venue")
    server: BaseWSGIServer = make_server("127.0.0.1", 0, graph, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    vault = Vault({APP_SECRET_PARAM: graph.app_secret})
    yield Venue(graph, f"http://127.0.0.1:{server.port}", demo_config, clock, vault, Records(), token)
    server.shutdown()


def test_a_pasted_token_is_checked_subscribed_stored_and_recorded(venue: Venue) -> None:
    connected = venue.connect(token=venue.token)
    assert (connected.account_id, connected.username, connected.expires_at) == (ACCOUNT, "cafe.aurora", None)
    assert venue.graph.subscriptions == {ACCOUNT: ["messages", "messaging_postbacks"]}
    assert venue.vault.values[venue.config.secrets.meta_access_token] == venue.token
    version = venue.vault.versions[venue.config.secrets.meta_access_token]
    assert venue.records.records == [TokenRecord(ACCOUNT, "cafe.aurora", venue.clock.now(), None, version)]
    assert any("SSM /tagback/demo/meta-access-token" in line for line in connected.done)
    assert all(venue.token not in line for line in (*connected.done, *connected.left))


def test_what_is_left_names_the_account_the_callback_and_the_app_review(venue: Venue) -> None:
    message_access, webhook, review = venue.connect(token=venue.token).left
    assert "@cafe.aurora" in message_access and "Connected tools → turn on Allow access to messages" in message_access
    assert WEBHOOK_URL in webhook and "SSM /tagback/edge/meta-verify-token" in webhook
    assert "Advanced Access for instagram_business_manage_messages" in review


def test_an_edge_url_that_could_not_be_read_is_left_to_look_up(venue: Venue) -> None:
    _, webhook, _ = venue.connect(token=venue.token, webhook_url=None).left
    assert "the WebhookUrl output of the Tagback-Edge stack" in webhook


def test_connecting_twice_with_the_same_token_ends_in_the_same_state(venue: Venue) -> None:
    def state() -> tuple[dict[str, str], dict[str, list[str]], TokenRecord]:
        record = venue.records.records[-1]
        # SSM writes a new version even of the same value: the record describes the latest.
        assert record.ssm_version == venue.vault.versions[venue.config.secrets.meta_access_token]
        return dict(venue.vault.values), dict(venue.graph.subscriptions), replace(record, ssm_version=0)

    venue.connect(token=venue.token)
    first = state()
    venue.connect(token=venue.token)
    assert state() == first


def test_a_login_code_is_exchanged_for_a_60_day_token_whose_expiry_is_recorded(venue: Venue) -> None:
    connected = venue.connect(code=venue.graph.login_code(ACCOUNT))
    stored = venue.vault.values[venue.config.secrets.meta_access_token]
    assert connected.expires_at == venue.clock.now() + timedelta(days=60)
    assert venue.records.records[0].expires_at == connected.expires_at
    venue.clock.advance(timedelta(days=2))  # a short-lived token would have expired: this one was exchanged
    assert InstagramAccountApi(api_version="v25.0", graph_url=venue.url).me(stored).user_id == ACCOUNT


def test_a_token_of_another_account_is_refused_naming_both(venue: Venue) -> None:
    said = venue.refused(token=venue.graph.issue_token(OTHER_ACCOUNT))
    assert said == (
        f"the token is for @other.venue (account {OTHER_ACCOUNT}), but clients/demo.yaml has instagram_account_id "
        f"{ACCOUNT}: generate the token logged in as the venue's account, or correct the client file"
    )


def test_a_token_of_an_account_whose_username_is_not_the_files_is_refused(venue: Venue) -> None:
    renamed = venue.config.model_copy(update={"instagram_username": "aurora.cafe"})
    assert venue.refused(token=venue.token, config=renamed) == (
        f"the token is for @cafe.aurora (account {ACCOUNT}), but clients/demo.yaml has instagram_username "
        "aurora.cafe, which guests are told to mention: correct the client file (the username may have changed on "
        "Instagram)"
    )
    same = venue.config.model_copy(update={"instagram_username": "Cafe.Aurora"})  # Instagram's are case-insensitive
    assert venue.connect(token=venue.token, config=same).username == "cafe.aurora"


@pytest.mark.parametrize("how", ["expired", "revoked", "made up"])
def test_a_token_meta_refuses_asks_for_a_new_one(venue: Venue, how: str) -> None:
    token = venue.token if how != "made up" else "not-a-token"
    if how == "expired":
        venue.clock.advance(timedelta(days=61))
    if how == "revoked":
        venue.graph.revoke_tokens(ACCOUNT)
    said = venue.refused(token=token)
    assert said.startswith("Meta refused the token while checking whose token it is: it is expired, revoked or not")
    assert said.endswith(
        "generate a new token (the app dashboard: Instagram → API setup with Instagram login → Generate token) and "
        "run `python -m tagback.cli connect --client demo` again"
    )


def test_a_token_without_the_messaging_permission_says_which_and_where(venue: Venue) -> None:
    said = venue.refused(token=venue.graph.issue_token(ACCOUNT, permissions=[BASIC]))
    assert said.startswith("the token lacks the instagram_business_manage_messages permission (")
    assert "granting it; if app 990000000000001 is not Live" in said and "(App Review)" in said


def test_meta_out_of_reach_says_to_try_again(venue: Venue) -> None:
    said = venue.refused(token=venue.token, url="http://127.0.0.1:9")
    assert said == (
        "Meta could not be reached while checking whose token it is (temporary: HTTP None, code None/None: "
        "ConnectionError): try again in a few minutes"
    )


def test_a_used_login_code_asks_to_log_in_again(venue: Venue) -> None:
    code = venue.graph.login_code(ACCOUNT)
    venue.connect(code=code)  # the first run used it
    venue.vault.values.pop(venue.config.secrets.meta_access_token)
    venue.records.records.clear()
    venue.graph.subscriptions.clear()
    said = venue.refused(code=code)
    assert said.startswith("Instagram refused the login code (") and "This authorization code has been used" in said
    assert said.endswith("log in again and run connect with the new code")


def test_a_wrong_app_secret_names_where_it_is_read(venue: Venue) -> None:
    venue.vault.values[APP_SECRET_PARAM] = "not-the-app-secret"
    said = venue.refused(code=venue.graph.login_code(ACCOUNT))
    assert "Invalid Client Secret" in said and f"the secret in SSM {APP_SECRET_PARAM}" in said
    assert "not-the-app-secret" not in said


def test_a_code_needs_the_agencys_redirect_uri(venue: Venue) -> None:
    no_redirect = AGENCY.model_copy(update={"meta": AGENCY.meta.model_copy(update={"login_redirect_uri": None})})
    said = venue.refused(code=venue.graph.login_code(ACCOUNT), agency=no_redirect)
    assert said.startswith("agency.yaml has no meta.login_redirect_uri")


def test_a_facebook_login_client_is_not_connected_here(venue: Venue) -> None:
    facebook = venue.config.model_copy(update={"meta": venue.config.meta.model_copy(update={"login": "facebook"})})
    said = venue.refused(token=venue.token, config=facebook)
    assert said.startswith("clients/demo.yaml has meta.login: facebook")


def test_a_token_or_a_code_but_not_both(venue: Venue) -> None:
    with pytest.raises(ValueError, match="not both or neither"):
        venue.connect(token=venue.token, code="c")
