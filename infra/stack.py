"""One venue's stack: `Tagback-<client-id>`, composed of the constructs in infra/components/.

The table and the bucket (what outlives the stack); the layers every function runs on; the HTTP API in front of
the webhook function; the conversation (the prize function on the table's stream, review_followup on the follow-up
schedules); the owner's integrations (the prize function's second mapping); the monthly report. Each construct
grants its functions what their code does; every queue holds what failed and is alarmed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.components.api import Api
from infra.components.conversation import Conversation
from infra.components.function import Layers
from infra.components.owner_integrations import OwnerIntegrations
from infra.components.reporting import Reporting
from infra.components.storage import Storage
from tagback.config.model import ClientConfig

_REPLAY = "python -m tagback.cli replay --stack <this stack>"


class TagbackStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: ClientConfig, build_dir: Path, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, description=f"Tagback for {config.venue_name}", **kwargs)
        storage = Storage(self, "Storage")
        layers = Layers(self, "Layers", config=config, build_dir=build_dir)
        api = Api(self, "Api", config=config, layers=layers, table=storage.table)
        conversation = Conversation(
            self, "Conversation", config=config, layers=layers, storage=storage, public_url=api.http_api.api_endpoint
        )
        integrations = OwnerIntegrations(
            self, "OwnerIntegrations", config=config, storage=storage, conversation=conversation
        )
        reporting = Reporting(
            self,
            "Reporting",
            config=config,
            layers=layers,
            storage=storage,
            schedule_group=conversation.schedule_group_resource,
        )

        # What the CLI (replay, export, report) and the operator read: names and values as first deployed.
        CfnOutput(
            self,
            "WebhookUrl",
            value=f"{api.http_api.api_endpoint}/webhook",
            description="Callback URL for Meta's app dashboard (Webhooks → Instagram)",
        )
        CfnOutput(self, "TableName", value=storage.table.table_name)
        CfnOutput(self, "PrizeFunctionName", value=conversation.prize.function.function_name)
        CfnOutput(
            self,
            "PrizeDeadLetterQueueUrl",
            value=conversation.prize_dead_letters.queue_url,
            description=f"{_REPLAY} replays it",
        )
        CfnOutput(
            self,
            "IntegrationDeadLetterQueueUrl",
            value=integrations.dead_letters.queue_url,
            description=f"{_REPLAY} replays it too",
        )
        for name, function, queue in (
            ("FollowUp", conversation.review_followup, conversation.followup_failures),
            ("Report", reporting.monthly_report, reporting.failures),
        ):
            CfnOutput(self, f"{name}FunctionName", value=function.function.function_name)
            CfnOutput(
                self,
                f"{name}FailureQueueUrl",
                value=queue.queue_url,
                description=f"{_REPLAY} replays it through the function",
            )
