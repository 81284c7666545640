"""The review_followup function's work: one of the conversation's scheduled steps, run and named by its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tagback.domain.awards import AwardKey
from tagback.domain.steps import Step
from tagback.observability import count, logger, traced

if TYPE_CHECKING:
    from tagback.conversation.engine import Engine


@dataclass(frozen=True)
class StepDone:
    award: str
    step: Step
    outcome: str


def run_step(engine: Engine, step: Step, guest_id: str, period: str) -> StepDone:
    """Run the follow-up question or the language question's timeout for one award; count and log its outcome."""
    key = AwardKey(guest_id, period)
    with traced("scheduled_step", award=key.award_id, step=step.value):
        if step is Step.LANGUAGE_TIMEOUT:
            outcome = f"language_timeout_{engine.language_timeout(key).value}"
        else:
            state = engine.follow_up(key)
            outcome = state.value if state is not None else "followup_unknown_award"
    count(outcome)
    logger.info("scheduled step handled", extra={"award": key.award_id, "step": step, "outcome": outcome})
    return StepDone(key.award_id, step, outcome)
