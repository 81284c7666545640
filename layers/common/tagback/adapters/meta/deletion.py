"""Meta's data deletion callback: the `signed_request` it POSTs when a person asks Meta to delete what an app holds
about them (../shared/reference/meta-messaging.md).

`signed_request` = `<base64url signature>.<base64url payload>`; the signature is HMAC-SHA256 of the *encoded* payload
with the app secret; the payload is JSON `{"algorithm": "HMAC-SHA256", "expires", "issued_at", "user_id"}`, where
`user_id` is the app-scoped id of the person: for Instagram messaging, the guest's IGSID.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from datetime import datetime

_USER_ID = re.compile(r"^[0-9]{1,32}$")
ALGORITHM = "HMAC-SHA256"


class SignedRequestRefused(Exception):
    """Not a request Meta signed for this app, or no longer valid: `status` is the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason = status, reason
        super().__init__(f"{status}: {reason}")


def _b64url(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise SignedRequestRefused(400, "signed_request is not base64url") from None


def sign_request(payload: dict[str, object], app_secret: str) -> str:
    """A signed_request as Meta makes it (the sandbox and the tests play Meta with it)."""
    encoded = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=").decode()
    signature = hmac.new(app_secret.encode(), encoded.encode(), hashlib.sha256).digest()
    return f"{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}.{encoded}"


def user_to_delete(signed_request: str, app_secret: str, now: datetime) -> str:
    """The user id of a genuine, unexpired request. Raises SignedRequestRefused: 400 when malformed or of another
    algorithm, 403 when the signature does not verify or it has expired."""
    encoded_signature, dot, encoded_payload = signed_request.partition(".")
    if not dot or not encoded_signature or not encoded_payload or not encoded_payload.isascii():
        raise SignedRequestRefused(400, "signed_request is not <signature>.<payload>")
    signature = _b64url(encoded_signature)
    expected = hmac.new(app_secret.encode(), encoded_payload.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise SignedRequestRefused(403, "the signature does not verify with the app secret")
    try:
        payload = json.loads(_b64url(encoded_payload))
    except ValueError:
        raise SignedRequestRefused(400, "the payload is not JSON") from None
    if not isinstance(payload, dict):
        raise SignedRequestRefused(400, "the payload is not an object")
    if str(payload.get("algorithm", "")).upper() != ALGORITHM:
        raise SignedRequestRefused(400, f"the algorithm is not {ALGORITHM}")
    expires = payload.get("expires")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise SignedRequestRefused(400, "expires is not a time")
    if expires and now.timestamp() >= expires:  # 0 or none: Meta set no expiry
        raise SignedRequestRefused(403, "the request has expired")
    user_id = str(payload.get("user_id", ""))
    if not _USER_ID.match(user_id):
        raise SignedRequestRefused(400, "user_id is not an app-scoped user id")
    return user_id
