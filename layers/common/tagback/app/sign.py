"""`make sign` (tools/sign.py): what the printable table sign says, per language the venue offers — how to take
part, the prize teaser, the promotion terms and a QR code of the venue's Instagram profile. Its texts are the
catalog's `sign_*` (a client may override them, and gives them for a language without built-in texts, like every
other text); the drawing is tools/sign_pdf.py's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from tagback.config.model import ClientConfig
from tagback.domain.languages import Language
from tagback.messages.render import render

SignSize = Literal["A4", "A5", "A6"]
SIGN_SIZES: Final[tuple[SignSize, ...]] = ("A5", "A4", "A6")  # the default first: a table tent's


@dataclass(frozen=True)
class SignFace:
    """One language's sign, every text already in that language."""

    language: Language
    venue: str
    title: str
    steps: tuple[str, str, str, str]  # account public, post a story, tag with the mention sticker, prize by DM
    teaser: str  # the one prize, or the line above the list of them
    prizes: tuple[str, ...]  # the prizes one may win (empty with a single prize: the teaser names it)
    terms: str | None
    scan: str  # beside the QR code
    profile_url: str  # what the QR code opens

    @property
    def texts(self) -> tuple[str, ...]:
        """Every text the sign shows, in reading order."""
        return (self.venue, self.title, *self.steps, self.teaser, *self.prizes, self.scan, *filter(None, [self.terms]))


def profile_url(config: ClientConfig) -> str:
    """The venue's Instagram profile: the app opens it from the QR code, a browser shows it otherwise."""
    return f"https://www.instagram.com/{config.instagram_username}/"


def sign_face(config: ClientConfig, language: Language) -> SignFace:
    def text(key: str, **values: str) -> str:
        return render(
            config, key, language, venue=config.venue_name, instagram_username=config.instagram_username, **values
        )

    names = tuple(prize.name_in(language) for prize in config.prizes)
    single = len(names) == 1
    terms = text("promotion_terms", terms_url=str(config.terms_url)) if config.terms_url is not None else None
    return SignFace(
        language=language,
        venue=config.venue_name,
        title=text("sign_title"),
        steps=(text("sign_public"), text("sign_story"), text("sign_tag"), text("sign_dm")),
        teaser=text("sign_prize", prize=names[0]) if single else text("sign_prizes"),
        prizes=() if single else names,
        terms=terms,
        scan=text("sign_scan"),
        profile_url=profile_url(config),
    )


def sign_faces(config: ClientConfig) -> list[SignFace]:
    return [sign_face(config, language) for language in config.languages]
