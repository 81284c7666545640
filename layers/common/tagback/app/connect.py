"""Connecting a venue's Instagram account to the agency's Meta app (`tagback connect --client <id>`).

From a pasted token or the code Instagram's login redirect carried: (code → short-lived → 60-day token) → whose
account is it (`GET /me`) → is it the client file's → subscribe the account to the app's webhook fields → store the
token in SSM → record its owner and expiry in the venue's table. Any failed check stops before anything is stored,
with one line saying what to fix; running it again with the same token ends in the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from tagback.config.agency import AgencyConfig
from tagback.config.model import ClientConfig
from tagback.domain.clock import Clock
from tagback.domain.messaging import ErrorKind, GraphError
from tagback.domain.tokens import TokenRecord

if TYPE_CHECKING:
    from tagback.adapters.meta.account import AccountIdentity, IssuedToken

BASIC_PERMISSION = "instagram_business_basic"
MESSAGING_PERMISSION = "instagram_business_manage_messages"
WHERE_TO_GENERATE = "the app dashboard: Instagram → API setup with Instagram login → Generate token"
T = TypeVar("T")


class AccountApi(Protocol):
    def me(self, token: str) -> AccountIdentity: ...
    def subscribe(self, token: str, fields: Sequence[str]) -> None: ...
    def exchange_code(self, code: str, app_id: str, app_secret: str, redirect_uri: str) -> str: ...
    def long_lived(self, short_token: str, app_secret: str) -> IssuedToken: ...


class TokenVault(Protocol):
    """SSM: reads the app secret, stores the venue's token."""

    def __call__(self, name: str) -> str: ...
    def store(self, name: str, value: str) -> int: ...


class TokenRecords(Protocol):
    def put(self, record: TokenRecord) -> None: ...


class ConnectRefused(Exception):
    """Why the venue was not connected and what to fix, in one line. Nothing was stored."""


@dataclass(frozen=True)
class Connected:
    account_id: str
    username: str
    expires_at: datetime | None  # None: a pasted token, whose expiry Meta tells only at its first refresh
    done: tuple[str, ...]
    left: tuple[str, ...]  # for a person to do


def connect(
    config: ClientConfig,
    agency: AgencyConfig,
    *,
    token: str | None = None,
    code: str | None = None,
    account: AccountApi,
    vault: TokenVault,
    tokens: TokenRecords,
    clock: Clock,
    client_file: str,
    webhook_url: str | None,
) -> Connected:
    """Connect with exactly one of `token` (pasted) or `code` (from the login redirect). `client_file` names the
    client's file in messages; `webhook_url` is the edge's callback URL (None: it could not be read)."""
    if (token is None) == (code is None):
        raise ValueError("connect takes a token or a login code, not both or neither")
    if config.meta.login != "instagram":
        raise ConnectRefused(
            f"{client_file} has meta.login: {config.meta.login}; tagback connect connects Instagram Login accounts "
            "(meta.login: instagram)"
        )
    steps = _Steps(config, agency, from_code=code is not None)
    done: list[str] = []
    expires_at = None
    if code is not None:
        issued = steps.exchange(account, vault, code)
        token, expires_at = issued.access_token, _expiry(issued, clock.now())
        ending = f", expiring {expires_at:%Y-%m-%d}" if expires_at else ""
        done.append(f"exchanged the login code for a long-lived token{ending}")
    assert token is not None  # given, or issued just above
    identity = steps.call("checking whose token it is", BASIC_PERMISSION, lambda: account.me(token))
    if identity.user_id != config.instagram_account_id:
        raise ConnectRefused(
            f"the token is for @{identity.username} (account {identity.user_id}), but {client_file} has "
            f"instagram_account_id {config.instagram_account_id}: generate the token logged in as the venue's "
            "account, or correct the client file"
        )
    if identity.username.casefold() != config.instagram_username.casefold():
        raise ConnectRefused(
            f"the token is for @{identity.username} (account {identity.user_id}), but {client_file} has "
            f"instagram_username {config.instagram_username}, which guests are told to mention: correct the client "
            "file (the username may have changed on Instagram)"
        )
    done.append(f"checked the token: it is @{identity.username}'s ({identity.user_id}), as {client_file} says")
    fields = list(agency.meta.subscribed_fields)
    steps.call(
        f"subscribing @{identity.username} to the app's webhook fields",
        MESSAGING_PERMISSION,
        lambda: account.subscribe(token, fields),
    )
    done.append(f"subscribed @{identity.username} to the app's webhook fields: {', '.join(fields)}")
    version = vault.store(config.secrets.meta_access_token, token)
    done.append(f"stored the token in SSM {config.secrets.meta_access_token}")
    tokens.put(TokenRecord(identity.user_id, identity.username, clock.now(), expires_at, version))
    known = f"expires {expires_at:%Y-%m-%d}" if expires_at else "expiry not known until its first refresh"
    done.append(f"recorded in the venue's table whose token it is ({known})")
    return Connected(
        identity.user_id, identity.username, expires_at, tuple(done), _left(agency, identity.username, webhook_url)
    )


def _expiry(issued: IssuedToken, now: datetime) -> datetime | None:
    return now + timedelta(seconds=issued.expires_in_seconds) if issued.expires_in_seconds else None


def _left(agency: AgencyConfig, username: str, webhook_url: str | None) -> tuple[str, ...]:
    callback = webhook_url or (
        "the WebhookUrl output of the Tagback-Edge stack (not readable now: deploy it with `cdk deploy Tagback-Edge`)"
    )
    return (
        f"in the Instagram app, logged in as @{username}: Settings → Messages and story replies → Message controls "
        "→ Connected tools → turn on Allow access to messages (without it Meta delivers none of its messages)",
        f"once per agency, in the Meta app dashboard of app {agency.meta.app_id}, Instagram webhooks: callback URL "
        f"{callback}, verify token = the value of SSM {agency.secrets.meta_verify_token}, fields "
        f"{', '.join(agency.meta.subscribed_fields)}",
        f"once per agency, unless app {agency.meta.app_id} is Live with Advanced Access for {MESSAGING_PERMISSION} "
        f"(App Review, business verification): until then only people with a role on the app can message @{username}",
    )


class _Steps:
    """Runs each call to Meta and turns its refusal into one line saying what to fix."""

    def __init__(self, config: ClientConfig, agency: AgencyConfig, *, from_code: bool) -> None:
        self._config = config
        self._agency = agency
        self._from_code = from_code

    def exchange(self, account: AccountApi, vault: TokenVault, code: str) -> IssuedToken:
        """The login code → a short-lived token → a 60-day token."""
        meta = self._agency.meta
        if meta.login_redirect_uri is None:
            raise ConnectRefused(
                "agency.yaml has no meta.login_redirect_uri: add the redirect URI of the app's Business login "
                "settings, or paste a token instead of giving --code"
            )
        secret_name = self._agency.secrets.meta_app_secret
        try:
            app_secret = vault(secret_name)
        except LookupError:
            raise ConnectRefused(f"SSM {secret_name} holds no app secret: store the app's secret there") from None
        try:
            short = account.exchange_code(code, meta.app_id, app_secret, str(meta.login_redirect_uri))
        except GraphError as error:
            if error.kind is ErrorKind.REJECTED:
                raise ConnectRefused(
                    f"Instagram refused the login code ({error}): a code works once, within the hour, for app "
                    f"{meta.app_id} with the secret in SSM {secret_name} and the redirect URI "
                    f"{meta.login_redirect_uri}; log in again and run connect with the new code"
                ) from None
            raise self._refused("exchanging the login code", BASIC_PERMISSION, error) from None
        try:
            return account.long_lived(short, app_secret)
        except GraphError as error:
            if error.kind is not ErrorKind.AUTH:
                raise ConnectRefused(
                    f"Meta did not exchange the login's token for a long-lived one ({error}): check that SSM "
                    f"{secret_name} holds app {meta.app_id}'s secret; if it does, try again in a few minutes"
                ) from None
            raise self._refused("exchanging the login's token", BASIC_PERMISSION, error) from None

    def call(self, doing: str, permission: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except GraphError as error:
            raise self._refused(doing, permission, error) from None

    def _refused(self, doing: str, permission: str, error: GraphError) -> ConnectRefused:
        again = f"run `python -m tagback.cli connect --client {self._config.client_id}` again"
        if error.kind is ErrorKind.AUTH and error.code == 190:
            renew = "log in again for a new code" if self._from_code else f"generate a new token ({WHERE_TO_GENERATE})"
            return ConnectRefused(
                f"Meta refused the token while {doing}: it is expired, revoked or not a token ({error}); "
                f"{renew} and {again}"
            )
        if error.kind is ErrorKind.AUTH:
            return ConnectRefused(
                f"the token lacks the {permission} permission ({error}): log in (or generate the token) again "
                f"granting it; if app {self._agency.meta.app_id} is not Live, the venue's account needs a role on the "
                f"app (App roles) or the app Advanced Access for it (App Review); then {again}"
            )
        if error.retryable:
            return ConnectRefused(f"Meta could not be reached while {doing} ({error}): try again in a few minutes")
        return ConnectRefused(f"Meta refused {doing} ({error}): fix what it says, then {again}")
