"""The eight status codes: two halves, and a label per code, verbatim (STATES.md)."""

from __future__ import annotations

from enum import StrEnum


class AgentState(StrEnum):
    """The support side's half, in the order of the seed's table (its index is the code's base)."""

    NOT_SEEN = "not_seen"
    REVIEWING = "reviewing"
    ANSWERED_FOLLOWING_UP = "answered_following_up"
    ANSWERED = "answered"


_ORDER = tuple(AgentState)

#: The labels of STATES.md, exactly as written there (spaces around the comma, the en dash).
LABELS: dict[int, str] = {
    1: "خوانده نشده – خوانده نشده",
    2: "ملاحظه شده ، در حال بررسی – خوانده نشده",
    3: "پاسخ داده شده ، در حال پیگیری – خوانده نشده",
    4: "پاسخ داده شده – خوانده نشده",
    5: "خوانده نشده – خوانده شده",
    6: "ملاحظه شده ، در حال بررسی – خوانده شده",
    7: "پاسخ داده شده ، در حال پیگیری – خوانده شده",
    8: "پاسخ داده شده – خوانده شده",
}

CODES = tuple(LABELS)


def status_code(agent_state: AgentState, customer_read: bool) -> int:
    """code = (index of agent_state, 1..4) + (4 if customer_read else 0)."""
    return _ORDER.index(agent_state) + 1 + (4 if customer_read else 0)


def halves_of(code: int) -> tuple[AgentState, bool]:
    """The two halves a code stands for (the inverse of `status_code`)."""
    if code not in LABELS:
        raise ValueError(f"status codes are 1..8, not {code}")
    return _ORDER[(code - 1) % 4], code > 4
