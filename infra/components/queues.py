"""Where what failed waits for a person: every queue of the stack is one, alarmed at the agency's level (the edge's
FailureQueues alarm watches every queue of the account: infra/components/alerts.py)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.deployed import keep_logical_id


class FailureQueue(sqs.Queue):
    """A queue of what failed (dead letters, Lambda's on-failure records): encrypted, TLS only, kept 14 days. The
    edge's alarm goes off as soon as it holds anything. `logical_ids`: the queue's and its policy's, as deployed
    (deployed.py)."""

    def __init__(self, scope: Construct, construct_id: str, *, purpose: str, logical_ids: tuple[str, str]) -> None:
        super().__init__(
            scope,
            construct_id,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        queue_id, policy_id = logical_ids
        keep_logical_id(self, queue_id)
        keep_logical_id(self.node.find_child("Policy"), policy_id)  # the TLS-only policy
        Validations.of(self).acknowledge(
            Acknowledgment(id="AwsSolutions-SQS3", reason=f"this queue is itself a dead-letter queue: {purpose}")
        )
