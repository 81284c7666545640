"""The names a client's resources are given, read by the stack and by the sandbox, which creates the same resources
in moto. The stack fixes few names (CloudFormation chooses the rest); the sandbox names everything in the same shape.
"""

from __future__ import annotations


def resource_name(client_id: str, *parts: str) -> str:
    """`tagback-<client-id>[-<part>…]` (`review_followup` → `review-followup`): one account may hold several clients."""
    return "-".join(["tagback", client_id, *(part.replace("_", "-") for part in parts)])


def schedule_group_name(client_id: str) -> str:
    """The client's follow-up schedules: a group of their own, to which the engine's grant is scoped."""
    return resource_name(client_id)


def function_name(client_id: str, service: str) -> str:
    """A function by its service name. The stack fixes review_followup's: the functions' environment names its ARN."""
    return resource_name(client_id, service)
