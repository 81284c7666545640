"""Load: N story mentions delivered to the sandbox's edge as Meta delivers them, and what the product made of them.

`python -m bench.load [--mentions 10000] [--guests 2000] [--faults]` starts the sandbox in-process with its venues
(the demo café and Taquería Luna, each in its first language only and without the contact question, so a mention
is answered by its prize at once), sends signed deliveries over HTTP to the edge's webhook — every guest mentions
the venue several times, 10 % of the mentions are delivered again (the same mid: Meta delivers at least once), a
share of them in deliveries of 50 items, in bursts from several senders at once — retrying a delivery answered 429
or 5xx as Meta does, waits until nothing is left in the streams, queues or schedules due, and audits what the
product recorded (sandbox/audit.py): lost mentions, double awards and duplicate DMs must be 0 (the exit status says
so); the first lost ones are named with where they stopped (a sent mid no table holds, with the deliveries that
carried it; a stored one with its item, its award and the venue's stream consumers). Throughput is mentions stored
per second from the first send to quiescence, and its ratio to the storage floor: conditional PutItems against the
same moto server on a venue's table, from as many senders, measured in the same run. Latency is from a mention's
first send to its prize text reaching the fake Graph API.

`--faults` runs the same load while Meta, Google, the CRM and AWS fail (FAULTS below, each at a point of the run),
then lets the delivery holds of killed invocations lapse, replays the failure queues and audits again.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import boto3
import yaml

from infra.assets import ROOT
from sandbox import meta_payloads
from sandbox.audit import Audit, audit, lost_state
from sandbox.runtime import Sandbox, SandboxOptions

VENUES = (ROOT / "clients" / "demo.yaml", ROOT / "clients" / "luna.yaml")
REDELIVERED = 0.10  # of the mentions, delivered a second time
BATCHED = 0.20  # of the mentions, sent in deliveries of BATCH items
BATCH = 50
BURST = 100  # deliveries handed to the senders at once
SENDERS = 8  # concurrent connections, as Meta opens several
META_RETRIES = 8  # a delivery answered 429/5xx is sent again, later each time
META_PAUSES = [min(8.0, 0.25 * 2**attempt) for attempt in range(META_RETRIES)]
FLOOR_PUTS = 2000
HOLD_LAPSE_MINUTES = 16  # a killed delivery's hold (15 minutes) lapses before its records are replayed


@dataclass
class Delivery:
    account: str
    items: list[dict[str, Any]]

    @property
    def mids(self) -> list[str]:
        return [item["message"]["mid"] for item in self.items]


@dataclass
class Sent:
    """What the senders saw: the first send of each mid, the webhook's answers, Meta's retries."""

    first_sent: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    retries: int = 0
    failed: int = 0  # deliveries given up after META_RETRIES
    deliveries: list[Delivery] = field(default_factory=list)  # the plan, in sending order
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sent_again(self) -> int:
        """Items delivered again: each should be answered as a duplicate, and nothing else."""
        return sum(len(d.items) for d in self.deliveries) - len(self.first_sent)

    def unstored(self, stored_mids: set[str]) -> list[str]:
        """The mids sent that are not among those stored."""
        return sorted(set(self.first_sent) - stored_mids)

    def carrying(self, mid: str) -> str:
        """Which deliveries carried `mid`: their places in the sending order and their sizes."""
        places = [f"#{n} ({len(d.items)} items to {d.account})" for n, d in enumerate(self.deliveries) if mid in d.mids]
        return "sent in delivery " + ", again in ".join(places)


class TimedMessages(list[dict[str, Any]]):
    """The fake Graph API's delivered messages, each with the moment it arrived (monotonic seconds)."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        super().__init__(messages)
        self.arrived: dict[str, float] = {}

    def append(self, message: dict[str, Any]) -> None:
        self.arrived[message["message_id"]] = time.monotonic()
        super().append(message)


def single_language_venues(directory: Path) -> tuple[Path, ...]:
    """The sandbox's venues in their first language, without the contact question or the venue's own questions: each
    mention's answer is its prize (or the repeat reply), not a question waiting for the guest."""
    shutil.copytree(ROOT / "clients" / "assets", directory / "assets")
    paths = []
    for venue in VENUES:
        config = yaml.safe_load(venue.read_text(encoding="utf-8"))
        config |= {"languages": config["languages"][:1], "messages": {}, "contact_capture": {"channels": "off"}}
        config.pop("questions", None)
        path = directory / venue.name
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return tuple(paths)


def plan(mentions: int, guests: int, accounts: list[str], now_ms: int, rng: random.Random) -> list[Delivery]:
    """The deliveries, in sending order: every guest mentions at least once (while mentions last), the rest are
    repeats by random guests; a share batched by venue; a tenth delivered again later, one item each."""
    guest_ids = [f"617{index:013d}" for index in range(guests)]
    venue_of = {guest: accounts[index % len(accounts)] for index, guest in enumerate(guest_ids)}
    items: dict[str, list[dict[str, Any]]] = {account: [] for account in accounts}
    for number in range(mentions):
        guest = guest_ids[number] if number < guests else rng.choice(guest_ids)
        account = venue_of[guest]
        mid = f"aWdfbG9hZDoxNzg0MTQw{number:08d}"
        items[account].append(meta_payloads.story_mention(guest, account, mid, time_ms=now_ms + number))
    deliveries: list[Delivery] = []
    for account, theirs in items.items():
        batched = int(len(theirs) * BATCHED) // BATCH * BATCH
        deliveries += [Delivery(account, theirs[i : i + BATCH]) for i in range(0, batched, BATCH)]
        deliveries += [Delivery(account, [item]) for item in theirs[batched:]]
    rng.shuffle(deliveries)
    every_item = [(d.account, item) for d in deliveries for item in d.items]
    again = rng.sample(every_item, int(len(every_item) * REDELIVERED))
    for account, item in again:  # later than its first delivery: after it, somewhere in the rest of the run
        first = next(i for i, d in enumerate(deliveries) if d.account == account and item in d.items)
        deliveries.insert(rng.randint(first + 1, len(deliveries)), Delivery(account, [item]))
    return deliveries


def deliver(connection: HTTPConnection, secret: str, delivery: Delivery, sent: Sent) -> None:
    """POST it as Meta does (sandbox/meta_payloads.py), again after a 429, a 5xx or a broken connection, waiting
    longer each time."""
    body, headers = meta_payloads.signed(meta_payloads.envelope(delivery.account, delivery.items), secret)
    started = time.monotonic()
    with sent.lock:
        for mid in delivery.mids:
            sent.first_sent.setdefault(mid, started)
    statuses, answer = meta_payloads.deliver(connection, body, headers, META_PAUSES)
    given_up = meta_payloads.sent_again(statuses[-1])
    if not given_up and statuses[-1] >= 400:
        raise RuntimeError(f"the webhook refused a signed delivery: {statuses[-1]} {answer!r}")
    with sent.lock:
        sent.retries += sum(map(meta_payloads.sent_again, statuses))
        sent.failed += given_up
        sent.duplicates += 0 if given_up else json.loads(answer)["duplicates"]


def send_all(sandbox: Sandbox, deliveries: list[Delivery], at_progress: dict[int, Callable[[Sandbox], None]]) -> Sent:
    """In bursts from SENDERS connections; `at_progress[n]` runs before the burst that starts at delivery n."""
    sent = Sent(deliveries=deliveries)
    local = threading.local()

    def connection() -> HTTPConnection:
        if not hasattr(local, "connection"):
            local.connection = meta_payloads.webhook_connection(sandbox.url)
        return local.connection

    with ThreadPoolExecutor(SENDERS) as senders:
        for start in range(0, len(deliveries), BURST):
            for point in [p for p in at_progress if start <= p < start + BURST]:
                at_progress.pop(point)(sandbox)
            burst = deliveries[start : start + BURST]
            list(senders.map(lambda d: deliver(connection(), sandbox.options.app_secret, d, sent), burst))
    return sent


def quiesce(sandbox: Sandbox) -> None:
    """Until every stream record is delivered (retries waited out) and no schedule is due now."""
    while True:
        sandbox.settle(timeout=600)
        sandbox.advance(0)
        if not any(venue.pumps()[0].waiting() for venue in sandbox.venues):
            return


def storage_floor(sandbox: Sandbox, puts: int) -> float:
    """Conditional PutItems per second on the first venue's table, from SENDERS threads, as the operator."""
    dynamodb = boto3.client("dynamodb")
    table = sandbox.resources.table_name

    def put(number: int) -> None:
        dynamodb.put_item(
            TableName=table,
            Item={"PK": {"S": f"LOADFLOOR#{number}"}, "SK": {"S": "FLOOR"}, "item_type": {"S": "load_floor"}},
            ConditionExpression="attribute_not_exists(PK)",
        )

    started = time.monotonic()
    with ThreadPoolExecutor(SENDERS) as senders:
        list(senders.map(put, range(puts)))
    return puts / (time.monotonic() - started)


def graph_faults(*names: str) -> Callable[[Sandbox], None]:
    return lambda sandbox: sandbox.graph.fail_next("send", *names)


def kill_prize(after_requests: int) -> Callable[[Sandbox], None]:
    return lambda sandbox: sandbox.aws_faults.kill(sandbox.venue().role("prize"), after_requests)


# Each fault at a share of the deliveries sent, queued on the fakes (answering as Meta and Google document their
# errors) or on AWS's wire (sandbox/aws_faults.py: AWS's own errors, which botocore retries first).
FAULTS: dict[float, tuple[str, Callable[[Sandbox], None]]] = {
    0.10: ("Graph API 5xx (code 2) ×6", graph_faults(*["5xx"] * 6)),
    0.15: ("Graph API throttling (codes 4, 613) ×6", graph_faults(*["throttle", "rate_limit"] * 3)),
    0.20: ("Graph API outside the 24-hour window (10/2018278) ×3", graph_faults(*["outside_window"] * 3)),
    0.25: ("Graph API answers past the read timeout ×2", graph_faults("timeout", "timeout")),
    0.30: ("Sheets down for 60 s", lambda sandbox: sandbox.google.unavailable_for(60)),
    0.35: ("CRM down (503) ×20", lambda sandbox: sandbox.crm.fail_next(*[503] * 20)),
    0.45: ("Scheduler CreateSchedule InternalServerException ×8", lambda s: s.aws_faults.fail_schedule_creations(8)),
    0.55: ("DynamoDB conditional writes throttled ×40", lambda sandbox: sandbox.aws_faults.throttle_writes(40)),
    0.70: ("the prize function killed mid-batch", kill_prize(25)),
}


@dataclass
class Run:
    mentions: int
    seconds: float
    floor: float
    sent: Sent
    found: Audit
    latencies: list[float]
    unstored: list[str]  # mids sent that no venue's table holds (a mention lost before the product recorded it)
    traced: dict[str, list[str]]  # the first lost mentions' state in the sandbox (audit.lost_state)
    replayed: dict[str, Any] = field(default_factory=dict)
    injected: dict[str, int] = field(default_factory=dict)


def drive(
    sandbox: Sandbox, mentions: int, guests: int, faults: dict[float, Callable[[Sandbox], None]], rng: random.Random
) -> Sent:
    """Deliver the load, each fault queued once `share` of the deliveries are sent, and wait for quiescence."""
    accounts = [venue.config.instagram_account_id for venue in sandbox.venues]
    deliveries = plan(mentions, guests, accounts, int(sandbox.clock.now().timestamp() * 1000), rng)
    sent = send_all(sandbox, deliveries, {int(share * len(deliveries)): fault for share, fault in faults.items()})
    quiesce(sandbox)
    return sent


def replay_failures(sandbox: Sandbox) -> dict[str, Any]:
    """What the operator does after an outage: once a killed delivery's hold has lapsed, `tagback replay`."""
    sandbox.advance(HOLD_LAPSE_MINUTES)
    replayed = {name: vars(report) for name, report in sandbox.replay_dead_letters().items()}
    quiesce(sandbox)
    return replayed


def run(mentions: int, guests: int, *, faults: bool, seed: int = 17) -> Run:
    with tempfile.TemporaryDirectory() as directory:
        first, *more = single_language_venues(Path(directory))
        with Sandbox(SandboxOptions(config_path=first, more_config_paths=tuple(more), port=0)) as sandbox:
            messages = TimedMessages(sandbox.graph.delivered)
            sandbox.graph.delivered = messages
            injected = {share: fault for share, (_, fault) in FAULTS.items()} if faults else {}
            started = time.monotonic()
            sent = drive(sandbox, mentions, guests, injected, random.Random(seed))
            seconds = time.monotonic() - started
            found = audit(sandbox)
            replayed = replay_failures(sandbox) if found.dead_letters else {}
            found = audit(sandbox) if replayed else found
            latencies = [
                messages.arrived[won.text_mid] - sent.first_sent[won.mention_mid]
                for won in found.won
                if won.text_mid in messages.arrived and won.mention_mid in sent.first_sent
            ]
            floor = storage_floor(sandbox, min(FLOOR_PUTS, max(mentions, 100)))
            unstored = sent.unstored(found.stored_mids)
            traced = {lost: lost_state(sandbox, lost) for lost in found.lost[:5]}
            answered = sandbox.aws_faults.answered
            return Run(mentions, seconds, floor, sent, found, latencies, unstored, traced, replayed, answered)


def report(result: Run, faults: bool) -> list[str]:
    found, sent = result.found, result.sent
    throughput = found.mentions_in / result.seconds
    lines = [
        f"mentions in (stored)        {found.mentions_in}",
        f"awards                      {found.awards} ({found.no_prize_left} told all prizes were given)",
        f"prize DMs                   {found.prize_dms}",
        f"repeat replies              {found.repeat_replies}",
        f"duplicates suppressed       {sent.duplicates} of {sent.sent_again} items sent again "
        f"(deliveries retried as Meta does: {sent.retries})",
        f"failed for good             {found.dm_failed} outside the window/refused, {found.dm_uncertain} uncertain",
        f"lost                        {len(found.lost) + len(result.unstored)}",
        f"double awards               {len(found.double_awards)}",
        f"duplicate identical DMs     {len(found.duplicate_dms)}",
        f"follow-ups missing          {len(found.followups_missing)}",
        f"left in failure queues      {sum(found.dead_letters.values())}",
        f"quarantined at the edge     {found.quarantined}",
        f"throughput                  {throughput:.1f} mentions/s over {result.seconds:.0f} s",
        f"storage floor               {result.floor:.0f} conditional puts/s: throughput is "
        f"{throughput / result.floor:.3f} of it",
    ]
    if len(result.latencies) >= 2:
        cuts = statistics.quantiles(result.latencies, n=20)
        lines.append(
            f"mention → coupon latency    p50 {statistics.median(result.latencies):.2f} s, p95 {cuts[18]:.2f} s"
        )
    if faults:
        lines.append("faults: " + "; ".join(name for name, _ in FAULTS.values()))
        lines.append(f"AWS faults answered: {result.injected}")
        replayed = {name: r for name, r in result.replayed.items() if r.get("replayed") or r.get("failed")}
        lines.append(f"replayed from the failure queues: {replayed or 'nothing'}")
    for lost in found.lost[:5]:
        lines += [f"  ! {lost}", *(f"      {state}" for state in result.traced.get(lost, []))]
    lines += [f"  ! {mid}: {sent.carrying(mid)}; in no venue's table" for mid in result.unstored[:5]]
    for problem in [*found.double_awards[:5], *found.duplicate_dms[:5], *found.followups_missing[:5]]:
        lines.append(f"  ! {problem}")
    if sent.failed:
        lines.append(f"  ! {sent.failed} deliveries refused after {META_RETRIES} tries")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--guests", type=int, default=2_000)
    parser.add_argument("--faults", action="store_true", help="Meta, Google, the CRM and AWS failing meanwhile")
    args = parser.parse_args(argv)
    if args.mentions < 1 or args.guests < 1:
        parser.error("--mentions and --guests must be at least 1")
    result = run(args.mentions, args.guests, faults=args.faults)
    print("\n".join(report(result, args.faults)))
    held = result.found.holds and not result.unstored and not result.sent.failed
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
