"""The names a client's resources are given, read by the stack and by the sandbox, which creates the same resources
in moto. The stack fixes few names (the venue's functions, the schedule group; CloudFormation chooses the rest); the
sandbox names everything in the same shape.
"""

from __future__ import annotations

import json

from tagback.config.model import ClientConfig


def resource_name(client_id: str, *parts: str) -> str:
    """`tagback-<client-id>[-<part>…]` (`review_followup` → `review-followup`): one account may hold several clients."""
    return "-".join(["tagback", client_id, *(part.replace("_", "-") for part in parts)])


def schedule_group_name(client_id: str) -> str:
    """The client's follow-up schedules: a group of their own, to which the engine's grant is scoped."""
    return resource_name(client_id)


def function_name(client_id: str, service: str) -> str:
    """A venue's function by its service name, in the stack as in the sandbox: the functions' environment names
    review_followup's ARN, and the watchdog tells a late function's venue by its name."""
    return resource_name(client_id, service)


# The prefix of the venue stack's outputs for each function Scheduler invokes (`<prefix>FunctionName`,
# `<prefix>FailureQueueUrl`), by its service name; the sandbox publishes the same outputs.
SCHEDULED_OUTPUTS = {"review_followup": "FollowUp", "monthly_report": "Report"}

EDGE_STACK = "Tagback-Edge"


def edge_resource_name(*parts: str) -> str:
    """`tagback-edge[-<part>…]`: the edge's resources, beside the clients' (no client may be called `edge`)."""
    return "-".join(["tagback", "edge", *(part.replace("_", "-") for part in parts)])


# What the edge publishes (SSM String parameters, not secrets) and each venue stack reads at deploy: the venue's
# stack depends on no CloudFormation export, so the edge can change without touching 200 venue stacks.
EDGE_URL_PARAMETER = "/tagback/edge/url"  # the edge's HTTP API: tracked links start with it
EDGE_WEBHOOK_ROLE_PARAMETER = "/tagback/edge/webhook-role-arn"  # the role a venue's table lets write its inbound events
EDGE_REGISTRAR_PARAMETER = "/tagback/edge/registrar-arn"  # the service token of a venue's registration
# The role of the edge's staff redemption page, which each venue's table lets redeem its coupons.
EDGE_REDEMPTION_ROLE_PARAMETER = "/tagback/edge/redemption-role-arn"
# The edge's table, where each venue reports its part of Meta's data deletion requests (only those items).
EDGE_TABLE_PARAMETER = "/tagback/edge/table-arn"


# Every venue stack's table, as CloudFormation names it (`<stack>-<logical id>-<suffix>`): the watchdog reads them all.
VENUE_TABLES = "Tagback-*"


def link_prefix(edge_url: str, client_id: str) -> str:
    """Where a client's tracked links start: the edge's `/l/{client}/{token}` route."""
    return f"{edge_url.rstrip('/')}/l/{client_id}"


def coupon_prefix(edge_url: str, client_id: str) -> str:
    """What a client's coupon QR codes open, `<prefix>/<code>`: the edge's staff redemption page."""
    return f"{edge_url.rstrip('/')}/c/{client_id}"


def registration_properties(config: ClientConfig, table_name: str, region: str, edge_url: str) -> dict[str, str]:
    """The properties of a client stack's registration with the edge (Custom::TagbackRegistration), as
    tagback.app.registration reads them: CloudFormation passes every value as a string."""
    return {
        "client_id": config.client_id,
        "account_id": config.instagram_account_id,
        "venue_name": config.venue_name,
        "table": table_name,
        "region": region,
        "timezone": config.timezone,
        "retention_days": str(config.retention_days),
        "link_prefix": link_prefix(edge_url, config.client_id),
        # What the edge's watchdog checks: the client file's `alerts`.
        "no_mention_days": str(config.alerts.no_mention_days),
        "closed": ",".join(config.alerts.closed),
        # What the edge's staff redemption page shows: the venue's language and its prizes' names in it.
        "language": config.default_language,
        "prize_names": json.dumps(
            {prize.id: prize.name_in(config.default_language) for prize in config.prizes}, ensure_ascii=False
        ),
    }
