"""The languages guests can be served in (each has a complete message catalog)."""

from __future__ import annotations

from typing import Final, Literal

Language = Literal["en", "de", "es", "fr", "it", "pt"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "de", "es", "fr", "it", "pt")
LANGUAGE_NAMES: Final[dict[str, str]] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "it": "Italiano",
    "pt": "Português",
}
