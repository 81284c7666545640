"""The owner's sinks (live Google Sheet, signed CRM webhook), decoupled from the DM: the prize function's second
mapping, on the outbox items of the table's stream, with its own dead-letter queue and the sinks' secrets."""

from __future__ import annotations

from constructs import Construct

from infra.components.conversation import Conversation
from infra.components.deployed import keep_logical_id
from infra.components.queues import FailureQueue
from infra.components.storage import Storage
from infra.event_sources import OUTBOX_STREAM
from tagback.config.model import ClientConfig


class OwnerIntegrations(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: ClientConfig, storage: Storage, conversation: Conversation
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = FailureQueue(
            self,
            "DeadLetters",
            purpose="owner events a sink (sheet, CRM) refused or stayed unavailable for",
            logical_ids=("IntegrationDeadLetters6A9F4563", "IntegrationDeadLettersPolicyB35B5E61"),
        )
        # Only the prize function delivers to the owner, so only it dead-letters here.
        conversation.prize.function.add_environment("OUTBOX_DLQ_URL", self.dead_letters.queue_url)
        sinks = config.integrations
        conversation.prize.read_secrets(
            secret
            for secret in (
                sinks.google_sheets.service_account_param if sinks.google_sheets else None,
                sinks.webhook.secret_param if sinks.webhook else None,
            )
            if secret is not None
        )
        # Retried longer than inbound events (transient outages); what a sink refuses for good the function
        # dead-letters itself, at once, as the mapping's on-failure grant allows.
        keep_logical_id(
            storage.stream_to(self, "Outbox", conversation.prize, OUTBOX_STREAM, self.dead_letters),
            "PrizeFunctionOwnerIntegrationsFFCA211E",
        )
