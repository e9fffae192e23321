"""Fixtures of the contracts tests."""

from __future__ import annotations

from typing import Any

import pytest
from contracts_examples import envelope_dict


@pytest.fixture
def opened_envelope() -> dict[str, Any]:
    return envelope_dict()
