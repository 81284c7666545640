"""The message catalog: every text the guest can receive, by key, with English defaults.

A client may override any text per language in its config; `tagback.config` checks the keys against this
catalog so a typo fails validation instead of a guest's DM.
"""

from __future__ import annotations

from typing import Final, Literal

Language = Literal["en", "de", "es", "fr", "it", "pt"]

DEFAULT_TEXTS: Final[dict[str, str]] = {
    "prize_awarded": "Thanks for sharing {venue} in your story! Your prize: {prize}. "
    "Show this code to our staff: {code} (valid until {valid_until}).",
    "repeat_mention": "Thanks for sharing {venue} again! It's one prize per day, see you tomorrow.",
    "all_prizes_given": "Thanks for sharing {venue}! All of today's prizes have been given, come back tomorrow.",
    "review_question": "How was your visit to {venue}? Would you leave us a Google review?",
    "review_thanks": "Thank you! Here is the link to write your review:",
    "review_declined": "No problem, thanks for visiting {venue}!",
}

MESSAGE_KEYS: Final[frozenset[str]] = frozenset(DEFAULT_TEXTS)
