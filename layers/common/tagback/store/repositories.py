"""The client's table and its repositories, together: what a function or command that needs several is given."""

from __future__ import annotations

from typing import Any

from tagback.store.awards import Awards
from tagback.store.coupons import Coupons
from tagback.store.erasures import ErasureRequests
from tagback.store.guest_data import GuestData
from tagback.store.guests import Guests
from tagback.store.inbound import InboundEvents
from tagback.store.links import Links
from tagback.store.outbox import Outbox
from tagback.store.pin_attempts import PinAttemptsStore
from tagback.store.stats import Stats
from tagback.store.suppressions import Suppressions
from tagback.store.table import Table
from tagback.store.tokens import Tokens


class Repositories:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.inbound = InboundEvents(table)
        self.awards = Awards(table)
        self.guests = Guests(table)
        self.coupons = Coupons(table)
        self.pin_attempts = PinAttemptsStore(table)
        self.links = Links(table)
        self.stats = Stats(table)
        self.outbox = Outbox(table)
        self.tokens = Tokens(table)
        self.suppressions = Suppressions(table)
        self.erasures = ErasureRequests(table)
        self.guest_data = GuestData(table)

    @classmethod
    def on(cls, table_name: str, client: Any = None) -> Repositories:
        """The repositories of the named table (boto3's default client, made on first use, unless one is given)."""
        return cls(Table(table_name, client))
