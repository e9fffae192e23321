"""How long the fuzz targets run. In `make test` each target runs one Hypothesis search of
`TICKETING_FUZZ_EXAMPLES` examples (default 100: a few seconds in all). `make fuzz` sets
`TICKETING_FUZZ_SECONDS` (the whole run's budget, default 180 s there): each target then
searches again and again with fresh seeds until its share of the budget is spent."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings

TARGETS = 6  # the targets in tests/fuzz share the budget
SECONDS = float(os.environ.get("TICKETING_FUZZ_SECONDS", "0"))
EXAMPLES = int(os.environ.get("TICKETING_FUZZ_EXAMPLES", "100"))


def run(target: Callable[..., Any]) -> int:
    """Run a `@given` target within the budget; the number of searches run."""
    search = settings(
        max_examples=EXAMPLES if SECONDS <= 0 else 200,  # short searches keep to the budget
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )(target)
    searches = 0
    stop = time.monotonic() + SECONDS / TARGETS
    while True:
        search()
        searches += 1
        if time.monotonic() >= stop:
            return searches
