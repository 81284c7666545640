"""Yes or no, typed instead of tapped: the review question's and the contact question's buttons are titled
`answer_yes` / `answer_no`, and a guest may write their answer instead. It is read like a typed language name (case,
accents and punctuation aside) against those titles in every offered language, since a guest may write in another:
an answer that starts with a title's words means what the title means ("Sim", "YES!", "ja gerne", "No, thanks").
Anything else is no answer, and a title that reads as nothing (an emoji alone) stands for none."""

from __future__ import annotations

from tagback.conversation.context import Context
from tagback.conversation.stop import normalized


def yes_or_no(ctx: Context, answer: str) -> bool | None:
    """True for yes, False for no; None for anything else, and for an answer two offered languages read
    differently."""
    words = normalized(answer).split()
    meanings = {
        yes
        for yes, key in ((True, "answer_yes"), (False, "answer_no"))
        for language in ctx.config.languages
        if _starts_with(words, normalized(ctx.text_in(language, key)).split())
    }
    return meanings.pop() if len(meanings) == 1 else None


def _starts_with(words: list[str], title: list[str]) -> bool:
    return bool(title) and words[: len(title)] == title
