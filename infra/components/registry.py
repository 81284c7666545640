"""The edge's registry: its table (each venue's registration, by Instagram account and by client id; the deliveries
quarantined at the edge) and the `registry` function, the CloudFormation custom-resource provider that every venue
stack's registration (Custom::TagbackRegistration) calls on create, update and delete."""

from __future__ import annotations

from aws_cdk import Duration
from constructs import Construct

from infra.components.function import Layers, TagbackFunction
from infra.components.storage import tagback_table
from infra.names import edge_resource_name


class Registry(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, layers: Layers) -> None:
        super().__init__(scope, construct_id)
        # Retained: the registrations name every venue's table; a new, empty registry would route nothing. No stream:
        # nothing reacts to its items.
        self.table = tagback_table(self, "Table", stream=None)
        self.registrar = TagbackFunction(
            self,
            "Registrar",
            name="registry",
            layers=layers,
            timeout=Duration.seconds(30),
            memory_mb=192,  # its peak with headroom (docs/cost.md, Memory)
            environment={"REGISTRY_TABLE": self.table.table_name},
            # Its ARN is the ServiceToken of every venue's registration, which CloudFormation never lets change
            # ("Modifying service token is not allowed"): a fixed name keeps it whatever becomes of the construct.
            function_name=edge_resource_name("registry"),
        )
        # A registration is one transaction of Puts (and, when a venue's account or client id changes, Deletes) over
        # its two items; AWS authorizes a transaction by its item actions. GetItem: whose account it already is.
        self.table.grant(self.registrar.function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")
