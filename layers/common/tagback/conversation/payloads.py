"""The payloads of the quick replies the engine offers: built here and read back here, nowhere else.

The guest is the sender of a tap, so a review answer (and a reply to a venue's question) carries the award's period."""

from __future__ import annotations

from dataclasses import dataclass

CONTACT_CHOICES = ("email", "phone", "both", "none")


@dataclass(frozen=True)
class LanguageChoice:
    code: str


@dataclass(frozen=True)
class ReviewAnswer:
    period: str
    yes: bool


@dataclass(frozen=True)
class ContactChoice:
    choice: str


@dataclass(frozen=True)
class QuestionReply:
    question: str
    reply: str
    period: str  # the claim period of the award the question follows


Payload = LanguageChoice | ReviewAnswer | ContactChoice | QuestionReply


def encode(payload: Payload) -> str:
    match payload:
        case LanguageChoice(code):
            return f"LANG:{code}"
        case ReviewAnswer(period, yes):
            return f"{'REVIEW_YES' if yes else 'REVIEW_NO'}:{period}"
        case ContactChoice(choice):
            return f"CONTACT:{choice}"
        case QuestionReply(question, reply, period):
            return f"QUESTION:{question}:{reply}:{period}"  # ids are slugs: no ':' in them


def decode(payload: str) -> Payload | None:
    """What a tap answers, or None for a payload the engine did not build."""
    prefix, _, value = payload.partition(":")
    if prefix == "LANG":
        return LanguageChoice(value)
    if prefix in ("REVIEW_YES", "REVIEW_NO"):
        return ReviewAnswer(value, yes=prefix == "REVIEW_YES")
    if prefix == "CONTACT":
        return ContactChoice(value)
    if prefix == "QUESTION" and value.count(":") >= 2:
        question, reply, period = value.split(":", 2)
        return QuestionReply(question, reply, period)
    return None
