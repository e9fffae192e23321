"""Who is told about each kind of event (API.md, Notifications), one row per case."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from ticketing_model import AgentState
from ticketing_notifications.domain.rules import (
    CUSTOMER,
    DEPARTMENT,
    Notice,
    decide,
)

from .events import Story


def _opened_story(by: str = "customer") -> tuple[Story, Any]:
    story = Story()
    opening = story.opened(by=by)
    facts = decide(None, opening).facts
    return story, facts


@pytest.mark.parametrize(
    ("opened_by", "expected"),
    [
        ("customer", Notice(DEPARTMENT, "finance", "ticket_opened", external=False)),
        ("representative", Notice(DEPARTMENT, "finance", "ticket_opened", external=False)),
        ("agent", Notice(CUSTOMER, "cust-1", "ticket_opened_for_you", external=True)),
        ("admin", Notice(CUSTOMER, "cust-1", "ticket_opened_for_you", external=True)),
    ],
)
def test_an_opening_tells_the_department_or_the_customer_by_who_opened_it(
    opened_by: str, expected: Notice
) -> None:
    opening = Story().opened(by=opened_by)
    assert decide(None, opening).notices == (expected,)


def _later(story: Story, case: str) -> Any:
    match case:
        case "agent reply":
            return story.message(by="agent")
        case "admin reply":
            return story.message(by="admin")
        case "internal note":
            return story.message(by="agent", internal=True)
        case "customer reply":
            return story.message(by="customer")
        case "representative reply":
            return story.message(by="representative")
        case "agent closes":
            return story.event("TicketClosed", "agent", "agent-1", reason=None)
        case "customer closes":
            return story.event("TicketClosed", "customer", "cust-1", reason=None)
        case "admin reopens":
            return story.event("TicketReopened", "admin", "admin-1")
        case "customer reopens":
            return story.event("TicketReopened", "customer", "cust-1")
        case "agent transfers":
            return story.event(
                "TicketTransferred", "agent", "agent-1", from_department="finance",
                to_department="refunds",
            )  # fmt: skip
        case "agent views":
            return story.event("AgentViewed", "agent", "agent-1")
        case "customer reads":
            return story.event("CustomerRead", "customer", "cust-1")
        case "priority changes":
            return story.event(
                "PriorityChanged", "agent", "agent-1", from_priority="normal", to_priority="high"
            )
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("agent reply", (CUSTOMER, "cust-1", "agent_replied", True)),
        ("admin reply", (CUSTOMER, "cust-1", "agent_replied", True)),
        ("internal note", None),
        ("customer reply", (DEPARTMENT, "finance", "customer_replied", False)),
        ("representative reply", (DEPARTMENT, "finance", "customer_replied", False)),
        ("agent closes", (CUSTOMER, "cust-1", "ticket_closed", False)),
        ("customer closes", None),
        ("admin reopens", (CUSTOMER, "cust-1", "ticket_reopened", False)),
        ("customer reopens", None),
        ("agent transfers", (CUSTOMER, "cust-1", "ticket_transferred", False)),
        ("agent views", (CUSTOMER, "cust-1", "ticket_under_review", False)),
        ("customer reads", None),
        ("priority changes", None),
    ],
)
def test_each_later_event_tells_exactly_whom_api_md_says(
    case: str, expected: tuple[str, str, str, bool] | None
) -> None:
    story, facts = _opened_story()
    decision = decide(facts, _later(story, case))
    assert decision.notices == ((Notice(*expected),) if expected else ())


def test_a_customer_reply_after_a_transfer_tells_the_new_department() -> None:
    story, facts = _opened_story()
    facts = decide(facts, _later(story, "agent transfers")).facts
    decision = decide(facts, story.message(by="customer"))
    assert decision.notices == (Notice(DEPARTMENT, "refunds", "customer_replied", False),)


def test_an_event_seen_before_decides_nothing_again() -> None:
    story, facts = _opened_story()
    reply = story.message(by="agent")
    facts = decide(facts, reply).facts
    assert decide(facts, reply).notices == ()


def test_history_that_does_not_start_with_an_opening_is_ignored() -> None:
    reply = Story().message(by="agent")
    assert decide(None, reply).facts is None


def test_only_the_view_that_takes_an_unseen_ticket_under_review_tells_the_customer() -> None:
    story, facts = _opened_story()
    seen: list[tuple[str, ...]] = []
    for event in (
        story.event("AgentViewed", "agent", "agent-1"),  # not seen -> reviewing: told
        story.event("AgentViewed", "agent", "agent-2"),  # still reviewing: nothing
        story.message(by="agent"),  # answered
        story.event("AgentViewed", "agent", "agent-1"),  # answered stays: nothing
        story.message(by="customer"),  # not seen again
        story.event("AgentViewed", "admin", "admin-1"),  # -> reviewing: told again
    ):
        decision = decide(facts, event)
        facts = decision.facts
        seen.append(tuple(n.kind for n in decision.notices))
    assert seen == [
        ("ticket_under_review",),
        (),
        ("agent_replied",),
        (),
        ("customer_replied",),
        ("ticket_under_review",),
    ]


def test_facts_taken_as_reviewing_announce_no_review() -> None:
    # The SQLite store loads facts kept before the state was as reviewing (contract suite).
    story, facts = _opened_story()
    old = replace(facts, agent_state=AgentState.REVIEWING)
    decision = decide(old, story.event("AgentViewed", "agent", "agent-1"))
    assert decision.notices == ()
    assert decision.facts is not None
    assert decision.facts.agent_state == "reviewing"
