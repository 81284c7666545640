"""The venue's side of the edge: what the edge publishes (SSM String parameters, read at deploy), the venue table's
resource-based policy that lets the edge's webhook write it and the edge's staff redemption page redeem its coupons,
and the venue's registration in the edge's registry.

The venue stack depends on no CloudFormation export of the edge's, so the edge can change without touching every venue
stack, and adding a venue needs no redeploy of the edge. The registration is a custom resource whose provider is the
edge's `registry` function: CloudFormation invokes it on create and update (register) and on delete (unregister), so
deleting a venue's stack unregisters the venue; an account already registered to another venue fails the deploy.
"""

from __future__ import annotations

from aws_cdk import Aws, CustomResource
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.components.storage import Storage
from infra.names import (
    EDGE_REDEMPTION_ROLE_PARAMETER,
    EDGE_REGISTRAR_PARAMETER,
    EDGE_URL_PARAMETER,
    EDGE_WEBHOOK_ROLE_PARAMETER,
    coupon_prefix,
    link_prefix,
    registration_properties,
)
from tagback.config.model import ClientConfig

REGISTRATION_TYPE = "Custom::TagbackRegistration"
# What the edge's webhook does in a venue's table: inbound events (PutItem), link clicks and the month's counters
# (UpdateItem). Nothing else: it never reads a guest's items.
EDGE_WRITES = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
# What the edge's staff redemption page does here: read a coupon, its guest's display name and its wrong PINs
# (GetItem), redeem it and count it (UpdateItem), write its outbox event and its wrong PINs (PutItem).
REDEMPTION_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]


class Registration(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: ClientConfig, storage: Storage) -> None:
        super().__init__(scope, construct_id)
        edge_url = ssm.StringParameter.value_for_string_parameter(self, EDGE_URL_PARAMETER)
        webhook_role = ssm.StringParameter.value_for_string_parameter(self, EDGE_WEBHOOK_ROLE_PARAMETER)
        registrar = ssm.StringParameter.value_for_string_parameter(self, EDGE_REGISTRAR_PARAMETER)
        redemption_role = ssm.StringParameter.value_for_string_parameter(self, EDGE_REDEMPTION_ROLE_PARAMETER)
        # Where the venue's tracked links start: the edge's /l/<client-id>, which routes each click to this table.
        self.link_prefix = link_prefix(edge_url, config.client_id)
        # What the coupon's QR code opens: the edge's staff redemption page, /c/<client-id>/<code>.
        self.coupon_prefix = coupon_prefix(edge_url, config.client_id)

        # Same account: the table's policy alone lets the edge's webhook role write it (its own role has no grant on
        # any venue's table), so each venue grants exactly its own table.
        storage.let_edge(webhook_role, EDGE_WRITES)
        storage.let_edge(redemption_role, REDEMPTION_ACTIONS)

        self.resource = CustomResource(
            self,
            "Default",
            service_token=registrar,
            resource_type=REGISTRATION_TYPE,
            properties=registration_properties(config, storage.table.table_name, Aws.REGION, edge_url),
        )
