"""The venue's Instagram token kept valid: refreshed when due and written back to SSM, its metadata in the table."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tagback.adapters.meta.account import IssuedToken
from tagback.app.tokens import TokenKeeper, keep_token_and_resume
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock
from tagback.domain.messaging import ErrorKind, GraphError
from tagback.domain.tokens import TokenRecord, due_for_refresh
from tests.fakes import FakeRefresher, FakeVault, InMemoryTokens, token_refused

NOW = datetime(2026, 11, 20, 4, 15, tzinfo=UTC)
OLD, NEW = "old-token-value-do-not-log", "new-token-value-do-not-log"
SIXTY_DAYS = 60 * 86400


class Keeper:
    def __init__(self, config: ClientConfig, *answers: IssuedToken | GraphError) -> None:
        self.name = config.secrets.meta_access_token
        self.clock = ManualClock(NOW)
        self.vault = FakeVault(self.clock, write_lag=timedelta(milliseconds=250))  # SSM stamps its write later
        self.refresher = FakeRefresher(*answers)
        self.records = InMemoryTokens()
        self.keeper = TokenKeeper(config, self.vault, self.refresher, self.records, self.clock)

    def stored(self, age: timedelta, value: str = OLD) -> int:
        """A token SSM holds, written `age` ago: its version."""
        self.vault.put(self.name, value, NOW - age)
        return self.vault.read(self.name).version


class NothingWaits:
    def __init__(self) -> None:
        self.resumed = 0

    def resume_waiting(self) -> Counter[str]:
        self.resumed += 1
        return Counter()


def record(
    stored_at: datetime, expires_at: datetime | None, ssm_version: int = 1, username: str | None = "cafe.aurora"
) -> TokenRecord:
    return TokenRecord("17841400000000001", username, stored_at, expires_at, ssm_version)


def test_a_token_younger_than_a_day_is_not_refreshed(english_only: ClientConfig) -> None:
    keeper = Keeper(english_only)
    keeper.stored(timedelta(hours=23, minutes=59))
    assert keeper.keeper.keep() == "token_fresh"
    assert keeper.refresher.calls == 0 and keeper.vault.stores == []


@pytest.mark.parametrize(
    "known",
    [
        None,  # pasted from Meta's dashboard: nothing known
        record(NOW - timedelta(days=2), None, ssm_version=2),  # stored, expiry not known
        # known for the version before SSM's (a token pasted in the console since), recorded after SSM's stamp
        record(NOW - timedelta(days=1), NOW + timedelta(days=59), ssm_version=1),
    ],
    ids=["no-record", "expiry-unknown", "record-of-the-version-before"],
)
def test_a_token_whose_expiry_is_not_known_is_refreshed(english_only: ClientConfig, known: TokenRecord | None) -> None:
    keeper = Keeper(english_only, IssuedToken(NEW, SIXTY_DAYS))
    keeper.stored(timedelta(days=9))
    assert keeper.stored(timedelta(days=2)) == 2
    if known is not None:
        keeper.records.put(known)
    assert keeper.keeper.keep() == "token_refreshed"
    assert keeper.refresher.calls == 1


def test_a_token_with_weeks_left_is_kept_and_one_near_its_end_refreshed(english_only: ClientConfig) -> None:
    keeper = Keeper(english_only, IssuedToken(NEW, SIXTY_DAYS))
    keeper.stored(timedelta(days=5))
    keeper.records.put(record(NOW - timedelta(days=5), NOW + timedelta(days=54)))
    assert keeper.keeper.keep() == "token_fresh"
    keeper.records.put(record(NOW - timedelta(days=5), NOW + timedelta(days=52)))
    assert keeper.keeper.keep() == "token_refreshed"


def test_a_refreshed_token_is_written_to_ssm_and_its_record_to_the_table(english_only: ClientConfig) -> None:
    keeper = Keeper(english_only, IssuedToken(NEW, SIXTY_DAYS))
    keeper.stored(timedelta(days=8))
    keeper.records.put(record(NOW - timedelta(days=8), NOW + timedelta(days=52)))
    assert keeper.keeper.keep() == "token_refreshed"
    stored = keeper.vault.read(keeper.name)
    assert stored.value == NEW and keeper.vault.stores == [keeper.name]
    assert keeper.records.get() == TokenRecord(
        account_id=english_only.instagram_account_id,
        username="cafe.aurora",  # kept from what `tagback connect` recorded
        stored_at=NOW,
        expires_at=NOW + timedelta(days=60),
        ssm_version=stored.version,  # this very value
    )


@pytest.mark.parametrize("ssm_clock", [timedelta(minutes=-5), timedelta(minutes=5)], ids=["behind", "ahead"])
def test_a_refreshed_token_is_not_refreshed_again_the_next_day(
    english_only: ClientConfig, ssm_clock: timedelta
) -> None:
    keeper = Keeper(english_only, IssuedToken(NEW, SIXTY_DAYS), IssuedToken("never", SIXTY_DAYS))
    keeper.vault.write_lag = ssm_clock  # SSM's stamp and the function's clock need not agree
    keeper.stored(timedelta(days=8))
    assert keeper.keeper.keep() == "token_refreshed"
    for _ in range(6):  # the daily schedule, for the next week
        keeper.clock.advance(timedelta(days=1))
        assert keeper.keeper.keep() == "token_fresh"
    assert keeper.refresher.calls == 1


def test_an_unknown_lifetime_leaves_the_expiry_unknown(english_only: ClientConfig) -> None:
    keeper = Keeper(english_only, IssuedToken(NEW, None))
    keeper.stored(timedelta(days=3))
    assert keeper.keeper.keep() == "token_refreshed"
    known = keeper.records.get()
    assert known is not None and known.expires_at is None and known.username is None


def test_a_refresh_meta_refuses_is_reported_and_changes_nothing(
    english_only: ClientConfig, metric_counts: Counter[str]
) -> None:
    keeper = Keeper(english_only, token_refused())
    keeper.stored(timedelta(days=3))
    waiting = NothingWaits()
    done = keep_token_and_resume(keeper.keeper, waiting)
    assert done.token == "token_refresh_refused"
    assert keeper.vault.read(keeper.name).value == OLD and keeper.vault.stores == []
    assert keeper.records.get() is None
    assert metric_counts["TokenRefused"] == 1  # the venue must reconnect: alarmed
    assert waiting.resumed == 1  # what waits is still tried: the token may send even if it cannot be refreshed


def test_meta_unavailable_raises_for_lambda_to_retry(english_only: ClientConfig) -> None:
    keeper = Keeper(english_only, GraphError(ErrorKind.TEMPORARY, 503, 2, None, "Service temporarily unavailable"))
    keeper.stored(timedelta(days=3))
    with pytest.raises(GraphError) as raised:
        keeper.keeper.keep()
    assert raised.value.kind is ErrorKind.TEMPORARY
    assert keeper.vault.stores == [] and keeper.records.get() is None


def test_the_token_step_drops_the_cached_token_before_resuming(english_only: ClientConfig) -> None:
    keeper = Keeper(english_only)
    keeper.stored(timedelta(hours=1))
    seen: list[list[str]] = []

    class Recording(NothingWaits):
        def resume_waiting(self) -> Counter[str]:
            seen.append(list(keeper.vault.forgotten))
            return Counter({"dm_sent": 2})

    done = keep_token_and_resume(keeper.keeper, Recording())
    assert (done.token, done.resumed) == ("token_fresh", {"dm_sent": 2})
    assert seen == [[keeper.name]]


def test_no_token_value_reaches_the_logs(english_only: ClientConfig, log_lines: io.StringIO) -> None:
    keeper = Keeper(english_only, IssuedToken(NEW, SIXTY_DAYS), token_refused())
    keeper.stored(timedelta(days=8))
    assert keep_token_and_resume(keeper.keeper, NothingWaits()).token == "token_refreshed"
    keeper.clock.advance(timedelta(days=60))
    assert keep_token_and_resume(keeper.keeper, NothingWaits()).token == "token_refresh_refused"
    logged = log_lines.getvalue()
    assert "token step handled" in logged and "Meta refused to refresh the venue's token" in logged
    assert NEW not in logged and OLD not in logged
    assert NEW not in repr(IssuedToken(NEW, SIXTY_DAYS))


@pytest.mark.parametrize(
    ("age", "known", "due"),
    [
        (timedelta(hours=23), None, False),
        (timedelta(hours=24), None, True),
        (timedelta(days=2), record(NOW - timedelta(days=2), NOW + timedelta(days=58)), False),
        (timedelta(days=7, hours=1), record(NOW - timedelta(days=8), NOW + timedelta(days=52, hours=23)), True),
        # the record of this version is what dates it (stamped by the clock asking now), not SSM's clock
        (timedelta(days=2), record(NOW - timedelta(hours=23), None), False),
        # the record of another version says nothing about this one: SSM's stamp dates it
        (timedelta(days=2), record(NOW - timedelta(hours=23), NOW + timedelta(days=59), ssm_version=2), True),
    ],
)
def test_due_for_refresh(age: timedelta, known: TokenRecord | None, due: bool) -> None:
    assert due_for_refresh(NOW - age, 1, known, NOW) is due
