"""The fuzz tests' case counts: a sample in `make test`, the full run in `make test-slow` (TAGBACK_FUZZ=thorough)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# No deadline: one case may post a 1,000-item delivery. The database of failing cases stays on, so a failure found
# by the long run is tried first by the next short one.
settings.register_profile(
    "sample", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("thorough", settings.get_profile("sample"), max_examples=10_000)
FUZZ_PROFILE = os.environ.get("TAGBACK_FUZZ", "sample")
if FUZZ_PROFILE not in {"sample", "thorough"}:
    raise ValueError(f"TAGBACK_FUZZ must be 'sample' or 'thorough', not {FUZZ_PROFILE!r}")
