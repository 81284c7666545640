"""The venue's token kept on moto: SSM holds the token (and stamps each write), the table what is known of it; and
review_followup's token step built from its environment, as in Lambda."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from functions.review_followup import handler as review_followup
from sandbox.apigw import LambdaContext
from tagback.adapters.meta.account import IssuedToken
from tagback.adapters.ssm import SsmSecrets, SsmToken
from tagback.app.tokens import TokenKeeper
from tagback.config.model import ClientConfig
from tagback.domain.clock import ManualClock
from tagback.store.repositories import Repositories
from tests.conftest import DEMO_CONFIG
from tests.fakes import FakeRefresher
from tests.integration.conftest import client

pytestmark = pytest.mark.integration
OLD, NEW = "old-token-value", "new-token-value"


def test_a_due_token_is_written_back_to_ssm_and_recorded_once(aws: str, table: str, demo_config: ClientConfig) -> None:
    ssm = client("ssm", aws)
    name = demo_config.secrets.meta_access_token
    ssm.put_parameter(Name=name, Value=OLD, Type="SecureString", Overwrite=True)
    secrets = SsmSecrets(client=ssm)
    assert secrets(name) == OLD  # cached, as the engine holds it
    clock = ManualClock(datetime.now(UTC) + timedelta(days=8))  # the value in SSM is eight days old
    records = Repositories.on(table, client=client("dynamodb", aws)).tokens
    refresher = FakeRefresher(IssuedToken(NEW, 60 * 86400), IssuedToken("never", 60 * 86400))
    keeper = TokenKeeper(demo_config, secrets, refresher, records, clock)
    assert keeper.keep() == "token_refreshed"
    parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert parameter["Value"] == NEW and parameter["Type"] == "SecureString"
    assert secrets(name) == NEW  # the writer's cache holds the new value
    record = records.get()
    assert record is not None and record.ssm_version == parameter["Version"] and record.stored_at == clock.now()
    assert record.expires_at == clock.now() + timedelta(days=60)
    clock.advance(timedelta(days=1))
    assert keeper.keep() == "token_fresh" and refresher.calls == 1


@pytest.fixture
def review_followup_function(aws: str, table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "TABLE_NAME": table,
        "TAGBACK_CLIENT_CONFIG": str(DEMO_CONFIG),
        "TAGBACK_LINK_PREFIX": "https://edge.example/l/demo",
        "TAGBACK_COUPON_PREFIX": "https://edge.example/c/demo",
        "COUPON_BUCKET": f"coupons-{table}",
        "SCHEDULE_GROUP": table,
        "FOLLOWUP_FUNCTION_ARN": "arn:aws:lambda:eu-west-1:123456789012:function:tagback-demo-review-followup",
        "SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/scheduler",
        "FOLLOWUP_DLQ_ARN": "arn:aws:sqs:eu-west-1:123456789012:dlq",
    }.items():
        monkeypatch.setenv(name, value)
    review_followup.steps.override(None)  # cold start: everything from the environment
    yield
    review_followup.steps.override(None)


def test_the_token_step_runs_from_the_environment(
    review_followup_function: None, aws: str, demo_config: ClientConfig
) -> None:
    ssm = client("ssm", aws)
    ssm.put_parameter(Name=demo_config.secrets.meta_access_token, Value=OLD, Type="SecureString", Overwrite=True)
    answer = review_followup.lambda_handler({"step": "token"}, LambdaContext("review_followup"))
    assert answer == {"step": "token", "token": "token_fresh", "resumed": {}}  # written just now: not due
    steps = review_followup.steps.get()
    assert steps.tokens.vault is steps.engine.secret  # one cache: a token the keeper renews is the engine's next


def test_the_token_step_needs_its_link_prefix(review_followup_function: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAGBACK_LINK_PREFIX")
    with pytest.raises(RuntimeError, match="TAGBACK_LINK_PREFIX"):
        review_followup.steps.get()


def test_a_cached_token_sees_a_renewal_only_once_meta_refused_it(aws: str, demo_config: ClientConfig) -> None:
    ssm = client("ssm", aws)
    name = demo_config.secrets.meta_access_token
    ssm.put_parameter(Name=name, Value=OLD, Type="SecureString", Overwrite=True)
    token = SsmToken(SsmSecrets(client=ssm), name)
    assert token() == OLD
    ssm.put_parameter(Name=name, Value=NEW, Type="SecureString", Overwrite=True)  # renewed by `tagback connect`
    assert token() == OLD  # the cache, for a few minutes
    assert token.renewed() and token() == NEW
    assert not token.renewed()  # refused again with the newest: nothing newer to try
