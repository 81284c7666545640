"""The agency's configuration (`agency.yaml`): its one Meta app, which every venue's Instagram account is connected
to, and the secrets of that app by their SSM names. The edge stack is built from it; `tagback connect` reads it.

A Meta app has one webhook callback URL and one app secret (../shared/reference/meta-messaging.md, "Apps, accounts
and tokens"), so these live here, once, not in each client file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, ValidationError

from tagback.config.model import Email, SsmName
from tagback.config.yaml_text import read_yaml

# The webhook fields a venue's account can be subscribed to. By default: messages (story mentions, texts, quick
# replies) and postbacks (button answers). Fields are per app: every account receives all of the app's fields.
WebhookField = Literal[
    "messages", "messaging_postbacks", "messaging_seen", "messaging_reactions", "messaging_referral", "message_edit"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppSecrets(_Strict):
    meta_app_secret: SsmName = Field(description="the app secret: signs every delivery, exchanges login codes")
    meta_verify_token: SsmName = Field(description="the token Meta's subscription handshake presents")


class MetaApp(_Strict):
    app_id: Annotated[str, StringConstraints(pattern=r"^\d{5,25}$")]
    api_version: Annotated[str, StringConstraints(pattern=r"^v\d+\.\d+$")] = "v25.0"
    # Where Instagram's login sends the venue back with `?code=…` (registered in the app's Instagram Login settings).
    login_redirect_uri: HttpUrl | None = None
    subscribed_fields: Annotated[tuple[WebhookField, ...], Field(min_length=1)] = ("messages", "messaging_postbacks")


class Alerts(_Strict):
    # Who hears of every alarm of the edge and of every venue: the edge's SNS topic emails each (each address
    # confirms its subscription once, from the email AWS sends it).
    emails: Annotated[tuple[Email, ...], Field(min_length=1, max_length=10)]


class AgencyConfig(_Strict):
    agency_name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    meta: MetaApp
    secrets: AppSecrets
    alerts: Alerts


class AgencyConfigError(ValueError):
    """agency.yaml cannot be used: the message names the file, each field and the reason."""


def load_agency_config(path: Path) -> AgencyConfig:
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AgencyConfigError(f"{path}: cannot be read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise AgencyConfigError(f"{path}: not valid YAML: {error}") from None
    try:
        return AgencyConfig.model_validate(data)
    except ValidationError as error:
        problems = [
            f"  {'.'.join(str(p) for p in e['loc']) or '(top level)'}: "
            f"{'unknown field (check the spelling)' if e['type'] == 'extra_forbidden' else e['msg']}"
            for e in error.errors()
        ]
        raise AgencyConfigError(f"invalid agency config ({path}):\n" + "\n".join(problems)) from None
