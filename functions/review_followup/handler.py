"""review_followup Lambda: runs the conversation's scheduled steps, each from its one-shot schedule: the review
question (`followup`) and the language question's timeout (`language`); and the venue's token upkeep (`token`),
daily and whenever the token changes in SSM: refresh it when due, then send what waited for a working token."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, TypeAdapter

from tagback.app.steps import run_step
from tagback.app.tokens import keep_token_and_resume
from tagback.domain.runtime import Lazy, time_limited
from tagback.domain.steps import Step
from tagback.observability import errors_counted, for_venue, logger, metrics, tracer
from tagback.wiring import scheduled_steps_from_environment

steps = Lazy(scheduled_steps_from_environment)


class StepRequest(BaseModel):
    """The schedule's input (tagback.adapters.scheduler.step_input)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    step: Step = Step.FOLLOW_UP
    guest_id: str
    period: str


class TokenRequest(BaseModel):
    """The daily schedule's and the token-changed rule's input."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    step: Literal["token"]


REQUEST: TypeAdapter[StepRequest | TokenRequest] = TypeAdapter(StepRequest | TokenRequest)


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
@errors_counted
@time_limited
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = steps.get()
    for_venue(deps.engine.config.client_id)
    request = REQUEST.validate_python(event)  # a malformed input fails: Lambda retries, then its on-failure queue
    if isinstance(request, TokenRequest):
        kept = keep_token_and_resume(deps.tokens, deps.engine)
        return {"step": "token", "token": kept.token, "resumed": kept.resumed}
    done = run_step(deps.engine, request.step, request.guest_id, request.period)
    return {"award": done.award, "step": done.step.value, "outcome": done.outcome}
