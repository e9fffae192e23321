# ruff: noqa: E501 - the transition table reads best one row a line, as in STATES.md
"""The read model's fold, one test row per transition row of ../shared/STATES.md.

Each row: a ticket in a given state, one event, and the state, counters and activity after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ticketing_feed import EventIn
from ticketing_model import LABELS, AgentState
from ticketing_query.domain.counters import contribution
from ticketing_query.domain.search import tokens
from ticketing_query.domain.view import TicketView, fold

from tests.typed_events import event_in

T0 = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
TICKET_ID = "5" * 32
NS, RV, AF, AN = (
    AgentState.NOT_SEEN,
    AgentState.REVIEWING,
    AgentState.ANSWERED_FOLLOWING_UP,
    AgentState.ANSWERED,
)


def event(version: int, event_type: str, role: str = "customer", **data: Any) -> EventIn:
    return event_in(
        position=100 + version,
        brand_id="acme",
        ticket_id=TICKET_ID,
        stream_version=version,
        event_type=event_type,
        occurred_at=T0 + timedelta(minutes=version),
        actor_id={"customer": "cust-1", "representative": "rep-1"}.get(role, "agent-1"),
        actor_role=role,
        data=data,
    )


def opened(by_side: str = "customer", role: str = "customer") -> EventIn:
    return event(
        1, "TicketOpened", role, ticket_id=TICKET_ID, tracking_code="12345674",
        customer_id="cust-1", title="خطا در ارسال پیامک انبوه", department="technical",
        request_type="technical", priority="high", message_id="m1",
        body="پیامک‌ها ارسال نمی‌شوند", attachment_ids=[], opened_by_side=by_side,
    )  # fmt: skip


def posted(version: int, side: str, *, follow_up: bool = False, internal: bool = False) -> EventIn:
    role = "customer" if side == "customer" else "agent"
    return event(
        version, "MessagePosted", role, message_id=f"m{version}", body="متن پیام",
        attachment_ids=[], internal=internal, follow_up=follow_up, author_side=side,
    )  # fmt: skip


def state(
    agent_state: AgentState, customer_read: bool, agent_unread: int, customer_unread: int
) -> TicketView:
    """A ticket of cust-1 in `technical` at version 5 in the given state."""
    view = fold(None, opened(), tokens).view
    assert view is not None
    return TicketView(
        **{f: getattr(view, f) for f in view.__dataclass_fields__}
        | {
            "agent_state": agent_state,
            "customer_read": customer_read,
            "agent_unread": agent_unread,
            "customer_unread": customer_unread,
            "version": 5,
        }
    )


@dataclass(frozen=True)
class Row:
    """STATES.md row: before -> event -> (agent_state, customer_read, agent_unread, customer_unread)."""

    before: TicketView | None
    event: EventIn
    after: tuple[AgentState, bool, int, int]
    activity_moves: bool


ROWS = {
    "opened by the customer": Row(None, opened(), (NS, False, 1, 0), True),
    "opened by a representative": Row(None, opened("customer", "representative"), (NS, False, 1, 0), True),
    "opened by an agent": Row(None, opened("agent", "agent"), (AF, False, 0, 1), True),
    "customer message": Row(state(AN, False, 0, 2), posted(6, "customer"), (NS, True, 1, 0), True),
    "second customer message": Row(state(NS, True, 1, 0), posted(6, "customer"), (NS, True, 2, 0), True),
    "agent reply, follow-up": Row(state(RV, True, 0, 0), posted(6, "agent", follow_up=True), (AF, False, 0, 1), True),
    "agent reply, answered": Row(state(NS, True, 3, 0), posted(6, "agent"), (AN, False, 0, 1), True),
    "another agent reply": Row(state(AN, False, 0, 1), posted(6, "agent"), (AN, False, 0, 2), True),
    "internal note": Row(state(NS, True, 2, 0), posted(6, "agent", internal=True), (NS, True, 2, 0), False),
    "agent views a not-seen ticket": Row(state(NS, True, 2, 0), event(6, "AgentViewed", "agent"), (RV, True, 0, 0), False),
    "agent views an answered ticket": Row(state(AN, False, 0, 1), event(6, "AgentViewed", "admin"), (AN, False, 0, 1), False),
    "customer reads": Row(state(AF, False, 0, 3), event(6, "CustomerRead"), (AF, True, 0, 0), False),
    "representative reads": Row(state(AN, False, 0, 1), event(6, "CustomerRead", "representative"), (AN, True, 0, 0), False),
    "closed": Row(state(AF, False, 0, 1), event(6, "TicketClosed", reason=None), (AF, False, 0, 1), True),
    "reopened": Row(state(AF, False, 0, 1), event(6, "TicketReopened"), (AF, False, 0, 1), True),
    "transferred": Row(state(NS, False, 1, 0), event(6, "TicketTransferred", "agent", from_department="technical", to_department="finance"), (NS, False, 1, 0), False),
    "priority changed": Row(state(NS, False, 1, 0), event(6, "PriorityChanged", "agent", from_priority="high", to_priority="urgent"), (NS, False, 1, 0), False),
    "assigned": Row(state(NS, False, 1, 0), event(6, "TicketAssigned", "agent", assignee_id="agent-7", previous_assignee_id=None), (NS, False, 1, 0), False),
}  # fmt: skip


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_each_transition_of_states_md(row: Row) -> None:
    after = fold(row.before, row.event, tokens).view
    assert after is not None
    assert (after.agent_state, after.customer_read, after.agent_unread, after.customer_unread) == (
        row.after
    )
    assert after.version == row.event.stream_version
    moved = after.last_activity_at == row.event.occurred_at
    assert moved is row.activity_moves
    assert after.code in LABELS


def test_close_and_reopen_set_the_closed_flag_and_a_transfer_moves_the_department() -> None:
    closed = fold(state(AF, False, 0, 1), event(6, "TicketClosed", reason="حل شد"), tokens).view
    assert closed is not None
    assert closed.closed
    reopened = fold(closed, event(7, "TicketReopened"), tokens).view
    assert reopened is not None
    assert not reopened.closed
    moved = fold(
        reopened,
        event(
            8, "TicketTransferred", "agent", from_department="technical", to_department="finance"
        ),
        tokens,
    ).view
    assert moved is not None
    assert moved.department == "finance"


@pytest.mark.parametrize(
    ("agent_state", "customer_read", "code"),
    [(NS, False, 1), (RV, False, 2), (AF, False, 3), (AN, False, 4),
     (NS, True, 5), (RV, True, 6), (AF, True, 7), (AN, True, 8)],
)  # fmt: skip
def test_the_code_of_each_pair_of_halves(
    agent_state: AgentState, customer_read: bool, code: int
) -> None:
    assert state(agent_state, customer_read, 0, 0).code == code


def test_each_side_counts_its_own_unread_state() -> None:
    view = state(AN, False, 0, 2)  # answered, the customer has two unread replies
    customer = contribution(view, "customer")
    agent = contribution(view, "agent")
    assert (customer.unread_tickets, customer.unread_messages) == (1, 2)
    assert (agent.unread_tickets, agent.unread_messages) == (0, 0)
    assert customer.by_status[4] == agent.by_status[4] == 1


def test_an_event_already_folded_in_changes_nothing() -> None:
    view = state(NS, True, 2, 0)
    again = fold(view, posted(5, "customer"), tokens)
    assert again.view is view
    assert not again.changed
    assert again.message is None
