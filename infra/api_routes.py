"""The edge's public HTTP routes and the function behind each: the edge stack's API and the sandbox both read this."""

from __future__ import annotations

import re
from typing import Final, NamedTuple


class Route(NamedTuple):
    method: str
    path: str  # API Gateway's syntax: /l/{token}
    function: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when a request is for this route (as API Gateway matches it), else None."""
        pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        found = re.fullmatch(pattern, path) if method == self.method else None
        return found.groupdict() if found else None


API_ROUTES: Final = (
    Route("GET", "/webhook", "webhook"),  # Meta's subscription handshake
    Route("POST", "/webhook", "webhook"),  # Meta's deliveries
    Route("GET", "/l/{client}/{token}", "webhook"),  # a venue's tracked review links: count the click, 302 on
    Route("POST", "/meta/data-deletion", "webhook"),  # Meta's data deletion callback: erase the person everywhere
    Route("GET", "/meta/data-deletion/{code}", "webhook"),  # its status page, which Meta links the person to
    Route("GET", "/c/{client}/{code}", "redemption"),  # the coupon's QR code: staff see what the coupon is
    Route("POST", "/c/{client}/{code}", "redemption"),  # staff redeem it with their PIN
)
