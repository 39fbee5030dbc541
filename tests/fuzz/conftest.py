"""Hypothesis profiles for the fuzz tests: "ci" (default, lean: about a minute in all) and
"long" (a fuzzing campaign, ~50 times the examples). Choose with ``HYPOTHESIS_PROFILE=long``.

Each test states its CI number of examples with ``fuzz_strategies.examples``, scaled by SCALE.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SCALE = {"ci": 1, "long": 50}.get(PROFILE, 1)

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    print_blob=True,
)
settings.register_profile("ci", max_examples=50, **_COMMON)
settings.register_profile("long", max_examples=50 * 50, **_COMMON)
settings.load_profile(PROFILE)
