"""CloudFormation's custom resources: the request a provider function is invoked with, and the answer it must PUT to
the request's presigned ResponseURL (CloudFormation waits up to an hour for it, so it is always sent)."""

from __future__ import annotations

import json
from typing import Any, Literal

import requests
from pydantic import BaseModel, ConfigDict

RESPONSE_TRIES = 3


class CustomResourceRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    RequestType: Literal["Create", "Update", "Delete"]
    ResponseURL: str
    StackId: str
    RequestId: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None  # Update and Delete
    ResourceProperties: dict[str, Any]
    OldResourceProperties: dict[str, Any] | None = None  # Update


def respond(request: CustomResourceRequest, *, ok: bool, reason: str, physical_id: str) -> dict[str, Any]:
    """PUT the answer to CloudFormation (an empty content type, as the presigned URL was signed for)."""
    answer: dict[str, Any] = {
        "Status": "SUCCESS" if ok else "FAILED",
        "Reason": reason[:1000],
        "PhysicalResourceId": physical_id,
        "StackId": request.StackId,
        "RequestId": request.RequestId,
        "LogicalResourceId": request.LogicalResourceId,
        "Data": {},
    }
    for attempt in range(1, RESPONSE_TRIES + 1):
        try:
            requests.put(
                request.ResponseURL, data=json.dumps(answer), headers={"Content-Type": ""}, timeout=10
            ).raise_for_status()
            break
        except requests.RequestException:
            if attempt == RESPONSE_TRIES:
                raise
    return answer
