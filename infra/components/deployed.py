"""Logical ids that deployed stacks already have.

CloudFormation knows a resource by its logical id, which CDK derives from the construct's path: moving a resource
into a construct gives it a new one, and CloudFormation then creates a new resource and deletes the old. That loses
what the old one holds (guests' data, dead letters, the follow-ups scheduled with the scheduler role, a stream
position), fails outright for a name only one resource may have (the review_followup function, the schedule group),
and, for what exists once per resource (a bucket's or queue's policy, a function's async-invoke config), deletes the
new one's settings with the old. Such resources keep the logical id they were first deployed with;
tests/infra/test_stack.py lists them, and tests/infra/test_edge_stack.py the edge's, which must not change either.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import CfnElement
from constructs import IConstruct


def keep_logical_id(resource: IConstruct, logical_id: str) -> None:
    """`resource` (an L1, or an L2 by its L1) keeps `logical_id`, whatever its path."""
    element = resource if isinstance(resource, CfnElement) else resource.node.default_child
    cast(CfnElement, element).override_logical_id(logical_id)
