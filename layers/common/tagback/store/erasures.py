"""Erasure requests in a venue's table: one item per request (`ERASURE#<code>`), written by the edge (Meta's callback)
or the operator's `tagback guest erase`; its INSERT reaches the prize function through the table's stream, which
erases with the venue's own grants. Once fulfilled the item keeps the report and no trace of the guest: the record
that the erasure happened."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from tagback.domain.erasure import ErasureReport, ErasureRequest
from tagback.store.schema import ERASURE_REQUEST, ITEM_TYPE, key
from tagback.store.table import Table


def _request_key(code: str) -> dict[str, str]:
    return key(f"ERASURE#{code}", "REQUEST")


def erasure_request_item(request: ErasureRequest) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_request_key(request.code),
        ITEM_TYPE: ERASURE_REQUEST,
        "code": request.code,
        "requested_at": request.requested_at.isoformat(),
    }
    optional = {"guest_id": request.guest_id, "edge_table": request.edge_table}
    return item | {name: value for name, value in optional.items() if value is not None}


def erasure_request_from_item(item: dict[str, Any]) -> ErasureRequest:
    """The request back from its item (as a stream record's NewImage carries it)."""
    if item.get(ITEM_TYPE) != ERASURE_REQUEST:
        raise ValueError(f"not an erasure request item: {item.get(ITEM_TYPE)!r}")
    report = json.loads(item["report"]) if "report" in item else None
    return ErasureRequest(
        code=str(item["code"]),
        guest_id=item.get("guest_id"),
        requested_at=datetime.fromisoformat(item["requested_at"]),
        edge_table=item.get("edge_table"),
        held=bool(item.get("held", False)),
        report=ErasureReport(**report) if report is not None else None,
    )


class ErasureRequests:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, request: ErasureRequest) -> bool:
        """Ask the venue to erase a guest; False when a request of that code exists already."""
        return self.table.put_new(erasure_request_item(request))

    def get(self, code: str) -> ErasureRequest | None:
        item = self.table.get(_request_key(code))
        return erasure_request_from_item(item) if item else None

    def mark_held(self, code: str) -> None:
        self.table.update(_request_key(code), {"held": True})

    def finish(self, code: str, report: ErasureReport, at: datetime) -> None:
        """The report kept, the guest's id removed."""
        self.table.update(
            _request_key(code),
            {"report": json.dumps(dataclasses.asdict(report), sort_keys=True), "fulfilled_at": at, "guest_id": None},
        )
