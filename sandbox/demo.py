"""`make demo`: the product's main job, end to end, on this machine — told in plain words.

Starts the sandbox, runs Meta's handshake, posts a signed story mention, a forged one and a redelivery, and
shows what the table holds after each. Exits non-zero if anything did not happen as it should.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import replace
from typing import Any

import requests

from sandbox import meta_payloads
from sandbox.runtime import ROOT, Sandbox, SandboxOptions
from tagback.meta.webhook import sign
from tagback.store import guest_key

GUEST = "6170000000000042"  # the guest's Instagram-scoped id (IGSID)
failures: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)


def check(ok: bool, what: str) -> None:
    say(f"   {'✔' if ok else '✘'} {what}")
    if not ok:
        failures.append(what)


def stored(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.repository.items_under(guest_key(GUEST))


def main() -> int:
    # A free port unless PORT is set, so the demo runs beside a `make sandbox` already on 8787.
    options = replace(SandboxOptions.from_environ(), port=int(os.environ.get("PORT", "0")))
    with Sandbox(options) as sandbox:
        config, url = sandbox.config, sandbox.url
        say(f"Tagback sandbox for {config.venue_name} (client {config.client_id}) on {url}")
        say(f"AWS is moto at {sandbox.aws_endpoint}; Meta's Graph API is faked at {sandbox.graph_url}.")
        say(f"The functions' logs and metrics (CloudWatch's part) go to {sandbox.function_log.relative_to(ROOT)}.")
        say()

        say("1. Meta subscribes the webhook (GET /webhook handshake)")
        challenge = secrets.token_hex(8)
        query = {
            "hub.mode": "subscribe",
            "hub.verify_token": options.verify_token,
            "hub.challenge": challenge,
        }
        answer = requests.get(f"{url}/webhook", params=query, timeout=10)
        check(
            answer.status_code == 200 and answer.text == challenge,
            f"answered {answer.status_code} with the challenge",
        )
        wrong = requests.get(f"{url}/webhook", params=query | {"hub.verify_token": "guess"}, timeout=10)
        check(wrong.status_code == 403, f"a wrong verify token gets {wrong.status_code}")
        say()

        say(f"2. A guest posts a story that @mentions {config.venue_name}; Meta posts it, signed")
        payload = meta_payloads.envelope(
            config.instagram_account_id,
            [meta_payloads.story_mention(GUEST, config.instagram_account_id, f"mid.demo.{challenge}")],
        )
        body, headers = meta_payloads.signed(payload, options.app_secret)
        answer = requests.post(f"{url}/webhook", data=body, headers=headers, timeout=10)
        check(answer.status_code == 200, f"answered {answer.status_code} {answer.text.strip()}")
        sandbox.settle()
        items = stored(sandbox)
        check(
            len(items) == 1 and items[0]["kind"] == "story_mention",
            "the mention is stored as an inbound event",
        )
        for item in items:
            say(f"     {item['PK']} / {item['SK']}: {item['kind']}, received {item['received_at']}")
            say(f"     story URL kept (the media is never downloaded): {item.get('story_url', '')[:60]}…")
        delivered = [r for r in sandbox.stream_pump.seen if r["eventName"] == "INSERT"]
        check(
            len(delivered) == 1,
            "the table's stream carried the INSERT (the prize function takes it from here)",
        )
        say()

        say("3. Someone forges the same delivery without the app secret")
        forged = dict(headers, **{"X-Hub-Signature-256": sign(body, "not-the-app-secret")})
        answer = requests.post(
            f"{url}/webhook", data=body.replace(b"mid.demo", b"mid.forged"), headers=forged, timeout=10
        )
        check(answer.status_code == 403, f"answered {answer.status_code}: {answer.json().get('error')}")
        check(len(stored(sandbox)) == 1, "nothing new was stored")
        say()

        say("4. Meta redelivers the first POST (it does, at least once)")
        answer = requests.post(f"{url}/webhook", data=body, headers=headers, timeout=10)
        check(
            answer.status_code == 200 and answer.json().get("duplicates") == 1,
            f"answered {answer.status_code} {answer.text.strip()}",
        )
        sandbox.settle()
        check(len(stored(sandbox)) == 1, "still one inbound event: the redelivery was a no-op")
        say()

    if failures:
        say(f"Demo FAILED: {len(failures)} step(s) did not happen as they should.")
        return 1
    say("Demo complete: handshake answered, mention stored, forgery refused, redelivery deduplicated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
