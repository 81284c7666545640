"""The conversation's scheduled steps: each runs once per award, from a one-shot schedule."""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    FOLLOW_UP = "followup"  # the review question, `followup_delay_minutes` after the award
    LANGUAGE_TIMEOUT = "language"  # no language chosen in time: go on in the client's default
