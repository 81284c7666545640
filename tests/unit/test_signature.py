"""Signature and handshake, with the test vectors of ../shared/reference/meta-messaging.md."""

from __future__ import annotations

import json

from tagback.adapters.meta.webhook import handshake_challenge, sign, signature_is_valid
from tests.conftest import APP_SECRET

ESCAPED = rb'{"text":"caf\u00e9"}'
RAW_UTF8 = '{"text":"café"}'.encode()


def test_reference_vectors_hash_the_raw_bytes() -> None:
    assert sign(ESCAPED, APP_SECRET) == "sha256=9cf2f2626fa29e58a1dc6c101c2ec0f8f6c65d7f6424cb2da85fe4a70a7cb98e"
    assert sign(RAW_UTF8, APP_SECRET) == "sha256=ad6753b204e560b3315ccfea5b1f699c2ec3a4327d43672b0ae62ef0432c0a9c"


def test_reserialising_the_body_would_break_the_signature() -> None:
    body = rb'{"url":"https:\/\/lookaside.fbsbx.com\/x","text":"caf\u00e9"}'
    header = sign(body, APP_SECRET)
    assert signature_is_valid(body, header, APP_SECRET)
    reserialised = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()
    assert not signature_is_valid(reserialised, header, APP_SECRET)


def test_missing_wrong_or_odd_headers_are_invalid() -> None:
    header = sign(ESCAPED, APP_SECRET)
    assert not signature_is_valid(ESCAPED, None, APP_SECRET)
    assert not signature_is_valid(ESCAPED, "", APP_SECRET)
    assert not signature_is_valid(ESCAPED, header.removeprefix("sha256="), APP_SECRET)
    assert not signature_is_valid(ESCAPED, header, "another-secret")
    assert not signature_is_valid(ESCAPED + b" ", header, APP_SECRET)
    assert not signature_is_valid(ESCAPED, "sha256=é" + header[8:], APP_SECRET)


def test_handshake_echoes_the_challenge_only_for_our_token() -> None:
    good = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert handshake_challenge(good, "tok") == "1158201444"
    assert handshake_challenge(good | {"hub.verify_token": "nope"}, "tok") is None
    assert handshake_challenge(good | {"hub.mode": "unsubscribe"}, "tok") is None
    assert handshake_challenge({"hub.mode": "subscribe", "hub.verify_token": "tok"}, "tok") is None
    assert handshake_challenge({}, "tok") is None
