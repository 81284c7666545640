"""The venue's Instagram token, kept valid: review_followup's token step refreshes it when it is due and delivers,
oldest first, what waited for it. It runs daily (infra/event_sources.TOKEN_REFRESH) and as soon as the token's
parameter is written (a renewal by hand or by `tagback connect`). When Meta refuses the token, the functions count
TokenRefused with the venue's client_id, and the edge's "venue must reconnect" alarm goes off within a minute."""

from __future__ import annotations

import json

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.components.conversation import Conversation
from infra.components.function import parameter_arn
from infra.components.scheduled import recurring_schedule
from infra.components.storage import Storage
from infra.event_sources import TOKEN_REFRESH, TOKEN_STEP_INPUT
from tagback.config.model import ClientConfig


class TokenUpkeep(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: ClientConfig, storage: Storage, conversation: Conversation
    ) -> None:
        super().__init__(scope, construct_id)
        followup = conversation.review_followup
        token = config.secrets.meta_access_token
        # The refresh writes the renewed token back: a SecureString under the AWS-managed key, whose key policy lets
        # SSM encrypt for any principal of the account that IAM allows to put the parameter (no kms statement).
        followup.function.add_to_role_policy(
            iam.PolicyStatement(actions=["ssm:PutParameter"], resources=[parameter_arn(self, token)])
        )
        # The awards waiting for the token: their markers are queried, oldest first, and deleted once delivered.
        storage.table.grant(followup.function, "dynamodb:Query", "dynamodb:DeleteItem")

        recurring_schedule(
            self,
            TOKEN_REFRESH,
            config=config,
            group=conversation.schedule_group_resource,
            function=followup,
            # The conversation's scheduler role, which may invoke review_followup and dead-letter to its queue.
            role=conversation.scheduler_role,
            dead_letters=conversation.followup_dead_letters,
        )

        # A token renewed by hand or by `tagback connect` is used at once: what waits for it is delivered within
        # Meta's 24-hour window, not at the next daily run. SSM sends these events to the default bus.
        events.Rule(
            self,
            "TokenChanged",
            description=f"{token} was written: run review_followup's token step for {config.venue_name}",
            event_pattern=events.EventPattern(
                source=["aws.ssm"],
                detail_type=["Parameter Store Change"],
                detail={"name": [token], "operation": ["Create", "Update"]},
            ),
            # Invoked asynchronously: a failure inside the function goes to review_followup's on-failure queue.
            targets=[
                targets.LambdaFunction(
                    followup.function, event=events.RuleTargetInput.from_object(json.loads(TOKEN_STEP_INPUT))
                )
            ],
        )
