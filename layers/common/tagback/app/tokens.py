"""The venue's Instagram token, kept valid: refreshed when due (Instagram Login's long-lived tokens last 60 days and
can be refreshed once a day old) and written back to SSM; then what waited for a working token is delivered.

review_followup runs it (`{"step": "token"}`) daily from a recurring schedule, and at once whenever the token's
SSM parameter changes (`tagback connect`, a refresh, a person renewing it by hand): the stack's EventBridge rule.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tagback.config.model import ClientConfig
from tagback.domain.clock import Clock
from tagback.domain.messaging import ErrorKind, GraphError
from tagback.domain.tokens import TokenRecord, due_for_refresh
from tagback.observability import TOKEN_REFRESH_REFUSED, count, logger


class StoredToken(Protocol):
    @property
    def value(self) -> str: ...
    @property
    def stored_at(self) -> datetime: ...
    @property
    def version(self) -> int: ...


class TokenVault(Protocol):
    """Where the token lives (SSM): read fresh, written back, and dropped from the function's cache."""

    def read(self, name: str) -> StoredToken: ...
    def store(self, name: str, value: str) -> int: ...
    def forget(self, name: str) -> None: ...


class IssuedToken(Protocol):
    @property
    def access_token(self) -> str: ...
    @property
    def expires_in_seconds(self) -> int | None: ...


class TokenRefresher(Protocol):
    def refresh(self, token: str) -> IssuedToken: ...


class TokenRecords(Protocol):
    def get(self) -> TokenRecord | None: ...
    def put(self, record: TokenRecord) -> None: ...


class WaitingMessages(Protocol):
    def resume_waiting(self) -> Counter[str]: ...


@dataclass(frozen=True)
class TokenKeeper:
    config: ClientConfig
    vault: TokenVault
    meta: TokenRefresher
    records: TokenRecords
    clock: Clock

    def keep(self) -> str:
        """Refresh the token if it is due; the outcome's label."""
        name, now = self.config.secrets.meta_access_token, self.clock.now()
        stored = self.vault.read(name)
        record = self.records.get()
        if not due_for_refresh(stored.stored_at, stored.version, record, now):
            return "token_fresh"
        try:
            issued = self.meta.refresh(stored.value)
        except GraphError as error:
            if error.retryable:
                raise  # Meta unavailable: Lambda retries the step, and tomorrow's runs again anyway
            if error.kind is ErrorKind.AUTH:  # expired or revoked: only the venue can give a new one
                logger.error("Meta refused to refresh the venue's token: reconnect it", extra={"error": str(error)})
                return TOKEN_REFRESH_REFUSED
            # Anything else (Meta finds the token too young to refresh): the token still works; tomorrow's run retries.
            logger.warning("Meta did not refresh the venue's token", extra={"error": str(error)})
            return "token_refresh_declined"
        version = self.vault.store(name, issued.access_token)
        self.records.put(
            TokenRecord(
                account_id=self.config.instagram_account_id,
                username=record.username if record is not None else None,
                stored_at=now,
                expires_at=(
                    now + timedelta(seconds=issued.expires_in_seconds)
                    if issued.expires_in_seconds is not None
                    else None
                ),
                ssm_version=version,
            )
        )
        return "token_refreshed"


@dataclass(frozen=True)
class TokenDone:
    token: str
    resumed: dict[str, int]


def keep_token_and_resume(keeper: TokenKeeper, waiting: WaitingMessages) -> TokenDone:
    """The token step: refresh when due, then send what waited for a working token (read anew, not from the cache)."""
    token = keeper.keep()
    count(token)
    keeper.vault.forget(keeper.config.secrets.meta_access_token)
    resumed = waiting.resume_waiting()
    for outcome, times in resumed.items():
        count(outcome, times)
    logger.info("token step handled", extra={"token": token, "resumed": dict(resumed)})
    return TokenDone(token, dict(resumed))
