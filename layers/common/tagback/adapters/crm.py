"""The owner's CRM (or any HTTPS endpoint): each owner event POSTed as JSON, signed with a shared secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict

import requests

from tagback.adapters.sinks import TIMEOUT, status_error
from tagback.domain.events import OutboxEvent, SinkUnavailable


def webhook_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class CrmWebhookSink:
    """POSTs the event as JSON, signed (`X-Tagback-Signature`), with a delivery id for the receiver's dedupe."""

    name = "webhook"  # the client file's `integrations.webhook`; stored in outbox items' `delivered_<name>` marks

    def __init__(self, *, url: str, secret: str, client_id: str) -> None:
        self.url, self._secret, self.client_id = url, secret, client_id
        self._session = requests.Session()

    def deliver(self, event: OutboxEvent) -> None:
        document = {
            "client_id": self.client_id,
            **asdict(event),
            "occurred_at": event.occurred_at.isoformat(),
            "consent_at": event.consent_at.isoformat() if event.consent_at else None,
        }
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Tagback-Signature": webhook_signature(body, self._secret),
            "X-Tagback-Delivery": event.event_id,
            "X-Tagback-Event": event.event_type,
        }
        try:
            response = self._session.post(self.url, data=body, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise SinkUnavailable(f"{self.name}: {type(error).__name__}") from None
        if not response.ok:
            raise status_error(self.name, response, f"check integrations.webhook.url ({self.url}) and its secret")
