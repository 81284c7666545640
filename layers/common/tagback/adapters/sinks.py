"""What the owner's HTTP sinks (sheet, CRM) share: their timeouts, and which answers are worth a retry."""

from __future__ import annotations

import requests

from tagback.domain.events import SinkRefused, SinkUnavailable

TIMEOUT = (3.05, 10.0)


def status_error(sink: str, response: requests.Response, fix: str) -> Exception:
    if response.status_code in (408, 429) or response.status_code >= 500:
        return SinkUnavailable(f"{sink}: HTTP {response.status_code}")
    return SinkRefused(sink, f"HTTP {response.status_code}: {response.text[:200]}", fix)
