"""Phone numbers as guests type them, read with Google's libphonenumber (the `phonenumbers` package)."""

from __future__ import annotations


def valid_phone(text: str, region: str | None) -> str | None:
    """The number in E.164 (+351211234567), or None when it is not a possible, valid number."""
    import phonenumbers  # noqa: PLC0415 - its metadata loads at the first number a guest types, not at a cold start

    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
