"""review_followup Lambda: runs the conversation's scheduled steps, each from its one-shot schedule: the review
question (`followup`) and the language question's timeout (`language`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from tagback.domain.awards import AwardKey
from tagback.domain.runtime import Lazy, time_limited
from tagback.domain.steps import Step
from tagback.observability import count, logger, metrics
from tagback.wiring import engine_from_environment

engine = Lazy(engine_from_environment)


class StepRequest(BaseModel):
    """The schedule's input (tagback.adapters.scheduler.step_input)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    step: Step = Step.FOLLOW_UP
    guest_id: str
    period: str


@metrics.log_metrics
@logger.inject_lambda_context
@time_limited
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_dimension(name="client_id", value=engine.get().config.client_id)
    request = StepRequest.model_validate(event)  # a malformed input fails: Lambda retries, then its on-failure queue
    key = AwardKey(request.guest_id, request.period)
    if request.step is Step.LANGUAGE_TIMEOUT:
        outcome = f"language_timeout_{engine.get().language_timeout(key).value}"
    else:
        state = engine.get().follow_up(key)
        outcome = state.value if state is not None else "followup_unknown_award"
    count(outcome)
    logger.info("scheduled step handled", extra={"award": key.award_id, "step": request.step, "outcome": outcome})
    return {"award": key.award_id, "step": request.step.value, "outcome": outcome}
