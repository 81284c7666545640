"""A guest's erasure, in the venue: the prize function fulfils the erasure requests that reach it on the table's
stream (the PRIZE_STREAM filter admits them), with grants of its own for what erasing does beyond the conversation,
and reports each outcome of Meta's data deletion requests in the edge's table (tagback.app.erasure)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.components.conversation import Conversation
from infra.components.storage import Storage
from infra.names import EDGE_TABLE_PARAMETER

# The only items of the edge's table a venue may touch: Meta's data deletion requests (store/registry.DataDeletions).
DATA_DELETION_KEYS = "DELETION#*"


class GuestErasure(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, storage: Storage, conversation: Conversation) -> None:
        super().__init__(scope, construct_id)
        prize = conversation.prize
        # The guest's partition (Query), what names them elsewhere (Scan), deleted (DeleteItem) or moved to an
        # anonymous id (a transaction of PutItem and DeleteItem, which the engine's PutItem and this cover). START
        # deletes the guest's suppression entry with it too.
        storage.table.grant(prize.function, "dynamodb:Query", "dynamodb:Scan", "dynamodb:DeleteItem")
        storage.grant_objects(prize, ["s3:DeleteObject"], "coupons", "one object per coupon code, under coupons/")
        prize.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["scheduler:DeleteSchedule"],
                resources=[
                    Stack.of(self).format_arn(
                        service="scheduler", resource="schedule", resource_name=f"{conversation.schedule_group}/*"
                    )
                ],
            )
        )
        # Read at deploy, as the venue's other parameters of the edge; scoped to the data deletion requests' items.
        edge_table = ssm.StringParameter.value_for_string_parameter(self, EDGE_TABLE_PARAMETER)
        prize.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:UpdateItem"],
                resources=[edge_table],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [DATA_DELETION_KEYS]}},
            )
        )
