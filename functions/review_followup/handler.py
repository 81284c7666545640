"""review_followup Lambda: runs the conversation's scheduled steps, each from its one-shot schedule: the review
question (`followup`) and the language question's timeout (`language`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from tagback.app.steps import run_step
from tagback.domain.runtime import Lazy, time_limited
from tagback.domain.steps import Step
from tagback.observability import logger, metrics
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
    done = run_step(engine.get(), request.step, request.guest_id, request.period)
    return {"award": done.award, "step": done.step.value, "outcome": done.outcome}
