"""The public HTTP routes and the function behind each: the stack's API and the sandbox adapter both read this."""

from __future__ import annotations

from typing import Final, NamedTuple


class Route(NamedTuple):
    method: str
    path: str
    function: str


API_ROUTES: Final = (
    Route("GET", "/webhook", "webhook"),  # Meta's subscription handshake
    Route("POST", "/webhook", "webhook"),  # Meta's deliveries
)
