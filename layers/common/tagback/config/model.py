"""A client's (one venue's) configuration: the model of `clients/<client-id>.yaml`, every field checked.

Secrets are never part of the config: it names the SSM parameters that hold them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tagback.domain.languages import Language, checked_language, language_name
from tagback.domain.messaging import QUICK_REPLY_LIMIT, QUICK_REPLY_TITLE_LIMIT
from tagback.domain.watchdog import closed_day
from tagback.messages.catalog import MESSAGE_KEYS
from tagback.messages.report_labels import LABELS

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# SSM parameter names: a path of letters, digits and _.-/ (AWS's own rule), never the secret itself.
_SSM_NAME = re.compile(r"^/[A-Za-z0-9_.\-/]{1,1010}$")
_INSTAGRAM_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")
# The languages the monthly report has labels in (every label, in each).
_REPORT_LANGUAGES = frozenset.intersection(*(frozenset(texts) for texts in LABELS.values()))


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def _ssm_name(value: str) -> str:
    if not _SSM_NAME.match(value):
        raise ValueError(
            "must be the name of an SSM SecureString parameter, like /tagback/demo/meta-app-secret "
            "(the config names secrets, it never holds them)"
        )
    return value


def _instagram_username(value: str) -> str:
    if value.startswith("@"):
        raise ValueError(f"{value!r}: write it without the '@'")
    if not _INSTAGRAM_USERNAME.match(value):
        raise ValueError(f"{value!r} is not an Instagram username: at most 30 letters, digits, '.' and '_'")
    return value


def _fits_a_button(language: str) -> str:
    name = language_name(language)
    if len(name) > QUICK_REPLY_TITLE_LIMIT:
        raise ValueError(
            f"{language}: its button would read {name!r}, {len(name)} characters; quick reply titles take at most "
            f"{QUICK_REPLY_TITLE_LIMIT} (the language without its region or script may fit)"
        )
    return language


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value) or value not in list_currencies():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR, GBP, MXN)")
    return value


# Tables are the numbers on their signs: what a guest can type (the answer reads up to 4 digits).
TABLE_NUMBERS = range(1, 10_000)
MAX_TABLES = 1000
_TABLE_SPAN = re.compile(r"^\s*(\d+)\s*(?:[-–]\s*(\d+)\s*)?$")


def _table_span(value: object) -> str:
    """One entry of `tables`: a table number (12) or a range of them ("1-20"), kept as "12" or "1-20"."""
    match = _TABLE_SPAN.match(str(value)) if isinstance(value, int | str) and not isinstance(value, bool) else None
    if match is None:
        raise ValueError(f"{value!r} is not a table number (12) or a range of them (1-20)")
    first, last = int(match[1]), int(match[2] or match[1])
    if first not in TABLE_NUMBERS or last not in TABLE_NUMBERS:
        raise ValueError(f"{value}: table numbers run from {TABLE_NUMBERS.start} to {TABLE_NUMBERS.stop - 1}")
    if last < first:
        raise ValueError(f"{value}: the range ends before it starts (write {last}-{first})")
    return str(first) if first == last else f"{first}-{last}"


def span_bounds(span: str) -> tuple[int, int]:
    """The first and last table of a `tables` entry ("1-20" → 1, 20; "12" → 12, 12)."""
    first, _, last = span.partition("-")
    return int(first), int(last or first)


Email = Annotated[str, AfterValidator(_email)]
LanguageCode = Annotated[str, AfterValidator(checked_language)]
OfferedLanguage = Annotated[LanguageCode, AfterValidator(_fits_a_button)]  # it has a button: its own name
SsmName = Annotated[str, AfterValidator(_ssm_name)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")]
TableSpan = Annotated[str, BeforeValidator(_table_span)]
ClosedDay = Annotated[str, BeforeValidator(closed_day)]


class _Strict(BaseModel):
    # extra="forbid": a misspelt field name is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prize(_Strict):
    id: Slug
    name: Annotated[str, StringConstraints(min_length=1, max_length=80, strip_whitespace=True)]
    # The name in each language offered besides the default (config/checks.py); the guest sees theirs, else `name`.
    names: dict[LanguageCode, Annotated[str, StringConstraints(min_length=1, max_length=80)]] = Field(
        default_factory=dict
    )
    weight: Annotated[Decimal, Field(gt=0, le=100, decimal_places=2)] = Field(
        description="share of draws in percent; the weights of all prizes sum to 100"
    )
    daily_cap: Annotated[int, Field(gt=0)] | None = None
    cost: Annotated[Decimal, Field(ge=0, decimal_places=2)] | None = Field(
        default=None, description="what one costs the venue, for the report's estimate"
    )
    valid_days: Annotated[int, Field(gt=0, le=365)] = 30

    def name_in(self, language: Language) -> str:
        return self.names.get(language, self.name)


class ClaimPolicy(_Strict):
    """How often a guest may win: once per local calendar day, or once per cooldown period."""

    kind: Literal["per_local_day", "cooldown"] = "per_local_day"
    cooldown_hours: Annotated[int, Field(gt=0, le=24 * 90)] | None = None

    @model_validator(mode="after")
    def _cooldown_needs_hours(self) -> ClaimPolicy:
        if self.kind == "cooldown" and self.cooldown_hours is None:
            raise ValueError("cooldown_hours is required when kind is 'cooldown'")
        if self.kind == "per_local_day" and self.cooldown_hours is not None:
            raise ValueError("cooldown_hours only applies when kind is 'cooldown'")
        return self


class ReviewLinks(_Strict):
    google_place_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{10,200}$")]
    tripadvisor_url: HttpUrl | None = None
    facebook_url: HttpUrl | None = None


class ReportConfig(_Strict):
    recipients: Annotated[list[Email], Field(min_length=1)]
    sender: Email
    language: LanguageCode | None = Field(
        default=None, description="one the report has labels in; default: the default language if it has, else en"
    )
    # With a Places API key the daily snapshot records the venue's Google rating and review count.
    places_api_key_param: SsmName | None = None


class SecretNames(_Strict):
    meta_access_token: SsmName = Field(description="the venue's Instagram token; `tagback connect` stores it")
    coupon_signing_key: SsmName = Field(description="HMAC key that makes coupon codes checkable offline")

    @model_validator(mode="before")
    @classmethod
    def _app_secrets_are_the_agencys(cls, data: object) -> object:
        moved = sorted({"meta_app_secret", "meta_verify_token"} & set(data)) if isinstance(data, dict) else []
        if moved:
            raise ValueError(
                f"{', '.join(moved)}: the Meta app is the agency's, one for every venue: name its secrets once in "
                "agency.yaml (secrets), and remove them here"
            )
        return data


HexColour = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]


class CouponTemplate(_Strict):
    """How the coupon image looks. Asset paths are relative to the config file's folder."""

    background: HexColour = "#1F2937"
    foreground: HexColour = "#FFFFFF"
    accent: HexColour = "#F59E0B"
    logo: Path | None = None
    # Tried in order for each character, before the bundled DejaVu Sans (emoji come from the bundled Noto Color
    # Emoji): add a CJK font for CJK names.
    fonts: list[Path] = Field(default_factory=list)

    @field_validator("logo", "fonts")
    @classmethod
    def _inside_config_folder(cls, value: Path | list[Path] | None) -> Path | list[Path] | None:
        # Assets ship beside the config (in the config layer), so they must live under its folder.
        for path in value if isinstance(value, list) else [value]:
            if path is not None and (path.is_absolute() or ".." in path.parts):
                raise ValueError(f"{path}: must be a path relative to the config file's folder, without '..'")
        return value


class ContactCapture(_Strict):
    """After the prize, offer the venue's news by email and/or phone, with explicit, versioned consent."""

    channels: Literal["off", "email", "phone", "both"] = "off"
    consent_text: dict[LanguageCode, Annotated[str, StringConstraints(min_length=10, max_length=400)]] = Field(
        default_factory=dict, description="what the guest agrees to, per language (shown with the question)"
    )
    consent_version: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    phone_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="country assumed for numbers typed without +country code, e.g. PT"
    )

    @model_validator(mode="after")
    def _consent_when_on(self) -> ContactCapture:
        if self.channels != "off" and (not self.consent_text or self.consent_version is None):
            raise ValueError("consent_text and consent_version are required when channels is not 'off'")
        return self


QUESTION_END = "end"  # a `next` that ends the questions
# What a free-text answer must be (conversation/questions.py reads it).
AnswerKind = Literal["text", "number", "month", "date", "email", "phone"]
QuestionText = Annotated[str, StringConstraints(min_length=1, max_length=1000, strip_whitespace=True)]
NextQuestion = Slug | None


class QuestionReply(_Strict):
    """One quick reply of a question: its title (and what the venue says on it) per language, and where it leads."""

    id: Slug
    title: dict[LanguageCode, Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]]
    say: dict[LanguageCode, QuestionText] = Field(
        default_factory=dict, description="optional: what the venue answers to this reply, per language"
    )
    next: NextQuestion = Field(default=None, description="the question it leads to, or end; default: the question's")


class Question(_Strict):
    """A question of the venue's own, asked after the prize: quick replies, or free text of a kind (config/checks.py
    checks the texts, the limits and that every path ends)."""

    id: Slug
    text: dict[LanguageCode, QuestionText]
    replies: list[QuestionReply] = Field(default_factory=list)
    expects: AnswerKind | None = Field(default=None, description="free text instead of replies: what it must be")
    say: dict[LanguageCode, QuestionText] = Field(
        default_factory=dict, description="optional, with expects: what the venue answers to an answer it understood"
    )
    # Personal data (a birthday, a phone number): asked only of a guest who consented in the contact question.
    personal: bool = False
    next: NextQuestion = Field(default=None, description="the question after it (after any reply), or end (default)")


class GoogleSheets(_Strict):
    """The owner's live sheet: a row per award (and contact, redemption), appended by a service account."""

    spreadsheet_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{20,100}$")]
    sheet: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "Tagback"
    service_account_param: SsmName = Field(description="SSM SecureString holding the service account's key JSON")


class WebhookSink(_Strict):
    """A CRM or any HTTPS endpoint: signed JSON POSTs."""

    url: HttpUrl
    secret_param: SsmName = Field(description="SSM SecureString with the HMAC secret the receiver verifies")

    @field_validator("url")
    @classmethod
    def _https(cls, url: HttpUrl) -> HttpUrl:
        if url.scheme != "https":
            raise ValueError("must be an https:// URL: the payload carries guests' contact details")
        return url


class Integrations(_Strict):
    google_sheets: GoogleSheets | None = None
    webhook: WebhookSink | None = None


class MetaApi(_Strict):
    """Which Graph API host sends our messages: Instagram Login (graph.instagram.com) or Facebook Login."""

    login: Literal["instagram", "facebook"] = "instagram"
    api_version: Annotated[str, StringConstraints(pattern=r"^v\d+\.\d+$")] = "v25.0"


class VenueAlerts(_Strict):
    """What the agency is told of without a metric (the edge's watchdog, hourly)."""

    # No story mention on this many of the venue's open days in a row: it may have stopped promoting, or its account
    # may no longer reach the app. 0: never told.
    no_mention_days: Annotated[int, Field(ge=0, le=60)] = 7
    # Weekdays (mon … sun) and dates (2026-12-25) the venue is closed: they are not open days.
    closed: Annotated[list[ClosedDay], Field(max_length=200)] = Field(default_factory=list)


class ClientConfig(_Strict):
    _source_dir: Path = PrivateAttr(default=Path("."))

    client_id: Slug
    venue_name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    instagram_account_id: Annotated[str, StringConstraints(pattern=r"^\d{5,25}$")]
    # The fallback reply tells guests how to take part: post a story that mentions @<this>.
    instagram_username: Annotated[str, AfterValidator(_instagram_username)]
    timezone: str
    languages: Annotated[list[OfferedLanguage], Field(min_length=1, max_length=QUICK_REPLY_LIMIT)] = Field(
        description="languages offered to guests (one quick reply each); the first is the default"
    )
    messages: dict[LanguageCode, dict[str, Annotated[str, StringConstraints(min_length=1)]]] = Field(
        default_factory=dict,
        description="per-language overrides of the built-in texts; every text of a language without a built-in one",
    )
    prizes: Annotated[list[Prize], Field(min_length=1)]
    currency: Annotated[str, AfterValidator(_currency)] = Field(
        default="EUR", description="ISO 4217 code of the prizes' costs, as the report shows them"
    )
    coupon: CouponTemplate = CouponTemplate()
    claim_policy: ClaimPolicy = ClaimPolicy()
    # One prize per table (number on the sign) per local day, instead of per guest.
    per_table: bool = False
    tables: list[TableSpan] | None = Field(
        default=None, description="with per_table: the tables there are, numbers and ranges, e.g. [1-20, 30, 31]"
    )
    # With several languages the first DM asks for one; without an answer the prize follows in the default.
    language_timeout_minutes: Annotated[int, Field(ge=1, le=120)] = 10
    contact_capture: ContactCapture = ContactCapture()
    integrations: Integrations = Integrations()
    # On unless the venue turns it off: some jurisdictions require telling guests they talk to an automated assistant.
    bot_disclosure: bool = Field(default=True, description="add an 'automated assistant' line to the first DM")
    terms_url: HttpUrl | None = Field(default=None, description="promotion terms, linked in the first DM")
    # The follow-up must land inside Meta's 24-hour messaging window opened by the story mention.
    followup_delay_minutes: Annotated[int, Field(ge=1, le=23 * 60)] = 60
    review_links: ReviewLinks
    report: ReportConfig
    secrets: SecretNames
    meta: MetaApi = MetaApi()
    retention_days: Annotated[int, Field(ge=1, le=730)] = Field(
        default=90, description="how long guests' personal data is kept before it expires"
    )
    alerts: VenueAlerts = VenueAlerts()
    questions: list[Question] = Field(
        default_factory=list, description="the venue's own questions after the prize; the first is asked first"
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. Europe/Lisbon)") from None
        return value

    @field_validator("languages")
    @classmethod
    def _unique_languages(cls, value: list[Language]) -> list[Language]:
        if len(set(value)) != len(value):
            raise ValueError("each language may appear only once")
        return value

    @field_validator("prizes")
    @classmethod
    def _prizes_add_up(cls, prizes: list[Prize]) -> list[Prize]:
        total = sum((p.weight for p in prizes), Decimal(0))
        if total != 100:
            raise ValueError(f"weights sum to {total.normalize():f}, must be 100")
        ids = [p.id for p in prizes]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"prize ids must be unique, repeated: {', '.join(duplicates)}")
        return prizes

    @field_validator("tables")
    @classmethod
    def _tables_once_each(cls, spans: list[str] | None) -> list[str] | None:
        if spans is None:
            return None
        if not spans:
            raise ValueError("list at least one table, e.g. [1-20, 30, 31]")
        for index, span in enumerate(spans):
            first, last = span_bounds(span)
            for other in spans[:index]:
                other_first, other_last = span_bounds(other)
                if first <= other_last and other_first <= last:
                    raise ValueError(f"{span} overlaps {other}: list each table once")
        count = sum(last - first + 1 for first, last in map(span_bounds, spans))
        if count > MAX_TABLES:
            raise ValueError(f"{count} tables; a venue has at most {MAX_TABLES} (check the ranges)")
        return spans

    @field_validator("messages")
    @classmethod
    def _messages_match_catalog(
        cls, messages: dict[Language, dict[str, str]], info: ValidationInfo
    ) -> dict[Language, dict[str, str]]:
        if "languages" not in info.data:
            return messages  # refused already: a text's language cannot be checked against them
        languages = info.data["languages"]
        for language, texts in messages.items():
            if language not in languages:
                raise ValueError(f"{language}: language is not listed in languages")
            unknown = sorted(set(texts) - MESSAGE_KEYS)
            if unknown:
                raise ValueError(
                    f"{language}: unknown message key(s) {', '.join(unknown)}; known: {', '.join(sorted(MESSAGE_KEYS))}"
                )
        return messages

    @field_validator("client_id")
    @classmethod
    def _not_the_edge(cls, client_id: str) -> str:
        if client_id == "edge":
            raise ValueError("'edge' is the agency's own stack (Tagback-Edge): choose another client id")
        return client_id

    @model_validator(mode="after")
    def _table_claims_are_per_day(self) -> ClientConfig:
        if self.per_table and self.claim_policy.kind != "per_local_day":
            raise ValueError("per_table: one prize per table per local day needs claim_policy.kind per_local_day")
        if self.per_table and self.tables is None:
            raise ValueError(
                "tables: required when per_table is true: the numbers on the table signs, e.g. tables: [1-20, 30, 31]"
            )
        if not self.per_table and self.tables is not None:
            raise ValueError("tables: only applies when per_table is true")
        return self

    @model_validator(mode="after")
    def _report_in_a_language_it_has(self) -> ClientConfig:
        if self.report.language is not None and self.report.language not in _REPORT_LANGUAGES:
            raise ValueError(
                f"report.language: the monthly report has no labels in {self.report.language}; choose one of "
                f"{', '.join(sorted(_REPORT_LANGUAGES))}"
            )
        return self

    @model_validator(mode="after")
    def _consent_in_every_language(self) -> ClientConfig:
        capture = self.contact_capture
        missing = [lang for lang in self.languages if capture.channels != "off" and lang not in capture.consent_text]
        if missing:
            raise ValueError(f"contact_capture.consent_text: missing for {', '.join(missing)}")
        return self

    def ssm_parameters(self) -> dict[str, str]:
        """Every SSM parameter the file names, by its field path."""
        sheets, webhook = self.integrations.google_sheets, self.integrations.webhook
        named = {
            "secrets.meta_access_token": self.secrets.meta_access_token,
            "secrets.coupon_signing_key": self.secrets.coupon_signing_key,
            "report.places_api_key_param": self.report.places_api_key_param,
            "integrations.google_sheets.service_account_param": sheets.service_account_param if sheets else None,
            "integrations.webhook.secret_param": webhook.secret_param if webhook else None,
        }
        return {where: name for where, name in named.items() if name is not None}

    def asset(self, relative: Path) -> Path:
        """An asset named in the config, resolved against the folder the config was loaded from."""
        return self._source_dir / relative

    def asset_paths(self) -> list[Path]:
        named = [self.coupon.logo, *self.coupon.fonts]
        return [self.asset(path) for path in named if path is not None]

    @cached_property
    def table_numbers(self) -> frozenset[int]:
        """Every table there is (per_table); empty without the option."""
        return frozenset(n for first, last in map(span_bounds, self.tables or []) for n in range(first, last + 1))

    @property
    def table_list(self) -> str:
        """The tables as a guest reads them: "1–20, 30, 31"."""
        return ", ".join(span.replace("-", "–") for span in self.tables or [])

    def question(self, question_id: str) -> Question | None:
        return next((question for question in self.questions if question.id == question_id), None)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def default_language(self) -> Language:
        return self.languages[0]

    @property
    def report_language(self) -> Language:
        """The monthly report's: the one configured, else the default language if the report has labels in it, else
        English."""
        if self.report.language is not None:
            return self.report.language
        return self.default_language if self.default_language in _REPORT_LANGUAGES else "en"
