"""The venue's Google rating and review count, from the Places API (New)."""

from __future__ import annotations

from typing import Any

import requests

PLACES_API = "https://places.googleapis.com"


def google_rating(place_id: str, api_key: str, base_url: str = PLACES_API) -> dict[str, Any]:
    """`rating` and `userRatingCount` from the Places API (New), or {} when Google does not answer them."""
    try:
        response = requests.get(
            f"{base_url.rstrip('/')}/v1/places/{place_id}",
            timeout=(3.05, 10),
            headers={"X-Goog-Api-Key": api_key, "X-Goog-FieldMask": "rating,userRatingCount"},
        )
    except requests.RequestException:
        return {}
    body = response.json() if response.ok else {}
    found: dict[str, Any] = {}
    if isinstance(body.get("rating"), int | float):
        found["rating"] = str(body["rating"])  # kept as text: DynamoDB numbers here are integers
    if isinstance(body.get("userRatingCount"), int):
        found["rating_count"] = body["userRatingCount"]
    return found
