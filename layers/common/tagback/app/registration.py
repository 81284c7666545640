"""Registering a venue with the edge: each venue stack's custom resource (Custom::TagbackRegistration) asks the edge's
registry function to register it on create and update, and to unregister it on delete. Its properties are the
registration's fields (infra/stack.py sets them; CloudFormation passes every value as a string)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tagback.adapters.cloudformation import CustomResourceRequest, respond
from tagback.domain.clock import Clock, SystemClock
from tagback.domain.registrations import AccountTaken, Registration
from tagback.domain.watchdog import closed_day
from tagback.observability import logger


class RegistryWriter(Protocol):
    def by_client(self, client_id: str) -> Registration | None: ...
    def register(self, registration: Registration) -> None: ...
    def unregister(self, client_id: str) -> Registration | None: ...


@dataclass(frozen=True)
class RegistrationAnswer:
    ok: bool
    reason: str
    physical_id: str


_SYSTEM_CLOCK = SystemClock()
_CLIENT_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
_ACCOUNT_ID = re.compile(r"^\d{5,25}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


# Besides these, the watchdog's `no_mention_days` and `closed`, and the redemption page's `language` and
# `prize_names`: a venue stack deployed before them has none of them.
REQUIRED = ("client_id", "account_id", "venue_name", "table", "region", "timezone", "retention_days", "link_prefix")


def registration_of(properties: Mapping[str, object]) -> Registration:
    """The registration the properties describe; ValueError naming each property that is missing or wrong."""
    names = REQUIRED
    missing = [name for name in names if not str(properties.get(name) or "")]
    if missing:
        raise ValueError(f"missing properties: {', '.join(missing)}")
    values = {name: str(properties[name]) for name in names}
    problems = []
    if not _CLIENT_ID.match(values["client_id"]):
        problems.append(f"client_id {values['client_id']!r} is not a client id")
    if not _ACCOUNT_ID.match(values["account_id"]):
        problems.append(f"account_id {values['account_id']!r} is not an Instagram account id")
    try:
        ZoneInfo(values["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone {values['timezone']!r} is not an IANA timezone")
    if not values["retention_days"].isdigit() or int(values["retention_days"]) < 1:
        problems.append(f"retention_days {values['retention_days']!r} is not a number of days")
    if not values["link_prefix"].startswith(("https://", "http://")):
        problems.append(f"link_prefix {values['link_prefix']!r} is not a URL")
    no_mention_days = str(properties.get("no_mention_days") or "0")
    if not no_mention_days.isdigit():
        problems.append(f"no_mention_days {no_mention_days!r} is not a number of days")
    closed = []
    for day in filter(None, str(properties.get("closed") or "").split(",")):
        try:
            closed.append(closed_day(day))
        except ValueError as wrong:
            problems.append(f"closed: {wrong}")
    language = str(properties.get("language") or "en")
    if not _LANGUAGE.match(language):
        problems.append(f"language {language!r} is not a language code")
    prize_names = _prize_names(str(properties.get("prize_names") or "{}"), problems)
    if problems:
        raise ValueError("; ".join(problems))
    return Registration(
        **{**values, "retention_days": int(values["retention_days"])},  # type: ignore[arg-type]
        no_mention_days=int(no_mention_days),
        closed=tuple(closed),
        language=language,
        prize_names=prize_names,
    )


def _prize_names(text: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    """`{"espresso": "Free espresso", …}` (JSON: CloudFormation passes strings) as sorted pairs."""
    try:
        names = json.loads(text)
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        problems.append("prize_names is not a JSON object of prize ids and names")
        return ()
    return tuple(sorted(names.items()))


def answer_registration(
    request_type: str,
    properties: Mapping[str, object],
    old_properties: Mapping[str, object] | None,
    registry: RegistryWriter,
    today: date,
) -> RegistrationAnswer:
    """Apply one custom-resource request; never raises, since CloudFormation must always get an answer."""
    client_id = str(properties.get("client_id") or "")
    physical_id = f"tagback-registration-{client_id}"
    try:
        if request_type == "Delete":
            removed = registry.unregister(client_id)
            reason = f"unregistered {client_id}" if removed else f"{client_id} was not registered"
        else:
            registration = registration_of(properties)
            # The date of the first registration stays: a redeploy does not make the venue new (the watchdog expects
            # nothing of a venue before it).
            previous = registry.by_client(client_id)
            first = previous.registered_on if previous is not None and previous.registered_on else today
            registration = replace(registration, registered_on=first)
            old_client = str((old_properties or {}).get("client_id") or client_id)
            registry.register(registration)
            if old_client != client_id:
                registry.unregister(old_client)
            reason = f"registered {client_id} for Instagram account {registration.account_id}"
    except (ValueError, AccountTaken) as refused:
        logger.warning("venue registration refused", extra={"client_id": client_id, "reason": str(refused)})
        return RegistrationAnswer(False, str(refused), physical_id)
    except Exception as error:  # the registry's store failed: say so, rather than leave CloudFormation waiting
        logger.exception("venue registration failed", extra={"client_id": client_id})
        return RegistrationAnswer(
            False, f"the edge's registry failed ({type(error).__name__}): deploy again", physical_id
        )
    logger.info("venue registry changed", extra={"client_id": client_id, "request": request_type, "reason": reason})
    return RegistrationAnswer(True, reason, physical_id)


def handle_custom_resource(
    event: Mapping[str, Any], registry: RegistryWriter, clock: Clock = _SYSTEM_CLOCK
) -> dict[str, Any]:
    """CloudFormation's request in, its answer PUT to the request's URL (and returned); `clock` dates a first
    registration."""
    request = CustomResourceRequest.model_validate(event)
    answer = answer_registration(
        request.RequestType, request.ResourceProperties, request.OldResourceProperties, registry, clock.now().date()
    )
    return respond(request, ok=answer.ok, reason=answer.reason, physical_id=answer.physical_id)
