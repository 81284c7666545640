"""The load bench's audit (sandbox/audit.py) on a small run: every mid sent is among those it found stored, and a
lost mention is traced to where it stopped — its item, its award, its stream records, the venue's consumers."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import drive, single_language_venues
from sandbox.audit import audit, lost_state
from sandbox.runtime import Sandbox, SandboxOptions

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    first, *more = single_language_venues(Path(tmp_path_factory.mktemp("venues")))
    with Sandbox(SandboxOptions(config_path=first, more_config_paths=tuple(more), port=0)) as running:
        yield running


def test_a_lost_mention_is_traced_to_its_item_its_award_and_its_stream_records(sandbox: Sandbox) -> None:
    sent = drive(sandbox, 8, 4, {}, random.Random(5))
    found = audit(sandbox)
    assert found.holds and found.stored_mids == set(sent.first_sent) and sent.unstored(found.stored_mids) == []

    store = sandbox.venue().store
    award = store.awards.all_items()[0]
    mid = award["mention_mid"]
    store.awards.table.update({"PK": award["PK"], "SK": f"IN#{mid}"}, {"handled_at": None})
    store.awards.table.update({"PK": award["PK"], "SK": award["SK"]}, {"state": "claimed"})
    assert audit(sandbox).lost == [f"demo:{mid}"]

    item, award_now, records, *consumers = lost_state(sandbox, f"demo:{mid}")

    mention = json.loads(item.removeprefix("mention item: "))
    assert (mention["kind"], mention["mid"]) == ("story_mention", mid) and "handled_at" not in mention
    assert json.loads(award_now.removeprefix("award: "))["state"] == "claimed"
    assert records.startswith("stream records read: [('INSERT', ")  # the mention's, then its award's
    names = [f"consumer {consumer.name}" for consumer in sandbox.venue().pumps()[0].consumers]
    assert [line.split(":")[0] for line in consumers] == names
    assert all(line.endswith("this mention's records queued: 0") for line in consumers)
