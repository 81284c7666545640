"""The edge's staff redemption page: the `redemption` function behind `GET` and `POST /c/{client}/{code}`, on the
common layer, with its own role. It reads the registry (each venue's table, timezone, language and prize names) and
two SSM SecureStrings per venue by their conventional names — the coupon signing key and the staff PINs, both under
the venue's /tagback/<client-id>/ —; each venue's table grants it what it does there (infra/components/registration.py).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.components.function import Layers, TagbackFunction
from tagback.domain.redemption import coupon_signing_key_parameter, staff_pins_parameter


class Redemption(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, layers: Layers, registry: dynamodb.ITable) -> None:
        super().__init__(scope, construct_id)
        self.page = TagbackFunction(
            self,
            "Page",
            name="redemption",
            layers=layers,
            timeout=Duration.seconds(10),
            memory_mb=256,
            environment={"REGISTRY_TABLE": registry.table_name},
        )
        registry.grant(self.page.function, "dynamodb:GetItem")  # the venue's registration
        any_venue = "*"  # the edge serves every venue: the path's client segment is any client id
        self.page.read_secrets(
            [coupon_signing_key_parameter(any_venue), staff_pins_parameter(any_venue)]  # /tagback/*/<name>
        )
        self.page.acknowledge_scoped_wildcards(
            [
                (
                    f"Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter{name}",
                    "the edge serves every venue: each venue's coupon signing key and staff PINs, by their names "
                    "under /tagback/<client-id>/ and nothing else there (not the venue's Instagram token)",
                )
                for name in (coupon_signing_key_parameter(any_venue), staff_pins_parameter(any_venue))
            ]
        )
