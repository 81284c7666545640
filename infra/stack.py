"""One venue's stack: `Tagback-<client-id>`, composed of the constructs in infra/components/.

The table and the bucket (what outlives the stack); the venue's side of the edge (the edge's webhook may write the
table; the venue registers itself in the edge's registry); the layers every function runs on; the conversation (the
prize function on the table's stream, review_followup on the follow-up schedules); the token's upkeep; a guest's
erasure; the owner's integrations (the owner_delivery function on the stream's outbox items); the monthly report.
Each construct grants its functions what their code does; every queue holds what failed and is alarmed. The edge
(`Tagback-Edge`, infra/edge_stack.py) serves the venue's public routes: the venue stack has no API of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.components.conversation import Conversation
from infra.components.erasure import GuestErasure
from infra.components.function import VenueLayers
from infra.components.owner_integrations import OwnerIntegrations
from infra.components.registration import Registration
from infra.components.reporting import Reporting
from infra.components.storage import Storage
from infra.components.tokens import TokenUpkeep
from infra.names import SCHEDULED_OUTPUTS
from tagback.config.model import ClientConfig

_REPLAY = "python -m tagback.cli replay --stack <this stack>"


class TagbackStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ClientConfig,
        agency_name: str,
        build_dir: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, description=f"Tagback for {config.venue_name}", **kwargs)
        storage = Storage(self, "Storage", config=config)
        registration = Registration(self, "Registration", config=config, storage=storage)
        layers = VenueLayers(self, "Layers", config=config, build_dir=build_dir)
        conversation = Conversation(
            self,
            "Conversation",
            config=config,
            layers=layers,
            storage=storage,
            link_prefix=registration.link_prefix,
            coupon_prefix=registration.coupon_prefix,
        )
        TokenUpkeep(self, "TokenUpkeep", config=config, storage=storage, conversation=conversation)
        GuestErasure(self, "GuestErasure", storage=storage, conversation=conversation)
        integrations = OwnerIntegrations(
            self, "OwnerIntegrations", config=config, layers=layers, storage=storage, conversation=conversation
        )
        reporting = Reporting(
            self,
            "Reporting",
            config=config,
            agency_name=agency_name,
            layers=layers,
            storage=storage,
            schedule_group=conversation.schedule_group_resource,
        )

        # What the CLI (replay, export, report) and the operator read: names and values as first deployed.
        CfnOutput(
            self,
            "TableName",
            value=storage.table.table_name,
            description="the venue's table: kept (with its data) when the stack is deleted",
        )
        CfnOutput(
            self,
            "BucketName",
            value=storage.bucket.bucket_name,
            description="coupon images and report copies: kept when the stack is deleted",
        )
        CfnOutput(self, "PrizeFunctionName", value=conversation.prize.function.function_name)
        CfnOutput(
            self,
            "PrizeDeadLetterQueueUrl",
            value=conversation.prize_dead_letters.queue_url,
            description=f"{_REPLAY} replays it",
        )
        CfnOutput(self, "OwnerDeliveryFunctionName", value=integrations.owner_delivery.function.function_name)
        CfnOutput(
            self,
            "IntegrationDeadLetterQueueUrl",
            value=integrations.dead_letters.queue_url,
            description=f"{_REPLAY} replays it through the owner_delivery function",
        )
        for name, function, queue in (
            (SCHEDULED_OUTPUTS["review_followup"], conversation.review_followup, conversation.followup_failures),
            (SCHEDULED_OUTPUTS["monthly_report"], reporting.monthly_report, reporting.failures),
        ):
            CfnOutput(self, f"{name}FunctionName", value=function.function.function_name)
            CfnOutput(
                self,
                f"{name}FailureQueueUrl",
                value=queue.queue_url,
                description=f"{_REPLAY} replays it through the function",
            )
