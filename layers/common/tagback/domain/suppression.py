"""A guest's STOP, remembered beyond the retention period: each entry of the client's suppression list is keyed by
a keyed hash of the guest id (HMAC-SHA256 with the client's coupon signing key), so the list holds no guest id, and
without the key no one can tell whose entries they are or test a guest id against them."""

from __future__ import annotations

import hashlib
import hmac


def suppression_key(guest_id: str, signing_key: str) -> str:
    # The key also signs coupon codes: the label keeps the two uses apart.
    return hmac.new(signing_key.encode(), f"suppression:{guest_id}".encode(), hashlib.sha256).hexdigest()
