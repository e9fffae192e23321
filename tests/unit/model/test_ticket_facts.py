"""The one fold of a ticket's facts, as given-history / when-event / then-facts (STATES.md)."""

from __future__ import annotations

import pytest
from ticketing_model import LABELS, AgentState, Side, TicketFacts, evolve, halves_of, status_code

from .histories import Told


def told(*actions: tuple[str, int], by_agent: bool = False) -> Told:
    story = Told("acme", "0f" * 16, "cust-1", "technical")
    story.opened(by_agent=by_agent)
    for action, arg in actions:
        story.step(action, arg)
    return story


def facts_of(story: Told) -> TicketFacts:
    facts: TicketFacts | None = None
    for event in story.events:
        facts = evolve(facts, event)
    assert facts is not None
    return facts


@pytest.mark.parametrize(
    ("by_agent", "actions", "code", "agent_unread", "customer_unread"),
    [
        (False, [], 1, 1, 0),
        (False, [("agent_viewed", 0)], 2, 0, 0),
        (False, [("agent_viewed", 0), ("customer_read", 0)], 6, 0, 0),
        (False, [("customer_read", 0)], 5, 1, 0),
        (False, [("follow_up", 0)], 3, 0, 1),
        (False, [("agent_reply", 0)], 4, 0, 1),
        (False, [("follow_up", 0), ("customer_read", 0)], 7, 0, 0),
        (False, [("agent_reply", 0), ("customer_read", 0)], 8, 0, 0),
        (False, [("agent_reply", 0), ("customer_reply", 0)], 5, 1, 0),
        (False, [("customer_reply", 0), ("customer_reply", 0)], 5, 3, 0),
        (False, [("internal_note", 0)], 1, 1, 0),
        (False, [("agent_viewed", 0), ("agent_viewed", 0)], 2, 0, 0),
        (False, [("agent_reply", 0), ("agent_viewed", 0)], 4, 0, 1),
        (True, [], 3, 0, 1),
        (True, [("customer_read", 0)], 7, 0, 0),
    ],
)
def test_each_transition_of_the_states_table_gives_its_code_and_unread_counts(
    by_agent: bool,
    actions: list[tuple[str, int]],
    code: int,
    agent_unread: int,
    customer_unread: int,
) -> None:
    facts = facts_of(told(*actions, by_agent=by_agent))

    assert (facts.code, facts.agent_unread, facts.customer_unread) == (
        code,
        agent_unread,
        customer_unread,
    )
    assert facts.label == LABELS[code]


def test_a_transfer_moves_the_ticket_to_the_new_department_and_leaves_its_status() -> None:
    before = facts_of(told(("agent_reply", 0)))

    after = facts_of(told(("agent_reply", 0), ("transferred", 1)))

    assert (before.department, after.department) == ("technical", "finance")
    assert (after.code, after.customer_unread) == (before.code, before.customer_unread)


def test_closing_and_reopening_flip_closed_and_nothing_else() -> None:
    closed = facts_of(told(("agent_reply", 0), ("closed", 0)))
    reopened = facts_of(told(("agent_reply", 0), ("closed", 0), ("reopened", 0)))

    assert (closed.closed, reopened.closed) == (True, False)
    assert closed.code == reopened.code == 4


def test_priority_and_assignment_are_kept_and_unassigning_clears_the_assignee() -> None:
    assigned = facts_of(told(("priority", 2), ("assigned", 1)))
    unassigned = facts_of(told(("assigned", 1), ("assigned", 0)))

    assert (assigned.priority, assigned.assignee_id) == ("urgent", "agent-1")
    assert unassigned.assignee_id is None


def test_an_event_delivered_again_changes_nothing() -> None:
    story = told(("customer_reply", 0), ("agent_reply", 0))
    facts = facts_of(story)

    again = evolve(facts, story.events[1])

    assert again is facts


def test_a_history_that_does_not_start_with_an_opening_is_no_tickets() -> None:
    story = told(("customer_reply", 0))

    assert evolve(None, story.events[1]) is None


def test_an_event_the_facts_do_not_depend_on_only_moves_the_version() -> None:
    story = told()
    facts = facts_of(story)
    story.opened()  # a second opening in the same stream: no ticket's history writes one

    moved = evolve(facts, story.events[-1])

    assert moved is not None
    assert moved.version == 2
    assert moved == TicketFacts(**{**_as_dict(facts), "version": 2})


def test_each_side_reads_its_own_half_of_the_unread_state() -> None:
    facts = facts_of(told(("customer_reply", 0)))

    assert facts.unread_for(Side.AGENT) == (True, 2)
    assert facts.unread_for(Side.CUSTOMER) == (False, 0)


@pytest.mark.parametrize("code", range(1, 9))
def test_every_code_is_the_code_of_its_own_halves(code: int) -> None:
    assert status_code(*halves_of(code)) == code


def test_a_code_outside_one_to_eight_has_no_halves() -> None:
    with pytest.raises(ValueError, match=r"1\.\.8"):
        halves_of(9)


def test_the_labels_are_those_of_the_states_table_verbatim() -> None:
    assert LABELS[2] == "ملاحظه شده ، در حال بررسی – خوانده نشده"
    assert LABELS[7] == "پاسخ داده شده ، در حال پیگیری – خوانده شده"
    assert list(AgentState) == ["not_seen", "reviewing", "answered_following_up", "answered"]


def _as_dict(facts: TicketFacts) -> dict[str, object]:
    return {name: getattr(facts, name) for name in TicketFacts.__dataclass_fields__}
