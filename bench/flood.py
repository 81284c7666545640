"""A flood of forged deliveries at the sandbox's edge while real mentions flow: every real mention is still served.

`python -m bench.flood [--seconds 30] [--mentions-per-second 4] [--senders N]`

One run, two phases of `--seconds` each, against one in-process sandbox (its two venues):
1. **quiet**: real signed story mentions, a steady trickle, each from a new guest, alternating the venues;
2. **flood**: the same trickle, while `--senders` processes (default: this machine's cores) post unsigned and wrongly
   signed deliveries to `POST /webhook` as fast as they can, each on keep-alive connections.

A real mention answered 429 (the route's throttle, infra/api_routes.py) or 5xx is sent again as Meta redelivers: at
once, then backing off. Printed: the flood's rate and its answers by status; each phase's real mentions, their
retries and their latency (first send → accepted) p50/p95 and the flood's ratio to quiet; and, once the sandbox has
settled, how many real mentions have their award. Exits 1 when a real mention has no award, anything got a 5xx or
a forged delivery was accepted.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType

import boto3

from sandbox import meta_payloads
from sandbox.runtime import Sandbox, SandboxOptions
from tagback.store.schema import SORT_KEY

CONNECTIONS_PER_SENDER = 4  # a sender's connections, each a thread waiting on its answers in turn
REDELIVERY_GIVES_UP = 300.0  # seconds: Meta keeps trying far longer; a bench that waits this long has failed
_guests = itertools.count(1)


def _forged_bodies(account: str) -> Iterator[tuple[bytes, dict[str, str]]]:
    """Deliveries as a forger sends them: a real delivery's shape, unsigned or signed with a guessed secret."""
    for n in itertools.count():
        item = meta_payloads.story_mention(f"forger-{n}", account, f"mid.forged.{n}")
        body, headers = meta_payloads.signed(meta_payloads.envelope(account, [item]), "a-guessed-secret")
        yield body, ({"Content-Type": "application/json"} if n % 2 else headers)


def _send_flood(url: str, account: str, seconds: float, go: EventType, answers: Queue[Counter[int]]) -> None:
    """One sender process: once `go` is set, CONNECTIONS_PER_SENDER keep-alive connections post forged deliveries
    for `seconds`."""
    total: Counter[int] = Counter()
    lock = threading.Lock()
    answers.put(Counter())  # ready: imported and about to wait
    go.wait()
    until = time.time() + seconds

    def connection() -> None:
        seen: Counter[int] = Counter()
        bodies = _forged_bodies(account)
        conn = meta_payloads.webhook_connection(url)
        while time.time() < until:
            status, _ = meta_payloads.post(conn, *next(bodies))
            seen[status] += 1  # 0: no answer, the connection opened again
        conn.close()
        with lock:
            total.update(seen)

    threads = [threading.Thread(target=connection) for _ in range(CONNECTIONS_PER_SENDER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.put(total)


@dataclass
class Mention:
    client_id: str
    guest_id: str
    mid: str
    latency: float = 0.0  # seconds from the first send to the delivery accepted
    sends: Counter[int] = field(default_factory=Counter)  # answers by status (0: no answer)


@dataclass
class Phase:
    name: str
    mentions: list[Mention] = field(default_factory=list)
    flood: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def latencies(self) -> tuple[float, float]:
        values = sorted(m.latency for m in self.mentions)
        return statistics.median(values), values[max(0, round(0.95 * len(values)) - 1)]


def _meta_pauses(started: float) -> Iterator[float]:
    """Meta's redelivery: again at once, then backing off from 0.1 s to 2 s, for REDELIVERY_GIVES_UP from `started`."""
    pause = 0.0
    while time.monotonic() - started < REDELIVERY_GIVES_UP:
        yield pause
        pause = min(2.0, max(0.1, pause * 2))


def _deliver(sandbox: Sandbox, client_id: str) -> Mention:
    """One real mention from a new guest, signed, sent until accepted as Meta sends it (sandbox/meta_payloads.py)."""
    venue = sandbox.venue(client_id)
    account = venue.config.instagram_account_id
    guest = f"61790000{next(_guests):08d}"
    mid = f"mid.flood.{guest}"
    stamp = int(sandbox.clock.now().timestamp() * 1000)
    body, headers = meta_payloads.signed(
        meta_payloads.envelope(account, [meta_payloads.story_mention(guest, account, mid, stamp)]),
        sandbox.options.app_secret,
    )
    mention = Mention(client_id, guest, mid)
    started = time.monotonic()
    conn = meta_payloads.webhook_connection(sandbox.url)
    try:
        statuses, _ = meta_payloads.deliver(conn, body, headers, _meta_pauses(started))
        mention.latency = time.monotonic() - started
    finally:
        conn.close()
    mention.sends.update(statuses)
    if statuses[-1] != 200:
        raise RuntimeError(f"a real mention was not accepted; its answers by status: {dict(mention.sends)}")
    return mention


def _trickle(sandbox: Sandbox, seconds: float, per_second: float) -> list[Mention]:
    """Real mentions at a steady rate for `seconds`, alternating the venues; each sent (and resent) on its own."""
    clients = itertools.cycle([venue.client_id for venue in sandbox.venues])
    futures: list[Future[Mention]] = []
    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.monotonic()
        for n in itertools.count():
            due = start + n / per_second
            if due >= start + seconds:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            futures.append(pool.submit(_deliver, sandbox, next(clients)))
    return [future.result() for future in futures]


def _phase(sandbox: Sandbox, name: str, args: argparse.Namespace, *, flood: bool) -> Phase:
    phase = Phase(name)
    context = multiprocessing.get_context("spawn")  # no fork of a process running the sandbox's threads
    answers: Queue[Counter[int]] = context.Queue()
    go = context.Event()
    senders = []
    if flood:
        account = sandbox.venues[0].config.instagram_account_id
        senders = [
            context.Process(target=_send_flood, args=(sandbox.url, account, args.seconds, go, answers))
            for _ in range(args.senders)
        ]
        for sender in senders:
            sender.start()
        for _ in senders:  # each sender's first answer: it is ready
            answers.get()
    started = time.time()
    go.set()
    phase.mentions = _trickle(sandbox, args.seconds, args.mentions_per_second)
    for _ in senders:
        phase.flood.update(answers.get())
    for sender in senders:
        sender.join()
    phase.seconds = time.time() - started
    return phase


def _awarded(sandbox: Sandbox, mentions: list[Mention]) -> set[str]:
    """The real mentions (their mids) whose award each venue's table holds."""
    awarded: set[str] = set()
    dynamodb = boto3.client("dynamodb")
    for venue in sandbox.venues:
        pages = dynamodb.get_paginator("scan").paginate(TableName=venue.resources.table_name)
        for page in pages:
            for item in page["Items"]:
                if item[SORT_KEY]["S"].startswith("AWARD#") and "mention_mid" in item:
                    awarded.add(item["mention_mid"]["S"])
    return awarded & {m.mid for m in mentions}


def _rate(counts: Counter[int], seconds: float) -> str:
    return ", ".join(f"{status or 'no answer'}: {n:,} ({n / seconds:,.1f}/s)" for status, n in sorted(counts.items()))


def _report(quiet: Phase, flooded: Phase, awarded: set[str]) -> bool:
    flood_total = sum(flooded.flood.values())
    print(
        f"flood: {flood_total:,} forged deliveries in {flooded.seconds:.0f} s = {flood_total / flooded.seconds:,.0f}/s"
    )
    print(f"  answers by status: {_rate(flooded.flood, flooded.seconds)}")
    for phase in (quiet, flooded):
        sends: Counter[int] = sum((m.sends for m in phase.mentions), Counter())
        p50, p95 = phase.latencies()
        print(
            f"real mentions, {phase.name}: {len(phase.mentions)} accepted after {sum(sends.values())} sends "
            f"({dict(sorted(sends.items()))}); latency p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
        )
    (q50, q95), (f50, f95) = quiet.latencies(), flooded.latencies()
    print(f"latency under flood / quiet: p50 ×{f50 / q50:.1f}, p95 ×{f95 / q95:.1f}")
    mentions = quiet.mentions + flooded.mentions
    print(f"awarded: {len(awarded)} of {len(mentions)} real mentions")
    errors = sum(n for status, n in flooded.flood.items() if status >= 500) + sum(
        n for m in mentions for status, n in m.sends.items() if status >= 500
    )
    if errors:
        print(f"5xx answers: {errors}")
    forged_accepted = sum(n for status, n in flooded.flood.items() if 200 <= status < 300)
    if forged_accepted:
        print(f"forged deliveries accepted: {forged_accepted}")
    return len(awarded) == len(mentions) and errors == 0 and forged_accepted == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="each phase's length (default 30)")
    parser.add_argument("--mentions-per-second", type=float, default=4.0, help="the real mentions' rate (default 4)")
    parser.add_argument("--senders", type=int, default=os.cpu_count() or 2, help="flood processes (default: cores)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.mentions_per_second <= 0 or args.senders < 1:
        parser.error("--seconds and --mentions-per-second must be positive, --senders at least 1")
    with Sandbox(SandboxOptions(port=0)) as sandbox:
        quiet = _phase(sandbox, "quiet", args, flood=False)
        flooded = _phase(sandbox, "under flood", args, flood=True)
        sandbox.settle(timeout=600)
        served = _report(quiet, flooded, _awarded(sandbox, quiet.mentions + flooded.mentions))
    return 0 if served else 1


if __name__ == "__main__":
    sys.exit(main())
