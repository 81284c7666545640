"""Items in and out of DynamoDB: domain records as stored attributes (dates and times as ISO text, enums as their
value, None left out) and back, and items in DynamoDB's typed JSON (`to_dynamo` / `from_dynamo`)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar, get_args, get_type_hints

T = TypeVar("T")


def epoch(moment: datetime) -> int:
    """A moment as the TTL attribute takes it."""
    return int(moment.timestamp())


def plain(value: Any) -> Any:
    """Domain values as stored: dates and times as ISO text, enums as their value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return value


def _parse(kind: Any, raw: Any) -> Any:
    """A stored value back as the field's type (`X | None` fields take X)."""
    options = [t for t in get_args(kind) if t is not type(None)] or [kind]
    target = options[0]
    if target is datetime:
        return datetime.fromisoformat(raw)
    if target is date:
        return date.fromisoformat(raw)
    if isinstance(target, type) and issubclass(target, Enum):
        return target(raw)
    if target is int:
        return int(raw)
    return raw


def record_fields(record: Any) -> dict[str, Any]:
    """A dataclass record's attributes as stored, None left out."""
    values = {f.name: plain(getattr(record, f.name)) for f in dataclasses.fields(record)}
    return {name: value for name, value in values.items() if value is not None}


def record_from_item(cls: type[T], item: dict[str, Any], **given: Any) -> T:
    hints = get_type_hints(cls)
    values = {
        f.name: _parse(hints[f.name], item[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in item and f.name not in given
    }
    return cls(**values, **given)


def _to_attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    raise TypeError(f"unsupported attribute value {type(value).__name__}")


def _from_attribute(attribute: dict[str, Any]) -> Any:
    ((tag, value),) = attribute.items()
    return {"S": str, "N": int, "BOOL": bool}[tag](value)


def to_dynamo(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: _to_attribute(value) for name, value in item.items()}


def from_dynamo(item: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: _from_attribute(attribute) for name, attribute in item.items()}
