"""review_followup Lambda: invoked by the award's one-shot schedule, asks the guest for a review."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from tagback.awards import AwardKey
from tagback.observability import count, logger, metrics
from tagback.runtime import Lazy
from tagback.wiring import engine_from_environment

engine = Lazy(engine_from_environment)


class FollowUpRequest(BaseModel):
    """The schedule's input (tagback.scheduling.followup_input)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    guest_id: str
    period: str


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_dimension(name="client_id", value=engine.get().config.client_id)
    request = FollowUpRequest.model_validate(event)  # a malformed input fails, so the scheduler's DLQ keeps it
    key = AwardKey(request.guest_id, request.period)
    state = engine.get().follow_up(key)
    outcome = state.value if state is not None else "followup_unknown_award"
    count(outcome)
    logger.info("follow-up handled", extra={"award": key.award_id, "outcome": outcome})
    return {"award": key.award_id, "followup": outcome}
