"""`make demo`: the product's main job, end to end, on this machine — told in plain words.

Starts the sandbox and runs Meta's handshake; then two guests chat through signed webhook deliveries: Ana in
English (she leaves her email, and answers the venue's questions: first visit, so lunch or dinner), Ben choosing
German (he declines, and leaves the venue's question open). A redelivery and a forgery are shown to change nothing.
The clock moves an hour on: both are asked for a review; Ana says yes and opens the tracked Google link, Ben says no
and then STOPP. The transcript of each chat is printed. Then a second venue of the agency (Taquería Luna) is served
from the same webhook URL: one delivery carries a mention for each venue, and each guest hears from their own
venue's account. Last, Ana comes back the next day and takes the questions' other branch (a regular: her birthday
month, asked since she consented); her answers reach the sheet and the CRM. Exits non-zero if anything went wrong.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import timedelta

import boto3
import requests

from sandbox import meta_payloads
from sandbox.chat import Guest
from sandbox.runtime import ROOT, Sandbox, SandboxOptions
from tagback.adapters.meta.webhook import sign
from tagback.domain.stats import month_of
from tagback.store.schema import guest_key

failures: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)


def check(ok: bool, what: str) -> None:
    say(f"   {'✔' if ok else '✘'} {what}")
    if not ok:
        failures.append(what)


def handshake(sandbox: Sandbox, challenge: str) -> None:
    say("1. Meta subscribes the webhook (GET /webhook handshake)")
    query = {"hub.mode": "subscribe", "hub.verify_token": sandbox.options.verify_token, "hub.challenge": challenge}
    answer = requests.get(f"{sandbox.url}/webhook", params=query, timeout=10)
    check(answer.status_code == 200 and answer.text == challenge, f"answered {answer.status_code} with the challenge")
    wrong = requests.get(f"{sandbox.url}/webhook", params=query | {"hub.verify_token": "guess"}, timeout=10)
    check(wrong.status_code == 403, f"a wrong verify token gets {wrong.status_code}")


def dedupe_and_forgery(sandbox: Sandbox, ana: Guest, mention_mid: str) -> None:
    config = sandbox.config
    say("3. Meta redelivers Ana's story mention (it does, at least once), and someone forges one")
    now_ms = int(sandbox.clock.now().timestamp() * 1000)
    item = meta_payloads.story_mention(ana.guest_id, config.instagram_account_id, mention_mid, now_ms)
    body, headers = meta_payloads.signed(
        meta_payloads.envelope(config.instagram_account_id, [item]), sandbox.options.app_secret
    )
    answer = requests.post(f"{sandbox.url}/webhook", data=body, headers=headers, timeout=10)
    check(
        answer.status_code == 200 and answer.json().get("duplicates") == 1,
        f"the redelivery answered {answer.status_code} {answer.text.strip()}",
    )
    forged = dict(headers, **{"X-Hub-Signature-256": sign(body, "not-the-app-secret")})
    answer = requests.post(
        f"{sandbox.url}/webhook", data=body.replace(b"mid.story", b"mid.forged"), headers=forged, timeout=10
    )
    check(answer.status_code == 403, f"the forgery got {answer.status_code}: {answer.json().get('error')}")
    sandbox.settle()
    mentions = [
        i
        for i in sandbox.store.table.items_under(guest_key(ana.guest_id))
        if i["item_type"] == "inbound_event" and i["kind"] == "story_mention"
    ]
    check(len(mentions) == 1, "still one stored mention")
    check(ana.collect() == [], "and no second prize DM")


def save_coupon(sandbox: Sandbox, guest: Guest) -> None:
    award = next(i for i in sandbox.store.table.items_under(guest_key(guest.guest_id)) if i["item_type"] == "award")
    image = next(
        m
        for m in sandbox.graph.sent_messages()
        if m["json"]["recipient"]["id"] == guest.guest_id
        and "attachment" in m["json"]["message"]
        and m["json"]["message"]["attachment"]["type"] == "image"
    )
    picture = ROOT / "out" / f"coupon-{award['coupon_code']}.png"
    picture.parent.mkdir(exist_ok=True)
    picture.write_bytes(sandbox.graph.images[image["message_id"]])
    say(
        f"     {guest.guest_id}'s coupon {award['coupon_code']} ({award['prize_name']}) saved to "
        f"{picture.relative_to(ROOT)}"
    )


def play_chat(sandbox: Sandbox) -> tuple[Guest, Guest]:
    """The demo's two guests: Ana chats in English and leaves her email; Ben picks German and declines. An hour
    later both are asked for a review: Ana says yes and opens the Google link, Ben says no, then STOP."""
    ana, ben = Guest(sandbox, "6170000000000042"), Guest(sandbox, "6170000000000077")
    # Their Instagram profiles, as Meta's User Profile API answers (the owner sees names, never handles).
    sandbox.graph.profiles[ana.guest_id] = {"name": "Ana Sousa", "username": "ana.eats.lisbon"}
    sandbox.graph.profiles[ben.guest_id] = {"name": "Ben Krüger", "username": "benk"}
    delay = sandbox.config.followup_delay_minutes

    say("2. Ana posts a story that @mentions the venue and chats in English")
    ana_mention = ana.mention()
    ana.tap("English")
    ana.tap("Yes")
    ana.say("ana@example")
    ana.say("ana@example.com")
    ana.tap("Yes, first time")  # the venue's own questions: a first visit leads to "Lunch or dinner?"
    ana.tap("Lunch")
    say("   Ben does the same and picks German")
    ben.mention()
    ben.tap("Deutsch")
    ben.tap("Nein")
    save_coupon(sandbox, ana)
    save_coupon(sandbox, ben)
    schedules = sandbox.schedules()
    check(len([s for s in schedules if s["Input"].get("step") == "followup"]) == 2, "two review follow-ups scheduled")
    for schedule in schedules:
        zone = "" if schedule["ScheduleExpression"].startswith("cron") else " UTC"
        say(f"     {schedule['Name']}: {schedule['ScheduleExpression']}{zone}")
    say()

    dedupe_and_forgery(sandbox, ana, ana_mention)
    say()

    say(f"4. {delay} minutes later (the sandbox clock moves on): the follow-ups ask for a review")
    fired = sandbox.advance(delay)["fired"]
    check(len([name for name in fired if name.startswith("followup-")]) == 2, f"fired: {', '.join(fired)}")
    ana.collect()
    ben.collect()
    ana.tap("Yes")
    google = ana.transcript[-1].urls[0]
    answer = ana.follow(google)
    check(
        answer.status_code == 302
        and answer.headers["Location"].startswith("https://search.google.com/local/writereview?placeid="),
        f"Ana opens the Google link: {answer.status_code} → {answer.headers.get('Location')}",
    )
    ben.tap("Nein")
    ben.say("STOPP")
    ben.say("Hallo?")
    say()
    return ana, ben


def owner_integrations(sandbox: Sandbox) -> None:
    integrations = sandbox.config.integrations
    say("5. What the owner sees: the live Google Sheet (fake Sheets API) and the CRM webhook")
    sandbox.settle()
    if integrations.google_sheets is not None:
        rows = sandbox.google.rows.get(integrations.google_sheets.sheet, [])
        awards = [row for row in rows[1:] if row[1] == "award"]
        check(len(awards) == 2, f"the sheet {integrations.google_sheets.sheet!r} has one row per award")
        for row in rows:
            say("     " + " | ".join(row))
    if integrations.webhook is not None:
        received = sandbox.crm.requests
        check(
            bool(received) and all(r["signature_valid"] for r in received),
            f"the CRM received {len(received)} signed events: {', '.join(r['event'] for r in received)}",
        )
    say()


def monthly_report(sandbox: Sandbox) -> None:
    local = sandbox.clock.now().astimezone(sandbox.config.tz)
    say("6. The day ends: the daily snapshot (23:30 local) reads Meta's insights and the Google rating")
    snapshot = local.replace(hour=23, minute=31, second=0)
    if snapshot <= local:  # the demo ran late in the venue's evening: tomorrow's
        snapshot += timedelta(days=1)
    fired = sandbox.advance((snapshot - local).total_seconds() / 60)["fired"]
    check(any(name == "tagback-demo-DailySnapshot" for name in fired), f"fired: {', '.join(fired)}")
    local = sandbox.clock.now().astimezone(sandbox.config.tz)
    month = month_of(local)
    stats = sandbox.store.stats.month_totals(month)
    day = f"d{local.day:02d}"
    say(
        f"     followers {stats.get('followers_' + day)}, reach {stats.get('reach_' + day)}, "
        f"Google rating {stats.get('rating_' + day)} from {stats.get('rating_count_' + day)} reviews"
    )
    say()
    say(f"7. The monthly report for {month} (on the 1st it covers the month before; here, the demo's month)")
    answer = sandbox.functions["monthly_report"]({"month": month})
    check(
        answer.get("ses_message_id") is not None,
        f"emailed through SES to {', '.join(sandbox.config.report.recipients)}",
    )
    s3 = boto3.client("s3")
    out, named = ROOT / "out", f"{sandbox.config.client_id}-report-{month}"  # as `tagback.cli report` names it
    for suffix in ("html", "eml"):
        body = s3.get_object(Bucket=sandbox.resources.bucket, Key=f"reports/{month}.{suffix}")["Body"].read()
        (out / f"{named}.{suffix}").write_bytes(body)
        say(f"     {answer['copy'].rsplit('.', 1)[0]}.{suffix} → out/{named}.{suffix}")
    browser = shutil.which("chromium")
    if browser:  # what the owner sees, as a picture (Debian's chromium; `make demo` does not install it)
        picture = out / f"{named}.png"
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--hide-scrollbars",
                    f"--user-data-dir={profile}",
                    "--window-size=700,2600",  # the whole report, as long as it is
                    f"--screenshot={picture}",
                    (out / f"{named}.html").as_uri(),
                ],
                capture_output=True,
                timeout=120,
                check=False,
            )
        say(f"     rendered by Chromium → out/{picture.name}")
    say()


def second_venue(sandbox: Sandbox) -> None:
    """The agency's other venue on the same app and webhook URL: one delivery carries a mention for each venue."""
    demo, luna = sandbox.venue("demo"), sandbox.venue("luna")
    say(f"8. {luna.config.venue_name} ({luna.config.timezone}), another venue of the agency, on the same webhook URL")
    carla, dan = Guest(sandbox, "6170000000000123", client_id="luna"), Guest(sandbox, "6170000000000124")
    now_ms = int(sandbox.clock.now().timestamp() * 1000)
    body, headers = meta_payloads.signed(
        meta_payloads.entries(
            *(
                (
                    venue.config.instagram_account_id,
                    [meta_payloads.story_mention(guest.guest_id, guest.account, mid, now_ms)],
                )
                for venue, guest, mid in ((luna, carla, "mid.story.luna.1"), (demo, dan, "mid.story.demo.9"))
            )
        ),
        sandbox.options.app_secret,
    )
    answer = requests.post(f"{sandbox.url}/webhook", data=body, headers=headers, timeout=10)
    check(
        answer.status_code == 200 and answer.json().get("stored") == 2,
        f"one signed delivery with an entry for each venue: {answer.status_code} {answer.text.strip()}",
    )
    sandbox.settle()
    carla.collect(), dan.collect()
    carla.tap("Español")
    dan.tap("English")
    for guest, venue in ((carla, luna), (dan, demo)):
        award = next(i for i in venue.store.table.items_under(guest_key(guest.guest_id)) if i["item_type"] == "award")
        prize = next(m for m in sandbox.graph.sent_messages() if m["message_id"] == award["text_mid"])
        check(
            prize["account_id"] == venue.config.instagram_account_id,
            f"{guest.guest_id} got {award['prize_name']} from {venue.config.venue_name}'s account "
            f"({prize['account_id']}), stored in its table {venue.resources.table_name} only",
        )
        other = luna if venue is demo else demo
        check(
            other.store.table.items_under(guest_key(guest.guest_id)) == [], f"nothing in {other.resources.table_name}"
        )
    say("   Transcript: Carla at Taquería Luna")
    for line in carla.transcript:
        say(f"   {line}")
    say()


def next_day(sandbox: Sandbox, ana: Guest) -> None:
    """Ana again, another day: the questions' other branch, and every answer in the owner's sheet and CRM."""
    local = sandbox.clock.now().astimezone(sandbox.config.tz)
    say("9. The next day Ana posts another story: a regular now, she takes the other branch of the venue's questions")
    morning = (local + timedelta(days=1)).replace(hour=11, minute=0, second=0)
    sandbox.advance((morning - local).total_seconds() / 60)
    before = len(ana.transcript)
    ana.mention()
    ana.tap("No, I'm a regular")
    ana.say("March")  # the birthday month: personal, asked since she left her email with consent
    for line in ana.transcript[before:]:
        say(f"   {line}")
    thanks = sandbox.config.question("birthday-month")
    check(
        thanks is not None and ana.transcript[-1].text == thanks.say.get("en"),
        "Ana's birthday month is understood and answered",
    )
    sandbox.settle()
    expected = {"first-visit": ["yes", "no"], "meal": ["lunch"], "birthday-month": ["03"]}
    sheets = sandbox.config.integrations.google_sheets
    if sheets is not None:
        rows = [row for row in sandbox.google.rows.get(sheets.sheet, [])[1:] if row[1] == "answer"]
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row[-2], []).append(row[-1])
        check(found == expected, f"the sheet has Ana's answers by question: {found}")
    if sandbox.config.integrations.webhook is not None:
        answers = [r["json"] for r in sandbox.crm.requests if r["event"] == "answer"]
        check(
            sorted((a["question"], a["answer"]) for a in answers)
            == sorted((q, a) for q, given in expected.items() for a in given),
            f"the CRM received {len(answers)} signed answer events with their question ids",
        )
    say()


def main() -> int:
    # A free port unless PORT is set, so the demo runs beside a `make sandbox` already on 8787.
    options = replace(SandboxOptions.from_environ(), port=int(os.environ.get("PORT", "0")))
    with Sandbox(options) as sandbox:
        config = sandbox.config
        venues = ", ".join(f"{v.config.venue_name} ({v.client_id})" for v in sandbox.venues)
        say(f"Tagback sandbox: the agency's edge on {sandbox.url} (one webhook URL) for {venues}")
        say(f"AWS is moto at {sandbox.aws_endpoint}; Meta's Graph API is faked at {sandbox.graph_url}.")
        say(f"The functions' logs and metrics (CloudWatch's part) go to {sandbox.function_log.relative_to(ROOT)}.")
        say()
        handshake(sandbox, secrets.token_hex(8))
        say()
        ana, ben = play_chat(sandbox)
        for guest, name in ((ana, "Ana"), (ben, "Ben")):
            say(f"Transcript: {name} ({guest.guest_id})")
            for line in guest.transcript:
                say(f"   {line}")
            say()
        totals = sandbox.store.stats.month_totals(month_of(sandbox.clock.now(), config.tz))
        check(totals.get("review_link_clicks_google") == 1, f"the month's counters: {totals}")
        check(ben.transcript[-1].text == "Hallo?", "after STOPP, Ben gets no answer at all")
        say()
        owner_integrations(sandbox)
        monthly_report(sandbox)
        second_venue(sandbox)
        next_day(sandbox, ana)

    if failures:
        say(f"Demo FAILED: {len(failures)} step(s) did not happen as they should.")
        return 1
    say(
        "Demo complete: two guests chatted in their languages and got their prizes and coupons; Ana left her email; "
        "an hour later both were asked for a review; Ana's link was tracked; Ben opted out. A second venue was served "
        "from the same webhook URL, each guest by their own venue. Ana took both branches of the venue's questions."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
