"""The owner's sinks (live Google Sheet, signed CRM webhook), decoupled from the DM: the owner_delivery function on the
outbox items of the table's stream, on a layer of its own (Google's auth stays out of the conversation's), with its
own dead-letter queue, the sinks' secrets and nothing of the conversation's grants."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.components.conversation import Conversation
from infra.components.deployed import keep_logical_id
from infra.components.function import VenueFunction, VenueLayers
from infra.components.queues import FailureQueue
from infra.components.storage import Storage
from infra.event_sources import OUTBOX_STREAM
from tagback.config.model import ClientConfig

# The only items of the table the owner's delivery touches: the outbox (tagback.store.outbox).
OUTBOX_KEYS = "OUTBOX#*"


class OwnerIntegrations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ClientConfig,
        layers: VenueLayers,
        storage: Storage,
        conversation: Conversation,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = FailureQueue(
            self,
            "DeadLetters",
            purpose="owner events a sink (sheet, CRM) refused or stayed unavailable for",
            logical_ids=("IntegrationDeadLetters6A9F4563", "IntegrationDeadLettersPolicyB35B5E61"),
        )
        # Peak 97 MB delivering an award to both sinks (docs/cost.md, Memory): 256 MB by the rule, as nobody waits
        # for it. A batch's worst is ten records each waiting out both sinks' timeouts (3.05 s to connect, 10 s to
        # read) after Google's token did: 4.6 minutes.
        self.owner_delivery = VenueFunction(
            self,
            "OwnerDelivery",
            name="owner_delivery",
            layers=layers,
            table=storage.table,
            timeout=Duration.minutes(5),
            memory_mb=256,
            environment={"OUTBOX_DLQ_URL": self.dead_letters.queue_url},  # what a sink refuses, dead-lettered at once
        )
        function = self.owner_delivery
        # An outbox item read (the sinks it reached: GetItem), each sink's mark and a guest.erased event's contacts
        # removed (UpdateItem): on outbox items only.
        function.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem"],
                resources=[storage.table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [OUTBOX_KEYS]}},
            )
        )
        sinks = config.integrations
        secrets = [
            secret
            for secret in (
                sinks.google_sheets.service_account_param if sinks.google_sheets else None,
                sinks.webhook.secret_param if sinks.webhook else None,
            )
            if secret is not None
        ]
        if secrets:  # a venue without sinks: its owner events are only marked delivered, with no secret read
            function.read_secrets(secrets)
        # Retried longer than inbound events (transient outages); what a sink refuses for good the function
        # dead-letters itself, at once, as the mapping's on-failure grant allows. The mapping deployed on the prize
        # function keeps its logical id: CloudFormation points it at this function in place, and Lambda keeps its
        # position in the stream (docs/design.md, "Owner integrations").
        mapping = storage.stream_to(self, "Outbox", function, OUTBOX_STREAM, self.dead_letters)
        keep_logical_id(mapping, "PrizeFunctionOwnerIntegrationsFFCA211E")
        # On an update, the prize function (its code without the outbox's path, its role without the sinks' secrets)
        # changes only once the mapping no longer invokes it.
        conversation.prize.node.add_dependency(mapping)
