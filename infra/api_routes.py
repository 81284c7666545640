"""The edge's public HTTP routes and the function behind each: the edge stack's API and the sandbox both read this."""

from __future__ import annotations

import re
from typing import Final, NamedTuple


class Throttle(NamedTuple):
    """A route's own limit, API Gateway's token bucket: `rate` requests a second, `burst` at once."""

    rate: int
    burst: int


class Route(NamedTuple):
    method: str
    path: str  # API Gateway's syntax: /l/{token}
    function: str
    throttle: Throttle

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when a request is for this route (as API Gateway matches it), else None."""
        pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        found = re.fullmatch(pattern, path) if method == self.method else None
        return found.groupdict() if found else None


# Each route's own limit (docs/design.md, "Throttling"), so a flood of one cannot take another's share: sized for an
# agency of 200 venues all at a Saturday night's peak at once, with room to spare. Together they stay below the
# stage's default (infra/components/api.py), itself far below the account's 10,000 requests a second.
# Meta's deliveries: a busy venue's peak is ~2 mentions a minute, each conversation ~8 deliveries (the mention, the
# guest's replies, our DMs' echoes and read receipts): 200 venues × 16 a minute ≈ 55 a second, retries on top.
DELIVERIES = Throttle(rate=200, burst=400)
# Meta's subscription handshake: when the agency (re)subscribes the app, a few a day.
HANDSHAKE = Throttle(rate=2, burst=5)
# Guests' clicks on a review link, and the link previews Instagram fetches of it: ~4 a minute per venue at its peak,
# 200 venues ≈ 13 a second.
LINK_CLICKS = Throttle(rate=50, burst=100)
# Meta's data deletion callbacks (a person removing the app) and their status page: a few a day across the agency.
DATA_DELETION = Throttle(rate=5, burst=10)
# A page at the counter: a handful a minute per venue at its busiest.
REDEMPTION = Throttle(rate=10, burst=20)

API_ROUTES: Final = (
    Route("GET", "/webhook", "webhook", HANDSHAKE),  # Meta's subscription handshake
    Route("POST", "/webhook", "webhook", DELIVERIES),  # Meta's deliveries
    Route("GET", "/l/{client}/{token}", "webhook", LINK_CLICKS),  # a venue's tracked review links: count, 302 on
    Route("POST", "/meta/data-deletion", "webhook", DATA_DELETION),  # erase the person everywhere
    Route("GET", "/meta/data-deletion/{code}", "webhook", DATA_DELETION),  # its status page, Meta links the person to
    Route("GET", "/c/{client}/{code}", "redemption", REDEMPTION),  # the coupon's QR code: staff see what it is
    Route("POST", "/c/{client}/{code}", "redemption", REDEMPTION),  # staff redeem it with their PIN
)
