"""`make demo`: the product's main job, end to end, on this machine — told in plain words.

Starts the sandbox, runs Meta's handshake, posts a signed story mention, shows the prize DM and the scheduled
follow-up, posts a forged delivery and a redelivery, then moves the clock an hour on so the follow-up asks for a
review. Exits non-zero if anything did not happen as it should.
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
    return [i for i in sandbox.repository.items_under(guest_key(GUEST)) if i["item_type"] == "inbound_event"]


def sent_to_guest(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [m for m in sandbox.graph.sent_messages() if m["json"]["recipient"]["id"] == GUEST]


def handshake(sandbox: Sandbox, challenge: str) -> None:
    say("1. Meta subscribes the webhook (GET /webhook handshake)")
    query = {"hub.mode": "subscribe", "hub.verify_token": sandbox.options.verify_token, "hub.challenge": challenge}
    answer = requests.get(f"{sandbox.url}/webhook", params=query, timeout=10)
    check(answer.status_code == 200 and answer.text == challenge, f"answered {answer.status_code} with the challenge")
    wrong = requests.get(f"{sandbox.url}/webhook", params=query | {"hub.verify_token": "guess"}, timeout=10)
    check(wrong.status_code == 403, f"a wrong verify token gets {wrong.status_code}")


def story_mention(sandbox: Sandbox, mid: str) -> tuple[bytes, dict[str, str]]:
    config = sandbox.config
    say(f"2. A guest posts a story that @mentions {config.venue_name}; Meta posts it, signed")
    now_ms = int(sandbox.clock.now().timestamp() * 1000)
    mention = meta_payloads.story_mention(GUEST, config.instagram_account_id, mid, now_ms)
    body, headers = meta_payloads.signed(
        meta_payloads.envelope(config.instagram_account_id, [mention]), sandbox.options.app_secret
    )
    answer = requests.post(f"{sandbox.url}/webhook", data=body, headers=headers, timeout=10)
    check(answer.status_code == 200, f"answered {answer.status_code} {answer.text.strip()}")
    sandbox.settle()
    items = stored(sandbox)
    check(len(items) == 1 and items[0]["kind"] == "story_mention", "the mention is stored as an inbound event")
    for item in items:
        say(f"     {item['PK']} / {item['SK']}: {item['kind']}, received {item['received_at']}")
        say(f"     story URL kept (the media is never downloaded): {item.get('story_url', '')[:60]}…")
    return body, headers


def prize_dm(sandbox: Sandbox) -> None:
    say("3. Seconds later the prize function (on the table's stream) has DMed the prize")
    messages = sent_to_guest(sandbox)
    texts = [m["json"]["message"]["text"] for m in messages if "text" in m["json"]["message"]]
    images = [m for m in messages if m["json"]["message"].get("attachment", {}).get("type") == "image"]
    award = next(i for i in sandbox.repository.items_under(guest_key(GUEST)) if i["item_type"] == "award")
    check(len(texts) == 1 and award.get("coupon_code", "?") in texts[0], "the prize text with the coupon code")
    for text in texts:
        say(f"     DM: {text}")
    check(len(images) == 1, "then the coupon image (Meta fetched it from the presigned S3 URL)")
    out = ROOT / "out"
    out.mkdir(exist_ok=True)
    for image in images:
        picture = out / f"coupon-{award['coupon_code']}.png"
        picture.write_bytes(sandbox.graph.images[image["message_id"]])
        say(f"     image saved to {picture.relative_to(ROOT)}")
    check(award["state"] == "dm_sent", f"the award for {award['period']} ends in state {award['state']}")
    schedules = sandbox.schedules()
    check(len(schedules) == 1, "the review follow-up is scheduled")
    for schedule in schedules:
        say(
            f"     {schedule['Name']}: {schedule['ScheduleExpression']} UTC "
            f"({sandbox.config.followup_delay_minutes} min after the award), then deleted"
        )


def forgery_and_redelivery(sandbox: Sandbox, body: bytes, headers: dict[str, str]) -> None:
    say("4. Someone forges the same delivery without the app secret")
    forged = dict(headers, **{"X-Hub-Signature-256": sign(body, "not-the-app-secret")})
    answer = requests.post(
        f"{sandbox.url}/webhook", data=body.replace(b"mid.demo", b"mid.forged"), headers=forged, timeout=10
    )
    check(answer.status_code == 403, f"answered {answer.status_code}: {answer.json().get('error')}")
    check(len(stored(sandbox)) == 1, "nothing new was stored")
    say()
    say("5. Meta redelivers the first POST (it does, at least once)")
    answer = requests.post(f"{sandbox.url}/webhook", data=body, headers=headers, timeout=10)
    check(
        answer.status_code == 200 and answer.json().get("duplicates") == 1,
        f"answered {answer.status_code} {answer.text.strip()}",
    )
    sandbox.settle()
    check(len(stored(sandbox)) == 1, "still one inbound event: the redelivery was a no-op")
    check(len(sent_to_guest(sandbox)) == 2, "and no second prize DM")


def follow_up(sandbox: Sandbox) -> None:
    delay = sandbox.config.followup_delay_minutes
    say(f"6. {delay} minutes later (the sandbox clock moves on)")
    fired = sandbox.advance(delay)["fired"]
    check(len(fired) == 1, f"the schedule fired: {', '.join(fired)}")
    question = sent_to_guest(sandbox)[-1]["json"]["message"]
    check("review" in question.get("text", ""), "the guest is asked for a review, with Yes / No replies")
    say(f"     DM: {question.get('text')}  [{' | '.join(q['title'] for q in question.get('quick_replies', []))}]")
    check(sandbox.schedules() == [], "the one-shot schedule deleted itself")


def main() -> int:
    # A free port unless PORT is set, so the demo runs beside a `make sandbox` already on 8787.
    options = replace(SandboxOptions.from_environ(), port=int(os.environ.get("PORT", "0")))
    with Sandbox(options) as sandbox:
        config = sandbox.config
        say(f"Tagback sandbox for {config.venue_name} (client {config.client_id}) on {sandbox.url}")
        say(f"AWS is moto at {sandbox.aws_endpoint}; Meta's Graph API is faked at {sandbox.graph_url}.")
        say(f"The functions' logs and metrics (CloudWatch's part) go to {sandbox.function_log.relative_to(ROOT)}.")
        say()
        challenge = secrets.token_hex(8)
        handshake(sandbox, challenge)
        say()
        body, headers = story_mention(sandbox, f"mid.demo.{challenge}")
        say()
        prize_dm(sandbox)
        say()
        forgery_and_redelivery(sandbox, body, headers)
        say()
        follow_up(sandbox)
        say()

    if failures:
        say(f"Demo FAILED: {len(failures)} step(s) did not happen as they should.")
        return 1
    say(
        "Demo complete: mention stored, prize and coupon DMed, forgery refused, redelivery deduplicated, "
        "review asked an hour later."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
