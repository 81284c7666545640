"""The invariants of a sandbox run, read from what the product recorded: every venue's table (inbound events, awards,
coupons), what the fake Graph API delivered, and the failure queues. bench/load.py prints them; tests/resilience/
asserts them after each fault.

- **lost**: a story mention stored in a venue's table that reached no terminal state: neither the mention of an
  award that ended (sent, no prize left, failed for good, uncertain) nor marked handled (a repeat answered).
- **double awards**: an award beyond the first for one guest's claim period, for one mention, or a coupon beyond
  the first for one award, or a prize text beyond the first naming one award's coupon.
- **follow-ups missing**: an award that reached the guest whose review question is neither settled (asked, skipped,
  failed) nor scheduled (its one-shot schedule in the venue's group).
- **duplicate DMs**: identical messages to one guest beyond those the product answered distinct events with (each
  repeat mention's polite reply is recorded on its inbound event as `reply_mid`), and coupon images beyond one per
  award.

`lost_state` says where a lost mention stopped, for the bench to print.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3

from tagback.adapters.scheduler import schedule_name
from tagback.domain.awards import AwardKey
from tagback.domain.steps import Step
from tagback.store.schema import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from sandbox.runtime import Sandbox, Venue

# Award states after which nothing more is sent for the mention that won it (tagback.domain.awards.AwardState).
TERMINAL_AWARD_STATES = frozenset({"dm_sent", "no_prize_left", "dm_failed_permanent", "dm_failed_auth", "dm_uncertain"})
MESSAGED_STATES = frozenset({"dm_sent", "no_prize_left", "dm_uncertain"})  # GUEST_WAS_MESSAGED: a follow-up is due


@dataclass
class Won:
    """An award as the load bench times it: the mention that won it and the prize text's message id."""

    client_id: str
    mention_mid: str
    text_mid: str | None


@dataclass
class Audit:
    stored_mids: set[str] = field(default_factory=set)  # the story mentions stored, which a sender checks its mids by
    awards: int = 0
    prize_dms: int = 0  # prize texts delivered (the award's text_mid is among the fake Graph's messages)
    no_prize_left: int = 0
    repeat_replies: int = 0
    dm_failed: int = 0  # awards ended dm_failed_permanent (outside the window, refused)
    dm_uncertain: int = 0
    lost: list[str] = field(default_factory=list)  # "<client-id>:<mid>"
    double_awards: list[str] = field(default_factory=list)
    duplicate_dms: list[str] = field(default_factory=list)
    followups_missing: list[str] = field(default_factory=list)
    dead_letters: dict[str, int] = field(default_factory=dict)  # queue → messages in it (only the non-empty)
    quarantined: int = 0  # items the edge kept for no venue (malformed, or an unregistered account)
    won: list[Won] = field(default_factory=list)

    @property
    def mentions_in(self) -> int:
        """Story mentions stored, each mid once: a redelivery is not a second one."""
        return len(self.stored_mids)

    @property
    def holds(self) -> bool:
        """The invariants: nothing lost, nothing awarded or sent twice, nothing left in a failure queue."""
        return not (
            self.lost or self.double_awards or self.duplicate_dms or self.followups_missing or self.dead_letters
        )

    def summary(self) -> dict[str, Any]:
        return {
            "mentions_in": self.mentions_in,
            "awards": self.awards,
            "prize_dms": self.prize_dms,
            "no_prize_left": self.no_prize_left,
            "repeat_replies": self.repeat_replies,
            "dm_failed": self.dm_failed,
            "dm_uncertain": self.dm_uncertain,
            "lost": len(self.lost),
            "double_awards": len(self.double_awards),
            "duplicate_dms": len(self.duplicate_dms),
            "followups_missing": len(self.followups_missing),
            "dead_letters": dict(self.dead_letters),
            "quarantined": self.quarantined,
        }


def audit(sandbox: Sandbox) -> Audit:
    found = Audit()
    delivered = sandbox.graph.sent_messages()
    for venue in sandbox.venues:
        _audit_venue(sandbox, venue, delivered, found)
    found.dead_letters = dead_letters(sandbox)
    found.quarantined = _quarantined(sandbox)
    return found


def lost_state(sandbox: Sandbox, lost: str) -> list[str]:
    """What the sandbox holds of a lost mention (`Audit.lost`'s "<client-id>:<mid>"), to say where it stopped: its
    inbound item, its award, whether its stream record was read and is still queued, and each of the venue's stream
    consumers' head record, tries and pause."""
    client_id, mid = lost.split(":", 1)
    venue = sandbox.venue(client_id)
    table, pump = venue.store.awards.table, venue.pumps()[0]
    mentions = [i for i in table.items_where("mid", mid) if i.get("item_type") == "inbound_event"]
    awards = table.items_where("mention_mid", mid)
    records = [r for r in pump.seen if _image_mid(r) == mid]
    lines = [
        f"mention item: {_brief(mentions[0]) if mentions else 'none'}",
        f"award: {_brief(awards[0]) if awards else 'none'}",
        f"stream records read: {[(r['eventName'], r['dynamodb']['SequenceNumber']) for r in records] or 'none'}",
    ]
    for consumer in pump.consumers:
        queued = [r for r in consumer.queue if _image_mid(r) == mid]
        head = consumer.queue[0] if consumer.queue else None
        described = "empty" if head is None else f"{len(consumer.queue)} queued, head {_record(head)}"
        pause = max(0.0, consumer.not_before - time.monotonic())
        lines.append(
            f"consumer {consumer.name}: {described}; {consumer.attempts} failed tries of the head, paused "
            f"{pause:.1f} s; this mention's records queued: {len(queued)}"
        )
    return lines


def _image_mid(record: dict[str, Any]) -> str | None:
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    return image.get("mid", image.get("mention_mid", {})).get("S")


def _record(record: dict[str, Any]) -> str:
    keys = record["dynamodb"]["Keys"]
    return f"{record['eventName']} {keys['PK']['S']}/{keys['SK']['S']} #{record['dynamodb']['SequenceNumber']}"


def _brief(item: dict[str, Any]) -> str:
    """The item's attributes but its time-to-live, sorted, on one line."""
    return json.dumps({k: v for k, v in sorted(item.items()) if k != TTL_ATTRIBUTE}, default=str)


def _quarantined(sandbox: Sandbox) -> int:
    dynamodb, count = boto3.client("dynamodb"), 0
    request: dict[str, Any] = {
        "TableName": sandbox.edge.table_name,
        "FilterExpression": "item_type = :quarantined",
        "ExpressionAttributeValues": {":quarantined": {"S": "quarantined"}},
        "Select": "COUNT",
    }
    while True:
        page = dynamodb.scan(**request)
        count += page["Count"]
        if "LastEvaluatedKey" not in page:
            return count
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def dead_letters(sandbox: Sandbox) -> dict[str, int]:
    """Messages in each venue's failure queues (the stream mappings' and the scheduled functions'), non-empty only."""
    waiting: dict[str, int] = {}
    for venue in sandbox.venues:
        queues = {"prize": venue.resources.prize_dlq_url, "integrations": venue.resources.outbox_dlq_url}
        queues |= {f"{name}_failures": url for name, url in venue.resources.failure_queue_urls.items()}
        for name, url in queues.items():
            attributes = sandbox.sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            count = sum(int(value) for value in attributes.values())
            if count:
                waiting[f"{venue.client_id}:{name}"] = count
    return waiting


def _audit_venue(sandbox: Sandbox, venue: Venue, delivered: list[dict[str, Any]], found: Audit) -> None:
    client_id, account = venue.client_id, venue.config.instagram_account_id
    items = venue.store.awards.table.scan()
    mentions = [i for i in items if i.get("item_type") == "inbound_event" and i.get("kind") == "story_mention"]
    awards = [i for i in items if i.get("item_type") == "award"]
    coupons = [i for i in items if i.get("item_type") == "coupon"]
    mine = [m for m in delivered if m["account_id"] == account]
    sent_ids = {m["message_id"] for m in mine}

    found.stored_mids.update(m["mid"] for m in mentions)
    found.awards += len(awards)
    ended = {a["mention_mid"] for a in awards if a.get("state") in TERMINAL_AWARD_STATES}
    for mention in mentions:
        if mention["mid"] not in ended and "handled_at" not in mention:
            found.lost.append(f"{client_id}:{mention['mid']}")
        if mention.get("reply_mid"):
            found.repeat_replies += 1
    for award in awards:
        state = award.get("state")
        found.no_prize_left += state == "no_prize_left"
        found.dm_failed += state == "dm_failed_permanent"
        found.dm_uncertain += state == "dm_uncertain"
        found.prize_dms += state == "dm_sent" and award.get("text_mid") in sent_ids
        found.won.append(Won(client_id, award["mention_mid"], award.get("text_mid")))
    found.double_awards += _double_awards(venue, awards, coupons, mine)
    found.duplicate_dms += _duplicate_dms(client_id, mentions, awards, mine)
    scheduled = _schedule_names(venue)
    found.followups_missing += [
        f"{client_id}: award {a['PK']}/{a['SK']} ({a.get('state')}) has no follow-up"
        for a in awards
        if a.get("state") in MESSAGED_STATES
        and a.get("followup_state") is None
        and schedule_name(Step.FOLLOW_UP, AwardKey(a["guest_id"], a["SK"].removeprefix("AWARD#"))) not in scheduled
    ]


def _schedule_names(venue: Venue) -> set[str]:
    scheduler, group = venue.pumps()[1].scheduler, venue.resources.schedule_group
    names: set[str] = set()
    request: dict[str, Any] = {"GroupName": group}
    while True:
        page = scheduler.list_schedules(**request)
        names.update(s["Name"] for s in page["Schedules"])
        if not page.get("NextToken"):
            return names
        request["NextToken"] = page["NextToken"]


def _double_awards(
    venue: Venue, awards: list[dict[str, Any]], coupons: list[dict[str, Any]], sent: list[dict[str, Any]]
) -> list[str]:
    doubles: list[str] = []
    client_id, policy = venue.client_id, venue.config.claim_policy
    by_mention = Counter(a["mention_mid"] for a in awards)
    doubles += [f"{client_id}: mention {mid} won {n} awards" for mid, n in by_mention.items() if n > 1]
    by_guest: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for award in awards:
        by_guest[award["guest_id"]].append(award)
    for guest, theirs in by_guest.items():
        if policy.kind == "per_local_day":
            days = Counter(a["local_date"] for a in theirs)
            doubles += [f"{client_id}: guest {guest} won {n} awards on {day}" for day, n in days.items() if n > 1]
        else:
            cooldown = timedelta(hours=policy.cooldown_hours or 0)
            times = sorted(datetime.fromisoformat(a["mentioned_at"]) for a in theirs)
            doubles += [
                f"{client_id}: guest {guest} won twice within the cooldown, at {a} and {b}"
                for a, b in itertools.pairwise(times)
                if b - a < cooldown
            ]
    per_award = Counter((c["guest_id"], c["period"]) for c in coupons)
    doubles += [f"{client_id}: award {key} has {n} coupons" for key, n in per_award.items() if n > 1]
    for award in awards:
        code = award.get("coupon_code")
        texts = [m for m in sent if code and code in m["json"]["message"].get("text", "")]
        if len(texts) > 1:
            doubles.append(f"{client_id}: the prize text of coupon {code} was delivered {len(texts)} times")
    return doubles


def _duplicate_dms(
    client_id: str, mentions: list[dict[str, Any]], awards: list[dict[str, Any]], sent: list[dict[str, Any]]
) -> list[str]:
    duplicates: list[str] = []
    replies = {m["reply_mid"] for m in mentions if m.get("reply_mid")}
    identical: dict[tuple[str, str], list[str]] = defaultdict(list)
    images: Counter[str] = Counter()
    for message in sent:
        guest, body = message["json"]["recipient"]["id"], message["json"]["message"]
        if body.get("attachment", {}).get("type") == "image":
            images[guest] += 1  # each a fresh presigned URL: counted per guest against their awards
        else:
            identical[(guest, json.dumps(body, sort_keys=True))].append(message["message_id"])
    for (guest, _), ids in identical.items():
        answered = len([i for i in ids if i in replies])  # each the reply to a different repeat mention
        if len(ids) > max(1, answered):
            duplicates.append(f"{client_id}: guest {guest} got one message {len(ids)} times ({answered} answered)")
    awarded = Counter(a["guest_id"] for a in awards)
    duplicates += [
        f"{client_id}: guest {guest} got {n} coupon images for {awarded[guest]} awards"
        for guest, n in images.items()
        if n > awarded[guest]
    ]
    return duplicates
